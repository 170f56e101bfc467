"""Forms of academy members: signing up, a member's own page, a facilitator adding a member
by hand, asking for a lost link, filtering the member list and importing a file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tracelead.organisations.models import Organisation, Sector

from .models import Academy, Member, RoleLevel, StaffGroup
from .services import MemberDetails

NOT_LISTED = "not-listed"

# The choices' labels in the reader's language: the sign-up page is offered in Welsh
# (docs/welsh.md). The same English as the models' labels (a test holds them equal).
SECTOR_LABELS = {
    Sector.ACUTE: _('Acute'),
    Sector.COMMUNITY: _('Community'),
    Sector.MENTAL_HEALTH: _('Mental health'),
    Sector.PRIMARY_CARE: _('Primary care'),
    Sector.LOCAL_AUTHORITY: _('Local authority'),
    Sector.SOCIAL_CARE: _('Social care'),
    Sector.VCFSE: _('VCFSE (voluntary, community, faith and social enterprise)'),
    Sector.HOUSING: _('Housing'),
    Sector.PUBLIC_HEALTH: _('Public health'),
    Sector.PATIENTS_PUBLIC: _('Patients and public'),
    Sector.BUSINESS: _('Business'),
    Sector.SPORT_LEISURE: _('Sport and leisure'),
    Sector.EDUCATION: _('Education'),
    Sector.OTHER: _('Other'),
}
STAFF_GROUP_LABELS = {
    StaffGroup.MEDICAL: _('Medical and dental'),
    StaffGroup.NURSING: _('Nursing and midwifery'),
    StaffGroup.AHP: _('Allied health professions'),
    StaffGroup.SCIENCE: _('Healthcare science'),
    StaffGroup.PHARMACY: _('Pharmacy'),
    StaffGroup.PSYCHOLOGY: _('Psychological professions'),
    StaffGroup.SOCIAL_WORK: _('Social work and social care'),
    StaffGroup.PUBLIC_HEALTH: _('Public health'),
    StaffGroup.MANAGEMENT: _('Management and administration'),
    StaffGroup.SUPPORT: _('Estates, facilities and support services'),
    StaffGroup.COMMUNITY: _('Community and voluntary roles'),
    StaffGroup.LIVED_EXPERIENCE: _('Patient, carer or lived experience'),
    StaffGroup.OTHER: _('Other'),
}
ROLE_LEVEL_LABELS = {
    RoleLevel.FRONTLINE: _('Front-line practitioner or staff member'),
    RoleLevel.TEAM_LEAD: _('Team leader or supervisor'),
    RoleLevel.MANAGER: _('Service or middle manager'),
    RoleLevel.SENIOR: _('Senior leader or head of service'),
    RoleLevel.EXECUTIVE: _('Director, executive or board member'),
    RoleLevel.OTHER: _('Other'),
}


def _blank(label: str, choices: Any) -> list[tuple[str, str]]:
    return [("", label), *[(str(value), str(text)) for value, text in choices]]


def _labelled(labels: dict[Any, Any]) -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in labels.items()]


class MemberDetailsForm(forms.Form):
    """What a member tells the academy about themselves.

    ``required_profile`` makes profession, level and place (when the academy lists places)
    required, as on the public sign-up page; a facilitator adding someone by hand may leave
    what they do not know empty.
    """

    # The sign-up page is offered in Welsh (docs/welsh.md): its words are translatable.
    name = forms.CharField(label=_("Full name"), max_length=200,
                           error_messages={"required": _("Enter your full name")})
    email = forms.EmailField(
        label=_("Email address"), max_length=254,
        help_text=_("We send your personal link here. We never show it to other members."),
        error_messages={"required": _("Enter your email address"),
                        "invalid": _("Enter an email address, like name@example.org")},
    )
    organisation = forms.ChoiceField(
        label=_("Organisation you work or volunteer for"),
        error_messages={"required": _("Choose your organisation, or choose that it is not "
                                      "listed")},
    )
    organisation_name = forms.CharField(
        label=_("Name of your organisation, if it is not listed"), max_length=200,
        required=False)
    sector = forms.ChoiceField(
        label=_("Sector of your organisation, if it is not listed"), required=False,
        help_text=_("A listed organisation's sector is already known."))
    staff_group = forms.ChoiceField(
        label=_("Profession or staff group"), required=False,
        error_messages={"required": _("Choose your profession or staff group")})
    place = forms.CharField(label=_("Place where you mostly work"), max_length=200,
                            required=False)
    level = forms.ChoiceField(label=_("Level of your role"), required=False,
                              error_messages={"required": _("Choose the level of your role")})

    def __init__(self, *args: Any, academy: Academy, required_profile: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.academy = academy
        self.organisations = {
            str(o.pk): o for o in Organisation.objects.filter(system_id=academy.system_id)
            .order_by("name")
        }
        self.fields["organisation"].choices = [
            ("", gettext("Choose your organisation")),
            *[(pk, o.name) for pk, o in self.organisations.items()],
            (NOT_LISTED, gettext("My organisation is not listed")),
        ]
        self.fields["sector"].choices = _blank(gettext("Choose a sector"),
                                               _labelled(SECTOR_LABELS))
        self.fields["staff_group"].choices = _blank(
            gettext("Choose a profession or staff group"), _labelled(STAFF_GROUP_LABELS))
        self.fields["level"].choices = _blank(gettext("Choose a level"),
                                              _labelled(ROLE_LEVEL_LABELS))
        places = academy.place_list()
        if places:
            self.fields["place"] = forms.ChoiceField(
                label=gettext("Place where you mostly work"),
                choices=_blank(gettext("Choose a place"), [(p, p) for p in places]),
                required=False, error_messages={"required": gettext("Choose a place")})
        if required_profile:
            for name in ("staff_group", "level", *(["place"] if places else [])):
                self.fields[name].required = True
        else:
            # A facilitator fills this in for someone else.
            labels = {
                "organisation": "Organisation",
                "organisation_name": "Name of the organisation, if it is not listed",
                "sector": "Sector of the organisation, if it is not listed",
                "staff_group": "Profession or staff group (optional)",
                "place": "Place (optional)", "level": "Level of role (optional)",
            }
            for name, label in labels.items():
                self.fields[name].label = label
            self.fields["name"].error_messages["required"] = "Enter the person's full name"
            self.fields["email"].error_messages["required"] = "Enter their email address"
            self.fields["email"].help_text = "The member's personal link is sent here."
            self.fields["organisation"].choices = [
                ("", "Choose the organisation"),
                *[(pk, o.name) for pk, o in self.organisations.items()],
                (NOT_LISTED, "Not listed in the system"),
            ]
            self.fields["organisation"].error_messages["required"] = (
                "Choose the organisation, or choose that it is not listed")
        for bound in self.fields.values():
            bound.error_messages["invalid_choice"] = gettext("Choose from the list")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("organisation") == NOT_LISTED:
            if not (data.get("organisation_name") or "").strip():
                self.add_error("organisation_name", gettext("Enter the name of the organisation"))
            if not data.get("sector"):
                self.add_error("sector", gettext("Choose the sector of the organisation"))
        return data

    def details(self) -> MemberDetails:
        data = self.cleaned_data
        organisation = self.organisations.get(data["organisation"])
        return MemberDetails(
            name=data["name"], email=data["email"], organisation=organisation,
            organisation_name="" if organisation else data["organisation_name"],
            sector=organisation.sector if organisation else data["sector"],
            staff_group=data.get("staff_group") or "", place=data.get("place") or "",
            level=data.get("level") or "",
        )

    @staticmethod
    def initial_for(member: Member) -> dict[str, Any]:
        return {
            "name": member.name, "email": member.email or "",
            "organisation": (str(member.organisation_id) if member.organisation_id
                             else NOT_LISTED),
            "organisation_name": member.organisation_name,
            "sector": "" if member.organisation_id else member.sector,
            "staff_group": member.staff_group, "place": member.place, "level": member.level,
        }


class JoinForm(MemberDetailsForm):
    consent = forms.BooleanField(
        label=_("I agree to the academy keeping these details, as its privacy notice says"),
        error_messages={"required": _("Confirm that you agree to the academy keeping these "
                                      "details")},
    )


class MemberEditForm(MemberDetailsForm):
    exchange_opt_in = forms.BooleanField(
        label="Pair me with someone for the exchange (shadowing visits across boundaries)",
        required=False)
    exchange_sectors = forms.MultipleChoiceField(
        label="The sectors you would most like to see from the inside",
        help_text="Choose none if any sector would suit you.",
        choices=Sector.choices, required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = (
            "Your personal link goes to this address if you ask for a new one. If you "
            "change it, we email a link to the new address, and it changes when you open "
            "that link.")


class MemberAddForm(MemberDetailsForm):
    """A facilitator adds someone by hand (for example from a paper form)."""

    consent = forms.BooleanField(
        label="The person agreed to the academy keeping these details, as its privacy "
              "notice says",
        help_text="You confirm this for them; the member list records it as given to you.",
        error_messages={"required": "Confirm that the person agreed to the academy keeping "
                                    "these details"},
    )
    send_link = forms.BooleanField(
        label="Email them their personal link now", required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required_profile", False)
        super().__init__(*args, **kwargs)


class LinkResendForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address you joined with"), max_length=254,
        error_messages={"required": _("Enter your email address"),
                        "invalid": _("Enter an email address, like name@example.org")},
    )


class MemberFilterForm(forms.Form):
    """The member list's filters and search. Every field is optional."""

    q = forms.CharField(label="Name or email address contains", max_length=100,
                        required=False)
    organisation = forms.ChoiceField(label="Organisation", required=False)
    sector = forms.ChoiceField(label="Sector", required=False)
    staff_group = forms.ChoiceField(label="Profession or staff group", required=False)
    place = forms.ChoiceField(label="Place", required=False)

    def __init__(self, *args: Any, academy: Academy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        orgs = Organisation.objects.filter(system_id=academy.system_id).order_by("name")
        self.fields["organisation"].choices = [
            ("", "Any organisation"), *[(str(o.pk), o.name) for o in orgs],
            (NOT_LISTED, "Organisations not listed in the system"),
        ]
        self.fields["sector"].choices = _blank("Any sector", Sector.choices)
        self.fields["staff_group"].choices = _blank("Any profession or staff group",
                                                    StaffGroup.choices)
        self.fields["place"].choices = _blank("Any place",
                                              [(p, p) for p in academy.place_list()])


class MemberImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or Excel (.xlsx) file",
        error_messages={"required": "Choose a CSV or Excel file to upload",
                        "empty": "The file is empty"},
    )
    consent = forms.BooleanField(
        label="The people in this file agreed to join the academy, as its privacy notice says",
        error_messages={"required": "Confirm that the people in the file agreed to join"},
    )
    send_links = forms.BooleanField(
        label="Email each new member their personal link", required=False,
        help_text="Otherwise members get a link when they ask for one (“Already a "
                  "member?” on the sign-up page), or when you send it from their page.")
