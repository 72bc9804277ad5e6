"""Bank staff find any company's bill here, for a payer's complaint: read only."""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from fileformat.errors import CellError
from fileformat.phones import normalise_phone
from reminders.models import Bill, BillEvent


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
    search_help_text = _("The start of a reference or bill key; a partner or payment reference; or the payer's "
                         "phone, written 08… or +628….")
    # Counting every bill of every company for each page costs more than it tells.
    show_full_result_count = False
    inlines = [BillEventInline]

    @admin.display(description=_("biller code"), ordering="registration__biller_code__code")
    def biller_code(self, obj):
        return obj.registration.biller_code.code

    def get_search_results(self, request, queryset, search_term):
        # Identifiers only, each served by an index, as the console's bill search: a prefix
        # of the reference (as printed, upper case) or of the bill key, an exact partner or
        # payment reference, or the phone in any writing, compared as stored (+62…).
        term = search_term.strip()
        if not term:
            return queryset, False
        match = (Q(reference_no__startswith=term.upper()) | Q(bill_key__startswith=term)
                 | Q(partner_reference_no=term) | Q(paid_at__isnull=False, payment_reference=term))
        try:
            match |= Q(payer_phone=normalise_phone(term))
        except CellError:
            pass  # not a phone number: the other identifiers decide
        return queryset.filter(match), False
