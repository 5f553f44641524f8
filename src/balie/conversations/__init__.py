"""Conversations: a customer's thread on one channel, its messages, owner, tags and hand-overs."""
