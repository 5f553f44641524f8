"""abuse."""
