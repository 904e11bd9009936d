"""Forms of the crew page, the fleet pages and the performance page of the 119 desk.

They parse and render. References to rows (agency, facility, station, crew, desa) are
choices built by the view from the actor's scope, so a value outside it is a field error;
every other rule (a point inside Kotim, a known capability, a 16-digit NIK, ranges) is the
services', whose errors `core.forms.apply_service_error` puts back on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Capability, IncidentKind

Choices = list[tuple[Any, Any]]


def _numeric(**attrs: str) -> forms.TextInput:
    # Coordinates and minutes: the phone's numeric keyboard, with the sign and the point.
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", **attrs})


# --- Crew: patients --------------------------------------------------------------------------------
class CrewPatientForm(forms.Form):
    """A patient of the crew's current job (all optional: an unconscious stranger has no name)."""

    patient_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), required=False, max_length=120)
    nik = forms.CharField(
        label=_("NIK"),
        required=False,
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    age_years = forms.CharField(
        label=_("Age (years)"),
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        required=False,
        choices=[("", _("Unknown")), ("L", _("Male")), ("P", _("Female"))],
        widget=forms.RadioSelect,
    )
    condition = forms.CharField(
        label=_("Condition and care given"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, prefix_id: str = "new", nik_hint: str = "", **kw: Any) -> None:
        kw.setdefault("auto_id", f"patient-{prefix_id}-%s")
        super().__init__(*args, **kw)
        if nik_hint:
            self.fields["nik"].help_text = _(
                "Recorded: %(nik)s. Leave empty to keep it; type a new one to change it."
            ) % {"nik": nik_hint}


# --- Fleet -----------------------------------------------------------------------------------------
class StationForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=40,
        help_text=_("Short and unique, e.g. psk-baamang or damkar-sampit. It cannot change later."),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    agency = forms.TypedChoiceField(label=_("Agency"), coerce=int)
    lat = forms.FloatField(label=_("Latitude"), widget=_numeric(placeholder="-2.5336"))
    lng = forms.FloatField(label=_("Longitude"), widget=_numeric(placeholder="112.9500"))
    facility = forms.TypedChoiceField(
        label=_("Health facility"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("When the post is at a puskesmas or hospital."),
    )
    access_minutes = forms.IntegerField(
        label=_("Access time (minutes)"),
        min_value=0,
        max_value=600,
        initial=0,
        widget=_numeric(inputmode="numeric"),
        help_text=_(
            "Fixed minutes before a unit of this post reaches the road (a river crossing, a boat "
            "to the landing); added to every estimate from the post."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self, *args: Any, agencies: Choices, facilities: Choices, editing: bool, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        agency = self.fields["agency"]
        assert isinstance(agency, forms.ChoiceField)
        agency.choices = [("", "—"), *agencies]
        facility = self.fields["facility"]
        assert isinstance(facility, forms.ChoiceField)
        facility.choices = [("", _("None")), *facilities]
        if editing:
            # The service keys stations on their code: a new code would be a new station.
            self.fields["code"].disabled = True


class UnitForm(forms.Form):
    call_sign = forms.CharField(
        label=_("Call sign"),
        max_length=20,
        help_text=_("Unique, e.g. AMB-07. It cannot change later."),
    )
    station = forms.TypedChoiceField(label=_("Station"), coerce=int)
    # A plain field: the service says which capabilities exist.
    capability = forms.CharField(
        label=_("Capability"), widget=forms.Select(choices=[("", "—"), *Capability.choices])
    )
    plate = forms.CharField(label=_("Number plate"), required=False, max_length=20)
    crew = forms.TypedMultipleChoiceField(
        label=_("Crew"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Officers (petugas) of the unit's agency who use the crew page."),
    )

    def __init__(
        self, *args: Any, stations: Choices, crew: Choices | None, editing: bool, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        station = self.fields["station"]
        assert isinstance(station, forms.ChoiceField)
        station.choices = [("", "—"), *stations]
        if crew is None:
            del self.fields["crew"]  # chosen once the unit exists (its agency decides who)
        else:
            field = self.fields["crew"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = crew
        if editing:
            self.fields["call_sign"].disabled = True


class UnitServiceForm(forms.Form):
    in_service = forms.TypedChoiceField(
        label=_("Service"),
        coerce=lambda v: v == "1",
        choices=[("1", _("In service")), ("0", _("Out of service"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (when out of service)"),
        required=False,
        max_length=200,
        help_text=_("E.g. at the workshop, no crew on duty."),
    )

    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("auto_id", "service-%s")
        super().__init__(*args, **kw)


ACCESS_MODES: Choices = [
    ("sungai", _("River only")),
    ("jalan_musiman", _("Road cut in the wet season")),
    ("lainnya", _("Other")),
]


class DesaAccessForm(forms.Form):
    desa_code = forms.ChoiceField(label=_("Desa / kelurahan"))
    minutes = forms.IntegerField(
        label=_("Access time (minutes)"),
        min_value=0,
        max_value=1440,
        widget=_numeric(inputmode="numeric"),
        help_text=_("Every unit from outside the desa is estimated at this time. 0 removes it."),
    )
    mode = forms.ChoiceField(label=_("Access by"), choices=ACCESS_MODES, initial="sungai")
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, villages: Choices, **kw: Any) -> None:
        super().__init__(*args, **kw)
        field = self.fields["desa_code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—"), *villages]


# --- Performance -----------------------------------------------------------------------------------
class PerformanceFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *IncidentKind.choices],
        widget=forms.Select(attrs={"data-autosubmit": ""}),
    )
