"""Forms of the fire-detection back office (/kantor/karhutla/): the period and event filters,
the ground-check assignment, the status move and the FIRMS file upload.

They parse and render; the rules (the event's state, who may check, the file's content) are the
services', whose errors `apply_service_error` puts back on these fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from kotacerdas.core.errors import ServiceError, ValidationFailed
from kotacerdas.core.forms import apply_service_error

from .models import EventStatus
from .schemas import MAX_RANGE_DAYS, date_range
from .services import import_max_bytes

Choices = list[tuple[str, Any]]


def _choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EventFilterForm(forms.Form):
    """Status, kecamatan and period (both days or neither) of the event lists and the map's
    tables. With `period_required` a missing period is the caller's default, not an error."""

    status = forms.ChoiceField(label=_lazy("Status"), required=False)
    kecamatan = forms.ChoiceField(label=_lazy("Kecamatan"), required=False)
    start = forms.CharField(label=_lazy("From"), required=False, widget=_date_input())
    end = forms.CharField(label=_lazy("To"), required=False, widget=_date_input())

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        kecamatan_options: Iterable[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        _choice_field(self, "status").choices = [("", _("All states")), *EventStatus.choices]
        _choice_field(self, "kecamatan").choices = [("", _("All kecamatan")), *kecamatan_options]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start", ""), data.get("end", "")
        data["period"] = None
        if start or end:
            try:
                data["period"] = date_range({"start": start, "end": end}, max_days=MAX_RANGE_DAYS)
            except ValidationFailed as exc:
                apply_service_error(self, exc)
        return data

    @property
    def period(self) -> tuple[dt.date, dt.date] | None:
        if not self.is_valid():
            return None
        period: tuple[dt.date, dt.date] | None = self.cleaned_data.get("period")
        return period


ASSIGN_DESA = "desa"
ASSIGN_OFFICER = "petugas"


class AssignForm(forms.Form):
    """Send a desa (its operators and kepala desa) or one officer to check an event."""

    to = forms.ChoiceField(
        label=_lazy("Who checks"),
        choices=[(ASSIGN_DESA, _lazy("A desa")), (ASSIGN_OFFICER, _lazy("An officer"))],
        initial=ASSIGN_DESA,
        widget=forms.RadioSelect,
    )
    desa_code = forms.ChoiceField(label=_lazy("Desa"), required=False)
    user_id = forms.ChoiceField(label=_lazy("Officer"), required=False)
    instructions = forms.CharField(
        label=_lazy("Instructions"),
        required=False,
        strip=False,  # the service trims and counts
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
        help_text=_lazy("What to look at, whom to meet, how to get there."),
    )

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        desa_choices: Choices,
        officers: Iterable[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        _choice_field(self, "desa_code").choices = [("", _("Choose a desa")), *desa_choices]
        _choice_field(self, "user_id").choices = [
            ("", _("Choose an officer")),
            *((str(u.pk), u.full_name or u.get_username()) for u in officers),
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        to = data.get("to")
        if to == ASSIGN_DESA and not data.get("desa_code"):
            self.add_error("desa_code", _("Choose the desa that checks."))
        elif to == ASSIGN_OFFICER and not data.get("user_id"):
            self.add_error("user_id", _("Choose the officer who checks."))
        return data

    def assignee(self) -> dict[str, Any]:
        """The service's arguments: a desa code or a user id, never both."""
        if self.cleaned_data["to"] == ASSIGN_OFFICER:
            return {"desa_code": "", "user_id": self.cleaned_data["user_id"]}
        return {"desa_code": self.cleaned_data["desa_code"], "user_id": None}

    def apply_error(self, exc: ServiceError) -> None:
        aliases = {"assignee": "to"}
        fields = {aliases.get(k, k): v for k, v in exc.fields.items()}
        apply_service_error(self, ServiceError(exc.message, code=exc.code, fields=fields))


class StatusForm(forms.Form):
    """One of the event's status buttons (the allowed moves are the service's)."""

    status = forms.ChoiceField(choices=EventStatus.choices)
    version = forms.IntegerField(min_value=1)
    note = forms.CharField(
        label=_lazy("Note"),
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": 500}),
    )


class ImportForm(forms.Form):
    """A FIRMS CSV file (archive or near real time). The form refuses what is too large to
    read before the file reaches the service; the service reads and checks the rest."""

    file = forms.FileField(
        label=_lazy("FIRMS CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = import_max_bytes()
        self.fields["file"].help_text = _(
            "A CSV from NASA FIRMS (archive or near real time), at most %(mb)d MB. "
            "Rows outside the regency are skipped; hotspots already known are not added twice."
        ) % {"mb": self.max_bytes // (1024 * 1024)}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("The file is %(got)d MB; at most %(max)d MB can be imported at once.")
                % {
                    "got": upload.size // (1024 * 1024),
                    "max": self.max_bytes // (1024 * 1024),
                },
                code="too_large",
            )
        return upload
