"""Use cases of the notice channels: templates, the outbox, sending, delivery status and receipts."""
