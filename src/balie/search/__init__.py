"""Full-text search over messages and customers, Dutch and English stemming."""
