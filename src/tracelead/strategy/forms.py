"""Forms of the leadership strategy (rendered by core/forms.jinja in the NHS pattern)."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from tracelead.diagnostics.forms import DateInput
from tracelead.organisations.models import Group

from .models import BehaviourKind, Better, MilestoneStatus, Phase, PositionKind, Succession


class CultureForm(forms.Form):
    culture = forms.CharField(
        label="The culture the board wants", required=False, max_length=2000,
        widget=forms.Textarea,
        help_text="A few sentences on how it should feel to work here and to be cared for "
        "here, in words staff would recognise.",
        error_messages={"max_length": "Keep the statement to 2,000 characters or fewer"})
    values = forms.CharField(
        label="Values", required=False, widget=forms.Textarea,
        help_text="One value a line, for example “Compassion”. At most 12.",
        error_messages={})

    def clean_values(self) -> list[str]:
        return [line.strip() for line in str(self.cleaned_data["values"]).splitlines()
                if line.strip()]


class BehaviourForm(forms.Form):
    kind = forms.ChoiceField(
        label="Whose behaviour is it?", widget=forms.RadioSelect,
        choices=BehaviourKind.choices,
        error_messages={"required": "Choose whose behaviour it is",
                        "invalid_choice": "Choose one of the kinds listed"})
    title = forms.CharField(
        label="Name", max_length=120,
        error_messages={"required": "Enter the behaviour's name",
                        "max_length": "Keep the name to 120 characters or fewer"})
    description = forms.CharField(
        label="What people would see", max_length=1000, widget=forms.Textarea,
        help_text="Describe what the behaviour looks like in practice.",
        error_messages={"required": "Describe the behaviour as people would see it",
                        "max_length": "Keep the description to 1,000 characters or fewer"})
    role = forms.CharField(
        label="For which role (only for a role's behaviour)", required=False,
        max_length=120,
        error_messages={"max_length": "Keep the role to 120 characters or fewer"})


class PositionForm(forms.Form):
    title = forms.CharField(
        label="Position", max_length=120,
        help_text="A role, such as “Clinical director”, or a category of informal "
        "influencers the board names, such as “Staff network chairs”.",
        error_messages={"required": "Enter the position's title",
                        "max_length": "Keep the title to 120 characters or fewer"})
    kind = forms.ChoiceField(
        label="Kind", widget=forms.RadioSelect, choices=PositionKind.choices,
        initial=PositionKind.FORMAL,
        error_messages={"required": "Choose formal role or informal influencers",
                        "invalid_choice": "Choose formal role or informal influencers"})
    needed = forms.IntegerField(
        label="How many the organisation needs", min_value=1, max_value=100_000,
        error_messages={"required": "Enter how many are needed",
                        "invalid": "Enter a whole number",
                        "min_value": "A position is needed at least once",
                        "max_value": "Enter a number up to 100,000"})
    in_post = forms.IntegerField(
        label="How many are in post", min_value=0, max_value=100_000, initial=0,
        error_messages={"required": "Enter how many are in post (0 if none)",
                        "invalid": "Enter a whole number",
                        "min_value": "Enter 0 or more",
                        "max_value": "Enter a number up to 100,000"})
    clinical = forms.BooleanField(label="A clinical role", required=False)
    groups = forms.MultipleChoiceField(
        label="Where the post-holders sit (optional)", required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose groups of this organisation"})
    behaviours = forms.MultipleChoiceField(
        label="Behaviours the role needs (optional)", required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose behaviours of the framework"})
    skills = forms.CharField(
        label="Skills the role needs (optional)", required=False, max_length=1000,
        widget=forms.Textarea,
        error_messages={"max_length": "Keep the skills to 1,000 characters or fewer"})
    succession = forms.ChoiceField(
        label="Succession cover", widget=forms.RadioSelect, choices=Succession.choices,
        initial=Succession.NONE,
        error_messages={"required": "Choose the succession cover",
                        "invalid_choice": "Choose one of the covers listed"})

    def __init__(self, *args: Any, groups: list[Group], behaviours: list[tuple[str, str]],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.group_rows = {str(g.pk): g for g in groups}
        cast(forms.MultipleChoiceField, self.fields["groups"]).choices = [
            (str(g.pk), g.name) for g in groups]
        cast(forms.MultipleChoiceField, self.fields["behaviours"]).choices = behaviours

    def chosen_groups(self) -> list[Group]:
        return [self.group_rows[pk] for pk in self.cleaned_data.get("groups", [])]


class PositionImportForm(forms.Form):
    file = forms.FileField(
        label="A CSV or Excel (.xlsx) file of positions",
        error_messages={"required": "Choose a file to import",
                        "empty": "The file is empty"})


class OutcomeForm(forms.Form):
    name = forms.CharField(
        label="Measure", max_length=120,
        help_text="For example “Staff engagement (NHS Staff Survey)” or “Vacancy rate”.",
        error_messages={"required": "Enter the measure's name",
                        "max_length": "Keep the name to 120 characters or fewer"})
    unit = forms.CharField(
        label="Unit (optional)", required=False, max_length=40,
        error_messages={"max_length": "Keep the unit to 40 characters or fewer"})
    better = forms.ChoiceField(
        label="Which way is better?", widget=forms.RadioSelect, choices=Better.choices,
        error_messages={"required": "Choose whether higher or lower is better",
                        "invalid_choice": "Choose whether higher or lower is better"})


class OutcomeValueForm(forms.Form):
    on = forms.DateField(
        label="Date", widget=DateInput,
        error_messages={"required": "Enter the date", "invalid": "Enter a real date"})
    value = forms.FloatField(
        label="Value", error_messages={"required": "Enter the value",
                                       "invalid": "Enter the value as a number"})


class MilestoneForm(forms.Form):
    phase = forms.ChoiceField(
        label="Phase", widget=forms.RadioSelect, choices=Phase.choices,
        error_messages={"required": "Choose the phase",
                        "invalid_choice": "Choose one of the phases listed"})
    title = forms.CharField(
        label="Milestone", max_length=200,
        error_messages={"required": "Enter the milestone",
                        "max_length": "Keep the milestone to 200 characters or fewer"})
    due_on = forms.DateField(
        label="Due by", widget=DateInput,
        error_messages={"required": "Enter the date it is due", "invalid": "Enter a real date"})
    owner = forms.CharField(
        label="Owner", max_length=120,
        error_messages={"required": "Enter who owns it",
                        "max_length": "Keep the owner to 120 characters or fewer"})
    status = forms.ChoiceField(
        label="Status", widget=forms.RadioSelect, choices=MilestoneStatus.choices,
        initial=MilestoneStatus.NOT_STARTED,
        error_messages={"required": "Choose the status",
                        "invalid_choice": "Choose one of the statuses listed"})
    evidence = forms.CharField(
        label="Evidence (optional)", required=False, max_length=2000, widget=forms.Textarea,
        help_text="What shows it happened: a board minute, a paper, a decision.",
        error_messages={"max_length": "Keep the evidence to 2,000 characters or fewer"})
