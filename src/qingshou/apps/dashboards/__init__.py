"""The managers' and risk managers' dashboards: the monthly report's metrics on web pages (ECharts), filtered and scoped (issue 7)."""
