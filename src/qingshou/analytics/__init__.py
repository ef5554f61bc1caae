"""Portfolio analytics (issue 7): the month's metrics from the lake's snapshots and the store, as Polars frames.

``contract`` is what the metrics produce and what the report (``qingshou.apps.reports``) and the dashboards
render; each metric is a pure function of frames, defined with its formula in docs/metrics.md.
"""
