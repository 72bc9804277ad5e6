"""SNAP (Bank Indonesia's Open API standard) plumbing: codes, auth, idempotency, rate limits."""
