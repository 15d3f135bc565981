"""The shared kernel every package may use and which imports none of them: database sessions,
errors, API keys, idempotency, HTTP conventions, background jobs, geometry."""
