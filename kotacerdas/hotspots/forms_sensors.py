"""Forms of the building-sensor pages (/kantor/karhutla/sensor/): registering a sensor.

They parse and render. The owner agency is a choice built by the view from the actor's scope
(their own agencies; any agency for administrators), so a value outside it is a field error;
every other rule (the code's shape and uniqueness, a building inside the regency, the heartbeat
range) is `services.sensor_create`'s, whose errors `apply_service_error` puts back on these
fields (they carry the service's own names)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SensorKind

Choices = list[tuple[Any, Any]]


def _numeric(**attrs: str) -> forms.TextInput:
    # Coordinates and seconds: the phone's numeric keyboard, with the sign and the point.
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", **attrs})


class SensorForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_(
            "2-40 lowercase letters, digits and dashes, e.g. pasar-mentaya-01. The device sends "
            "it with every message; it cannot change later."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    name = forms.CharField(label=_("Name"), max_length=120)
    building = forms.CharField(label=_("Building"), max_length=160)
    kind = forms.ChoiceField(label=_("Kind"), choices=SensorKind.choices, initial=SensorKind.SMOKE)
    address = forms.CharField(label=_("Address"), required=False, max_length=300)
    lat = forms.FloatField(label=_("Latitude"), widget=_numeric(placeholder="-2.5336"))
    lng = forms.FloatField(label=_("Longitude"), widget=_numeric(placeholder="112.9500"))
    heartbeat_seconds = forms.IntegerField(
        label=_("Heartbeat every (seconds)"),
        initial=300,
        widget=_numeric(inputmode="numeric"),
        help_text=_("The sensor is shown offline when it misses its heartbeats."),
    )
    agency_id = forms.TypedChoiceField(
        label=_("Owner agency"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, agencies: Choices, any_agency: bool, **kw: Any) -> None:
        super().__init__(*args, **kw)
        agency = self.fields["agency_id"]
        assert isinstance(agency, forms.TypedChoiceField)
        if any_agency:
            agency.choices = [("", _("None")), *agencies]
        else:
            # An agency head registers sensors for their own agency only.
            agency.choices = agencies
            agency.required = True
            if len(agencies) == 1:
                agency.initial = agencies[0][0]
