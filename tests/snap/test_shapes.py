"""The fast shape check accepts only what the serializer accepts, and gives the same value."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers

from reminders.api.serializers import MessageCancelIn, MessageCreateIn
from snap import shapes
from tests.reminders.test_api import message

TEXTS = st.one_of(
    st.sampled_from(["", " ", "89123", " 89123", "89123 ", "INV-1", "IDR", "USD", "150000.00", "150000.0",
                     "1.00", "x" * 21, "x" * 65, "a\x00b", "\ud800", "Budi Santoso", "2026-12-01T10:00:00+07:00"]),
    st.text(max_size=30),
    st.integers(-5, 10**6), st.floats(allow_nan=False), st.booleans(), st.none(),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
FIELDS = ["partnerReferenceNo", "billerCode", "billKey", "payerPhoneNumber", "payerName", "billDescription",
          "startDate", "endDate", "additionalInfo", "totalAmount", "unknownField"]


def drf(serializer_class, data):
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        return None
    return json.loads(json.dumps(serializer.validated_data))


@settings(max_examples=600, deadline=None)
@given(changes=st.dictionaries(st.sampled_from(FIELDS), TEXTS, max_size=4),
       drop=st.sets(st.sampled_from(FIELDS), max_size=2),
       amount=st.dictionaries(st.sampled_from(["value", "currency", "other"]), TEXTS, max_size=3))
def test_the_fast_check_agrees_with_the_serializer(changes, drop, amount):
    data = {**message(), **changes}
    if "totalAmount" not in changes:
        data["totalAmount"] = {**data["totalAmount"], **amount}
    for name in drop:
        data.pop(name, None)
    fast = shapes._fast_check(MessageCreateIn)(data)
    if fast is not shapes._NOT_FAST:
        assert json.loads(json.dumps(fast)) == drf(MessageCreateIn, data)
    try:
        value = shapes.validated(MessageCreateIn, data)
    except serializers.ValidationError:
        assert drf(MessageCreateIn, data) is None
    else:
        assert json.loads(json.dumps(value)) == drf(MessageCreateIn, data)


def test_a_well_formed_message_takes_the_fast_path():
    assert shapes._fast_check(MessageCreateIn)(message()) is not shapes._NOT_FAST


def test_a_serializer_with_rules_of_its_own_is_left_to_itself():
    assert shapes._fast_check(MessageCancelIn) is None
    try:
        shapes.validated(MessageCancelIn, {})
    except serializers.ValidationError as exc:
        assert "partnerReferenceNo" in exc.detail
    else:
        raise AssertionError("MessageCancelIn needs a reference")
