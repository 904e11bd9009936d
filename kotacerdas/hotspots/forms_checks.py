"""Forms of the ground-check pages (/kantor/karhutla/cek/): the answer from the field and the
cancellation.

They parse and render only. Every rule (a result is chosen, a photo is attached and decodes as
an image, its size, the position, the note's length) is `services.check_submit`'s, whose errors
`core.forms.apply_service_error` puts back on these fields: the page and the API say the same
thing in the same words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CheckResult


class CheckAnswerForm(forms.Form):
    # Not required here: the service says what is missing (one message for the page and API).
    result = forms.ChoiceField(
        label=_("What did you find?"),
        required=False,
        choices=CheckResult.choices,
        widget=forms.RadioSelect,
    )
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        widget=forms.FileInput(
            attrs={"accept": "image/*", "capture": "environment", "required": True}
        ),
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    lat = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    lng = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "check-%s")
        super().__init__(*args, **kwargs)


class CheckCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=300)
