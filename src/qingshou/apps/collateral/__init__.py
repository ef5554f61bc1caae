"""Collateral (抵押物 / 质押物): the register, appraisal history, loan-to-value monitoring and disposal by judicial auction (issue 6)."""
