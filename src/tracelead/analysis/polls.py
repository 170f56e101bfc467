"""Results of live poll questions: scales, choices, rankings, word clouds, the TRACE pulse,
and the merging of small categories before results are broken down by group.

Pure Python and NumPy, like the rest of the core: the web application fetches the votes
and calls these functions on every refresh of the presenter view.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .focus import Focus, focus_condition
from .profile import GroupProfile, condition_profile

__all__ = [
    "CategoryMerge",
    "Pulse",
    "RankingResult",
    "ScaleResult",
    "merge_small_categories",
    "normalise_word",
    "pulse",
    "ranking_result",
    "scale_result",
    "word_counts",
]


@dataclass(frozen=True)
class ScaleResult:
    """How a scale question was answered: ``counts[k]`` answers of ``low + k``."""

    low: int
    high: int
    counts: tuple[int, ...]
    n: int
    mean: float


def scale_result(values: npt.ArrayLike, *, low: int, high: int) -> ScaleResult:
    """Counts and mean of whole-number answers on the scale ``low..high``.

    Parameters
    ----------
    values : array-like of int, shape (n,)
        The answers.
    low, high : int
        The ends of the scale (``low < high``).

    Returns
    -------
    ScaleResult
        Counts per point, the number of answers and their mean (NaN with none).

    Raises
    ------
    ValueError
        If ``low >= high`` or an answer is not a whole number on the scale.

    Examples
    --------
    >>> r = scale_result([1, 5, 5, 3], low=1, high=5)
    >>> r.counts, r.mean
    ((1, 0, 1, 0, 2), 3.5)

    Validated against: hand counts in ``tests/analysis/test_polls_analysis.py``.
    """
    if not low < high:
        raise ValueError(f"a scale needs low < high; got {low} and {high}")
    x = np.asarray(values, dtype=float).reshape(-1)
    if x.size and (np.isnan(x).any() or (x != np.round(x)).any()
                   or x.min() < low or x.max() > high):
        raise ValueError(f"answers must be whole numbers from {low} to {high}")
    counts = np.bincount((x - low).astype(np.int64), minlength=high - low + 1)
    n = int(x.size)
    mean = float(x.mean()) if n else float("nan")
    return ScaleResult(low=low, high=high, counts=tuple(int(c) for c in counts), n=n,
                       mean=mean)


@dataclass(frozen=True)
class RankingResult:
    """Rankings of ``n_options`` options. ``mean_position[i]`` is option i's average
    place (1 = first), ``points[i]`` its Borda count; ``order`` lists the options from
    the most to the least preferred."""

    n: int
    mean_position: tuple[float, ...]
    points: tuple[int, ...]
    order: tuple[int, ...]


def ranking_result(rankings: Sequence[Sequence[int]], *, n_options: int) -> RankingResult:
    """Combine complete rankings by their Borda count.

    Parameters
    ----------
    rankings : sequence of sequences of int
        Each ranking lists the option indices ``0..n_options-1``, most preferred first,
        each exactly once.
    n_options : int
        Number of options (at least 2).

    Returns
    -------
    RankingResult

    Raises
    ------
    ValueError
        If a ranking is not a permutation of the options.

    Notes
    -----
    An option in place :math:`p` (1-based) of one ranking earns :math:`m - p` points, where
    :math:`m` is the number of options (Borda 1781); the order is by points, ties broken by
    the options' order. Points and mean position carry the same information
    (:math:`\\text{points}_i = n (m - \\bar p_i)`); both are shown because rooms read
    "average place" and analysts expect Borda.

    References
    ----------
    de Borda, J.-C. (1781). Mémoire sur les élections au scrutin. *Histoire de
    l'Académie Royale des Sciences*.

    Examples
    --------
    >>> r = ranking_result([[0, 1, 2], [1, 0, 2], [0, 2, 1]], n_options=3)
    >>> r.points, r.order
    ((5, 3, 1), (0, 1, 2))

    Validated against: hand calculation in ``tests/analysis/test_polls_analysis.py``.
    """
    m = int(n_options)
    if m < 2:
        raise ValueError(f"a ranking needs at least 2 options; got {n_options}")
    r = np.asarray(list(rankings), dtype=np.int64).reshape(-1, m) if len(rankings) else (
        np.zeros((0, m), dtype=np.int64))
    if r.size and not (np.sort(r, axis=1) == np.arange(m)).all():
        raise ValueError(f"each ranking must list the options 0..{m - 1} once each")
    n = r.shape[0]
    positions = np.empty_like(r)
    rows = np.arange(n)[:, None]
    positions[rows, r] = np.arange(1, m + 1)
    total = positions.sum(axis=0)
    points = n * m - total
    mean_position = total / n if n else np.full(m, np.nan)
    order = sorted(range(m), key=lambda i: (-int(points[i]), i))
    return RankingResult(n=n, mean_position=tuple(float(v) for v in mean_position),
                         points=tuple(int(p) for p in points), order=tuple(order))


_SPACES = re.compile(r"\s+")


def normalise_word(word: str) -> str:
    """A word-cloud entry as it is counted: Unicode NFKC, lower case, one space between
    words, no surrounding punctuation. ``""`` if nothing is left.

    >>> normalise_word("  Trust!! "), normalise_word("Co-Production")
    ('trust', 'co-production')
    """
    text = unicodedata.normalize("NFKC", word).casefold()
    text = _SPACES.sub(" ", text).strip()
    return text.strip(".,;:!?\"'()[]{}«»“”‘’ ")


def word_counts(entries: Iterable[Iterable[str]], *, limit: int = 60
                ) -> list[tuple[str, int]]:
    """How many people gave each word (a person counts once per word).

    Parameters
    ----------
    entries : iterable of iterables of str
        Each person's words.
    limit : int, default 60
        Words returned, the most frequent first (ties alphabetical).

    Examples
    --------
    >>> word_counts([["Trust", "time"], ["trust", "TRUST"], ["data"]])
    [('trust', 2), ('data', 1), ('time', 1)]
    """
    counts: Counter[str] = Counter()
    for words in entries:
        counts.update({w for w in (normalise_word(x) for x in words) if w})
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[: max(int(limit), 0)]


@dataclass(frozen=True)
class Pulse:
    """The TRACE pulse of a room: one rating per condition from each person.

    ``profile`` holds each condition's n, level (mean) and sharedness (rwg, which for one
    item is rwg(j)); ``focus`` is the condition to talk about first (None with no
    ratings at all).
    """

    profile: GroupProfile
    focus: Focus | None


def pulse(ratings: npt.ArrayLike, conditions: Sequence[str], *, scale_points: int = 5,
          roles: Mapping[str, str] | None = None) -> Pulse:
    """Level, sharedness and focus from one statement per condition.

    Parameters
    ----------
    ratings : array-like, shape (n_people, n_conditions)
        Whole numbers 1..A; NaN where a person did not rate a condition.
    conditions : sequence of str
        The condition of each column (one column each).
    scale_points : int, default 5
    roles : mapping, optional
        The role each condition calls for (see :func:`focus_condition`).

    Returns
    -------
    Pulse

    Notes
    -----
    The same computation as a group report's profile, with one item per condition:
    :func:`condition_profile` for level and rwg, then :func:`focus_condition`. With one
    item rwg(j) equals rwg (James, Demaree and Wolf 1984), so a split room shows as not
    shared even when its mean looks comfortable.

    Examples
    --------
    >>> p = pulse([[5, 2], [1, 2], [5, 3], [1, 2]], ["task", "route"])
    >>> p.focus.condition, p.focus.reason
    ('task', 'not_shared')
    """
    keys = list(conditions)
    if len(set(keys)) != len(keys):
        raise ValueError("a pulse has one statement per condition; conditions repeat")
    x = np.asarray(ratings, dtype=float)
    if x.size == 0:
        # Nobody has rated yet: condition_profile needs a row, and a row of nothing
        # gives every condition n = 0 (no level, no sharedness) without inventing a rating.
        x = np.full((1, len(keys)), np.nan)
    profile = condition_profile(x, keys, scale_points=scale_points)
    scored = any(c.n > 0 for c in profile.conditions)
    focus = focus_condition(profile, roles=roles) if scored else None
    return Pulse(profile=profile, focus=focus)


@dataclass(frozen=True)
class CategoryMerge:
    """Categories that may be shown on their own, and those merged into one "other".

    ``shown`` maps each category shown to its count; ``merged`` lists the categories put
    together (their total is ``merged_count``, at or over the threshold, or zero when
    nothing was merged). ``withheld`` is True when no breakdown can be shown at all.
    """

    shown: dict[str, int]
    merged: tuple[str, ...]
    merged_count: int
    withheld: bool


def merge_small_categories(counts: Mapping[str, int], *, threshold: int) -> CategoryMerge:
    """Merge categories under a disclosure threshold so that none can be worked out.

    Parameters
    ----------
    counts : mapping of str to int
        People in each category (categories with none are ignored).
    threshold : int
        The smallest number of people a category shown, or the merged group, may hold.

    Returns
    -------
    CategoryMerge

    Notes
    -----
    Categories under the threshold go into one merged group. If that group is itself
    under the threshold (or holds one category, which its count would name), the smallest
    category still shown joins it, and so on. Every figure shown then covers at least
    ``threshold`` people, and since the merged group is never a single category, no
    category's figure follows from the total minus the others. If fewer than two groups
    would be left, nothing is broken down (``withheld``). This is global recoding with
    the suppression rule of Hundepool et al. (2012), ch. 5, applied to a one-way table.

    References
    ----------
    Hundepool, A., et al. (2012). *Statistical Disclosure Control*. Wiley.

    Examples
    --------
    >>> m = merge_small_categories({"acute": 9, "housing": 1, "primary": 6, "vcfse": 2},
    ...                            threshold=5)
    >>> m.shown, m.merged, m.merged_count
    ({'acute': 9}, ('housing', 'primary', 'vcfse'), 9)
    """
    if isinstance(threshold, bool) or int(threshold) < 1:
        raise ValueError(f"threshold must be a whole number of at least 1; got {threshold!r}")
    k = int(threshold)
    present = {c: int(n) for c, n in counts.items() if int(n) > 0}
    if any(n < 0 for n in counts.values()):
        raise ValueError("counts must be 0 or more")
    shown = {c: n for c, n in present.items() if n >= k}
    merged = [c for c in present if c not in shown]
    while merged and (sum(present[c] for c in merged) < k or len(merged) == 1):
        if not shown:
            break
        smallest = min(shown, key=lambda c: (shown[c], c))
        del shown[smallest]
        merged.append(smallest)
    return _merge_result(present, shown, merged, k)


def _merge_result(present: dict[str, int], shown: dict[str, int], merged: list[str],
                  k: int) -> CategoryMerge:
    merged_count = sum(present[c] for c in merged)
    groups = len(shown) + (1 if merged else 0)
    bad_merge = bool(merged) and (merged_count < k or len(merged) == 1)
    if groups < 2 or bad_merge:
        return CategoryMerge(shown={}, merged=tuple(sorted(present)),
                             merged_count=sum(present.values()), withheld=True)
    return CategoryMerge(shown=dict(sorted(shown.items(), key=lambda kv: (-kv[1], kv[0]))),
                         merged=tuple(sorted(merged)), merged_count=merged_count,
                         withheld=False)
