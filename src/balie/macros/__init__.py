"""macros."""
