"""The words in the demo: the partnership board's task statements.

In round 1 each of the board's members describes a different task (money, winter, targets,
staff, records, screening ...): they all agree the work matters, but not what it is. Between
the rounds the board agreed one task, and in round 2 its members say it in their own
words, so the group report shows convergence rising. Each member's statement is their own
(none repeated), so the score is not raised by copies; this module works out each published round's
convergence at once, as the worker would, so the demo needs no worker running.
"""

from __future__ import annotations

from tracelead.diagnostics.models import Assessment
from tracelead.organisations.models import System

from .services import convergence_compute

#: Round 1 of the board: each member describes a different task.
BOARD_ROUND_ONE = [
    "Together we improve health and reduce inequalities across Northbrook and Vale.",
    "Our job is to balance the system's budget by the end of the financial year.",
    "To keep the hospital and social care working as one system through the winter.",
    "We are here to hit the four-hour target in the emergency department.",
    "Recruiting and keeping enough nurses and care workers in the valley.",
    "To agree one shared care record that every organisation can use.",
    "Making sure the voluntary sector gets a fair share of the funding.",
    "We oversee the building of the new community diagnostic centre.",
    "To report to NHS England on the system's performance each quarter.",
    "Cutting waiting lists for children's mental health services.",
    "Our task is to plan the merger of the two community trusts.",
    "To get more people in the poorest wards to come for cancer screening.",
    "Honestly, it is mostly a place where each organisation defends its own position.",
    "Reducing our carbon emissions across every estate and vehicle fleet.",
]

#: Round 2 of the board: one task (care closer to home that keeps people well), said many
#: ways.
BOARD_ROUND_TWO = [
    "We are here to keep people well and out of hospital by moving care closer to home.",
    "Our task is to shift care out of hospital and into the community so people stay well.",
    "To bring care closer to people's homes so that fewer of them need a hospital bed.",
    "Keeping people healthy at home, with care in the community instead of in hospital.",
    "We move care from the hospital into neighbourhoods so people stay well at home.",
    "Care closer to home, so that people stay well and only go to hospital when they must.",
    "To keep people out of hospital by giving them the care they need in their community.",
    "Moving care out of the hospital and nearer to where people live, to keep them well.",
    "Helping people stay well at home with community care, so fewer need hospital.",
    "Our purpose is care in the community that keeps people well and out of hospital.",
    "We shift care from hospital wards to homes and neighbourhoods to keep people well.",
    "Bringing care nearer to home so people stay healthy and avoid a hospital stay.",
    "To keep people well at home by moving care out of hospital into the community.",
    "Care in people's own communities, keeping them well and out of hospital beds.",
]


def words_demo_load(*, system: System) -> int:
    """Compute the convergence of every published round of the demo system; how many."""
    done = 0
    for assessment in Assessment.objects.filter(group__system=system).order_by("pk"):
        if convergence_compute(assessment_id=assessment.pk) is not None:
            done += 1
    return done
