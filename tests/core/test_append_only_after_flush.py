"""The test teardown that lets a SQLite flush through closes the guard again afterwards."""

import pytest
from django.db import DatabaseError, transaction

from core.audit import audit_record
from core.models import AuditEvent


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_writes_audit_rows_that_its_flush_removes():
    audit_record(action="test", sentence="flushed after this test")
    assert AuditEvent.objects.count() == 1


@pytest.mark.django_db
def test_the_guard_is_closed_again_for_the_next_test():
    event = audit_record(action="test", sentence="history")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
