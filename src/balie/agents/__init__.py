"""Agents: who works the inbox, their roles, passwords and API tokens."""
