"""Factories for tests. Demo people are generated with a seed, never real."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from kotacerdas.accounts.models import Agency, Membership, Role, User
from kotacerdas.accounts.nik import compose_nik
from kotacerdas.regions.models import Region

DEFAULT_DESA = "62.02.06.1001"  # a kelurahan in Mentawa Baru Ketapang (Sampit)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"opd-{n}")
    name = factory.Sequence(lambda n: f"Dinas Contoh {n}")
    short_name = factory.Sequence(lambda n: f"Dinas {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="id_ID")
    email = factory.Sequence(lambda n: f"user{n}@example.test")
    password = factory.PostGenerationMethodCall("set_password", "kata-sandi-rahasia-1")

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


def _region(code: str) -> Region:
    return Region.objects.get(code=code)


class CitizenFactory(UserFactory):
    """A citizen with a valid (demo) NIK consistent with sex and date of birth."""

    @factory.post_generation
    def identity(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        from kotacerdas.accounts.services import citizen_profile_attach

        seq = obj.pk
        desa_code = kwargs.get("desa_code", DEFAULT_DESA)
        sex = kwargs.get("sex", "L" if seq % 2 else "P")
        birth = kwargs.get("birth_date", dt.date(1980 + seq % 20, 1 + seq % 12, 1 + seq % 28))
        nik = kwargs.get("nik") or make_nik(
            desa_code=desa_code, birth_date=birth, sex=sex, serial=seq
        )
        citizen_profile_attach(
            user=obj,
            nik=nik,
            kk=kwargs.get("kk", ""),
            birth_date=birth,
            sex=sex,
            desa=_region(desa_code),
        )


def make_nik(*, desa_code: str, birth_date: dt.date, sex: str, serial: int) -> str:
    return compose_nik(kecamatan_code=desa_code, birth_date=birth_date, sex=sex, serial=serial)


class StaffFactory(UserFactory):
    @factory.post_generation
    def role(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create or not extracted:
            return
        obj._factory_role = extracted  # type: ignore[attr-defined]

    @factory.post_generation
    def membership(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        role = getattr(obj, "_factory_role", None)
        if not create or role is None:
            return
        agency = getattr(obj, "_factory_agency", None)
        region_code = getattr(obj, "_factory_region_code", None)
        region = _region(region_code) if region_code else None
        Membership.objects.create(
            user=obj, role=role, agency=agency, region=region, region_code=region_code or ""
        )
        TOTPDevice.objects.create(user=obj, name="default", confirmed=True)

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> User:
        agency = kwargs.pop("agency", None)
        region_code = kwargs.pop("region_code", None)
        obj = super()._create(model_class, *args, **kwargs)
        obj._factory_agency = agency  # type: ignore[attr-defined]
        obj._factory_region_code = region_code  # type: ignore[attr-defined]
        return obj


def otp_login(client: Client, user: User) -> None:
    """Sign the client in as if the user had passed password + TOTP."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


ALL_ROLES = [r.value for r in Role]
