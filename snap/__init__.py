"""The Open API (SNAP, Bank Indonesia's standard): the signed pipeline, credentials and tokens,
idempotency, rate limits, and the signing client (SDK and command line)."""
