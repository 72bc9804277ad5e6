"""A value shown once, on the page a form redirects to (POST-redirect-GET).

The POST keeps it in the session, encrypted like every stored secret; the first GET takes it
out, so a reload, the back button or a second tab finds nothing to show again.
"""

import json

from core import crypto

_SESSION_KEY = "kopra_shown_once"


def keep(request, name: str, **values) -> None:
    """Keeps ``values`` (JSON-able) under ``name`` until ``take`` reads them."""
    request.session[f"{_SESSION_KEY}.{name}"] = crypto.encrypt_secret(json.dumps(values))


def take(request, name: str) -> dict | None:
    """The values kept under ``name``, removed from the session; None once they were taken."""
    token = request.session.pop(f"{_SESSION_KEY}.{name}", None)
    if token is None:
        return None
    try:
        return json.loads(crypto.decrypt_secret(token))
    except crypto.SecretDecryptionError:  # the keys changed in between: nothing left to show
        return None
