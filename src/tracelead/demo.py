"""Demo data that tells a story: a fictional integrated care system and two rounds of TRACE.

Everything is generated from a fixed seed, so the demo is the same on every machine:

* the Emergency Department leadership team is clear on its task but low and split on
  Alignment (half the team rates it well, half poorly);
* the Discharge Hub's one-sentence task statements point in different directions;
* the Public Health intelligence team is too small to show results (below threshold);
* the Surgical Division improves between the two rounds, and its second round has a
  direction, alignment and commitment round beside it;
* each round belongs to a reporting cycle ("Spring 2026", "Autumn 2026"), published when
  its rounds closed; a pulse round of the Discharge Hub is still open in a third cycle, so
  its page shows only how many have answered. Its twelve people were invited by email,
  with messages written as files to the data folder's ``mail`` folder, not sent.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from tracelead.diagnostics.models import (
    Assessment,
    Invitation,
    RaterKind,
    Response,
    pack_answers,
)
from tracelead.diagnostics.services import new_token
from tracelead.instruments import get_instrument
from tracelead.messaging import models as email_texts
from tracelead.messaging import outbox
from tracelead.messaging import services as messaging
from tracelead.messaging.models import Invitee
from tracelead.organisations.models import (
    Group,
    Organisation,
    Sector,
    Space,
    System,
    SystemMembership,
    SystemRole,
)
from tracelead.publishing.gate import publish_due
from tracelead.publishing.models import Cycle

DEMO_SYSTEM = "Northbrook and Vale Integrated Care System"
DEMO_USERNAME = "facilitator"
DEMO_ADMIN = "admin"
DEMO_PASSWORD = "trace-demo-2026"  # noqa: S105 - a published demo sign-in for local use only
DEMO_SEED = 20261122

CONDITIONS = ("task", "route", "alignment", "capability", "energy")


@dataclass(frozen=True)
class Pattern:
    """How a team rates each condition: a centre and a spread, or two camps."""

    centres: dict[str, float]
    spread: dict[str, float] = field(default_factory=dict)
    split: tuple[str, ...] = ()

    def draw(self, rng: random.Random, condition: str) -> float:
        if condition in self.split:
            return rng.choice((1.7, 4.3)) + rng.gauss(0, 0.3)
        return rng.gauss(self.centres[condition], self.spread.get(condition, 0.45))


def _even(level: float, **overrides: float) -> dict[str, float]:
    return {c: overrides.get(c, level) for c in CONDITIONS}


COMMON_CHANGES = [
    "Protected time once a month to step back and look at how we work together.",
    "Fewer meetings that report upwards and more that solve problems across teams.",
    "Being told early when priorities change, and why.",
    "A clear owner for each decision so things do not bounce between us.",
    "Thanking people for the effort, not only for the results.",
    "Agreeing what we will stop doing when something new is added.",
    "Shared access to the same data so we argue less about the numbers.",
    "Time for new starters to shadow colleagues in the partner organisations.",
]

# (team, organisation key, size, pattern, task statements, size of round 1 or None)
TEAMS: list[dict[str, object]] = [
    {
        "name": "Emergency Department leadership team",
        "org": "acute",
        "size": 12,
        "pattern": Pattern(_even(3.6, task=4.4, alignment=2.9), split=("alignment",)),
        "statements": [
            "We get people who arrive in an emergency seen, treated and safely onward"
            " within four hours.",
            "Our job is safe, timely emergency care so that nobody waits in a corridor.",
            "To assess and treat emergencies quickly and move patients safely to the right place.",
            "We exist to give fast, safe emergency care and keep the front door flowing.",
        ],
    },
    {
        "name": "Discharge Hub",
        "org": "acute",
        "size": 11,
        "pattern": Pattern(_even(3.2, task=2.6), spread={"task": 0.9}),
        "statements": [
            "We free up beds for the hospital by getting patients out as early in the day"
            " as possible.",
            "Helping older people get home with the support they choose.",
            "To hit the weekly discharge target set by the executive team.",
            "We coordinate packages of care with the council's brokerage team.",
            "Reducing readmissions by making sure the first week at home goes well.",
            "Honestly, I am not sure: it changes with every new director.",
        ],
    },
    {
        "name": "Surgical Division management team",
        "org": "acute",
        "size": 10,
        "pattern": Pattern(_even(2.7, energy=2.4)),
        "round_two": Pattern(_even(3.7, energy=3.5, route=3.9)),
        "statements": [
            "We bring the elective waiting list down while keeping surgery safe.",
            "To give people their operations sooner, safely, and with fewer cancellations.",
            "Our aim is shorter waits for surgery without cutting corners on safety.",
        ],
    },
    {
        "name": "Adult Social Care leadership team",
        "org": "council",
        "size": 10,
        "pattern": Pattern(_even(3.5, capability=2.8, energy=3.0)),
        "statements": [
            "We help adults in the county live independently and safely at home.",
            "To support people to stay independent, with care that fits their lives.",
            "Keeping adults safe and independent in their own homes for as long as they wish.",
        ],
    },
    {
        "name": "Children's Services leadership team",
        "org": "council",
        "size": 9,
        "pattern": Pattern(_even(3.8, route=3.2)),
        "statements": [
            "We keep children safe and help families stay together where that is right.",
            "To protect children and support families early, before crises happen.",
            "Making sure every child in the county is safe and has someone on their side.",
        ],
    },
    {
        "name": "Public Health intelligence team",
        "org": "council",
        "size": 3,
        "pattern": Pattern(_even(3.9)),
        "statements": [
            "We turn data into evidence the system can act on.",
        ],
    },
    {
        "name": "Volunteer coordination team",
        "org": "vcfse",
        "size": 8,
        "pattern": Pattern(_even(4.1, alignment=3.1, capability=3.3)),
        "statements": [
            "We match volunteers with people who need a friendly face and practical help.",
            "To bring neighbours together so that nobody in the valley is left isolated.",
            "Connecting volunteers to people who are lonely or struggling at home.",
        ],
    },
    {
        "name": "Community connectors",
        "org": "vcfse",
        "size": 8,
        "pattern": Pattern(_even(3.9, route=3.0)),
        "statements": [
            "We link people with local groups and services that help them stay well.",
            "Helping people find support in their community before they need the NHS.",
            "To connect residents to what is already out there, so they can stay well.",
        ],
    },
]

SYSTEM_BOARD = {
    "name": "Northbrook and Vale partnership board",
    "size": 14,
    "pattern": Pattern(_even(3.3, task=3.6, alignment=2.6, energy=3.4), spread={"alignment": 0.8}),
    "statements": [
        "Together we improve health and reduce inequalities across Northbrook and Vale.",
        "To join up health, care and community support around people and places.",
        "We make the best use of our shared money to improve people's health.",
        "Our task is to shift care closer to home and prevent illness.",
        "To keep the hospital and social care working as one system in winter.",
    ],
}

ORGANISATIONS = {
    "acute": ("Northbrook University Hospitals NHS Foundation Trust", Sector.ACUTE),
    "council": ("Vale County Council", Sector.LOCAL_AUTHORITY),
    "vcfse": ("Vale Community Action", Sector.VCFSE),
}


@dataclass
class DemoSummary:
    system: System
    created: bool
    groups: int
    assessments: int
    responses: int
    # Where email is written instead of being sent ("" when the site sends it for real).
    mail_folder: str = ""

    def describe(self) -> str:
        verb = "Loaded" if self.created else "Reusing"
        text = (
            f"{verb} the demo: {self.system.name} with {self.groups} groups, "
            f"{self.assessments} assessments and {self.responses} responses."
        )
        if self.mail_folder:
            text += f"\nEmails are not sent: they are written to files in {self.mail_folder}"
        return text


def _answers(
    rng: random.Random, instrument_items: list[tuple[str, str]], pattern: Pattern
) -> dict[str, int | None]:
    levels = {c: pattern.draw(rng, c) for c in CONDITIONS}
    answers: dict[str, int | None] = {}
    for key, condition in instrument_items:
        if rng.random() < 0.03:
            answers[key] = None  # "Don't know"
            continue
        value = round(levels[condition] + rng.gauss(0, 0.55))
        answers[key] = min(5, max(1, value))
    return answers


def _summary(system: System, created: bool) -> DemoSummary:
    return DemoSummary(
        system=system,
        created=created,
        groups=system.groups.count(),
        assessments=Assessment.objects.filter(group__system=system).count(),
        responses=Response.objects.filter(assessment__group__system=system).count(),
        mail_folder=_mail_folder(),
    )


def _mail_folder() -> str:
    return str(settings.EMAIL_FILE_PATH) if settings.TRACELEAD_EMAIL == "file" else ""


def _demo_system() -> System | None:
    """The demo's system: its name and the demo facilitator's membership, so that a
    tenant's system that happens to share the name is never reused or deleted."""
    return System.objects.filter(
        name=DEMO_SYSTEM, memberships__user__username=DEMO_USERNAME
    ).first()


def demo_delete() -> None:
    system = _demo_system()
    if system is None:
        return
    with transaction.atomic():
        Response.objects.filter(assessment__group__system=system).delete()
        Assessment.objects.filter(group__system=system).delete()
        Cycle.objects.filter(system=system).delete()
        groups = list(system.groups.all())
        depth = {g.pk: len(g.ancestors()) for g in groups}
        for group in sorted(groups, key=lambda g: -depth[g.pk]):
            group.delete()
        system.delete()


def _users(system: System) -> None:
    users = get_user_model()
    facilitator, _ = users.objects.get_or_create(
        username=DEMO_USERNAME, defaults={"first_name": "Demo", "last_name": "Facilitator"}
    )
    facilitator.set_password(DEMO_PASSWORD)
    facilitator.save()
    SystemMembership.objects.update_or_create(
        user=facilitator, system=system, defaults={"role": SystemRole.FACILITATOR}
    )
    admin, _ = users.objects.get_or_create(username=DEMO_ADMIN)
    admin.is_staff = admin.is_superuser = True
    admin.set_password(DEMO_PASSWORD)
    admin.save()


def demo_load(
    *,
    reset: bool = False,
    seed: int = DEMO_SEED,
    today: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Create the demo system, or reuse it if it is already there."""
    say = progress or (lambda _text: None)
    if reset:
        say("Deleting the previous demo data")
        demo_delete()
    existing = _demo_system()
    if existing is not None:
        _users(existing)
        return _summary(existing, created=False)
    rng = random.Random(seed)
    today = today or timezone.localdate()
    instrument = get_instrument("trace")
    items = list(zip(instrument.item_keys, instrument.item_scale_keys, strict=True))
    change_prompt, task_prompt = "one_change", "task_statement"
    # Two reporting cycles with every group's round closed and published, and a third
    # cycle with one round still open, which shows response counts only.
    rounds = [
        ("round 1", today - dt.timedelta(days=240), today - dt.timedelta(days=212)),
        ("round 2", today - dt.timedelta(days=42), today - dt.timedelta(days=14)),
    ]
    cycle_names = {"round 1": _season(rounds[0][1]), "round 2": _season(rounds[1][1])}

    with transaction.atomic():
        say("Creating the system, its organisations and groups")
        system = System.objects.create(
            name=DEMO_SYSTEM,
            description="A fictional integrated care system used to show tracelead.",
        )
        orgs = {
            key: Organisation.objects.create(system=system, name=name, sector=sector)
            for key, (name, sector) in ORGANISATIONS.items()
        }
        board = Group.objects.create(
            system=system, name=str(SYSTEM_BOARD["name"]), space=Space.SYSTEM
        )
        org_groups = {
            key: Group.objects.create(
                system=system,
                organisation=org,
                parent=board,
                name=f"{org.name} leadership",
                space=Space.ORGANISATION,
            )
            for key, org in orgs.items()
        }
        plan: list[tuple[Group, dict[str, object]]] = [(board, SYSTEM_BOARD)]
        for team in TEAMS:
            key = str(team["org"])
            group = Group.objects.create(
                system=system,
                organisation=orgs[key],
                parent=org_groups[key],
                name=str(team["name"]),
                space=Space.TEAM,
            )
            plan.append((group, team))

        say("Answering two rounds of the TRACE questionnaire")
        cycles = {
            label: Cycle.objects.create(system=system, name=cycle_names[label])
            for label, _, _ in rounds
        }
        for label, opens, closes in rounds:
            for group, spec in plan:
                assessment = Assessment.objects.create(
                    group=group,
                    cycle=cycles[label],
                    title=f"{group.name} – {label}, {opens:%B %Y}",
                    instrument_key=instrument.key,
                    instrument_version=instrument.version,
                    rater_kinds=[RaterKind.MEMBER.value],
                    opens_on=opens,
                    closes_on=closes,
                )
                size = int(spec["size"])  # type: ignore[call-overload]
                invited = size + rng.randint(1, 4)
                answered = size if label == "round 1" else max(2, size - rng.randint(0, 2))
                Invitation.objects.bulk_create(
                    Invitation(
                        assessment=assessment,
                        token_hash=Invitation.hash_token(new_token()),
                        rater_kind=RaterKind.MEMBER,
                        used=index < answered,
                    )
                    for index in range(invited)
                )
                pattern = spec.get("round_two") if label == "round 2" else None
                pattern = pattern or spec["pattern"]
                statements = list(spec["statements"])  # type: ignore[call-overload]
                if spec is SYSTEM_BOARD:
                    # The board agreed its task between the rounds (tracelead.words.demo).
                    from tracelead.words import demo as words_demo

                    statements = list(words_demo.BOARD_ROUND_ONE if label == "round 1"
                                      else words_demo.BOARD_ROUND_TWO)
                responses = []
                for index in range(answered):
                    free_text: dict[str, str] = {}
                    if rng.random() < 0.8:
                        free_text[task_prompt] = statements[index % len(statements)]
                    if rng.random() < 0.6:
                        free_text[change_prompt] = rng.choice(COMMON_CHANGES)
                    answers = _answers(rng, items, pattern)  # type: ignore[arg-type]
                    responses.append(
                        Response(
                            assessment=assessment,
                            rater_kind=RaterKind.MEMBER,
                            answers=answers,
                            packed=pack_answers(instrument.item_keys, answers),
                            free_text=free_text,
                            submitted_on=closes,
                        )
                    )
                Response.objects.bulk_create(responses)
        hub = next(group for group, spec in plan if spec["name"] == "Discharge Hub")
        _open_round(system, hub, today, rng, items)
        _users(system)
        say("Growing the academy: members, a programme, events and who came")
        from tracelead.academy.demo import academy_demo_load

        facilitator = get_user_model().objects.get(username=DEMO_USERNAME)
        academy = academy_demo_load(system=system, today=today, seed=seed,
                                    facilitator=facilitator)
        say("Running the programme's live polls: a poll, a TRACE pulse and a template")
        from tracelead.polls.demo import polls_demo_load

        polls_demo_load(academy=academy, facilitator=facilitator, today=today, seed=seed)
        say("Recording who knew, met and works with whom: the relationships network")
        from tracelead.network.demo import network_demo_load

        network_demo_load(academy=academy, today=today, seed=seed)
        say("Keeping an action plan after a team's first round")
        from tracelead.actions.demo import actions_demo_load

        actions_demo_load(system=system, today=today, facilitator=facilitator)
        say("Evaluating the programme on four levels: feedback, self-ratings, impact")
        from tracelead.evaluation.demo import evaluation_demo_load

        evaluation_demo_load(academy=academy, facilitator=facilitator, today=today, seed=seed)
        say("Publishing the network for viewers: at the end of last month and today")
        from tracelead.network.publication import publish as network_publish

        network_publish(academy, by=facilitator, today=today.replace(day=1)
                        - dt.timedelta(days=1))
        network_publish(academy, by=facilitator, today=today)
        say("Asking the surgical division about direction, alignment and commitment")
        from tracelead.strategy.demo_rounds import dac_demo_load

        surgical = next(group for group, spec in plan
                        if spec["name"] == "Surgical Division management team")
        dac_demo_load(system=system, group=surgical, opens=rounds[1][1], closes=rounds[1][2],
                      seed=seed, before=cycles["round 2"])
    say("Publishing the closed rounds of each cycle")
    for cycle in Cycle.objects.filter(system=system).order_by("created_at", "pk"):
        publish_due(cycle, day=today)
    say("Setting out the acute trust's collective leadership strategy")
    from tracelead.strategy.demo import strategy_demo_load

    strategy_demo_load(organisation=Organisation.objects.get(
        system=system, name=ORGANISATIONS["acute"][0]),
        facilitator=get_user_model().objects.get(username=DEMO_USERNAME), today=today)
    say("Rating the ward managers on the trust's framework: 360 feedback")
    from tracelead.strategy.demo_rounds import feedback_demo_load
    from tracelead.strategy.models import Strategy

    feedback_demo_load(strategy=Strategy.objects.get(organisation__system=system),
                       facilitator=get_user_model().objects.get(username=DEMO_USERNAME),
                       today=today, seed=seed)
    say("Comparing how each group describes its task")
    from tracelead.words.demo import words_demo_load

    words_demo_load(system=system)
    if _mail_folder():
        say(f"Writing the pulse round's email invitations to {_mail_folder()}")
        outbox.deliver_due()
    return _summary(system, created=True)


def _season(day: dt.date) -> str:
    """A cycle's name from the month its round opened: "Spring 2026", "Autumn 2026"."""
    season = ("Winter", "Winter", "Spring", "Spring", "Spring", "Summer", "Summer", "Summer",
              "Autumn", "Autumn", "Autumn", "Winter")[day.month - 1]
    return f"{season} {day.year}"


def _open_round(system: System, group: Group, today: dt.date, rng: random.Random,
                items: list[tuple[str, str]]) -> None:
    """A pulse round still open in a third cycle: its page shows only how many answered."""
    instrument = get_instrument("trace")
    cycle = Cycle.objects.create(system=system, name=f"Pulse {today:%B %Y}")
    assessment = Assessment.objects.create(
        group=group, cycle=cycle, title=f"{group.name} – pulse, {today:%B %Y}",
        instrument_key=instrument.key, instrument_version=instrument.version,
        rater_kinds=[RaterKind.MEMBER.value], opens_on=today - dt.timedelta(days=3),
        closes_on=today + dt.timedelta(days=11),
    )
    _pulse_invitations(assessment)
    pattern = Pattern(_even(3.4, task=3.0))
    answers = [_answers(rng, items, pattern) for _ in range(6)]
    Response.objects.bulk_create(
        Response(assessment=assessment, rater_kind=RaterKind.MEMBER, answers=a,
                 packed=pack_answers(instrument.item_keys, a), submitted_on=assessment.closes_on)
        for a in answers
    )


def _pulse_invitations(assessment: Assessment) -> None:
    """Twelve people invited, six of whom have answered. Where email is written to files
    (the demo's setting), they were invited by email with the default messages; a site that
    sends email for real gets plain links, so that the demo never mails anyone."""
    if not _mail_folder():
        Invitation.objects.bulk_create(
            Invitation(assessment=assessment, token_hash=Invitation.hash_token(new_token()),
                       rater_kind=RaterKind.MEMBER, used=index < 6)
            for index in range(12)
        )
        return
    messaging.round_email_save(
        assessment=assessment,
        organiser="The Discharge Hub leadership team",
        contact="discharge.hub@example.nhs.uk",
        invitation_subject=email_texts.DEFAULT_INVITATION_SUBJECT,
        invitation_body=email_texts.DEFAULT_INVITATION_BODY,
        reminder_subject=email_texts.DEFAULT_REMINDER_SUBJECT,
        reminder_body=email_texts.DEFAULT_REMINDER_BODY,
        reminder_days="7,2",
    )
    messaging.invitees_invite(
        assessment=assessment,
        emails=[f"person{n:02d}@example.nhs.uk" for n in range(1, 13)],
        rater_kind=RaterKind.MEMBER,
    )
    answered = list(assessment.invitations.order_by("pk").values_list("pk", flat=True)[:6])
    Invitation.objects.filter(pk__in=answered).update(used=True)
    # An answered link is never needed for a reminder, so its clear copy goes.
    Invitee.objects.filter(invitation__in=answered).update(token="")
