"""Scoring (issue 8): versioned scorecard models (collection, early warning, application) and the day's
scores of the book."""
