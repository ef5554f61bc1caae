"""The monthly 逾期贷款清收报告 (HTML, PDF, XLSX) and the managers' dashboards (issue 7)."""
