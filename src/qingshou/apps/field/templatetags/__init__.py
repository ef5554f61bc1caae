"""Template tags of the field app."""
