"""Use cases of the cases app: the daily case, strategy and action-plan steps of EOD."""
