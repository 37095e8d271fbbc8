"""Helpers for the end-to-end tests: an embedded PostgreSQL and the Meltano CLI."""
