"""factory_boy factories shared by every test module."""

import factory
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from billers.models import Company, User

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
    def _save(obj, create, extracted, **kwargs):
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
