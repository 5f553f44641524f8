"""Products and the orders customers placed for them, with their warranty."""
