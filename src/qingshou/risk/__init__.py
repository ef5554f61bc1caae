"""Risk intelligence (issue 8): scorecards (WoE binning, points, reason codes), their validation, the training
sets of the collection, early-warning and application models, risk-based pricing, the daily plan's optimiser
and the strategy simulation harness. A layer beside ``qingshou.analytics``: Polars, the lake, the store and the
domain below it, no Django."""
