from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from .models import Group, Organisation, Sector, Space, System


class SystemForm(forms.Form):
    name = forms.CharField(
        label="Name of the system",
        max_length=200,
        help_text="For example, the name of an integrated care system.",
        error_messages={"required": "Enter the name of the system"},
    )
    description = forms.CharField(
        label="Description (optional)", required=False, widget=forms.Textarea, max_length=2000
    )

    def clean_name(self) -> str:
        # Whether the name is taken depends on who asks: services.system_create decides.
        return str(self.cleaned_data["name"]).strip()


class OrganisationForm(forms.Form):
    name = forms.CharField(
        label="Name of the organisation",
        max_length=200,
        error_messages={"required": "Enter the name of the organisation"},
    )
    sector = forms.ChoiceField(
        label="Sector",
        choices=Sector.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the organisation's sector"},
    )

    def __init__(self, *args: Any, system: System, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.system = system

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Organisation.objects.filter(system=self.system, name__iexact=name).exists():
            raise forms.ValidationError("This system already has an organisation with this name")
        return name


class GroupForm(forms.Form):
    name = forms.CharField(
        label="Name of the group",
        max_length=200,
        error_messages={"required": "Enter the name of the group"},
    )
    space = forms.ChoiceField(
        label="Which space does this group lead in?",
        choices=Space.choices,
        widget=forms.RadioSelect,
        help_text="Self is one leader; team, organisation and system are groups of people.",
        error_messages={"required": "Choose the space this group leads in"},
    )
    organisation = forms.ChoiceField(label="Organisation", required=False)
    parent = forms.ChoiceField(label="Part of a larger group (optional)", required=False)

    def __init__(
        self,
        *args: Any,
        system: System,
        organisations: QuerySet[Organisation] | None = None,
        groups: QuerySet[Group] | None = None,
        **kwargs: Any,
    ) -> None:
        """``organisations`` narrows the choice for a facilitator of some organisations
        only (they must pick one of theirs); ``groups`` the possible parents."""
        super().__init__(*args, **kwargs)
        self.system = system
        self.organisation_choices = (
            system.organisations.all()
            if organisations is None
            else organisations.filter(system=system)
        )
        self.parent_choices = system.groups.all() if groups is None else groups
        spanning = [("", "None – the group spans the system")] if organisations is None else []
        if organisations is not None:
            self.fields["organisation"].required = True
            self.fields["organisation"].error_messages["required"] = "Choose the organisation"
        self.fields["organisation"].choices = spanning + [
            (str(o.pk), o.name) for o in self.organisation_choices
        ]
        self.fields["parent"].choices = [("", "None")] + [
            (str(g.pk), g.name) for g in self.parent_choices
        ]

    def clean_name(self) -> str:
        # Names are unique within an organisation (or among groups spanning the system),
        # which is known only with the organisation: Group.clean checks, via the service.
        return str(self.cleaned_data["name"]).strip()

    def clean_organisation(self) -> Organisation | None:
        value = self.cleaned_data.get("organisation")
        return self.organisation_choices.filter(pk=value).first() if value else None

    def clean_parent(self) -> Group | None:
        value = self.cleaned_data.get("parent")
        return self.parent_choices.filter(pk=value).first() if value else None


class SystemSettingsForm(forms.Form):
    """What respondents read about who runs the survey, and the logo on the reports."""

    survey_runner = forms.CharField(
        label="Who runs the questionnaires (optional)", required=False, max_length=200,
        help_text="Respondents read it after “Run by”, for example “the organisational "
        "development team at Northbrook ICS”.",
    )
    survey_contact = forms.CharField(
        label="How respondents can contact them (optional)", required=False, max_length=300,
        help_text="An email address or a phone number.",
    )
    privacy_notice = forms.CharField(
        label="Privacy notice (optional)", required=False, widget=forms.Textarea,
        max_length=20000,
        help_text="Leave it empty to show tracelead's standard notice. Put a blank line "
        "between paragraphs.",
    )
    logo = forms.FileField(
        label="Logo for the cover of the PDF reports (optional)", required=False,
        help_text="A PNG, JPEG or SVG image smaller than 1 MB.",
    )
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)

    def clean_logo(self) -> Any:
        from django.core.exceptions import ValidationError

        from .logos import check_logo

        upload = self.cleaned_data.get("logo")
        if upload:
            try:
                check_logo(upload)
            except ValidationError as error:
                raise forms.ValidationError(error.messages) from error
        return upload
