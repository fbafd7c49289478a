"""Audit of the hiring-pipeline history: replay, verify, as-of and what-if (issue 5)."""
