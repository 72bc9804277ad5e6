"""python manage.py reencrypt_secrets: re-encrypt every stored secret with the first key of
FIELD_ENCRYPTION_KEYS, after a new key was put first. Idempotent; the old keys may be removed
once it has run."""

from django.core.management.base import BaseCommand
from django.db import transaction

from core import crypto

# Every encrypted column: (app label, model, field).
ENCRYPTED = [
    ("snap", "ApiCredential", "client_secret_encrypted"),
    ("notifications", "CallbackSetting", "secret_encrypted"),
]


class Command(BaseCommand):
    help = "Re-encrypts API client secrets and callback secrets with the first FIELD_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        from django.apps import apps

        total = 0
        for app_label, model_name, field in ENCRYPTED:
            model = apps.get_model(app_label, model_name)
            done = 0
            with transaction.atomic():
                for pk, token in model.objects.select_for_update().values_list("pk", field):
                    if token:
                        model.objects.filter(pk=pk).update(**{field: crypto.reencrypt_secret(token)})
                        done += 1
            self.stdout.write(f"{model_name}.{field}: {done} re-encrypted")
            total += done
        self.stdout.write(self.style.SUCCESS(f"{total} secrets now use the first key."))
