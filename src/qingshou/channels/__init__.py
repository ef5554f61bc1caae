"""Notice channel adapters: SMS over an HTTP gateway, e-mail over SMTP, letters as PDF, templates."""
