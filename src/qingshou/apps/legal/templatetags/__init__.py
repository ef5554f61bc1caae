"""Template tags of the legal app."""
