"""Models of the quota app."""
