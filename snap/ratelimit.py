"""A fixed-window rate limit per key, exact under concurrency.

With Redis configured (``REDIS_URL``) the count is an atomic INCR shared by every web
process; without it, a conditional UPDATE on a database row does the same job.
"""

import functools
import time

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from snap.models import RateWindow

WINDOW_SECONDS = 60


def allow(key: str, limit: int) -> bool:
    """Counts one request for ``key``; False once ``limit`` were already allowed this minute."""
    if settings.REDIS_URL:
        # The default cache is Redis then: one INCR (which creates the key) counts exactly
        # however many processes ask at once; the first of a window also sets its expiry.
        window_key = cache.make_key(f"rate:{key}:{int(time.time()) // WINDOW_SECONDS}")
        client = _redis(settings.REDIS_URL)
        count = client.incr(window_key)
        if count == 1:  # the window's first request gives its key a lifetime
            client.expire(window_key, WINDOW_SECONDS * 2)
        return count <= limit
    return _allow_in_database(key, limit)


@functools.cache
def _redis(url: str):
    """One client a process (its pool is thread-safe): building one a call costs more than the INCR."""
    import redis

    return redis.Redis.from_url(url)


def _allow_in_database(key: str, limit: int) -> bool:
    now = timezone.now()
    window_start = now.replace(second=0, microsecond=0)
    try:
        with transaction.atomic():
            RateWindow.objects.get_or_create(key=key, window_start=window_start)
    except IntegrityError:
        pass  # another request created this minute's row first
    with transaction.atomic():
        allowed = RateWindow.objects.filter(key=key, window_start=window_start, count__lt=limit).update(
            count=F("count") + 1
        )
    return allowed == 1
