"""What must follow a bill's move, in one place: the hooks other apps register here.

``reminders`` owns the bill's lifecycle (``reminders.services.bill_transition``); the apps
that act on a move (the biller's callback, the withdrawal from Livin') register a hook in
their ``AppConfig.ready`` instead of being imported by reminders. Each hook is called inside
the transaction that moved the bill, with the bill already in its new status: a hook that
writes rows (the callback outbox) commits or rolls back with the move, and a hook that
calls out (a task) queues it with ``transaction.on_commit``.
"""

from collections.abc import Callable

BillMoved = Callable[..., None]  # hook(bill, from_status)

_hooks: list[BillMoved] = []


def on_bill_moved(hook: BillMoved) -> BillMoved:
    """Registers ``hook(bill, from_status)`` to follow every move of a bill (once per hook)."""
    if hook not in _hooks:
        _hooks.append(hook)
    return hook


def bill_moved(bill, from_status: str) -> None:
    """Runs every registered hook for ``bill``, just moved from ``from_status``."""
    for hook in _hooks:
        hook(bill, from_status)


def registered() -> tuple[BillMoved, ...]:
    """The hooks, in the order they run."""
    return tuple(_hooks)
