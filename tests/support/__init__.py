"""Helpers for tests that run real servers: a Celery worker process and a private Redis."""
