"""Customers: one person with several identities (e-mail, chat visitor, phone) and orders."""
