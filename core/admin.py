"""Admin of the platform rows (the audit log, read-only), and what every app's admin builds on:
read-only and never-deleted records, and money written as the console writes it."""

from django.contrib import admin
from django.db import router
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils.translation import gettext_lazy as _

from core import money
from core.models import AuditEvent


def still_referenced(obj) -> bool:
    """Whether another row holds on to ``obj`` (a PROTECT or RESTRICT foreign key), so deleting it
    would fail or leave that row without what it speaks of."""
    collector = Collector(using=router.db_for_write(type(obj), instance=obj))
    try:
        collector.collect([obj])
    except (ProtectedError, RestrictedError):
        return True
    return False


def _rupiah_column(field):
    def column(obj):
        return money.rupiah(getattr(obj, field.name))

    return admin.display(description=field.verbose_name, ordering=field.name)(column)


class RupiahAdmin(admin.ModelAdmin):
    """Shows ``money_fields`` as the console does (``Rp 58.275``, not ``58275.00``) in the list and
    wherever the field is read-only; an editable amount stays a plain number input."""

    money_fields: tuple[str, ...] = ()

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        for name in self.money_fields:
            setattr(self, self._shown(name), _rupiah_column(model._meta.get_field(name)))

    @staticmethod
    def _shown(name: str) -> str:
        return f"{name}_in_rupiah"

    def _money_shown(self, names) -> list:
        return [self._shown(name) if name in self.money_fields else name for name in names]

    def get_list_display(self, request):
        return self._money_shown(super().get_list_display(request))

    def get_readonly_fields(self, request, obj=None):
        return self._money_shown(super().get_readonly_fields(request, obj))

    def get_exclude(self, request, obj=None):
        # A read-only amount is shown by its column; its raw field would show it a second time.
        readonly = set(self.get_readonly_fields(request, obj))
        excluded = list(super().get_exclude(request, obj) or [])
        return excluded + [name for name in self.money_fields if self._shown(name) in readonly]


class KeptAdmin(admin.ModelAdmin):
    """Records other records depend on: never deleted here, one at a time or in bulk."""

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(RupiahAdmin, KeptAdmin):
    """Rows that only services write (or nobody may rewrite): staff read them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # Every field, in the model's order, so each one is shown the way its admin says
        # (amounts in rupiah) rather than by the form's read-only fallback.
        opts = self.model._meta
        names = [field.name for field in [*opts.fields, *opts.many_to_many]
                 if field.editable and not field.auto_created]
        return self._money_shown([*names, *(n for n in self.readonly_fields if n not in names)])


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
