"""The batch create of the Open API: up to 1,000 messages a call, each answered in order as its
own create would be; the call's bills reserved whole, replayed byte for byte."""

import json

import pytest

from billers.models import Registration
from core.models import AuditEvent
from quota.selectors import quota_summary
from reminders.models import Bill, BillEvent, BillStatus
from snap.client import BATCH_PATH
from tests.factories import registered_code
from tests.reminders.test_api import message

pytestmark = pytest.mark.django_db


def messages(count, **overrides):
    return [message(partnerReferenceNo=f"INV-B-{n:04d}", billKey=f"K{n:09d}", **overrides) for n in range(count)]


def test_every_message_of_a_batch_becomes_a_bill_with_its_timeline_audit_and_reservation(api, registration):
    response = api.create_messages(messages(5))

    assert response.status_code == 200
    assert response.body["responseCode"] == "2009400"
    assert (response.body["accepted"], response.body["refused"]) == (5, 0)
    results = response.body["results"]
    assert [r["partnerReferenceNo"] for r in results] == [f"INV-B-{n:04d}" for n in range(5)]
    assert {r["responseCode"] for r in results} == {"2009000"}
    bills = Bill.objects.filter(registration=registration)
    assert sorted(bills.values_list("reference_no", flat=True)) == sorted(r["referenceNo"] for r in results)
    assert set(bills.values_list("status", flat=True)) == {BillStatus.RECEIVED}
    assert BillEvent.objects.filter(bill__in=bills, to_status=BillStatus.RECEIVED).count() == 5
    assert AuditEvent.objects.filter(action="bill.created").count() == 5
    assert quota_summary(registration)["reserved"] == 5
    # Each bill's reservation is its own ledger entry, so its quota history can be traced.
    assert set(registration.quota_account.entries.filter(kind="reserve").values_list("reference", flat=True)) == {
        f"bill:{pk}" for pk in bills.values_list("pk", flat=True)}


def test_each_refused_message_is_answered_in_its_place_and_the_others_are_created(api, registration):
    batch = messages(5)
    batch[1]["billKey"] = ""                                  # missing
    batch[2]["totalAmount"] = {"value": "-1", "currency": "IDR"}  # malformed
    batch[3]["partnerReferenceNo"] = batch[0]["partnerReferenceNo"]  # used by the first of this very call
    batch.append("not an object")

    response = api.create_messages(batch[:5])
    raw = api.call(BATCH_PATH, {"messages": batch})

    assert [r["responseCode"] for r in response.body["results"]] == [
        "2009000", "4009002", "4009001", "4099001", "2009000"]
    assert response.body["results"][1]["responseMessage"] == "Invalid Mandatory Field billKey"
    assert response.body["results"][2]["responseMessage"] == "Invalid Field Format totalAmount.value"
    assert response.body["results"][3]["responseMessage"] == "Duplicate partnerReferenceNo"
    assert response.body["results"][3]["partnerReferenceNo"] == batch[0]["partnerReferenceNo"]
    assert (response.body["accepted"], response.body["refused"]) == (2, 3)
    assert Bill.objects.count() == 2 and quota_summary(registration)["reserved"] == 2
    # The second call repeats bills already made: refused one by one; its non-object is named.
    assert [r["responseCode"] for r in raw.body["results"]] == [
        "4099001", "4009002", "4009001", "4099001", "4099001", "4009001"]
    assert raw.body["results"][5]["responseMessage"] == "Invalid Field Format message (a JSON object is expected)"


def test_a_second_message_for_a_bill_key_with_an_active_reminder_is_refused(api):
    first, second = messages(2)
    second["billKey"] = first["billKey"]
    response = api.create_messages([first, second])
    codes = [r["responseCode"] for r in response.body["results"]]
    assert codes == ["2009000", "4099000"]
    assert response.body["results"][0]["referenceNo"] in response.body["results"][1]["responseMessage"]


def test_a_batch_the_quota_cannot_cover_creates_nothing(api, registration):
    response = api.create_messages(messages(11))  # 10 pushes granted
    assert (response.status_code, response.body) == (403, {"responseCode": "4039414",
                                                           "responseMessage": "Insufficient Quota"})
    assert Bill.objects.count() == 0 and AuditEvent.objects.filter(action="bill.created").count() == 0
    assert quota_summary(registration)["reserved"] == 0


def test_messages_for_several_codes_are_reserved_on_each_and_an_unknown_code_is_refused(api, company, registration):
    other = registered_code(company, quota=3, code="89124")
    batch = messages(4)
    batch[1]["billerCode"] = batch[3]["billerCode"] = "89124"
    batch[2]["billerCode"] = "99999"
    response = api.create_messages(batch)
    assert [r["responseCode"] for r in response.body["results"]] == ["2009000", "2009000", "4039001", "2009000"]
    assert "99999" in response.body["results"][2]["responseMessage"]
    assert quota_summary(registration)["reserved"] == 1 and quota_summary(other)["reserved"] == 2


def test_a_stopped_code_refuses_its_messages(api, registration):
    Registration.objects.filter(pk=registration.pk).update(status=Registration.Status.STOPPED)
    response = api.create_messages(messages(2))
    assert [r["responseCode"] for r in response.body["results"]] == ["4039001", "4039001"]
    assert Bill.objects.count() == 0


@pytest.mark.parametrize("body, answer", [
    ({}, "Invalid Mandatory Field messages"),
    ({"messages": []}, "Invalid Field Format messages"),
    ({"messages": {"a": 1}}, "Invalid Field Format messages"),
    ({"messages": [message()] * 1001}, "Invalid Field Format messages"),
])
def test_a_call_without_1_to_1000_messages_is_refused_whole(api, body, answer):
    response = api.call(BATCH_PATH, body)
    assert response.status_code == 400
    assert response.body["responseMessage"] == answer
    assert Bill.objects.count() == 0


def test_a_repeated_call_is_answered_byte_for_byte_and_creates_nothing_more(api, registration):
    batch = messages(3)
    first = api.create_messages(batch, external_id="70001")
    again = api.create_messages(batch, external_id="70001")
    assert again.text == first.text
    assert Bill.objects.count() == 3 and quota_summary(registration)["reserved"] == 3

    other = api.create_messages(messages(1), external_id="70001")
    assert other.status_code == 409 and other.body["responseCode"] == "4099400"


def test_a_thousand_messages_in_one_call(api, company):
    big = registered_code(company, quota=1000, code="89125")
    batch = messages(1000, billerCode="89125")
    response = api.create_messages(batch)
    assert response.body["accepted"] == 1000
    assert json.loads(response.text)["results"][999]["partnerReferenceNo"] == "INV-B-0999"
    summary = quota_summary(big)
    assert (summary["reserved"], summary["available"]) == (1000, 0)
