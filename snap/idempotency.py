"""X-EXTERNAL-ID as the idempotency key (docs/api.md, "Idempotency").

The first use on a day claims a row (committed at once, so a concurrent twin sees it),
is processed, and stores its answer; a repeat with the same method, path and body gets
that answer again; a repeat with anything else is a conflict.
"""

import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core import signing
from snap import errors
from snap.models import IdempotencyRecord

WAIT_FOR_TWIN_SECONDS = 30
# A claim still unanswered after this long belongs to a request that died (its worker was
# killed, or the database went away before it could let go): a retry may take the key over.
# Longer than any request may run (gunicorn's timeout is 60 s).
ABANDONED_AFTER_SECONDS = 120


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper(), path, signing.minify_json(body)):
        # A body that is not UTF-8 was read with surrogate escapes (signing.minify_json):
        # hash its bytes as they came, so it is refused as malformed JSON, not as a crash.
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass
class Claim:
    """Either a fresh claim to process (``record``) or a stored answer to replay."""

    record: IdempotencyRecord | None = None
    replay_status: int | None = None
    replay_body: str = ""


def claim(*, partner_id: str, external_id: str, method: str, path: str, body: bytes) -> Claim:
    """Claims the key for processing, or returns the stored answer; raises a conflict."""
    print_ = fingerprint(method, path, body)
    day = timezone.localdate()  # Asia/Jakarta: SNAP's "same day"
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                partner_id=partner_id, day=day, external_id=external_id, fingerprint=print_
            )
        return Claim(record=record)
    except IntegrityError:
        pass
    deadline = time.monotonic() + WAIT_FOR_TWIN_SECONDS
    while True:
        existing = IdempotencyRecord.objects.filter(partner_id=partner_id, day=day, external_id=external_id).first()
        if existing is None:
            # The twin failed and let go of the key: this request may process it.
            return claim(partner_id=partner_id, external_id=external_id, method=method, path=path, body=body)
        if existing.fingerprint != print_:
            raise errors.conflict("Cannot use same X-EXTERNAL-ID in same day")
        if existing.status_code is not None:
            return Claim(replay_status=existing.status_code, replay_body=existing.response_body)
        if existing.created_at < timezone.now() - timedelta(seconds=ABANDONED_AFTER_SECONDS):
            IdempotencyRecord.objects.filter(pk=existing.pk, status_code__isnull=True).delete()
            continue
        if time.monotonic() > deadline:
            raise errors.conflict("A request with this X-EXTERNAL-ID is still being processed")
        time.sleep(0.05)


def store(record: IdempotencyRecord, status_code: int, body: str) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(status_code=status_code, response_body=body)


def release(record: IdempotencyRecord) -> None:
    """Lets go of a key whose processing failed unexpectedly, so a retry can process it."""
    IdempotencyRecord.objects.filter(pk=record.pk, status_code__isnull=True).delete()
