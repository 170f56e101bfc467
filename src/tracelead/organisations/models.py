"""Who is assessed: systems, the organisations in them, and the groups that are assessed."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class Sector(models.TextChoices):
    ACUTE = "acute", "Acute"
    COMMUNITY = "community", "Community"
    MENTAL_HEALTH = "mental_health", "Mental health"
    PRIMARY_CARE = "primary_care", "Primary care"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    SOCIAL_CARE = "social_care", "Social care"
    VCFSE = "vcfse", "VCFSE (voluntary, community, faith and social enterprise)"
    HOUSING = "housing", "Housing"
    PUBLIC_HEALTH = "public_health", "Public health"
    PATIENTS_PUBLIC = "patients_public", "Patients and public"
    BUSINESS = "business", "Business"
    SPORT_LEISURE = "sport_leisure", "Sport and leisure"
    EDUCATION = "education", "Education"
    OTHER = "other", "Other"


class Space(models.TextChoices):
    SELF = "self", "Self"
    TEAM = "team", "Team"
    ORGANISATION = "organisation", "Organisation"
    SYSTEM = "system", "System"


class System(models.Model):
    """A partnership of organisations, such as an integrated care system.

    Names are not unique across the installation: a tenant must not learn another's
    system names from "already exists", so ``services.system_create`` refuses a name only
    among the systems its creator can see.
    """

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # What a respondent reads before starting: who runs the questionnaires, how to reach
    # them, and the privacy notice (each system is its own data controller's business).
    survey_runner = models.CharField(
        max_length=200, blank=True,
        help_text="Who runs the questionnaires, as respondents will read it after “Run "
        "by”, such as “the organisational development team at Northbrook ICS”.",
    )
    survey_contact = models.CharField(
        max_length=300, blank=True,
        help_text="How respondents can reach them: an email address or phone number.",
    )
    privacy_notice = models.TextField(
        blank=True,
        help_text="The privacy notice respondents can read from the introduction. Leave "
        "empty to show tracelead's standard notice. Separate paragraphs with a blank line.",
    )
    # Printed on the cover of the PDF reports; checked by organisations.logos on upload.
    logo = models.FileField(upload_to="systems/logos/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SystemRole(models.TextChoices):
    FACILITATOR = "facilitator", "Facilitator"
    VIEWER = "viewer", "Viewer"


class SystemMembership(models.Model):
    """Gives a user a role in a system, optionally narrowed to one organisation or group.

    With neither ``organisation`` nor ``group`` the role covers the whole system. A
    facilitator narrowed to an organisation runs that organisation's groups; a viewer
    narrowed to a group (a team leader, say) sees that group and the groups inside it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="system_memberships"
    )
    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=SystemRole.choices)
    organisation = models.ForeignKey(
        "Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    group = models.ForeignKey(
        "Group", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=True) | models.Q(group__isnull=True),
                name="membership_one_scope",
            )
        ]

    def __str__(self) -> str:
        scope = self.group or self.organisation or self.system
        return f"{self.user} – {scope} ({self.get_role_display()})"

    @property
    def whole_system(self) -> bool:
        return self.organisation_id is None and self.group_id is None

    def clean(self) -> None:
        # The casts: with its id set, the nullable relation resolves to an object.
        if (self.organisation_id
                and cast(Organisation, self.organisation).system_id != self.system_id):
            raise ValidationError({"organisation": "Choose an organisation in the same system."})
        if self.group_id and cast(Group, self.group).system_id != self.system_id:
            raise ValidationError({"group": "Choose a group in the same system."})


class Organisation(models.Model):
    """A trust, council, charity, ICB, practice or company taking part in a system."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="organisations")
    name = models.CharField(max_length=200)
    sector = models.CharField(max_length=30, choices=Sector.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["system", "name"], name="organisation_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Group(models.Model):
    """What is assessed: a person (self), a team, an organisation or a whole system.

    A name is unique among the groups of its organisation, or among the groups that span
    the system: everyone who may add a group to an organisation can see all of that
    organisation's groups, so "already exists" never names a group they could not see.
    """

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="groups")
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="groups",
        null=True,
        blank=True,
        help_text="Leave empty for a group that spans the system.",
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, related_name="children", null=True, blank=True
    )
    name = models.CharField(max_length=200)
    space = models.CharField(max_length=20, choices=Space.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"],
                condition=models.Q(organisation__isnull=False),
                name="group_name_unique_in_organisation",
                violation_error_message="A group with this name already exists in its "
                "organisation",
            ),
            models.UniqueConstraint(
                fields=["system", "name"],
                condition=models.Q(organisation__isnull=True),
                name="group_name_unique_across_system",
                violation_error_message="A group with this name already spans the system",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # The casts: with its id set, the nullable relation resolves to an object.
        if (self.organisation_id
                and cast(Organisation, self.organisation).system_id != self.system_id):
            raise ValidationError({"organisation": "Choose an organisation in the same system."})
        if self.parent_id:
            if cast(Group, self.parent).system_id != self.system_id:
                raise ValidationError({"parent": "Choose a parent group in the same system."})
            node: Group | None = self.parent
            while node is not None:
                if self.pk and node.pk == self.pk:
                    raise ValidationError({"parent": "A group cannot sit inside itself."})
                node = node.parent
        self._check_name_in_scope()

    def _check_name_in_scope(self) -> None:
        """Refuse a name already used in the group's own scope, ignoring case (the
        constraints compare exactly). Runs after the organisation is known to be in the
        system, so the message can only be about a group of that organisation."""
        if not self.system_id or not self.name:
            return
        same = Group.objects.filter(
            system_id=self.system_id,
            # django-stubs types an `_id` lookup as "str | int", but Django reads an exact
            # None as IS NULL (a group that spans the system), which is meant here.
            organisation_id=self.organisation_id,  # type: ignore[misc]
            name__iexact=self.name.strip(),
        ).exclude(pk=self.pk)
        if not same.exists():
            return
        if self.organisation_id:
            organisation = cast(Organisation, self.organisation)  # its id is set
            message = f"A group with this name already exists in {organisation.name}"
        else:
            message = "A group with this name already exists across the system"
        raise ValidationError({"name": message})

    def ancestors(self) -> list[Group]:
        chain: list[Group] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class Person(models.Model):
    """A participant. Respondents may stay anonymous, so a response never points here."""

    system = models.ForeignKey(System, on_delete=models.CASCADE, related_name="people")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="people"
    )
    name = models.CharField(max_length=200)
    role_title = models.CharField("role", max_length=200, blank=True)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name
