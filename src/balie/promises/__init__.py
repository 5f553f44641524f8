"""Promises as follow-ups (C4)."""
