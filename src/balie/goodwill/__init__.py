"""goodwill."""
