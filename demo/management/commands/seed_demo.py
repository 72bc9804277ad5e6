"""python manage.py seed_demo: create the demo and print how to sign in."""

from django.core.management.base import BaseCommand

from demo import seed as demo


class Command(BaseCommand):
    help = "Creates the demo company, users and sandbox data (idempotent) and writes var/demo/credentials.json."

    def handle(self, *args, **options):
        data = demo.seed()
        path = demo.write_credentials(data)
        out = self.stdout
        out.write(self.style.SUCCESS("Demo ready."))
        out.write(f"  Console: {data['console_url']}")
        out.write(f"  Admin:   {data['admin_url']}")
        out.write(f"  Company ID: {data['company_id']}")
        out.write("  Users (User ID / password / role):")
        for user in data["users"]:
            out.write(f"    {user['user_id']:<10} {user['password']:<22} {user['role']}")
        staff = data["bank_staff"]
        out.write(f"  Bank staff (admin site): {staff['user_id']} / {staff['password']}")
        out.write("  One-time codes: python manage.py demo_code <user_id>   (or add the")
        out.write(f"  totp_secret from {path} to an authenticator app)")
        if data.get("api"):
            out.write(f"  Open API client key: {data['api']['client_key']} (secret and key file in {path})")
            out.write("  First API call:  .venv/bin/python -m snap send --biller-code 89123 "
                      "--bill-key 1001 --phone 081234567890 --amount 150000")
        if data.get("livin", {}).get("users"):
            out.write(f"  Livin' sandbox (payer's phone): {data['console_url']}sandbox/livin/ "
                      f"· users {', '.join(data['livin']['users'])}")
