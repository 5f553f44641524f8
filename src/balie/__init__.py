"""Balie: live chat and e-mail in one agent inbox, with service-quality guardrails."""

__version__ = "0.1.0"
