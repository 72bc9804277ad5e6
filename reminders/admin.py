"""Bank staff find any company's bill here, for a payer's complaint: read only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from reminders.models import Bill, BillEvent
from reminders.selectors import search_match


class BillEventInline(admin.TabularInline):
    model = BillEvent
    fields = ["at", "from_status", "to_status", "actor_label", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Bill)
class BillAdmin(ReadOnlyAdmin):
    list_display = ["reference_no", "company", "biller_code", "bill_key", "payer_phone", "payer_name", "amount",
                    "status", "start_at", "end_at", "displayed_at", "paid_at"]
    list_filter = ["status", "source"]
    list_select_related = ["company", "registration__biller_code"]
    money_fields = ("amount", "paid_amount")
    search_fields = ["reference_no"]  # shows the search box; the search itself is get_search_results
    search_help_text = _("The start of a reference, bill key, payer's name or phone (written 08… or +628…); "
                         "or a whole partner or payment reference.")
    # Counting every bill of every company for each page costs more than it tells.
    show_full_result_count = False
    inlines = [BillEventInline]

    @admin.display(description=_("biller code"), ordering="registration__biller_code__code")
    def biller_code(self, obj):
        return obj.registration.biller_code.code

    def get_search_results(self, request, queryset, search_term):
        # The console's bill search, across companies: identifiers and the start of a name.
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(search_match(term)), False
