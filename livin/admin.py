"""The sandbox bank in Django admin: its Livin' directory, what it shows, and fault injection."""

from django.contrib import admin

from core.admin import RupiahAdmin
from livin.models import CoreAccount, CoreDebit, DisplayedBill, Fault, LivinUser, Notification, VirtualAccountBill


@admin.register(LivinUser)
class LivinUserAdmin(admin.ModelAdmin):
    list_display = ["phone", "name", "language", "created_at"]
    search_fields = ["phone", "name"]


@admin.register(DisplayedBill)
class DisplayedBillAdmin(RupiahAdmin):
    list_display = ["reference", "phone", "biller_code", "bill_key", "amount", "start_at", "end_at", "withdrawn_at",
                    "paid_at"]
    search_fields = ["reference", "phone", "bill_key"]
    readonly_fields = [f.name for f in DisplayedBill._meta.fields]
    money_fields = ("amount",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["phone", "title", "at"]
    search_fields = ["phone", "reference"]


@admin.register(Fault)
class FaultAdmin(admin.ModelAdmin):
    """Switch errors, latency or a full outage on for one sandbox operation."""

    list_display = ["operation", "error_rate", "latency_ms", "outage"]
    list_editable = ["error_rate", "latency_ms", "outage"]


@admin.register(CoreAccount)
class CoreAccountAdmin(RupiahAdmin):
    list_display = ["account_number", "holder_name", "balance"]
    money_fields = ("balance",)
    search_fields = ["account_number", "holder_name"]


@admin.register(CoreDebit)
class CoreDebitAdmin(RupiahAdmin):
    list_display = ["transaction_id", "account", "amount", "reference", "at"]
    readonly_fields = [f.name for f in CoreDebit._meta.fields]
    money_fields = ("amount",)


@admin.register(VirtualAccountBill)
class VirtualAccountBillAdmin(RupiahAdmin):
    list_display = ["va_number", "name", "amount", "status", "expires_at", "paid_at"]
    money_fields = ("amount",)
    search_fields = ["va_number", "reference"]
