"""Bank staff see the callbacks to billers' servers here, each with the answers it got: read only."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from notifications.models import CallbackAttempt, CallbackEvent


class CallbackAttemptInline(admin.TabularInline):
    model = CallbackAttempt
    fields = ["at", "status_code", "error", "latency_ms"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CallbackEvent)
class CallbackEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "company", "event", "bill", "status", "attempts", "next_attempt_at",
                    "delivered_at", "give_up_at"]
    list_filter = ["status", "event"]
    search_fields = ["external_id", "bill__reference_no", "company__company_id"]
    list_select_related = ["company", "bill"]
    inlines = [CallbackAttemptInline]
