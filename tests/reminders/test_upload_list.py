"""The uploads list: a live progress bar for each file still being read or decided, and a bounded number of queries."""

import re

import pytest
from django.urls import reverse

from reminders.models import Upload
from tests.conftest import sign_in
from tests.console_data import queries_of
from tests.factories import registered_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def registration(company):
    return registered_code(company, quota=10, code="70001")


def uploads(registration, maker, count, **fields):
    return Upload.objects.bulk_create(
        Upload(company_id=registration.company_id, registration=registration, file="uploads/x.csv",
               original_name=f"file-{n}.csv", sha256=f"{n:064x}", uploaded_by=maker, **fields)
        for n in range(count)
    )


def test_a_file_being_read_gets_a_progress_bar_polled_by_the_script(client, registration, maker):
    [reading] = uploads(registration, maker, 1, status=Upload.Status.VALIDATING, rows_read=250, rows_total=1000)
    [done] = uploads(registration, maker, 1, status=Upload.Status.VALIDATED, rows_read=10, rows_total=10,
                     valid_rows=9, invalid_rows=1)
    html = sign_in(client, maker).get(reverse("upload_list")).content.decode()
    assert f'data-upload-progress="{reverse("upload_progress", args=[reading.pk])}"' in html
    assert f'data-upload-progress="{reverse("upload_progress", args=[done.pk])}"' not in html
    assert 'value="25"' in html
    assert "kopra/upload_progress.js" in html
    progress = client.get(reverse("upload_progress", args=[reading.pk])).json()
    assert (progress["percent"], progress["done"]) == (25, False)


def test_the_list_issues_the_same_queries_for_5_or_50_uploads(client, registration, maker,
                                                              django_assert_max_num_queries):
    sign_in(client, maker)
    uploads(registration, maker, 5, status=Upload.Status.VALIDATING)
    with_five = queries_of(lambda: client.get(reverse("upload_list")))
    uploads(registration, maker, 45, status=Upload.Status.SUBMITTED)
    with_fifty = queries_of(lambda: client.get(reverse("upload_list")))
    assert with_five == with_fifty
    with django_assert_max_num_queries(10):
        html = client.get(reverse("upload_list")).content.decode()
    assert len(re.findall(r'id="upload-\d+"', html)) == 50
