"""The form for making a personal API token."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from tracelead.core.models import ApiToken

from .services import MAX_TOKEN_DAYS

SCOPE_CHOICES = [
    (ApiToken.Scope.READ.value, "Read: list assessments and cycles, read published results"),
    (ApiToken.Scope.READ_WRITE.value, "Read and write: also make invitation links"),
]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for, such as “Power BI refresh”.",
        error_messages={
            "required": "Enter a name for the token",
            "max_length": "The name must be 100 characters or fewer",
        },
    )
    scope = forms.ChoiceField(
        label="What may the token do?",
        choices=SCOPE_CHOICES,
        widget=forms.RadioSelect,
        initial=ApiToken.Scope.READ.value,
        error_messages={
            "required": "Choose what the token may do",
            "invalid_choice": "Choose what the token may do",
        },
    )
    days = forms.IntegerField(
        label="Days before it stops working",
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        help_text=f"From 1 to {MAX_TOKEN_DAYS}.",
        error_messages={
            "required": "Enter how many days the token should work",
            "min_value": "A token must work for at least 1 day",
            "max_value": f"A token can work for at most {MAX_TOKEN_DAYS} days",
            "invalid": "Enter the number of days as a whole number, like 90",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["days"].initial = settings.TRACELEAD_API_TOKEN_DAYS
