"""Domain errors: what went wrong, in words a user or an integrator can act on.

Services raise these; the console shows ``message``, the Open API maps ``code`` to a
SNAP response code, and neither ever shows a stack trace.
"""


class DomainError(Exception):
    """A refused business action. ``field`` names the input at fault, if one is."""

    code = "refused"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        if code is not None:
            self.code = code


class NotAllowed(DomainError):
    """The actor's role, the company's settings or the object's state forbid this."""

    code = "not_allowed"


class Conflict(DomainError):
    """The action clashes with something that already exists or already happened."""

    code = "conflict"


class InsufficientQuota(DomainError):
    code = "insufficient_quota"


class InvalidInput(DomainError):
    code = "invalid"


class NotConfigured(DomainError):
    """A part the deployment must name in its settings (a bank gateway) is not named."""

    code = "not_configured"
