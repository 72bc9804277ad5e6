"""Prometheus metrics at ``/metrics``, read from the database at scrape time.

Web, worker and beat scale independently, so counters kept in one process would see a
fraction of the work; the database sees all of it. Protected by ``METRICS_TOKEN``
(``Authorization: Bearer ...``) or a signed-in bank staff session.
"""

import hmac
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, F, Q
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

LATENCY_BUCKETS_SECONDS = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800]
WINDOW = timedelta(hours=1)


class KopraCollector:
    """Reads the figures an operator alerts on, once per scrape."""

    def collect(self):
        from billers.models import Registration
        from notifications.models import CallbackEvent, DeliveryAttempt
        from quota.models import QuotaAccount
        from reminders.models import Bill

        since = timezone.now() - WINDOW

        bills = GaugeMetricFamily("kopra_bills", "Bills by status", labels=["status"])
        for row in Bill.objects.values("status").annotate(n=Count("id")).order_by():
            bills.add_metric([row["status"]], row["n"])
        yield bills

        lags = list(
            DeliveryAttempt.objects.filter(operation="push", ok=True, at__gte=since, lag_ms__isnull=False)
            .values_list("lag_ms", flat=True)
        )
        buckets, cumulative = [], 0
        for bound in LATENCY_BUCKETS_SECONDS:
            cumulative = sum(1 for lag in lags if lag / 1000 <= bound)
            buckets.append((str(bound), cumulative))
        buckets.append(("+Inf", len(lags)))
        latency = HistogramMetricFamily(
            "kopra_push_delay_seconds", "Delay of delivered pushes against their scheduled start, last hour",
            buckets=buckets, sum_value=sum(lags) / 1000,
        )
        yield latency

        errors = GaugeMetricFamily("kopra_gateway_errors_last_hour", "Failed Livin' calls in the last hour",
                                   labels=["operation"])
        for row in (DeliveryAttempt.objects.filter(ok=False, at__gte=since).values("operation")
                    .annotate(n=Count("id")).order_by()):
            errors.add_metric([row["operation"]], row["n"])
        yield errors

        now = timezone.now()
        due = Bill.objects.filter(status="SCHEDULED", next_push_at__lte=now, end_at__gt=now).count()
        unchecked = Bill.objects.filter(status="RECEIVED").count()
        queue = GaugeMetricFamily("kopra_delivery_backlog", "Bills waiting for the scheduler", labels=["stage"])
        queue.add_metric(["directory_check"], unchecked)
        queue.add_metric(["push_due"], due)
        yield queue

        broker_depth = _broker_queue_depth()
        if broker_depth is not None:
            yield GaugeMetricFamily("kopra_broker_queue_depth", "Messages waiting in the Celery queue",
                                    value=broker_depth)

        yield GaugeMetricFamily(
            "kopra_callbacks_pending", "Biller callbacks not yet delivered",
            value=CallbackEvent.objects.filter(status=CallbackEvent.Status.PENDING).count(),
        )
        low = QuotaAccount.objects.filter(
            registration__status=Registration.Status.ACTIVE,
        ).filter(Q(balance__lt=F("reserved") + F("registration__low_quota_threshold"))).count()
        yield GaugeMetricFamily("kopra_quota_accounts_low",
                                "Active biller codes whose available quota is below their threshold", value=low)


def _broker_queue_depth() -> int | None:
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        return None
    from kopra.celery import app

    try:
        with app.connection_for_read() as conn:
            return conn.default_channel.client.llen("celery")
    except Exception:  # noqa: BLE001 - a metric must not fail the scrape; /readyz reports the broker
        return None


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:], token):
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff and user.is_verified())


@never_cache
def metrics(request):
    if not _allowed(request):
        return HttpResponse("Metrics need Authorization: Bearer <METRICS_TOKEN>.\n", status=401,
                            content_type="text/plain")
    registry = CollectorRegistry()
    registry.register(KopraCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
