"""The demo's leadership strategy: Northbrook University Hospitals, part-way through.

The board agreed the culture it wants and its values, started from the default framework
and has since adapted it twice (a behaviour for consultants leading ward rounds, and
"Using data well" sharpened after the board's data review). Its inventory shows where the
strategy bites: ward managers and matrons are short, and three formal roles have no one
ready to step in. Discovery and design are done; implementation is under way with one
milestone overdue; sickness absence and temporary staffing spend have fallen since the
framework was agreed, and engagement has risen a little.

Its development plan sends ward managers and whoever becomes head of patient flow through
the system academy's "Leading for Whole-System Change" (the discharge problem), clinical
directors to its capability offer and the staff network chairs to its learning community;
matrons, with no one ready to step in and nothing planned, are the gap the board sees (its
succession plans for them are overdue). Its diversity figures were published seven months
ago: Black, Asian and minority ethnic staff hold about one leadership post in seven against
nearly three in ten of the workforce. Last month's figures, with more of them in post, are a
draft waiting to be published.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tracelead.organisations.models import Group, Organisation

from . import services
from .development import development_link_add
from .diversity import diversity_import, diversity_publish
from .models import Strategy

CULTURE = ("Every member of staff can raise a concern and see it acted on; teams own the "
           "quality of their care and improve it together with patients; leaders at every "
           "level look across the hospital and beyond it, and put the people we serve ahead "
           "of any department's credit.")
VALUES = ["Compassion", "Openness", "Improvement", "Working together"]

# title, kind, needed, in post, clinical, succession, behaviours, skills, group names
POSITIONS: list[tuple[str, str, int, int, bool, str, list[str], str, list[str]]] = [
    ("Board member", "formal", 14, 13, False, "ready_later",
     ["accountability", "system-problems", "direction"], "Assurance; strategy", []),
    ("Clinical director", "formal", 8, 7, True, "ready_now",
     ["clinical-direction", "using-data", "improving-care"], "Service planning; budgets",
     ["Surgical Division management team"]),
    ("Divisional manager", "formal", 6, 6, False, "ready_later",
     ["accountability", "alignment"], "Operational planning", []),
    ("Matron", "formal", 24, 19, True, "none",
     ["compassion", "poor-performance", "improving-care"], "Safe staffing; quality",
     ["Emergency Department leadership team"]),
    ("Ward manager", "formal", 58, 47, True, "none",
     ["ward-leadership", "compassion", "poor-performance"], "Rostering; coaching",
     ["Discharge Hub"]),
    ("Consultant leading ward rounds", "formal", 40, 40, True, "ready_now",
     ["leading-ward-rounds", "patients-and-carers"], "", []),
    ("Head of patient flow", "formal", 1, 0, False, "none",
     ["system-problems", "across-boundaries"], "Partnership working with the council",
     ["Discharge Hub"]),
    ("Freedom to speak up guardians", "informal", 6, 4, False, "none",
     ["compassion", "staff-in-decisions"], "", []),
    ("Staff network chairs", "informal", 5, 5, False, "none",
     ["staff-in-decisions", "patients-and-carers"], "", []),
]


# phase, title, months from today (negative: past), owner, status, evidence
MILESTONES: list[tuple[str, str, int, str, str, str]] = [
    ("commitment", "Board agrees to own a collective leadership strategy", -14,
     "Chair", "done", "Board minute, public meeting"),
    ("discovery", "Staff survey and listening events on the culture we have", -11,
     "Director of people", "done", "Discovery report to the board"),
    ("design", "Culture statement, values and behaviour framework agreed", -8,
     "Director of people", "done", "Framework version 1 approved"),
    ("design", "Leadership inventory and succession review", -6, "Chief operating officer",
     "done", "Inventory in tracelead"),
    ("implementation", "Every ward manager through the academy's leadership programme", 4,
     "Director of nursing", "in_progress", ""),
    ("implementation", "Succession plans for matrons and ward managers", -1,
     "Director of nursing", "in_progress", ""),
    ("evaluation", "First evaluation of the strategy to the board", 8, "Chair",
     "not_started", ""),
]


# position, "offer" or "programme", its name, what the board intends
DEVELOPMENT: list[tuple[str, str, str, str]] = [
    ("Ward manager", "programme", "Leading for Whole-System Change",
     "Every ward manager through it by the end of the year, the discharge wards first"),
    ("Head of patient flow", "programme", "Leading for Whole-System Change",
     "Whoever is appointed joins the programme's work on getting people home"),
    ("Clinical director", "offer", "Capability development",
     "Workshops on leading across boundaries for new clinical directors"),
    ("Staff network chairs", "offer", "Community development",
     "The chairs join the academy's learning community"),
]

# dimension, category, then post-holders and workforce as published seven months ago and
# as counted last month (a draft). Every dimension counts 133 then 141 post-holders (as in
# the inventory today) in a workforce of 11,380 then 11,500. Each count shown in both, of
# post-holders and of staff, has moved by 0 or at least 5 (every staff count by 0 or at
# least 10), so the draft passes the check over time.
DIVERSITY: list[tuple[str, str, int, int, int, int]] = [
    ("sex", "Female", 78, 8_760, 84, 8_850),
    ("sex", "Male", 53, 2_590, 55, 2_620),
    ("sex", "Not stated", 2, 30, 2, 30),
    ("ethnicity", "White", 114, 7_950, 114, 7_960),
    ("ethnicity", "Black, Asian and minority ethnic", 19, 3_310, 27, 3_420),
    ("ethnicity", "Not stated", 0, 120, 0, 120),
    ("disability", "Disabled", 6, 520, 6, 560),
    ("disability", "Not disabled", 111, 9_900, 119, 9_990),
    ("disability", "Not stated", 16, 960, 16, 950),
    ("age band", "Under 40", 14, 5_120, 14, 5_180),
    ("age band", "40 to 54", 78, 4_210, 86, 4_250),
    ("age band", "55 and over", 41, 2_050, 41, 2_070),
]


def _development(strategy: Strategy) -> None:
    from tracelead.academy.models import Academy

    academy = Academy.objects.filter(system_id=strategy.organisation.system_id).first()
    if academy is None:  # a demo without its academy: the page says so
        return
    for title, kind, name, note in DEVELOPMENT:
        position = strategy.positions.get(title=title)
        if kind == "programme":
            development_link_add(strategy=strategy, position=position, note=note,
                                 programme=academy.programmes.get(name=name))
        else:
            development_link_add(strategy=strategy, position=position, note=note,
                                 offer=academy.offers.get(name=name))


def _diversity(strategy: Strategy, day: dt.date) -> None:
    for as_of, holders, workforce, publish in ((_months(day, -7), 2, 3, True),
                                               (_months(day, -1), 4, 5, False)):
        rows = [f'{row[0]},"{row[1]}",{row[holders]},{row[workforce]}' for row in DIVERSITY]
        data = "\n".join(["dimension,category,holders,workforce", *rows]).encode()
        imported = diversity_import(strategy=strategy, data=data, filename="demo.csv",
                                    as_of=as_of)
        if imported.snapshot is None:
            raise RuntimeError(f"The demo's diversity figures are wrong: {imported.problems}")
        if publish:
            published = diversity_publish(snapshot=imported.snapshot)
            # Published three weeks after the count, as the story has it, not today.
            published.published_at = timezone.make_aware(
                dt.datetime.combine(as_of + dt.timedelta(days=21), dt.time(10)))
            published.save(update_fields=["published_at"])


def _months(today: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` from today's month."""
    index = today.year * 12 + today.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def strategy_demo_load(*, organisation: Organisation, facilitator: Any,
                       today: dt.date | None = None) -> Strategy:
    strategy = services.strategy_create(organisation=organisation, user=facilitator)
    services.culture_save(strategy=strategy, culture=CULTURE, values=VALUES)
    services.behaviour_save(
        strategy=strategy, kind="role", role="Consultants", user=facilitator,
        title="Leading ward rounds",
        description="Runs the ward round so that nurses, therapists, patients and families "
                    "are heard, and every patient leaves it with a plan for going home.")
    services.behaviour_save(
        strategy=strategy, key="using-data", kind="every", user=facilitator,
        title="Using data well",
        description="Looks at outcomes, experience, waiting and cost together before acting, "
                    "shares the same figures with partners, and says what the data cannot "
                    "show.")
    groups = {g.name: g for g in Group.objects.filter(organisation=organisation)}
    for (title, kind, needed, in_post, clinical, succession, behaviours, skills,
         where) in POSITIONS:
        services.position_save(
            strategy=strategy, title=title, kind=kind, needed=needed, in_post=in_post,
            clinical=clinical, succession=succession, behaviours=behaviours, skills=skills,
            groups=[groups[name] for name in where if name in groups])
    day = today or timezone.localdate()
    for phase, title, months, owner, status, evidence in MILESTONES:
        services.milestone_save(strategy=strategy, phase=phase, title=title,
                                due_on=_months(day, months), owner=owner, status=status,
                                evidence=evidence)
    engagement, sickness, spend = services.outcomes_standard(strategy=strategy)
    # Monthly sickness and temporary staffing over 18 months: flat, then falling once the
    # framework is in use; the staff survey's engagement once a year, rising a little.
    for m in range(-18, 0):
        on = _months(day, m)
        after = max(0, m + 8)  # months since the framework was agreed
        services.outcome_value_save(outcome=sickness, on=on, today=day,
                                    value=round(5.6 - 0.06 * after + 0.2 * ((m % 3) - 1), 2))
        services.outcome_value_save(outcome=spend, on=on, today=day,
                                    value=round(2_450 - 45 * after + 60 * ((m % 4) - 1.5)))
    for m, value in ((-26, 6.6), (-14, 6.7), (-2, 6.9)):
        services.outcome_value_save(outcome=engagement, on=_months(day, m), today=day,
                                    value=value)
    _development(strategy)
    _diversity(strategy, day)
    return strategy
