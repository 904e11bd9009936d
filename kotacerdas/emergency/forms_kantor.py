"""Forms of the 119 desk's pages (the call-taker's form and the incident page).

They parse and render; the rules (phone numbers, locations inside Kotim, lengths, the incident's
state, versions) are the services', whose errors `apply_error` puts back on these fields. The
forms only ask what a person must answer (phone, complaint, priority) so that the call-taker
sees every missing answer at once, and turn the desa search text into a desa code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kotacerdas.core.errors import ServiceError
from kotacerdas.core.forms import apply_service_error

from .models import (
    FIRE_COMPLAINTS,
    RESCUE_COMPLAINTS,
    Capability,
    ChiefComplaint,
    IncidentKind,
    IncidentStatus,
    Priority,
)

Choices = list[tuple[str, Any]]

YES_NO_UNKNOWN: Choices = [("", _("Unknown")), ("ya", _("Yes")), ("tidak", _("No"))]
SEX_CHOICES: Choices = [("", _("Unknown")), ("L", _("Male")), ("P", _("Female"))]
# Where the services put location errors, and where the forms show them.
LOCATION_ALIASES = {"location": "desa", "desa_code": "desa", "lat": "desa", "lng": "desa"}


def implied_kind(kind: str, complaint: str) -> str:
    """A fire complaint is a fire and a rescue complaint a rescue, whatever the kind keys say
    (the call-taker picks the complaint; the kind follows)."""
    if complaint in FIRE_COMPLAINTS:
        return str(IncidentKind.FIRE)
    if complaint in RESCUE_COMPLAINTS:
        return str(IncidentKind.RESCUE)
    return kind or str(IncidentKind.MEDICAL)


def complaint_kinds() -> dict[str, str]:
    """complaint -> the kind it implies (for the form's small script)."""
    return {
        **{str(c): str(IncidentKind.FIRE) for c in FIRE_COMPLAINTS},
        **{str(c): str(IncidentKind.RESCUE) for c in RESCUE_COMPLAINTS},
    }


def desa_labels(
    villages: Iterable[Mapping[str, Any]], kecamatan_names: Mapping[str, str]
) -> list[tuple[str, str]]:
    """(code, "Desa, Kecamatan") for the desa search, by label; a label two villages share
    carries the code too, so that every label names one desa."""
    rows = []
    for v in villages:
        kecamatan = kecamatan_names.get(v["parent_code"], "")
        rows.append((v["code"], f"{v['name']}, {kecamatan}" if kecamatan else v["name"]))
    counts = Counter(label for _code, label in rows)
    labelled = [
        (code, label if counts[label] == 1 else f"{label} ({code})") for code, label in rows
    ]
    return sorted(labelled, key=lambda row: (row[1].casefold(), row[0]))


def resolve_desa(text: str, options: list[tuple[str, str]]) -> str:
    """The desa code a search text names: a code, a full "Desa, Kecamatan" label, or a desa name
    that only one village has. Anything else is returned as typed, for the service to refuse
    (`emergency.location.unknown_desa`) with its own message."""
    text = " ".join(str(text or "").split())
    if not text:
        return ""
    folded = text.casefold()
    names: dict[str, list[str]] = {}
    for code, label in options:
        if folded in (code.casefold(), label.casefold()):
            return code
        names.setdefault(label.split(",", 1)[0].casefold(), []).append(code)
    same_name = names.get(folded, [])
    return same_name[0] if len(same_name) == 1 else text


def desa_label(code: str, options: list[tuple[str, str]]) -> str:
    return next((label for c, label in options if c == code), code)


def apply_error(
    form: forms.Form, exc: ServiceError, aliases: Mapping[str, str] | None = None
) -> None:
    """Put a service's error on the form's fields (renamed through `aliases`); what no field
    takes shows above the form."""
    fields: dict[str, list[str]] = {}
    for name, messages in exc.fields.items():
        fields.setdefault((aliases or {}).get(name, name), []).extend(messages)
    apply_service_error(form, ServiceError(exc.message, code=exc.code, fields=fields))


def _text(label: Any, *, rows: int = 2, maxlength: int = 2000, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,  # the services trim and count
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": maxlength, **attrs}),
    )


def _line(label: Any, *, maxlength: int, required: bool = False, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        strip=required,  # a required answer of spaces is missing; the services trim the rest
        widget=forms.TextInput(attrs={"maxlength": maxlength, **attrs}),
    )


def _count(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": 99, "inputmode": "numeric"}),
    )


def _yes_no(label: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=YES_NO_UNKNOWN,
        required=False,
        initial="",
        widget=forms.RadioSelect,
    )


# --- The call-taker's form -----------------------------------------------------------------------
class CallForm(forms.Form):
    """A phone call, in the order the call-taker hears it."""

    phone = _line(
        _("Caller's phone"),
        maxlength=30,
        required=True,
        type="tel",
        inputmode="tel",
        autocomplete="off",
        autofocus=True,
    )
    caller_name = _line(_("Caller's name"), maxlength=120, autocomplete="off")
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=IncidentKind.choices,
        initial=IncidentKind.MEDICAL,
        widget=forms.RadioSelect,
    )
    chief_complaint = forms.ChoiceField(
        label=_("Chief complaint"), choices=[("", _("Choose…")), *ChiefComplaint.choices]
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, widget=forms.RadioSelect
    )
    desa = _line(_("Desa, Kecamatan"), maxlength=200, autocomplete="off", list="desa-options")
    lat = forms.CharField(label=_("Latitude"), required=False)
    lng = forms.CharField(label=_("Longitude"), required=False)
    address = _line(_("Address / landmark"), maxlength=300, autocomplete="off")
    patients_count = _count(_("Patients"))
    conscious = _yes_no(_("Conscious?"))
    breathing = _yes_no(_("Breathing?"))
    details = _text(_("What happened"), rows=3)

    def __init__(
        self,
        *args: Any,
        desa_options: list[tuple[str, str]],
        earlier_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.desa_options = desa_options
        for name in ("lat", "lng"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        if earlier_url:
            # Earlier calls from this number or desa, while the caller is still talking.
            for name, trigger in (
                ("phone", "input changed delay:400ms, change"),
                ("desa", "input changed delay:500ms, change"),
            ):
                self.fields[name].widget.attrs.update(
                    {
                        "hx-get": earlier_url,
                        "hx-trigger": trigger,
                        "hx-target": "#earlier-calls",
                        "hx-include": "#id_phone, #id_desa",
                        "hx-vals": '{"earlier": "1"}',
                        "hx-sync": "#call-form:replace",
                    }
                )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        complaint = data.get("chief_complaint") or ""
        data["kind"] = implied_kind(data.get("kind") or "", complaint)
        data["desa_code"] = resolve_desa(data.get("desa") or "", self.desa_options)
        return data


# --- The incident page ---------------------------------------------------------------------------
class VersionedForm(forms.Form):
    """Carries the version of the incident the officer saw (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, prefix_id: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{prefix_id}_%s")
        super().__init__(*args, **kwargs)


class TriageForm(VersionedForm):
    """Accept a call from the app and triage it, or correct an open incident's triage. Empty
    answers keep what the incident has."""

    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, widget=forms.RadioSelect
    )
    chief_complaint = forms.ChoiceField(
        label=_("Chief complaint"),
        choices=[("", _("Not known yet")), *ChiefComplaint.choices],
        required=False,
    )
    need = forms.ChoiceField(
        label=_("Unit needed"),
        choices=[("", _("From the kind, priority and complaint")), *Capability.choices],
        required=False,
    )
    desa = _line(
        _("Move to desa"),
        maxlength=200,
        autocomplete="off",
        list="desa-options",
        placeholder=_("Keep the current location"),
    )
    address = _line(_("Address / landmark"), maxlength=300, autocomplete="off")
    patients_count = _count(_("Patients"))
    conscious = _yes_no(_("Conscious?"))
    breathing = _yes_no(_("Breathing?"))

    def __init__(self, *args: Any, desa_options: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, prefix_id="triage", **kwargs)
        self.desa_options = desa_options

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        data["desa_code"] = resolve_desa(data.get("desa") or "", self.desa_options)
        return data


class CancelForm(forms.Form):
    reason = _line(
        _("Reason for cancelling"),
        maxlength=300,
        required=True,
        placeholder=_("e.g. a duplicate of another call, a prank call"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_cancel_%s")
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = _("Give the reason for cancelling.")


class CloseForm(forms.Form):
    note = _line(
        _("Note"), maxlength=300, placeholder=_("e.g. advice given by phone, handled by others")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_close_%s")
        super().__init__(*args, **kwargs)


class ReleaseForm(forms.Form):
    reason = _line(_("Reason"), maxlength=200, required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = _(
            "Give the reason for releasing the unit."
        )


class PatientForm(forms.Form):
    patient_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = _line(_("Name"), maxlength=120, autocomplete="off")
    nik = _line(_("NIK"), maxlength=20, autocomplete="off", inputmode="numeric")
    age_years = forms.CharField(
        label=_("Age (years)"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": 130, "inputmode": "numeric"}),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=SEX_CHOICES, required=False)
    condition = _text(_("Condition"), rows=2)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        patient_id = kwargs.pop("patient_id", None)
        kwargs.setdefault("auto_id", f"id_patient{patient_id or ''}_%s")
        super().__init__(*args, **kwargs)


# --- History and search --------------------------------------------------------------------------
class IncidentFilterForm(forms.Form):
    """Widgets only: the view passes the values to the selectors."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Number, phone or desa")}),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), ("open", _("Open")), *IncidentStatus.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *IncidentKind.choices]
    )
