"""API credentials of a company: create, rotate, revoke; access tokens for them."""

import hashlib
import ipaddress
import secrets
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billers.models import Company, User
from core import audit, crypto, rows, signing
from core.audit import audit_record
from core.errors import InvalidInput
from snap.models import AccessToken, ApiCredential

TOKEN_SECONDS = 900
# A client asks for a token every 15 minutes; these leave room for many processes and a
# restart, and stop a flood (docs/api.md, "Rate limits").
TOKENS_PER_CREDENTIAL_PER_MINUTE = 30
TOKENS_PER_ADDRESS_PER_MINUTE = 120
LIVE_TOKENS_PER_CREDENTIAL = 20  # the oldest beyond this stops working when a new one is issued


def _new_client_key() -> str:
    return "kbr-" + secrets.token_hex(12)


def _new_client_secret() -> str:
    return secrets.token_urlsafe(32)


def public_key_problem(pem: str) -> str | None:
    """What is wrong with a pasted RSA public key (PEM), or None when it will do."""
    try:
        signing.load_public_key_pem(pem)
    except ValueError as exc:
        return str(exc)
    return None


def _clean_public_key(pem: str) -> str:
    problem = public_key_problem(pem)
    if problem:
        raise InvalidInput(problem, field="public_key_pem")
    return pem.strip() + "\n"


def _allowlist_lines(text: str):
    """(line number, entry, network or None) for each entry of an allow-list; comments after #."""
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            yield number, line, ipaddress.ip_network(line, strict=False)
        except ValueError:
            yield number, line, None


def ip_allowlist_problems(text: str) -> list[str]:
    """One message for each line of an allow-list that is neither an address nor a network."""
    return [
        _("Line %(line)s of the IP allow-list is not an address or network: %(value)s")
        % {"line": number, "value": line}
        for number, line, network in _allowlist_lines(text) if network is None
    ]


def parse_ip_allowlist(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks of an allow-list, one per line; refuses it, naming every wrong line, if any is wrong."""
    problems = ip_allowlist_problems(text)
    if problems:
        raise InvalidInput(" ".join(problems), field="ip_allowlist")
    return [network for _number, _line, network in _allowlist_lines(text)]


def ip_allowed(credential: ApiCredential, ip: str | None) -> bool:
    networks = parse_ip_allowlist(credential.ip_allowlist)
    if not networks:
        return True
    if not ip:
        return False
    address = ipaddress.ip_address(ip)
    return any(address in network for network in networks)


@transaction.atomic
def credential_create(
    *, company: Company, actor: User | None, name: str, public_key_pem: str, ip_allowlist: str = "",
    rate_limit_per_minute: int = 600, request=None,
) -> tuple[ApiCredential, str]:
    """Creates a credential; returns it with the client secret, which is shown this once."""
    parse_ip_allowlist(ip_allowlist)
    secret = _new_client_secret()
    credential = ApiCredential.objects.create(
        company=company, name=name, client_key=_new_client_key(),
        client_secret_encrypted=crypto.encrypt_secret(secret), public_key_pem=_clean_public_key(public_key_pem),
        ip_allowlist=ip_allowlist.strip(), rate_limit_per_minute=rate_limit_per_minute, created_by=actor,
    )
    audit_record(action="api_credential.created", actor=actor, company=company, request=request, obj=credential,
                 sentence=gettext_noop("%(actor)s created API credential %(name)s (%(client_key)s)"),
                 params={"actor": audit.who(actor), "name": credential.name, "client_key": credential.client_key})
    return credential, secret


@transaction.atomic
def credential_update(
    *, credential: ApiCredential, actor: User, public_key_pem: str | None = None, ip_allowlist: str | None = None,
    request=None,
) -> ApiCredential:
    """Replaces the public key and/or the IP allow-list."""
    changed = []
    if public_key_pem is not None and public_key_pem.strip() != credential.public_key_pem.strip():
        credential.public_key_pem = _clean_public_key(public_key_pem)
        changed.append(gettext_noop("public key"))
    if ip_allowlist is not None and ip_allowlist.strip() != credential.ip_allowlist:
        parse_ip_allowlist(ip_allowlist)
        credential.ip_allowlist = ip_allowlist.strip()
        changed.append(gettext_noop("IP allow-list"))
    if changed:
        credential.save(update_fields=["public_key_pem", "ip_allowlist"])
        audit_record(action="api_credential.updated", actor=actor, company=credential.company, request=request,
                     obj=credential, sentence=gettext_noop("%(actor)s changed the API credential %(client_key)s: "
                                                           "%(changed)s"),
                     params={"actor": actor, "client_key": credential.client_key,
                             "changed": [audit.label(what) for what in changed]})
    return credential


@transaction.atomic
def credential_rotate_secret(*, credential: ApiCredential, actor: User, request=None) -> str:
    """Issues a new client secret (returned, shown once); the old one stops working now."""
    if not credential.is_active:
        raise InvalidInput(_("A revoked credential cannot be rotated."))
    secret = _new_client_secret()
    credential.client_secret_encrypted = crypto.encrypt_secret(secret)
    credential.rotated_at = timezone.now()
    credential.save(update_fields=["client_secret_encrypted", "rotated_at"])
    credential.tokens.all().delete()
    audit_record(action="api_credential.rotated", actor=actor, company=credential.company, request=request,
                 obj=credential, sentence=gettext_noop("%(actor)s rotated the client secret of %(client_key)s"),
                 params={"actor": actor, "client_key": credential.client_key})
    return secret


@transaction.atomic
def credential_revoke(*, credential: ApiCredential, actor: User, request=None) -> ApiCredential:
    """Revokes a credential; its tokens stop working at once."""
    credential.status = ApiCredential.Status.REVOKED
    credential.revoked_at = timezone.now()
    credential.save(update_fields=["status", "revoked_at"])
    credential.tokens.all().delete()
    audit_record(action="api_credential.revoked", actor=actor, company=credential.company, request=request,
                 obj=credential, sentence=gettext_noop("%(actor)s revoked API credential %(client_key)s"),
                 params={"actor": actor, "client_key": credential.client_key})
    return credential


def client_secret(credential: ApiCredential) -> str:
    return crypto.decrypt_secret(credential.client_secret_encrypted)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_issue(*, credential: ApiCredential) -> tuple[str, int]:
    """A new access token for ``credential`` and its lifetime in seconds."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    live = AccessToken.objects.filter(credential=credential, expires_at__gt=now)
    surplus = list(live.order_by("-created_at", "-pk").values_list("pk", flat=True)[LIVE_TOKENS_PER_CREDENTIAL - 1:])
    if surplus:
        AccessToken.objects.filter(pk__in=surplus).delete()
    AccessToken.objects.create(credential=credential, token_hash=_hash(token),
                               expires_at=now + timedelta(seconds=TOKEN_SECONDS))
    AccessToken.objects.filter(expires_at__lt=now - timedelta(hours=1)).delete()
    ApiCredential.objects.filter(pk=credential.pk).update(last_used_at=now)
    return token, TOKEN_SECONDS


def token_credential(token: str) -> ApiCredential | None:
    """The active credential a live token belongs to (with its company), or None. Every signed
    call asks, so one hand-written look-up (``core.rows``)."""
    quote = connection.ops.quote_name
    token_table, credential_table = quote(AccessToken._meta.db_table), quote(ApiCredential._meta.db_table)
    found = rows.fetch_one(
        f"SELECT {rows.columns(ApiCredential, 'k')}, {rows.columns(Company, 'c')} FROM {token_table} t "
        f"JOIN {credential_table} k ON k.{quote('id')} = t.{quote('credential_id')} "
        f"JOIN {quote(Company._meta.db_table)} c ON c.{quote('id')} = k.{quote('company_id')} "
        f"WHERE t.{quote('token_hash')} = %s AND t.{quote('expires_at')} > %s",
        [_hash(token), AccessToken._meta.get_field("expires_at").get_db_prep_value(timezone.now(), connection)],
        [ApiCredential, Company],
    )
    if found is None:
        return None
    credential, company = found
    credential.company = company
    if not credential.is_active or not company.is_active:
        return None
    return credential


def active_credential(client_key: str) -> ApiCredential | None:
    credential = ApiCredential.objects.select_related("company").filter(client_key=client_key).first()
    if credential is None or not credential.is_active or not credential.company.is_active:
        return None
    return credential
