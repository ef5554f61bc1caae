"""The notices app: The notice channels: the transactional outbox, SMS / e-mail / letter delivery and delivery status."""
