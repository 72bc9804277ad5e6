"""What happened in one app that others may act on, as Django signals: sent by the app where it
happens, inside its transaction, and followed by apps that register a receiver in their
``AppConfig.ready`` (staff e-mail follows all three). The sender is the model class of
``request``; receivers must only write rows in the caller's transaction or queue work with
``transaction.on_commit``.
"""

from django.dispatch import Signal

# A request waits for an approver of its company: an upload's bills, a stop or resume of a
# biller code, a top-up. Arguments: ``request`` (the Upload, ServiceChangeRequest or
# TopUpOrder), ``company``, ``requested_by``.
approval_waiting = Signal()

# A request was approved or turned down. Arguments: ``request``, ``company``, ``requested_by``,
# ``decided_by``, ``approved`` (bool), ``reason`` (the approver's words, or "").
request_decided = Signal()

# The available quota of these accounts has fallen below their code's threshold: once per
# crossing. Arguments: ``accounts`` (QuotaAccounts, with ``registration__biller_code``).
quota_low = Signal()
