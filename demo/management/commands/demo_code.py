"""python manage.py demo_code maker: print a demo user's current one-time code."""

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from billers.models import User
from demo.seed import DEMO_COMPANY_ID


class Command(BaseCommand):
    help = "Prints the current one-time code of a demo user (company DEMO01, or bank staff)."

    def add_arguments(self, parser):
        parser.add_argument("user_id")
        parser.add_argument("--company", default=DEMO_COMPANY_ID, help="Company ID; '-' for bank staff")

    def handle(self, *args, user_id, company, **options):
        users = User.objects.filter(user_id=user_id)
        users = users.filter(company__isnull=True) if company == "-" else users.filter(company__company_id=company)
        user = users.first() or User.objects.filter(company__isnull=True, user_id=user_id).first()
        if user is None:
            raise CommandError(f"No user {user_id} in {company}.")
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            raise CommandError(f"{user} has no authenticator yet: they enrol at their first sign-in.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(f"{code:0{device.digits}d}")
