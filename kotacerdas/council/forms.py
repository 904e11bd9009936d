"""Forms of the council pages. They parse and show errors; the rules live in services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kotacerdas.accounts import selectors as accounts_selectors
from kotacerdas.core.dimensions import Dimension
from kotacerdas.core.errors import ServiceError

from . import selectors
from .models import ProgramStatus


def apply_service_error(form: forms.Form, exc: ServiceError) -> None:
    """Show a service's refusal on the form: field errors on their fields, the rest on top."""
    placed = False
    for name, messages in exc.fields.items():
        for message in messages:
            form.add_error(name if name in form.fields else None, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)


class FilterForm(forms.Form):
    dimension = forms.ChoiceField(
        label=gettext_lazy("Dimension"),
        required=False,
        choices=[("", gettext_lazy("All dimensions")), *Dimension.choices],
    )
    year = forms.IntegerField(
        label=gettext_lazy("Year"),
        required=False,
        min_value=selectors.YEAR_MIN,
        max_value=selectors.YEAR_MAX,
    )

    def filters(self) -> tuple[str | None, int]:
        """The valid filters (defaults in place of invalid ones): all dimensions, this year."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        year = data.get("year") or selectors.current_year()
        return data.get("dimension") or None, year


class VersionField(forms.Field):
    """The version (updated_at) of the row the editor saw, carried through the form."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.datetime) else value

    def to_python(self, value: Any) -> dt.datetime | None:
        value = str(value or "").strip()
        if not value:
            return None
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise forms.ValidationError(_("The form is out of date; reload the page.")) from None
        if parsed.tzinfo is None:
            raise forms.ValidationError(_("The form is out of date; reload the page."))
        return parsed


class ProgramForm(forms.Form):
    code = forms.SlugField(
        label=gettext_lazy("Code"),
        max_length=60,
        help_text=gettext_lazy("Lower-case letters, digits and dashes; used in links and the API."),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    dimension = forms.ChoiceField(label=gettext_lazy("Dimension"), choices=Dimension.choices)
    owner_agency = forms.ModelChoiceField(
        label=gettext_lazy("Owner agency"),
        queryset=accounts_selectors.agency_list(active_only=True),
        to_field_name="code",
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), choices=ProgramStatus.choices)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    is_quick_win = forms.BooleanField(label=gettext_lazy("Quick win"), required=False)
    is_demo = forms.BooleanField(
        label=gettext_lazy("Demo data"),
        required=False,
        help_text=gettext_lazy("Tick when the figures are invented for a demonstration."),
    )
    expected_updated_at = VersionField()

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]
        else:
            del self.fields["expected_updated_at"]


class TargetForm(forms.Form):
    indicator = forms.CharField(label=gettext_lazy("Measure"), max_length=200)
    unit = forms.CharField(label=gettext_lazy("Unit"), max_length=40)
    target = forms.DecimalField(
        label=gettext_lazy("Target"), min_value=0, max_digits=14, decimal_places=2
    )
    realisation = forms.DecimalField(
        label=gettext_lazy("Realisation"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=gettext_lazy("Leave empty while the year has no figure yet."),
    )
    expected_updated_at = VersionField()


class TargetYearForm(forms.Form):
    year = forms.IntegerField(
        label=gettext_lazy("Year"), min_value=selectors.YEAR_MIN, max_value=selectors.YEAR_MAX
    )
