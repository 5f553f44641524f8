"""Alerts: what a supervisor or an agent must look at now, shown live and sent by e-mail."""
