"""factory_boy factories shared by every test module."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from billers.models import BillerCode, CollectionAccount, Company, Registration, User
from fileformat.rows import RowValues
from quota.models import Agreement, Package, QuotaAccount
from reminders.models import Bill, BillSource

PASSWORD = "Correct-Horse-Battery-42"


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ["company_id"]

    company_id = factory.Sequence(lambda n: f"CO{n:04d}")
    name = factory.Sequence(lambda n: f"PT Biller {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    user_id = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name")
    is_maker = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805 factory_boy passes the instance
        if create:
            obj.save()


class StaffFactory(UserFactory):
    company = None
    is_maker = False
    is_staff = True
    is_superuser = True


def authenticator(user) -> TOTPDevice:
    """A confirmed TOTP device for ``user``."""
    return TOTPDevice.objects.create(user=user, name="test", confirmed=True)


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The device's current code (or a later one), as the user's app shows it."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=steps_ahead)
    return f"{value:0{device.digits}d}"


def registered_code(company, *, quota: int = 1000, code: str | None = None):
    """A biller code of ``company`` registered for Bill Reminder with ``quota`` pushes granted."""
    from billers.models import Registration
    from quota.services import quota_account_open, quota_grant

    biller_code = BillerCodeFactory(company=company, **({"code": code} if code else {}))
    registration = Registration.objects.create(company=company, biller_code=biller_code)
    quota_account_open(registration=registration)
    if quota:
        quota_grant(registration=registration, units=quota, reference=f"test:{registration.pk}:grant")
    return registration


class CollectionAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectionAccount

    company = factory.SubFactory(CompanyFactory)
    account_number = factory.Sequence(lambda n: f"{1230000000000 + n:013d}")


class BillerCodeFactory(factory.django.DjangoModelFactory):
    """A closed-payment, active registry code on an active collection account of its company."""

    class Meta:
        model = BillerCode

    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"{70000 + n:05d}")
    name = factory.Sequence(lambda n: f"Water bills {n}")
    collection_account = factory.SubFactory(CollectionAccountFactory, company=factory.SelfAttribute("..company"))


class AgreementFactory(factory.django.DjangoModelFactory):
    """Rp 350 per push, 11% tax, 1,000 pushes on registration, top-ups of 100 or more."""

    class Meta:
        model = Agreement

    company = factory.SubFactory(CompanyFactory)
    unit_price = Decimal("350.00")
    initial_quota = 1000
    minimum_topup = 100
    tax_rate = Decimal("0.11")
    effective_from = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=30))


class PackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Package

    agreement = factory.SubFactory(AgreementFactory)
    name = "10,000 pushes"
    units = 10000
    price = Decimal("3000000.00")


class RegistrationFactory(factory.django.DjangoModelFactory):
    """A registered, active code with an empty quota account (fill it with quota_grant)."""

    class Meta:
        model = Registration
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    biller_code = factory.SubFactory(BillerCodeFactory, company=factory.SelfAttribute("..company"))

    @factory.post_generation
    def quota_account(obj, create, extracted, **kwargs):  # noqa: N805 factory_boy passes the instance
        if create:
            QuotaAccount.objects.get_or_create(registration=obj, defaults={"company": obj.company})


def registration_with_quota(company, units: int, **kwargs) -> Registration:
    """A registered code of ``company`` with ``units`` pushes granted."""
    from quota.services import quota_grant

    registration = RegistrationFactory(company=company, **kwargs)
    if units:
        quota_grant(registration=registration, units=units, reference=f"test:{registration.pk}:grant")
    return registration


def bill_row(number: int = 1, **fields) -> RowValues:
    """A clean bill row (bill key ``KEY<number>``, reference ``INV-<number>``), shown from
    tomorrow for two days unless ``start_at``/``end_at`` say otherwise; ``fields`` override."""
    now = timezone.now()
    values = {
        "row_number": 1, "bill_key": f"KEY{number}", "payer_phone": "+6281234567890", "payer_name": "Budi",
        "amount": Decimal("150000.00"), "description": "Tagihan air", "start_at": now + dt.timedelta(days=1),
        "end_at": now + dt.timedelta(days=3), "partner_reference_no": f"INV-{number}",
    }
    values.update(fields)
    return RowValues(**values)


def make_bill(registration, number: int = 1, *, source: str = BillSource.CONSOLE, actor=None, **fields) -> Bill:
    """A bill created as a biller creates one (``bill_create``: rules, quota reserved, timeline)."""
    from reminders.services import bill_create

    return bill_create(registration=registration, row=bill_row(number, **fields), source=source, actor=actor)
