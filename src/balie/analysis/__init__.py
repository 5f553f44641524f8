"""The guardrails: triage of inbound messages and a coach for replies. Pure.

This package imports nothing from the web, the database or the clock: it can be used alone
(``balie analyze`` on the command line, or ``from balie.analysis import triage``).
"""

from balie.analysis.coach import coach as coach
from balie.analysis.triage import triage as triage
