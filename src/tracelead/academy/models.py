"""The academy: a system's leadership academy, its members, programmes, events,
registrations, check-ins, reach targets and the exchange.

Members have no account: each holds a personal link (only its hash is kept), as a
respondent does. Names and email addresses are seen only by the academy's facilitators
and by each member for themselves; everyone else sees counts.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from tracelead.organisations.models import Organisation, Sector, System


class StaffGroup(models.TextChoices):
    """Profession or staff group, after the NHS staff groups, widened for the partners of
    a system (councils, charities, patients and carers)."""

    MEDICAL = "medical", "Medical and dental"
    NURSING = "nursing", "Nursing and midwifery"
    AHP = "ahp", "Allied health professions"
    SCIENCE = "science", "Healthcare science"
    PHARMACY = "pharmacy", "Pharmacy"
    PSYCHOLOGY = "psychology", "Psychological professions"
    SOCIAL_WORK = "social_work", "Social work and social care"
    PUBLIC_HEALTH = "public_health", "Public health"
    MANAGEMENT = "management", "Management and administration"
    SUPPORT = "support", "Estates, facilities and support services"
    COMMUNITY = "community", "Community and voluntary roles"
    LIVED_EXPERIENCE = "lived_experience", "Patient, carer or lived experience"
    OTHER = "other", "Other"


class RoleLevel(models.TextChoices):
    FRONTLINE = "frontline", "Front-line practitioner or staff member"
    TEAM_LEAD = "team_lead", "Team leader or supervisor"
    MANAGER = "manager", "Service or middle manager"
    SENIOR = "senior", "Senior leader or head of service"
    EXECUTIVE = "executive", "Director, executive or board member"
    OTHER = "other", "Other"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Academy(models.Model):
    """A system's leadership academy. One per system."""

    system = models.OneToOneField(System, on_delete=models.CASCADE, related_name="academy")
    name = models.CharField(max_length=200)
    purpose = models.TextField(blank=True)
    principles = models.TextField(blank=True, help_text="One principle a line.")
    places = models.TextField(
        blank=True, help_text="The places (boroughs, localities) of the system, one a line."
    )
    privacy_notice = models.TextField(blank=True)
    # The public sign-up page is /join/<join_code>/: a code, not the id, so that the
    # academies of an installation cannot be listed by counting.
    join_code = models.CharField(max_length=32, unique=True)
    sign_up_open = models.BooleanField(default=True)
    # Facilitators of the academy besides the whole-system facilitators.
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="academies_facilitated"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "academies"

    def __str__(self) -> str:
        return self.name

    def principle_list(self) -> list[str]:
        return [line.strip() for line in self.principles.splitlines() if line.strip()]

    def place_list(self) -> list[str]:
        return [line.strip() for line in self.places.splitlines() if line.strip()]


class AcademyList(models.Model):
    """An entry of one of the academy's editable lists (characteristics, offers): a name
    unique in the academy, a description and a place in the list. Each kind declares its
    own ``academy`` link, so that its reverse name is spelled out."""

    academy: models.ForeignKey[Academy, Academy]
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["academy", "name"], name="%(class)s_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Characteristic(AcademyList):
    """A leader characteristic the academy develops (an editable list)."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="characteristics")

    class Meta(AcademyList.Meta):
        pass


class Offer(AcademyList):
    """One of the academy's offers, such as community development."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="offers")

    class Meta(AcademyList.Meta):
        pass


class Member(models.Model):
    """A person who joined the academy.

    Leaving erases what identifies the member (name, email, link, place, profession,
    level and exchange wishes) and keeps the organisation and sector, so that reach and
    attendance already reported do not change.
    """

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="members")
    name = models.CharField(max_length=200)
    # Stored lower-cased; NULL once the member has left.
    email = models.EmailField(null=True, blank=True)  # noqa: DJ001
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # For a member whose organisation is not (yet) part of the system.
    organisation_name = models.CharField(max_length=200, blank=True)
    sector = models.CharField(max_length=30, choices=Sector.choices)
    staff_group = models.CharField(
        "profession or staff group", max_length=30, choices=StaffGroup.choices, blank=True
    )
    place = models.CharField(max_length=200, blank=True)
    level = models.CharField("level of role", max_length=20, choices=RoleLevel.choices,
                             blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    left_at = models.DateTimeField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # A link sent again (lost link, sign-up with the address, a facilitator's button) waits
    # here and the current link keeps working until the new one is opened: someone who
    # knows a member's address cannot take their link away by asking for another.
    pending_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # The exchange: whether the member wants to be paired, and the sectors they would
    # most like to see from the inside (empty: any).
    exchange_opt_in = models.BooleanField(default=False)
    exchange_sectors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["academy", "email"], name="member_email_unique")
        ]
        indexes = [models.Index(fields=["academy", "joined_at"])]

    # The clear token, set only on the object returned when a link is made.
    token: str = ""

    def __str__(self) -> str:
        return self.name or f"Member {self.pk} (left)"

    @property
    def has_left(self) -> bool:
        return self.left_at is not None

    @property
    def organisation_label(self) -> str:
        if self.organisation_id is not None and self.organisation is not None:
            return self.organisation.name
        return self.organisation_name


class Programme(models.Model):
    """A development programme under an offer, with a shared challenge and faculty."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="programmes")
    # RESTRICT: an offer with programmes cannot be removed alone, but goes with its academy.
    offer = models.ForeignKey(Offer, on_delete=models.RESTRICT, related_name="programmes")
    name = models.CharField(max_length=200)
    purpose = models.TextField("purpose (the shared challenge)", blank=True)
    faculty = models.TextField(blank=True, help_text="Who leads it, one name a line.")
    members: models.ManyToManyField[Member, Enrolment] = models.ManyToManyField(
        Member, through="Enrolment", related_name="programmes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["academy", "name"], name="programme_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def faculty_list(self) -> list[str]:
        return [line.strip() for line in self.faculty.splitlines() if line.strip()]


class Enrolment(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="enrolments")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="enrolments")
    enrolled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "member"], name="enrolment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.member} in {self.programme}"


class EventKind(models.TextChoices):
    WORKSHOP = "workshop", "Workshop"
    LEARNING_COMMUNITY = "learning_community", "Learning-community event"
    EXCHANGE_VISIT = "exchange_visit", "Exchange visit"
    ONLINE = "online", "Online session"


class Event(models.Model):
    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="events")
    programme = models.ForeignKey(
        Programme, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    venue = models.CharField("place", max_length=300, blank=True)
    link = models.URLField("online link", blank=True)
    capacity = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Leave empty for no limit.",
    )
    characteristics = models.ManyToManyField(Characteristic, blank=True, related_name="events")
    # Short code for check-in at the door (typed, or in the QR code's link).
    code = models.CharField(max_length=12, unique=True)
    # A development event counts towards reach by default.
    counts_for_reach = models.BooleanField(default=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["academy", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                   name="event_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class EffortKind(models.TextChoices):
    ADMINISTRATION = "administration", "Administration"
    FACILITATION = "facilitation", "Facilitation"
    PREPARATION = "preparation", "Preparation"


class Effort(models.Model):
    """Coordination effort spent on an event, in hours of one kind."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="efforts")
    kind = models.CharField(max_length=20, choices=EffortKind.choices)
    hours = models.DecimalField(max_digits=7, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0.25"))])
    note = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.hours} h {self.get_kind_display().lower()}"


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Place confirmed"
    WAITING = "waiting", "On the waiting list"
    CANCELLED = "cancelled", "Cancelled"


class Registration(models.Model):
    """A member's place (or place in line) at an event. The waiting list is served in the
    order people joined it (``created_at``, then id)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="registrations")
    status = models.CharField(max_length=20, choices=RegistrationStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "member"], name="registration_unique")
        ]
        indexes = [models.Index(fields=["event", "status"])]

    def __str__(self) -> str:
        return f"{self.member} at {self.event} ({self.get_status_display()})"


class CheckInMethod(models.TextChoices):
    SELF = "self", "Checked in on their own phone"
    LIST = "list", "Ticked on the facilitator's list"
    WALK_IN = "walk_in", "Added at the door"


class CheckIn(models.Model):
    """Attendance: a member was at an event. One per member and event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="check_ins")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="check_ins")
    method = models.CharField(max_length=20, choices=CheckInMethod.choices)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "member"], name="check_in_unique")
        ]
        indexes = [models.Index(fields=["member", "event"])]

    def __str__(self) -> str:
        return f"{self.member} at {self.event}"


class TargetKind(models.TextChoices):
    COUNT = "count", "A number of people"
    SHARE = "share", "A share of the workforce"


class Target(models.Model):
    """A reach goal: a number of people, or a share of the workforce, by a date.

    Someone is reached when they have attended at least ``min_events`` events that count
    for reach (by default one development event).
    """

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="targets")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=TargetKind.choices)
    people = models.PositiveIntegerField(null=True, blank=True)
    share_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    starts_on = models.DateField(help_text="Reach is counted from this day.")
    by_date = models.DateField()
    min_events = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["by_date", "id"]

    def __str__(self) -> str:
        return self.name


class WorkforceDimension(models.TextChoices):
    ORGANISATION = "organisation", "Organisation"
    STAFF_GROUP = "staff_group", "Profession or staff group"
    PLACE = "place", "Place"


class WorkforceFigure(models.Model):
    """How many people work in one organisation, staff group or place of the system: the
    denominators of reach. Sector figures are the sums of their organisations'."""

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="workforce")
    dimension = models.CharField(max_length=20, choices=WorkforceDimension.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The staff group's code or the place's name (empty for an organisation).
    key = models.CharField(max_length=200, blank=True)
    headcount = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["academy", "dimension", "organisation", "key"],
                                    name="workforce_figure_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_dimension_display()} {self.organisation or self.key}: {self.headcount}"


class ExchangeRound(models.Model):
    """One round of pairing for the exchange (shadowing visits across boundaries).

    The pairing is first proposed (``proposal``: the pairs and the unpaired with reasons,
    as member ids) so that a facilitator can look at it, try another ``seed`` or leave
    someone out (``left_out``); confirming it makes the ExchangePair rows and tells the
    members.
    """

    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="exchange_rounds")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    seed = models.PositiveIntegerField(default=0)
    left_out = models.JSONField(default=list, blank=True)
    proposal = models.JSONField(default=dict, blank=True)
    proposed_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class ExchangePair(models.Model):
    """Two members paired to visit each other's work. ``first`` has the lower id, so a pair
    is stored one way only and can never be repeated in the academy."""

    round = models.ForeignKey(ExchangeRound, on_delete=models.CASCADE, related_name="pairs")
    academy = models.ForeignKey(Academy, on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(first__lt=models.F("second")),
                                   name="exchange_pair_ordered"),
            models.UniqueConstraint(fields=["academy", "first", "second"],
                                    name="exchange_pair_never_repeated"),
        ]

    def __str__(self) -> str:
        return f"{self.first} and {self.second}"


class ExchangeVisit(models.Model):
    """A visit that happened: who hosted, when, and the visitor's short reflection."""

    pair = models.ForeignKey(ExchangePair, on_delete=models.CASCADE, related_name="visits")
    host = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    visited_on = models.DateField()
    reflection = models.TextField(blank=True, max_length=2000)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["visited_on", "id"]

    def __str__(self) -> str:
        return f"Visit of {self.visited_on}"
