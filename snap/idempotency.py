"""X-EXTERNAL-ID as the idempotency key (docs/api.md, "Idempotency").

A call's answer is kept in the same transaction as what the call did: the record is
written once, with the answer, just before the commit, and the database's unique index
on the key decides which of two twins counts. A twin that meets the key taken (its
INSERT waits for the other transaction, then finds the row) rolls back whatever it did
and answers the kept answer, byte for byte; the same key with another method, path or
body is a conflict. A refusal is kept too (in a statement of its own, as nothing else
of the call is written), so a retry of a refused call is refused alike. A call that
fails unexpectedly keeps nothing: its retry is processed afresh.
"""

import hashlib
from dataclasses import dataclass

from django.utils import timezone

from core import signing
from core.bulk import insert_new_rows
from snap import errors
from snap.models import IdempotencyRecord


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper(), path, signing.minify_json(body)):
        # A body that is not UTF-8 was read with surrogate escapes (signing.minify_json):
        # hash its bytes as they came, so it is refused as malformed JSON, not as a crash.
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass(frozen=True)
class Key:
    """One call's key: the partner, the day in Asia/Jakarta (SNAP's "same day"), X-EXTERNAL-ID, and
    what the call is (its fingerprint)."""

    partner_id: str
    external_id: str
    fingerprint: str
    day: object = None

    @classmethod
    def of(cls, *, partner_id: str, external_id: str, method: str, path: str, body: bytes) -> "Key":
        return cls(partner_id, external_id, fingerprint(method, path, body), timezone.localdate())


def keep(key: Key, status_code: int, body: str) -> bool:
    """Keeps the answer of a processed call; False if the key is taken already (then the
    caller's transaction must roll back and ``kept`` tells what to answer)."""
    return bool(insert_new_rows(
        IdempotencyRecord,
        ("partner_id", "day", "external_id", "fingerprint", "status_code", "response_body", "created_at"),
        [(key.partner_id, key.day, key.external_id, key.fingerprint, status_code, body, timezone.now())],
        returning=("id",),
    ))


def answered(key: Key) -> tuple[int, str] | None:
    """The answer kept for ``key``, or None if it has none yet; a conflict if the key was used for
    another call."""
    record = IdempotencyRecord.objects.filter(
        partner_id=key.partner_id, day=key.day, external_id=key.external_id, status_code__isnull=False).first()
    if record is None:
        return None
    if record.fingerprint != key.fingerprint:
        raise errors.conflict("Cannot use same X-EXTERNAL-ID in same day")
    return record.status_code, record.response_body


def kept(key: Key) -> tuple[int, str]:
    """The answer kept for ``key``; a conflict if the key was used for another call."""
    record = IdempotencyRecord.objects.filter(
        partner_id=key.partner_id, day=key.day, external_id=key.external_id).first()
    if record is None:  # the twin that held it rolled back: a retry processes the call afresh
        raise errors.conflict("A request with this X-EXTERNAL-ID was processed at the same moment; send it again")
    if record.fingerprint != key.fingerprint:
        raise errors.conflict("Cannot use same X-EXTERNAL-ID in same day")
    if record.status_code is None:
        # A claim without an answer, left by a version that claimed keys before processing:
        # nothing was kept for it, so it goes and a retry processes the call afresh.
        IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()
        raise errors.conflict("A request with this X-EXTERNAL-ID was processed at the same moment; send it again")
    return record.status_code, record.response_body
