"""What must follow a bill's move, or the end of an upload's check, in one place: the hooks
other apps register here.

``reminders`` owns the bill's lifecycle (``reminders.services.bills_move``); the apps that
act on a move (the biller's callback, the withdrawal from Livin') register a hook in their
``AppConfig.ready`` instead of being imported by reminders. A hook is called once per move,
with every bill it moved (one, or a delivery batch of thousands), inside the transaction
that moved them, the bills already in their new status: a hook that writes rows (the
callback outbox) writes them all at once and commits or rolls back with the move, and a
hook that calls out (a task) queues it with ``transaction.on_commit``.
"""

from collections.abc import Callable

BillsMoved = Callable[..., None]  # hook(bills, from_status)

_hooks: list[BillsMoved] = []


def on_bills_moved(hook: BillsMoved) -> BillsMoved:
    """Registers ``hook(bills, from_status)`` to follow every move of bills (once per hook)."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def bills_moved(bills: list, from_status: str) -> None:
    """Runs every registered hook for ``bills``, just moved together from ``from_status``."""
    for hook in _hooks:
        hook(bills, from_status)


UploadChecked = Callable[..., None]  # hook(upload)

_upload_hooks: list[UploadChecked] = []


def on_upload_checked(hook: UploadChecked) -> UploadChecked:
    """Registers ``hook(upload)`` to follow the end of every upload's check (once per hook)."""
    if hook not in _upload_hooks:
        _upload_hooks.append(hook)
    return hook


def upload_checked(upload) -> None:
    """Runs every registered hook for ``upload``, whose check has just ended (checked or refused),
    inside the transaction that ended it: once per upload, as only one run of a check ends it."""
    for hook in _upload_hooks:
        hook(upload)
