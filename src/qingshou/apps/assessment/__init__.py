"""Credit assessment at origination (issue 8): application scorecard, grades, risk-based pricing, POST /api/assess."""
