"""The audit app: The append-only audit trail of every change and every reveal of personal data."""
