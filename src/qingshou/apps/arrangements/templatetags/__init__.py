"""Template tags of the arrangements app."""
