"""Rupiah as Indonesians read it, whatever the page's language: ``Rp 150.000``, ``Rp 150.000,50``."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

NOTHING = "—"
CENT = Decimal("0.01")


def rupiah(amount, *, space: str = " ") -> str:
    """Formats ``amount`` with dots between thousands and a decimal comma, cents only when not whole.

    ``None`` or an empty value shows as a dash; text that is not a number is shown as given.
    ``space`` goes between ``Rp`` and the number (a page passes a non-breaking one).
    """
    if amount is None or amount == "":
        return NOTHING
    try:
        # str() first, so a float shows as written (150000.5), not as its binary expansion.
        value = Decimal(str(amount)).quantize(CENT, ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        return str(amount)
    if not value.is_finite():
        return str(amount)
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(value), 1)
    grouped = f"{int(whole):,}".replace(",", ".")
    if cents:
        return f"{sign}Rp{space}{grouped},{int(cents * 100):02d}"
    return f"{sign}Rp{space}{grouped}"
