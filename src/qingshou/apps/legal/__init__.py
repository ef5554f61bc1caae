"""Legal cases (法务): demand letters, payment orders, lawsuits, arbitration, special procedure, enforcement; court fees, preservation (查封/扣押/冻结), deadlines and the legal calendar (issue 6)."""
