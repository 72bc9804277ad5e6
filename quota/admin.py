"""Bank staff: tariffs, quota accounts (read-only, adjusted with a reason), the ledger, top-up orders."""

import uuid

from django import forms
from django.contrib import admin, messages
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from billers.models import Registration
from core.admin import ReadOnlyAdmin, RupiahAdmin, still_referenced
from core.errors import DomainError
from quota import services, topups
from quota.models import Agreement, LedgerEntry, Package, QuotaAccount, TopUpOrder


class PackageInline(admin.TabularInline):
    model = Package
    extra = 1


@admin.register(Agreement)
class AgreementAdmin(RupiahAdmin):
    list_display = ["company", "biller_code", "unit_price", "tax_rate", "initial_quota", "minimum_topup",
                    "effective_from", "effective_to"]
    list_filter = ["company"]
    search_fields = ["company__company_id", "biller_code__code"]
    list_select_related = ["company", "biller_code"]
    autocomplete_fields = ["company", "biller_code"]
    inlines = [PackageInline]
    money_fields = ("unit_price",)

    def has_delete_permission(self, request, obj=None):
        # Only one no top-up order was priced by, one at a time: an order keeps its agreement.
        return obj is not None and super().has_delete_permission(request, obj) and not still_referenced(obj)


class AdjustForm(forms.Form):
    units = forms.IntegerField(label=gettext_lazy("Pushes (+ adds, - removes)"))
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=gettext_lazy("Mandatory; written to the ledger and the audit log."))
    # Made when the form is shown: submitting the same form twice books one adjustment.
    reference = forms.CharField(widget=forms.HiddenInput)

    def clean_units(self):
        if self.cleaned_data["units"] == 0:
            raise forms.ValidationError(_("An adjustment is a whole number of pushes, not zero."))
        return self.cleaned_data["units"]


class LowQuotaFilter(admin.SimpleListFilter):
    """Active codes whose available quota is below their company's warning level."""

    title = gettext_lazy("quota")
    parameter_name = "low"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Below the warning level"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(registration__status=Registration.Status.ACTIVE,
                                   balance__lt=F("reserved") + F("registration__low_quota_threshold"))
        return queryset


@admin.register(QuotaAccount)
class QuotaAccountAdmin(ReadOnlyAdmin):
    list_display = ["registration", "company", "balance", "reserved", "available", "updated_at", "adjust_link"]
    list_filter = [LowQuotaFilter]
    search_fields = ["registration__biller_code__code", "company__company_id"]
    list_select_related = ["registration__biller_code", "company"]

    @admin.display(description=gettext_lazy("available"))
    def available(self, obj):
        return obj.available

    @admin.display(description="")
    def adjust_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:quota_quotaaccount_adjust", args=[obj.pk]),
                           _("Adjust"))

    def get_urls(self):
        return [
            path("<int:pk>/adjust/", self.admin_site.admin_view(self.adjust_view), name="quota_quotaaccount_adjust"),
            *super().get_urls(),
        ]

    def adjust_view(self, request, pk):
        if not request.user.has_perm("quota.view_quotaaccount"):
            return redirect("admin:index")
        account = get_object_or_404(QuotaAccount.objects.select_related("registration__biller_code", "company"),
                                    pk=pk)
        form = AdjustForm(request.POST if request.method == "POST" else None,
                          initial={"reference": f"adjust:{uuid.uuid4().hex}"})
        if request.method == "POST" and form.is_valid():
            try:
                services.quota_adjust(registration=account.registration, actor=request.user, request=request,
                                      **form.cleaned_data)
            except DomainError as refused:
                form.add_error(refused.field if refused.field in form.fields else None, refused.message)
            else:
                messages.success(request, _("Quota of %(code)s adjusted by %(units)+d.")
                                 % {"code": account.registration.code, "units": form.cleaned_data["units"]})
                return redirect("admin:quota_quotaaccount_changelist")
        context = {**self.admin_site.each_context(request), "title": _("Adjust quota of %(code)s")
                   % {"code": account.registration.code}, "account": account, "form": form,
                   "opts": self.model._meta}
        return render(request, "admin/quota/adjust.html", context)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "account", "company", "kind", "units", "balance_after", "reserved_after",
                    "reference", "reason", "actor"]
    list_filter = ["kind", "company"]
    search_fields = ["reference", "reason", "account__registration__biller_code__code"]
    date_hierarchy = "created_at"
    list_select_related = ["account__registration__biller_code", "company", "actor"]


@admin.register(TopUpOrder)
class TopUpOrderAdmin(ReadOnlyAdmin):
    list_display = ["id", "created_at", "company", "registration", "units", "total", "method", "status",
                    "va_number", "expires_at", "paid_at", "payment_reference"]
    list_filter = ["status", "method", "company"]
    search_fields = ["id", "va_number", "payment_reference", "registration__biller_code__code"]
    list_select_related = ["company", "registration__biller_code"]
    actions = ["confirm_payment_manually"]
    money_fields = ("unit_price", "subtotal", "tax", "total", "paid_amount")

    @admin.action(description=gettext_lazy("Confirm payment manually (exact total)"), permissions=["change"])
    def confirm_payment_manually(self, request, queryset):
        for order in queryset:
            try:
                topups.topup_payment_confirmed(order=order, amount=order.total,
                                                 payment_reference=f"MANUAL-{order.pk}", actor=request.user,
                                                 request=request)
            except DomainError as refused:
                self.message_user(request, f"#{order.pk}: {refused.message}", messages.ERROR)
            else:
                self.message_user(request, ngettext("Top-up #%(id)s confirmed: %(units)s push credited.",
                                                    "Top-up #%(id)s confirmed: %(units)s pushes credited.", order.units)
                                  % {"id": order.pk, "units": number_format(order.units, force_grouping=True)},
                                  messages.SUCCESS)

    def has_change_permission(self, request, obj=None):
        # Needed for admin actions to show; the form itself stays read-only.
        return obj is None and request.user.has_perm("quota.change_topuporder")

    def get_readonly_fields(self, request, obj=None):
        return self._money_shown([field.name for field in self.model._meta.fields])
