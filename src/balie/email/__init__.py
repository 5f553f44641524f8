"""The e-mail channel: parsing, threading, inbound SMTP and IMAP, the outbox."""
