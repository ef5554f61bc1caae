"""The cases app: Collection cases per borrower, their history and the day's action plan."""
