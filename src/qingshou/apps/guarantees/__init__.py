"""Guarantors on loans: guarantees, the guarantee period (C7) and demands on guarantors with reminders (issue 6)."""
