"""Checks every quota account against the sum of its ledger; exits non-zero on any mismatch."""

from django.core.management.base import BaseCommand, CommandError

from quota.models import QuotaAccount
from quota.selectors import ledger_mismatches


class Command(BaseCommand):
    help = "Check every quota account against the sum of its ledger; exit 1 if any differs."

    def handle(self, *args, **options):
        mismatches = ledger_mismatches()
        for mismatch in mismatches:
            self.stderr.write(f"MISMATCH {mismatch}")
        checked = QuotaAccount.objects.count()
        if mismatches:
            raise CommandError(f"{len(mismatches)} of {checked} quota accounts do not match their ledger.",
                               returncode=1)
        self.stdout.write(self.style.SUCCESS(f"All {checked} quota accounts match their ledger."))
