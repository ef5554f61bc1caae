"""Use cases of the loans app: one function = one transaction (``load`` imports core extracts)."""
