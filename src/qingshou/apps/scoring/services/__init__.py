"""The scoring services: model versions, EOD scoring, history snapshots (issue 8)."""
