"""Models of the livin app."""
