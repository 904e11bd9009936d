"""Forms of the back-office report pages. They parse and render; every rule (lengths, the
state machine, JSON of extra questions, ranges) is checked by the services and selectors,
whose errors `core.forms.apply_service_error` puts back on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kotacerdas.core.dimensions import Dimension

from .models import HandlingLevel, Kind, Status

Choices = list[tuple[str, Any]]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name; the photo pipeline checks count, size and content."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if not data:
            return []
        files = data if isinstance(data, (list, tuple)) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def _set_choices(field: forms.Field, choices: Choices) -> None:
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def _select(choices: Choices, **attrs: str) -> forms.Select:
    return forms.Select(choices=choices, attrs=attrs)


# --- The queue's filters ---------------------------------------------------------------------------
class QueueFilterForm(forms.Form):
    """Widgets only: values go to selectors.clean_filters, which says what is invalid."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Number, title or description")}
        ),
    )
    status = forms.CharField(label=_("Status"), required=False)
    category = forms.CharField(label=_("Category"), required=False)
    kecamatan = forms.CharField(label=_("Kecamatan"), required=False)
    kind = forms.CharField(label=_("Kind"), required=False)
    sla = forms.CharField(label=_("Deadline"), required=False)
    date_from = forms.CharField(
        label=_("Filed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.CharField(
        label=_("Filed until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    agency = forms.CharField(label=_("Agency"), required=False)

    def __init__(
        self,
        data: Any,
        *,
        categories: Choices,
        kecamatans: Choices,
        agencies: Choices | None,
    ) -> None:
        super().__init__(data)
        every = [("", _("All"))]
        self.fields["status"].widget = _select(
            [
                ("", _("All statuses")),
                ("open", _("Open (all open statuses)")),
                ("closed", _("Closed (completed, closed, rejected)")),
                *Status.choices,
            ]
        )
        self.fields["category"].widget = _select(every + categories)
        self.fields["kecamatan"].widget = _select(every + kecamatans)
        self.fields["kind"].widget = _select(every + list(Kind.choices))
        self.fields["sla"].widget = _select(
            [
                ("", _("All")),
                ("overdue", _("Overdue")),
                ("due_soon", _("Due soon")),
                ("on_time", _("On time")),
            ]
        )
        if agencies is None:
            del self.fields["agency"]
        else:
            self.fields["agency"].widget = _select(every + agencies)


# --- Officers' actions --------------------------------------------------------------------------
def _text(label: Any, *, required: bool = True, rows: int = 3, help_text: Any = "") -> Any:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        strip=False,  # the service trims and counts
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ActionForm(forms.Form):
    """Every action carries the version of the report the officer saw (optimistic locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, action: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.action = action


class VerifyForm(ActionForm):
    message = _text(
        _("Message to the reporter"),
        required=False,
        help_text=_("Optional; shown on the report's timeline."),
    )


class RejectForm(ActionForm):
    reason = _text(
        _("Reason"), help_text=_("At least 10 characters; the reporter and the public see it.")
    )


class ForwardForm(ActionForm):
    agency = forms.ChoiceField(label=_("Forward to"))
    note = _text(_("Note (disposisi)"))

    def __init__(self, *args: Any, agencies: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["agency"], [("", "—"), *agencies])


class AskForm(ActionForm):
    question = _text(_("Question"), help_text=_("Only the reporter sees it."))


class ProgressForm(ActionForm):
    message = _text(_("Plan or progress"))


class CompleteForm(ActionForm):
    message = _text(_("Reply"), rows=4, help_text=_("At least 10 characters."))
    photos = MultipleFileField(
        label=_("Photos of the result"),
        required=False,
        help_text=_("Up to 3 JPEG or PNG photos."),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png"}),
    )


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "verify": VerifyForm,
    "reject": RejectForm,
    "forward": ForwardForm,
    "ask": AskForm,
    "progress": ProgressForm,
    "complete": CompleteForm,
}


# --- Catalogue ----------------------------------------------------------------------------------
class CategoryForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=60,
        help_text=_("Lower-case letters, digits and '-'; it is the Open311 service_code."),
    )
    name = forms.CharField(label=_("Name (Indonesian)"), max_length=120)
    name_en = forms.CharField(label=_("Name (English)"), max_length=120, required=False)
    description = forms.CharField(
        label=_("Description (Indonesian)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    description_en = forms.CharField(
        label=_("Description (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    group = forms.CharField(label=_("Group"), max_length=80, required=False)
    keywords = forms.CharField(
        label=_("Search words"),
        max_length=300,
        required=False,
        help_text=_("Separated by spaces."),
    )
    dimension = forms.ChoiceField(label=_("Dimension"), choices=Dimension.choices)
    agency = forms.ChoiceField(label=_("Responsible agency"))
    handling_level = forms.ChoiceField(
        label=_("Handled by"),
        choices=HandlingLevel.choices,
        help_text=_(
            "Desa or kecamatan: the staff of the report's desa/kecamatan act on it; the agency "
            "still sees it."
        ),
    )
    sla_verify_days = forms.IntegerField(label=_("Working days to verify"))
    sla_plan_days = forms.IntegerField(label=_("Working days to a follow-up plan"))
    sla_complete_days = forms.IntegerField(label=_("Working days to complete"))
    attributes = forms.CharField(
        label=_("Extra questions (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "code"}),
        help_text=_(
            'A list such as [{"code": "depth", "datatype": "number", "required": false, '
            '"description": "Depth (cm)"}]; datatypes: string, number, datetime, text, '
            'singlevaluelist, multivaluelist (with "values": [{"key", "name"}]).'
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False)
    order = forms.IntegerField(label=_("Order"), min_value=0, max_value=32767)

    def __init__(self, *args: Any, agencies: Choices, editing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["agency"], [("", "—"), *agencies])
        if editing:
            del self.fields["code"]


class ReplyTemplateForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), required=False)
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}))
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, categories: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self.fields["category"], [("", _("All categories")), *categories])


class PolicyForm(forms.Form):
    aspiration_threshold = forms.IntegerField(
        label=_("Supports that put an aspiration on the Council's agenda")
    )
    reopen_window_days = forms.IntegerField(
        label=_("Days a citizen may confirm or dispute a result")
    )
    escalate_to_head_after_days = forms.IntegerField(
        label=_("Working days overdue before the agency head is alerted")
    )
    escalate_to_central_after_days = forms.IntegerField(
        label=_("Working days overdue before Diskominfo is alerted")
    )


# --- Open311 and the Council ------------------------------------------------------------------------
class Open311ClientForm(forms.Form):
    name = forms.CharField(label=_("App name"), max_length=100)
    contact_email = forms.CharField(
        label=_("Contact e-mail"), max_length=254, widget=forms.EmailInput
    )


class AspirationResponseForm(forms.Form):
    response = forms.CharField(
        label=_("The Council's response"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("At least 10 characters; shown publicly on the aspiration."),
    )

    def __init__(self, *args: Any, ref: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{ref}_%s")
        super().__init__(*args, **kwargs)
        self.ref = ref
