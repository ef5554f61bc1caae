"""Django apps, one per area of the work (loans, cases, contacts …): models, admin and services (use cases)."""
