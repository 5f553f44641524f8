"""The JSON API under /api/v1."""

# Each router carries the prefix itself (rather than getting it at include time), so a
# matched route's path is the full template, which metrics and logs report.
PREFIX = "/api/v1"
