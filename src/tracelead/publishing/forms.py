"""The form for a reporting cycle: its name and its anonymity thresholds."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import DEFAULT_COMMENT_THRESHOLD, DEFAULT_THRESHOLD, MIN_THRESHOLD


class CycleForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="For example, “Autumn 2026”.",
        error_messages={"required": "Enter a name for the cycle"},
    )
    threshold = forms.IntegerField(
        label="Fewest responses before any figure is shown",
        min_value=MIN_THRESHOLD,
        max_value=1000,
        initial=DEFAULT_THRESHOLD,
        help_text=f"At least {MIN_THRESHOLD}. Fixed once the first answers arrive in the cycle.",
        error_messages={
            "required": "Enter the fewest responses before figures are shown",
            "min_value": f"The threshold for figures must be at least {MIN_THRESHOLD}",
            "invalid": "Enter the threshold as a whole number, like 5",
        },
    )
    comment_threshold = forms.IntegerField(
        label="Fewest responses before any comment is shown",
        min_value=MIN_THRESHOLD,
        max_value=1000,
        initial=DEFAULT_COMMENT_THRESHOLD,
        help_text="Free text identifies people more easily than numbers, so this is higher.",
        error_messages={
            "required": "Enter the fewest responses before comments are shown",
            "min_value": f"The threshold for comments must be at least {MIN_THRESHOLD}",
            "invalid": "Enter the threshold as a whole number, like 10",
        },
    )

    def __init__(self, *args: Any, locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if locked:
            for name in ("threshold", "comment_threshold"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Fixed: answers have already arrived."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        figures, comments = data.get("threshold"), data.get("comment_threshold")
        if figures is not None and comments is not None and comments < figures:
            self.add_error(
                "comment_threshold",
                "The threshold for comments cannot be lower than the one for figures",
            )
        return data
