"""Forms of the exchange: a round, a pairing run, and a visit that happened."""

from __future__ import annotations

from typing import Any

from django import forms

from .services import EXCHANGE_MAX_SEED, EXCHANGE_REFLECTION_MAX


class DateInput(forms.DateInput):
    input_type = "date"


class ExchangeRoundForm(forms.Form):
    name = forms.CharField(
        label="Name of the round", max_length=200,
        help_text="For example, “Spring 2027 exchange”.",
        error_messages={"required": "Enter a name for the round"},
    )


class PairingRunForm(forms.Form):
    seed = forms.IntegerField(
        label="Seed (optional)", required=False, min_value=0, max_value=EXCHANGE_MAX_SEED,
        help_text="Where several pairings are equally good, the seed chooses one. The same "
                  "seed on the same people always gives the same pairs; leave it as it is "
                  "or try another number.",
        error_messages={
            "invalid": "Enter the seed as a whole number, such as 3",
            "min_value": "Enter a seed of 0 or more",
            "max_value": f"Enter a seed of {EXCHANGE_MAX_SEED} or less",
        },
    )


class VisitForm(forms.Form):
    """``hosts``: (member id, label) for the two people of the pair."""

    host = forms.ChoiceField(
        label="Who hosted the visit?", widget=forms.RadioSelect,
        error_messages={"required": "Choose who hosted the visit",
                        "invalid_choice": "Choose one of the two people of the pair"},
    )
    visited_on = forms.DateField(
        label="Date of the visit", widget=DateInput, input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"required": "Enter the date of the visit",
                        "invalid": "Enter the date of the visit as a real date"},
    )
    reflection = forms.CharField(
        label="Reflection (optional)", required=False, max_length=EXCHANGE_REFLECTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="A few lines: what you saw, what surprised you, what you will do "
                  "differently.",
        error_messages={
            "max_length": f"Keep the reflection to {EXCHANGE_REFLECTION_MAX:,} characters or "
                          "fewer"},
    )

    def __init__(self, *args: Any, hosts: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["host"].choices = [(str(pk), label) for pk, label in hosts]
