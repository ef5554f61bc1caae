"""The field app: Field visits (外访): requests, assignment to two agents, scheduling and visit reports."""
