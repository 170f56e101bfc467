"""Statements with a known structure, written for the words tests.

THREE_TASKS: eighteen statements paraphrasing three distinct tasks (six each), mixed in
a fixed order; THREE_TASKS_GROUPS gives each statement's task. The paraphrases share a
few content words, so that word counting (TF-IDF) can find the groups as well as the
sentence model: this is the "easy" fixture.

PARAPHRASES and UNRELATED: eight near-paraphrases of one task, and eight statements of
eight unrelated tasks.
"""

from __future__ import annotations

DISCHARGE = [
    "Reduce the delays in discharging patients from hospital once they are medically fit.",
    "Get medically fit patients discharged from hospital without long delays.",
    "Our aim is fewer delayed discharges, so patients leave hospital when they are ready.",
    "Speed up hospital discharge for patients who no longer need a hospital bed.",
    "Cut the waiting that keeps patients in hospital after they are fit for discharge.",
    "Make discharge from hospital quicker and safer for patients who are ready to go.",
]
WELLBEING = [
    "Look after staff wellbeing so that our nurses and carers stay in their jobs.",
    "Improve the wellbeing of staff and stop so many experienced staff leaving.",
    "Keep our staff well and keep them working here: retention through wellbeing.",
    "Support staff wellbeing, reduce burnout and hold on to the staff we have.",
    "Make this a place where staff feel well looked after and want to stay.",
    "Better staff wellbeing so that fewer staff leave the service each year.",
]
CRISIS = [
    "Join up mental health crisis care between the police, ambulance and hospital.",
    "Give people in a mental health crisis one joined-up response instead of three.",
    "Bring crisis mental health services together so that people get help in one place.",
    "Make sure someone in mental health crisis is seen by the right team first time.",
    "Create a single mental health crisis pathway shared across our organisations.",
    "Stop people in a mental health crisis being passed between services.",
]

# A fixed mixing order: statement i of the mixed list is task ORDER[i][0], number [1].
ORDER = [("D", 0), ("W", 0), ("C", 0), ("W", 1), ("D", 1), ("C", 1), ("C", 2), ("D", 2),
         ("W", 2), ("D", 3), ("W", 3), ("C", 3), ("W", 4), ("C", 4), ("D", 4), ("C", 5),
         ("D", 5), ("W", 5)]
_SOURCE = {"D": DISCHARGE, "W": WELLBEING, "C": CRISIS}
THREE_TASKS = [_SOURCE[task][i] for task, i in ORDER]
THREE_TASKS_GROUPS = [task for task, _ in ORDER]

PARAPHRASES = [
    "We are here to reduce waiting times for planned surgery.",
    "Our task is to cut how long people wait for their operations.",
    "To bring down the waiting list for planned operations.",
    "Shorten the time patients wait for elective surgery.",
    "Get people their planned operations sooner than they do now.",
    "Reduce the waits for non-urgent surgery in our hospitals.",
    "Make waiting lists for operations shorter.",
    "We want patients to wait less for routine surgery.",
]
UNRELATED = [
    "We are here to reduce waiting times for planned surgery.",
    "Recruit more foster carers for teenagers in the county.",
    "Cut the carbon footprint of our vehicle fleet.",
    "Raise the number of people who attend breast screening.",
    "Move the pharmacy stock system onto new software.",
    "Plan the merger of two community trusts next spring.",
    "Help school nurses spot early signs of eating disorders.",
    "Improve the food served to inpatients on the wards.",
]

# Comments that a facilitator would sort: two themes, and planted names in three of them.
CHANGES = [
    "More protected time to plan together across teams.",
    "Protected planning time every month, away from the ward.",
    "Time set aside to plan together instead of firefighting.",
    "Since Sarah left nobody runs the huddle properly.",
    "Clearer decisions about who owns what after each meeting.",
    "Decisions written down with a clear owner for each action.",
    "Our matron should not decide everything on her own.",
    "Agree an owner for every decision before the meeting ends.",
    "Ward 7 never hears about the decisions that affect it.",
    "Plan the rota together so time is protected for planning.",
]
