"""Forms of the citizen portal pages. They parse and show errors; the rules (lengths, the
category, the place, the photos) live in services and come back as ServiceError fields."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kotacerdas.core.errors import ServiceError, ValidationFailed
from kotacerdas.core.forms import apply_service_error

from . import selectors, services
from .models import Category, Kind, Status
from .selectors import ReportFilters

FILTER_FIELDS = ("kind", "category", "status", "kecamatan", "date_from", "date_to")


def clean_filter_values(values: Mapping[str, str]) -> ReportFilters:
    """selectors.clean_filters over the public filters in a query string (ValidationFailed
    naming the invalid ones)."""
    return selectors.clean_filters(
        kind=values.get("kind", ""),
        category=values.get("category", ""),
        status=values.get("status", ""),
        kecamatan=values.get("kecamatan", ""),
        date_from=values.get("date_from", ""),
        date_to=values.get("date_to", ""),
    )


def status_filter_choices() -> list[tuple[str, Any]]:
    """Open / closed, then every status the public may see (rejected reports are not shown)."""
    public = [(s.value, s.label) for s in Status if s not in selectors.PUBLIC_HIDDEN_STATUSES]
    return [
        ("", _("Any status")),
        ("open", pgettext_lazy("reports", "Open")),
        ("closed", _("Closed or completed")),
        *public,
    ]


class DateInput(forms.DateInput):
    input_type = "date"


class ReportFilterForm(forms.Form):
    """The public list's filters. Plain values here; `selectors.clean_filters` decides what is
    valid, and its refusals are shown on the fields they name."""

    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Kind.choices]
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    kecamatan = forms.ChoiceField(label=_("Kecamatan"), required=False)
    date_from = forms.CharField(label=_("Filed from"), required=False, widget=DateInput)
    date_to = forms.CharField(label=_("Filed until"), required=False, widget=DateInput)

    def __init__(
        self,
        *args: Any,
        categories: list[Category],
        kecamatan: list[tuple[str, str]],
        language: str = "id",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", _("All categories")),
            *((c.code, c.display_name(language)) for c in categories),
        ]
        self.fields["status"].choices = status_filter_choices()  # type: ignore[attr-defined]
        self.fields["kecamatan"].choices = [  # type: ignore[attr-defined]
            ("", _("All kecamatan")),
            *kecamatan,
        ]

    def filters(self) -> ReportFilters:
        """The filters to apply: every valid one; an invalid one is dropped and its error
        stays on the form (so the page still lists something)."""
        if not self.is_bound:
            return ReportFilters()
        self.is_valid()
        values = {
            name: str(self.data.get(name, "") or "").strip()
            for name in FILTER_FIELDS
            if name not in self.errors
        }
        try:
            return clean_filter_values(values)
        except ValidationFailed as exc:
            for name, messages in exc.fields.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
                values.pop(name, None)
            if "date_to" in exc.fields:  # "before the start date": neither bound is trusted
                values.pop("date_from", None)
            return clean_filter_values(values)

    @property
    def active(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in FILTER_FIELDS)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ReportForm(forms.Form):
    """Filing a complaint or an aspiration. Lengths, the category, the point and the photos
    are checked by services.report_create; this form only says what is missing."""

    kind = forms.ChoiceField(
        label=_("What do you want to send?"),
        choices=Kind.choices,
        initial=Kind.COMPLAINT,
        widget=forms.RadioSelect,
    )
    category = forms.CharField(
        label=_("Category"),
        error_messages={"required": _("Choose a category.")},
    )
    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=services.TITLE_MAX,
        help_text=_("Optional: a few words. Without it, the start of the description is used."),
    )
    description = forms.CharField(
        label=_("Description"),
        strip=True,
        widget=forms.Textarea(
            attrs={"rows": 5, "maxlength": services.DESCRIPTION_MAX, "data-counter": ""}
        ),
        help_text=_("What happened, since when, and how it affects you (at least 10 characters)."),
        error_messages={"required": _("Describe the problem or your idea.")},
    )
    address = forms.CharField(
        label=_("Landmark"),
        required=False,
        max_length=200,
        help_text=_("Optional: e.g. “in front of Pasar Mentaya, next to the mosque”."),
    )
    lat = forms.FloatField(
        label=_("Latitude"),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        error_messages={"required": _("Drop a pin on the map or use your location.")},
    )
    lng = forms.FloatField(
        label=_("Longitude"),
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        error_messages={"required": _("Drop a pin on the map or use your location.")},
    )
    photos = forms.Field(
        label=_("Photos"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*"}),
        help_text=_("Up to 3 photos. Location data in them is removed."),
    )
    is_anonymous = forms.BooleanField(
        label=_("Anonymous"),
        required=False,
        help_text=_("Officers will not see your name; we can still notify you."),
    )
    is_confidential = forms.BooleanField(
        label=_("Confidential"),
        required=False,
        help_text=_("Only you and the officers handling it can see this report."),
    )

    def new_report(self) -> services.NewReport:
        d = self.cleaned_data
        return services.NewReport(
            kind=d["kind"],
            category_code=d["category"],
            description=d["description"],
            lat=d["lat"],
            lng=d["lng"],
            title=d["title"],
            address=d["address"],
            is_anonymous=d["is_anonymous"],
            is_confidential=d["is_confidential"],
            attributes=self.attribute_answers(),
        )

    def attribute_answers(self) -> dict[str, Any]:
        """The answers to the chosen category's extra questions, posted as attribute[code]
        (attribute[code][] for several values; the services check them by datatype)."""
        out: dict[str, Any] = {}
        for key in self.data:
            found = re.fullmatch(r"attribute\[([a-z0-9_]{1,40})\](\[\])?", key)
            if found is None:
                continue
            getlist = getattr(self.data, "getlist", None)
            raw = getlist(key) if getlist is not None else [self.data[key]]
            values = [v for v in raw if v != ""]
            if values:
                out[found.group(1)] = values if found.group(2) else values[0]
        return out

    def apply_error(self, exc: ServiceError) -> None:
        """A service refusal on the field it is about (a point outside Kotim: the location)."""
        if exc.code == "regions.outside" and not exc.fields:
            self.add_error("lat", exc.message)
            return
        apply_service_error(self, exc)


class AnswerForm(forms.Form):
    message = forms.CharField(
        label=_("Your message"),
        max_length=services.MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": services.MESSAGE_MAX}),
    )


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still wrong?"),
        max_length=services.MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": services.MESSAGE_MAX}),
        help_text=_("At least 10 characters. The report is reopened and handled again."),
    )


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
    )
