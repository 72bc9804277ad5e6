"""Request ids and companies: one id per request (or taken from a trusted ``X-Request-ID``),
and the company it acts for once known (a console page, an API credential), carried into
log lines, audit rows and the Celery tasks the request queues."""

import contextvars
import logging
import re
import uuid

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.core.signals import request_finished
from django.dispatch import receiver

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# The Company ID (e.g. DEMO01) the request or task acts for; "-" where none or several.
company_var: contextvars.ContextVar[str] = contextvars.ContextVar("company", default="-")

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
HEADER = "X-Request-ID"


def current_request_id() -> str:
    """The id of the request or task being served, ``-`` outside both."""
    return request_id_var.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_company() -> str:
    return company_var.get()


def company_in_scope(company) -> None:
    """Names ``company`` in the log lines of the rest of this request (or task)."""
    company_var.set(getattr(company, "company_id", None) or "-")


class RequestIdMiddleware:
    """Tags the request with an id and echoes it in the response; cleared once it is sent."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else new_request_id()
        request.request_id = request_id
        # Set, not reset on the way out: Django logs 4xx/5xx answers after the middleware
        # has returned, and those lines need the id too. request_finished clears both.
        request_id_var.set(request_id)
        company_var.set("-")
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


# An Indonesian mobile number in any common writing: +62 812-3456-7890, 0812 3456 7890, 6281234567890.
_PHONE = re.compile(r"(?<![\w+])(?:\+62|62|0)[ -]?8\d(?:[ -]?\d){6,11}(?!\d)")


def mask_phone(text: str) -> str:
    """``text`` with every mobile number shown as ``+62812****7890``."""

    def masked(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        national = digits[2:] if digits.startswith("62") else digits[1:]
        return f"+62{national[:3]}****{national[-4:]}"

    return _PHONE.sub(masked, text)


class PhoneMaskFilter(logging.Filter):
    """Masks payers' phone numbers in log lines (a sandbox URL, an error a bank sent back)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = mask_phone(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


@receiver(request_finished)
def _forget_request(**kwargs):
    request_id_var.set("-")
    company_var.set("-")


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` and ``company`` to every log record so both formats can print them
    (a line about one bill may name the request that created it, through ``extra``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "company"):
            record.company = company_var.get()
        return True


@before_task_publish.connect
def _stamp_task_with_request_id(headers=None, **kwargs):
    if headers is not None:
        headers.setdefault("request_id", request_id_var.get())
        headers.setdefault("company", company_var.get())


_task_tokens: dict[str, tuple[contextvars.Token, contextvars.Token]] = {}


@task_prerun.connect
def _adopt_request_id(task_id=None, task=None, **kwargs):
    # A task run inline (eager, in tests and CELERY_TASK_ALWAYS_EAGER) keeps the id of the
    # request that ran it; a worker takes the id stamped on the message.
    current = request_id_var.get()
    request_id = (getattr(task.request, "request_id", None) or (current if current != "-" else "")
                  or f"task-{task_id}")
    company = getattr(task.request, "company", None) or company_var.get()
    _task_tokens[task_id] = (request_id_var.set(request_id), company_var.set(company))


@task_postrun.connect
def _drop_request_id(task_id=None, **kwargs):
    tokens = _task_tokens.pop(task_id, None)
    if tokens is not None:
        request_id_var.reset(tokens[0])
        company_var.reset(tokens[1])
