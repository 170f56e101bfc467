"""The demo's leadership strategy: Northbrook University Hospitals, part-way through.

The board agreed the culture it wants and its values, started from the default framework
and has since adapted it twice (a behaviour for consultants leading ward rounds, and
"Using data well" sharpened after the board's data review). Its inventory shows where the
strategy bites: ward managers and matrons are short, and three formal roles have no one
ready to step in.
"""

from __future__ import annotations

from typing import Any

from tracelead.organisations.models import Group, Organisation

from . import services
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


def strategy_demo_load(*, organisation: Organisation, facilitator: Any) -> Strategy:
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
    return strategy
