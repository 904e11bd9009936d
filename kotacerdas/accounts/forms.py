from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kotacerdas.regions.selectors import region_choices_for_signup

from .models import Role, Sex


class SignupForm(forms.Form):
    nik = forms.CharField(
        label=_("NIK"),
        max_length=20,
        help_text=_("The 16-digit number on your KTP."),
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9 ]*"}
        ),
    )
    full_name = forms.CharField(
        label=_("Full name (as on the KTP)"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *Sex.choices])
    desa = forms.ChoiceField(label=_("Desa/kelurahan of domicile"))
    kk = forms.CharField(
        label=_("KK number (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        max_length=128,
        help_text=_("At least 10 characters; not only digits."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        desa = self.fields["desa"]
        assert isinstance(desa, forms.ChoiceField)
        desa.choices = [("", "—"), *region_choices_for_signup()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("password1")
            and data.get("password2")
            and data["password1"] != data["password2"]
        ):
            self.add_error("password2", _("The two passwords are not the same."))
        if not (data.get("phone") or "").strip() and not (data.get("email") or "").strip():
            self.add_error(
                "phone", _("Give a phone number or an e-mail address, so you can sign in.")
            )
        return data


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Phone, e-mail or username"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class OtpForm(forms.Form):
    otp_token = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]{6}",
                "autofocus": True,
            }
        ),
    )


class ContactForm(forms.Form):
    phone = forms.CharField(label=_("Phone number"), max_length=20, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=[("id", "Bahasa Indonesia"), ("en", "English")]
    )


class StaffCreateForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=50)
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=20, required=False)
    password = forms.CharField(
        label=_("First password"),
        max_length=128,
        help_text=_("Give it to the officer; they enrol their authenticator at first sign-in."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class MembershipForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"), choices=[(r.value, r.label) for r in Role if r != Role.WARGA]
    )
    agency = forms.ChoiceField(label=_("Agency"), required=False)
    region = forms.CharField(
        label=_("Region code"),
        max_length=20,
        required=False,
        help_text=_(
            "Kecamatan or desa code, e.g. 62.02.06 or 62.02.06.2001. Empty: the whole regency."
        ),
    )

    def __init__(
        self, *args: Any, agencies: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        agency = self.fields["agency"]
        assert isinstance(agency, forms.ChoiceField)
        agency.choices = [("", "—"), *(agencies or [])]


class AgencyForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    short_name = forms.CharField(label=_("Short name"), max_length=60)
    name = forms.CharField(label=_("Name"), max_length=200)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the integration's name."),
    )
    expires_in_days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=366, initial=90
    )
