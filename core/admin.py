"""Admin of the platform rows: the audit log, read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that only services write (or nobody may rewrite): staff read them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_label", "company", "shown_action", "shown_sentence", "ip", "request_id"]
    list_filter = ["action", "company"]
    search_fields = ["sentence", "actor_label", "request_id", "object_id"]
    date_hierarchy = "at"
    list_select_related = ["company"]
    readonly_fields = ["shown_sentence"]

    # Stored as a message and its parameters: read in the staff member's language.
    @admin.display(description=_("action"), ordering="action")
    def shown_action(self, event: AuditEvent) -> str:
        return event.action_label

    @admin.display(description=_("what happened"))
    def shown_sentence(self, event: AuditEvent) -> str:
        return event.text
