"""SNAP answers for refusals: ``responseCode`` = HTTP status + service code + case code."""

from dataclasses import dataclass

SERVICE_TOKEN = "73"
SERVICE_MESSAGE_CREATE = "90"
SERVICE_MESSAGE_INQUIRY = "91"
SERVICE_MESSAGE_CANCEL = "92"
SERVICE_QUOTA_INQUIRY = "93"
SERVICE_MESSAGE_BATCH_CREATE = "94"
SERVICE_MESSAGE_LIST = "95"
SERVICE_CALLBACK_LIST = "96"
SERVICE_CALLBACK_TEST = "97"
SERVICE_SETTLEMENT_INQUIRY = "98"

MAX_MESSAGE = 150


@dataclass
class SnapError(Exception):
    """A refusal with its HTTP status, SNAP case code and message (field or reason named)."""

    http_status: int
    case: str
    message: str

    def response_code(self, service: str) -> str:
        return f"{self.http_status}{service}{self.case}"

    def body(self, service: str) -> dict:
        return {"responseCode": self.response_code(service), "responseMessage": self.message[:MAX_MESSAGE]}


def invalid_field(field: str) -> SnapError:
    return SnapError(400, "01", f"Invalid Field Format {field}")


def missing_field(field: str) -> SnapError:
    return SnapError(400, "02", f"Invalid Mandatory Field {field}")


def unauthorized(reason: str) -> SnapError:
    return SnapError(401, "00", f"Unauthorized. {reason}")


def invalid_token() -> SnapError:
    return SnapError(401, "01", "Invalid Token (B2B)")


def feature_not_allowed(reason: str) -> SnapError:
    return SnapError(403, "01", f"Feature Not Allowed {reason}".strip())


def insufficient_quota() -> SnapError:
    return SnapError(403, "14", "Insufficient Quota")


def not_found() -> SnapError:
    return SnapError(404, "01", "Transaction Not Found")


def invalid_status(reason: str = "") -> SnapError:
    return SnapError(404, "00", f"Invalid Transaction Status {reason}".strip())


def paid_bill() -> SnapError:
    return SnapError(404, "14", "Paid Bill")


def conflict(reason: str) -> SnapError:
    return SnapError(409, "00", f"Conflict {reason}".strip())


def duplicate_partner_reference() -> SnapError:
    return SnapError(409, "01", "Duplicate partnerReferenceNo")


def too_many_requests() -> SnapError:
    return SnapError(429, "00", "Too Many Requests")


def general_error() -> SnapError:
    return SnapError(500, "00", "General Error")


def service_unavailable() -> SnapError:
    # The database or another backing service is down: say so, retryable, no trace.
    return SnapError(503, "00", "Service Unavailable. Try again later")
