from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core import money
from core.admin import ReadOnlyAdmin
from settlement.models import SettledPayment, Settlement


class SettledPaymentInline(admin.TabularInline):
    model = SettledPayment
    fields = ["bill", "payment_reference", "amount_in_rupiah", "credited_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("amount"), ordering="amount")
    def amount_in_rupiah(self, obj):
        return money.rupiah(obj.amount)


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = ["day", "registration", "account_number", "payments", "amount", "final", "synced_at"]
    list_filter = ["final", "day"]
    search_fields = ["registration__biller_code__code", "account_number", "statement_reference"]
    inlines = [SettledPaymentInline]
    money_fields = ("amount",)
