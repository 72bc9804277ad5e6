"""Every write of the quota app: ledger movements (``ledger``) and top-up orders (``topups``)."""

from quota.services.ledger import (
    quota_account_open,
    quota_adjust,
    quota_consume,
    quota_grant,
    quota_release,
    quota_reserve,
    quota_topup_credit,
)
from quota.services.topups import (
    topup_approve,
    topup_cancel,
    topup_collect_debit,
    topup_payment_confirmed,
    topup_payment_refused,
    topup_refuse,
    topup_request,
    topups_expire,
    topups_settle_debits,
)

__all__ = [
    "quota_account_open", "quota_adjust", "quota_consume", "quota_grant", "quota_release", "quota_reserve",
    "quota_topup_credit", "topup_approve", "topup_cancel", "topup_collect_debit", "topup_payment_confirmed",
    "topup_payment_refused", "topup_refuse", "topup_request", "topups_expire",
    "topups_settle_debits",
]
