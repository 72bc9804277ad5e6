from django.contrib import admin

from core.admin import ReadOnlyAdmin
from staffmail.models import StaffMail


@admin.register(StaffMail)
class StaffMailAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "to", "subject", "sent_at", "attempts", "error"]
    list_filter = ["kind", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["to", "reference", "subject"]
    date_hierarchy = "created_at"
