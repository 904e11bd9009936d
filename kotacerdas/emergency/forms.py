"""Forms of the citizen's emergency pages. They parse and show errors; the rules (a location in
Kotim, a phone the desk can call back, lengths, the request key) live in services and come back
as ServiceError fields (kotacerdas.core.forms.apply_service_error)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kotacerdas.core.errors import ValidationFailed

from . import services

YES_NO_UNKNOWN = [("", _("Don't know")), ("ya", _("Yes")), ("tidak", _("No"))]


class CallForm(forms.Form):
    """The one-tap call: where (a point from GPS or a pin, or else a desa) and a phone number.

    The page renders a fresh request key; the script reuses it for every retry, and a plain
    POST re-rendered after an error keeps it, so a double tap or a retry is one call."""

    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    lat = forms.FloatField(
        label=_("Latitude"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    lng = forms.FloatField(
        label=_("Longitude"),
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    desa_code = forms.ChoiceField(label=_("Desa or kelurahan"), required=False)
    phone = forms.CharField(
        label=_("Phone number for the call back"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel", "maxlength": 20}
        ),
    )

    def __init__(
        self, *args: Any, desa_choices: list[tuple[str, list[tuple[str, str]]]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["desa_code"].choices = [  # type: ignore[attr-defined]
            ("", _("Choose the desa or kelurahan")),
            *desa_choices,
        ]

    def point(self) -> tuple[float | None, float | None, str]:
        """(lat, lng, desa_code) to send: GPS or pin when given, else the chosen desa (the
        service uses its centre, marked approximate; ValidationFailed when there is neither)."""
        lat, lng = self.cleaned_data.get("lat"), self.cleaned_data.get("lng")
        if lat is not None and lng is not None:
            return lat, lng, ""
        if (lat is None) != (lng is None):
            message = str(_("Give both latitude and longitude, or choose the desa."))
            raise ValidationFailed(
                message, code="emergency.location.incomplete", fields={"location": [message]}
            )
        return None, None, self.cleaned_data.get("desa_code") or ""


class DetailsForm(forms.Form):
    """The second screen: what happened, while help is already being arranged. Every answer
    is optional; at least one is needed to send."""

    details = forms.CharField(
        label=_("What happened?"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": services.TEXT_MAX}),
    )
    patients_count = forms.IntegerField(
        label=_("How many patients?"),
        required=False,
        min_value=0,
        max_value=99,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    conscious = forms.ChoiceField(
        label=_("Is the patient conscious?"),
        required=False,
        choices=YES_NO_UNKNOWN,
        widget=forms.RadioSelect,
    )
    breathing = forms.ChoiceField(
        label=_("Is the patient breathing?"),
        required=False,
        choices=YES_NO_UNKNOWN,
        widget=forms.RadioSelect,
    )
    address = forms.CharField(
        label=_("Landmark"),
        required=False,
        max_length=300,
        help_text=_("E.g. “yellow house behind the mosque, Jl. Tidar”."),
    )

    def __init__(self, *args: Any, kind: str = "medis", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind != "medis":
            # A fire or a rescue: who is hurt, not the vital signs of one patient.
            del self.fields["conscious"]
            del self.fields["breathing"]
            self.fields["patients_count"].label = _("How many people are hurt or trapped?")
            self.fields["details"].label = _("What is burning or what happened?")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and all(data.get(name) in (None, "") for name in self.fields):
            raise forms.ValidationError(_("Answer at least one question."))
        return data

    def answers(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "details": d.get("details", ""),
            "patients_count": d.get("patients_count"),
            "conscious": d.get("conscious", ""),
            "breathing": d.get("breathing", ""),
            "address": d.get("address", ""),
        }


class CancelForm(forms.Form):
    """Cancelling with a reason. The reason is required by the service (its code and message
    come back on the field); the browser asks for it first."""

    reason = forms.CharField(
        label=_("Why do you cancel?"),
        required=False,
        strip=True,
        widget=forms.Textarea(
            attrs={"rows": 2, "maxlength": services.REASON_MAX, "required": True}
        ),
        help_text=_("E.g. “the patient was taken by family” or “the fire is out”."),
    )
