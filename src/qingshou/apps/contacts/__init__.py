"""The contacts app: Contact parties, consent, every contact attempt and the compliance decision on it (C8)."""
