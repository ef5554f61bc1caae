"""The JSON API for integrations (issue 5): token authentication, payments with an idempotency key, cases,
loans, the day's actions and recording contacts — with the same scoping and audit as the pages
(docs/api.md)."""
