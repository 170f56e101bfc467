"""Which condition a group should work on next, from its level and its sharedness."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .agreement import SHARED_ABOVE, agreement_band
from .profile import ConditionResult, GroupProfile

__all__ = ["Focus", "FocusReason", "RankedCondition", "focus_condition"]

FocusReason = Literal[
    "rated_well_not_shared", "not_shared", "lowest_level", "strength", "no_data"
]

# Rank of each reason: lower comes first.
_REASON_ORDER: dict[str, int] = {
    "rated_well_not_shared": 0,
    "not_shared": 0,
    "lowest_level": 1,
    "strength": 2,
    "no_data": 3,
}


@dataclass(frozen=True)
class RankedCondition:
    """One condition's place in the focus ranking.

    ``reason`` is a machine-readable code (see :func:`focus_condition`); ``band`` the
    agreement band of ``sharedness`` (``""`` when rwg(j) could not be computed).
    """

    condition: str
    reason: FocusReason
    level: float
    sharedness: float
    band: str
    n: int


@dataclass(frozen=True)
class Focus:
    """The condition a group should work on next (see :func:`focus_condition`).

    ``role`` is the leadership role the instrument assigns to the condition (for TRACE:
    Architect, Composer, Coach or Champion), or None if no ``roles`` mapping was given.
    ``ranking`` lists every condition, the focus first.
    """

    condition: str
    reason: FocusReason
    level: float
    sharedness: float
    band: str
    role: str | None
    ranking: tuple[RankedCondition, ...]


def _classify(result: ConditionResult, agreement_threshold: float, good_level: float
              ) -> FocusReason:
    if result.n == 0 or math.isnan(result.mean):
        return "no_data"
    known_sharedness = not math.isnan(result.rwg_j)
    if known_sharedness and result.rwg_j <= agreement_threshold:
        return "rated_well_not_shared" if result.mean >= good_level else "not_shared"
    if result.mean < good_level:
        return "lowest_level"
    return "strength"


def focus_condition(
    profile: GroupProfile,
    *,
    agreement_threshold: float = SHARED_ABOVE,
    good_level: float | None = None,
    roles: Mapping[str, str] | None = None,
) -> Focus:
    """Choose the condition a group should work on next, using level and sharedness.

    Parameters
    ----------
    profile : GroupProfile
        The group's profile from :func:`tracelead.analysis.condition_profile`.
    agreement_threshold : float, default 0.50
        rwg(j) at or below which a condition counts as *not shared*. The default is the
        top of LeBreton and Senter's (2008) "weak agreement" band, so only moderate
        (> .50) or better agreement counts as shared.
    good_level : float, optional
        Mean at or above which a condition is *rated well*. Default: three quarters of
        the way up the scale, 1 + 0.75 (A - 1), which is 4.0 on a five-point scale.
    roles : mapping of str to str, optional
        The role each condition calls for, from the instrument file (for TRACE, task and
        route: Architect; alignment: Composer; capability: Coach; energy: Champion).

    Returns
    -------
    Focus
        The first condition of the ranking, its reason, level, sharedness, agreement
        band and role, and the full ranking.

    Raises
    ------
    ValueError
        If an option is out of range or no condition has any score.

    Notes
    -----
    Each condition gets one reason code, from first to last priority:

    1. ``"rated_well_not_shared"``: rwg(j) <= ``agreement_threshold`` and mean >=
       ``good_level``. A high average over a split group hides people who rate the
       condition poorly; the group does not share it, which is a finding in itself.
    2. ``"not_shared"``: rwg(j) <= ``agreement_threshold`` and mean < ``good_level``.
    3. ``"lowest_level"``: shared (or sharedness unknown, e.g. one respondent) and mean
       < ``good_level``.
    4. ``"strength"``: shared and rated well.
    5. ``"no_data"``: no respondent has a score.

    The model holds that leadership is the *shared* ownership of the conditions, so a
    condition the group does not share comes before one it agrees is weak. Within codes
    1 and 2 (one tier), the least shared condition comes first (lower rwg(j)), then the
    lower mean; within codes 3 and 4 the lower mean comes first. Remaining ties keep the
    instrument's order (for TRACE: Task, Route, Alignment, Capability, Energy, each
    building on the one before). If every condition is a strength, the focus is the
    lowest-rated strength: there is always a next step.

    References
    ----------
    LeBreton, J. M., & Senter, J. L. (2008). *Organizational Research Methods*, 11(4),
    815-852 (agreement bands).
    Chan, D. (1998). Functional relations among constructs in the same content domain at
    different levels of analysis. *Journal of Applied Psychology*, 83(2), 234-246
    (dispersion as a construct in its own right).

    Examples
    --------
    >>> from tracelead.analysis import condition_profile
    >>> p = condition_profile([[5, 3], [1, 3], [5, 2], [1, 3]], ["task", "route"])
    >>> f = focus_condition(p, roles={"task": "Architect", "route": "Architect"})
    >>> f.condition, f.reason, f.role
    ('task', 'not_shared', 'Architect')

    Validated against: the rule table in ``tests/analysis/test_focus.py``.
    """
    if isinstance(agreement_threshold, bool) or not isinstance(agreement_threshold,
                                                               numbers.Real):
        raise ValueError(f"agreement_threshold must be a number in [0, 1]; "
                         f"got {agreement_threshold!r}")
    threshold = float(agreement_threshold)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"agreement_threshold must be in [0, 1]; got {agreement_threshold}")
    a = profile.scale_points
    if good_level is None:
        good = 1.0 + 0.75 * (a - 1)
    else:
        good = float(good_level)
        if math.isnan(good) or not 1.0 <= good <= a:
            raise ValueError(f"good_level must be between 1 and scale_points ({a}); "
                             f"got {good_level!r}")
    if not profile.conditions:
        raise ValueError("the profile has no conditions to choose from")

    ranked: list[tuple[tuple[float, ...], RankedCondition]] = []
    for position, result in enumerate(profile.conditions):
        reason = _classify(result, threshold, good)
        tier = _REASON_ORDER[reason]
        share = result.rwg_j
        mean = result.mean
        if tier == 0:
            key: tuple[float, ...] = (tier, share, mean, position)
        elif tier in (1, 2):
            key = (tier, mean, 0.0, position)
        else:
            key = (tier, 0.0, 0.0, position)
        band = "" if math.isnan(share) else agreement_band(share)
        ranked.append((key, RankedCondition(
            condition=result.key, reason=reason, level=mean, sharedness=share, band=band,
            n=result.n,
        )))
    ranked.sort(key=lambda pair: pair[0])
    ranking = tuple(item for _, item in ranked)
    top = ranking[0]
    if top.reason == "no_data":
        raise ValueError("no condition has a score in this profile, so there is no focus")
    role = None if roles is None else roles.get(top.condition)
    return Focus(
        condition=top.condition, reason=top.reason, level=top.level,
        sharedness=top.sharedness, band=top.band, role=role, ranking=ranking,
    )
