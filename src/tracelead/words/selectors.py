"""Reads of the words: a round's convergence as the group report shows it, and the
facilitator's themes with each quote's identifying flags."""

from __future__ import annotations

from dataclasses import dataclass, field

from tracelead.analysis.text import identifying_reasons
from tracelead.diagnostics.models import Assessment
from tracelead.instruments import get_instrument

from .models import RoundConvergence, Theme, ThemeSet
from .services import (
    MIN_STATEMENTS,
    convergence_request,
    published_statements,
    quotable_indices,
    team_names,
)


@dataclass(frozen=True)
class PreviousConvergence:
    """The group's latest earlier round whose task statements are published."""

    title: str
    state: str
    score: float | None = None
    method: str = ""

    def change_from(self, row: RoundConvergence) -> float | None:
        """This round's score less the earlier one; None if they cannot be compared (one
        is missing, or they were worked out by different methods)."""
        if self.score is None or row.score is None or self.method != row.method:
            return None
        return round(row.score - self.score, 1)


@dataclass(frozen=True)
class ConvergenceView:
    """``state``: "not_shown" (the round's comments are not published), "too_few" (fewer
    than ``MIN_STATEMENTS`` statements), "pending", "failed" or "done"."""

    state: str
    row: RoundConvergence | None = None
    previous: PreviousConvergence | None = None
    minimum: int = MIN_STATEMENTS

    @property
    def change(self) -> float | None:
        if self.row is None or self.previous is None:
            return None
        return self.previous.change_from(self.row)


def _state(assessment: Assessment) -> tuple[str, RoundConvergence | None]:
    found = published_statements(assessment)
    if found is None:
        return "not_shown", None
    upto, statements = found
    if len(statements) < MIN_STATEMENTS:
        return "too_few", None
    row = convergence_request(assessment=assessment, upto=upto)
    return str(row.status), row


def round_convergence(assessment: Assessment) -> ConvergenceView:
    """The convergence of a round's task statements, only when the gate shows the round's
    comments (``published_comments``), and the same for the group's latest earlier round
    that shows them. Asking queues the work if it has not been done."""
    state, row = _state(assessment)
    if row is None:
        return ConvergenceView(state)
    previous = None
    earlier = (Assessment.objects.filter(group_id=assessment.group_id,
                                         opens_on__lt=assessment.opens_on)
               .exclude(pk=assessment.pk).select_related("cycle", "group")
               .order_by("-opens_on", "-pk"))
    for other in earlier[:6]:
        other_state, other_row = _state(other)
        if other_state == "not_shown":
            continue
        previous = PreviousConvergence(
            title=other.title, state=other_state,
            score=other_row.score if other_row is not None else None,
            method=other_row.method if other_row is not None else "")
        break
    return ConvergenceView(state, row, previous)


# --- Themes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteView:
    index: int
    text: str
    reasons: tuple[str, ...]
    pinned: bool
    # May be pinned for the evaluation (a form's answer: its author agreed to be quoted).
    quotable: bool = True


@dataclass(frozen=True)
class ThemeView:
    theme: Theme
    quotes: list[QuoteView]
    answers: list[QuoteView]
    flagged: int


@dataclass
class ThemesPage:
    theme_set: ThemeSet | None
    themes: list[ThemeView] = field(default_factory=list)
    pins: list[QuoteView] = field(default_factory=list)
    stale: bool = False


def themes_page(theme_set: ThemeSet | None, current: list[str]) -> ThemesPage:
    """A theme set with each quote's identifying flags worked out before it is shown;
    ``stale`` when the texts have changed since the themes were made."""
    if theme_set is None:
        return ThemesPage(None)
    teams = team_names(theme_set)
    texts: list[str] = list(theme_set.texts)
    reasons = {i: identifying_reasons(t, teams=teams) for i, t in enumerate(texts)}
    page = ThemesPage(theme_set, stale=sorted(t.strip() for t in current if t.strip()) != texts)
    quotable = quotable_indices(theme_set)
    for theme in theme_set.themes.prefetch_related("pins"):
        pinned = {p.index for p in theme.pins.all()}

        def view(i: int, pinned: set[int] = pinned) -> QuoteView:
            return QuoteView(i, texts[i], reasons[i], i in pinned, i in quotable)

        answers = [view(i) for i in theme.members]
        page.themes.append(ThemeView(theme, [view(i) for i in theme.quotes], answers,
                                     sum(1 for a in answers if a.reasons)))
        page.pins += [view(p.index) for p in theme.pins.all()]
    return page


@dataclass(frozen=True)
class PromptSet:
    key: str
    prompt: str
    count: int


def round_text_sets(assessment: Assessment) -> list[PromptSet] | None:
    """The round's free-text prompts with how many answers the publication shows; None if
    its comments are not shown."""
    from tracelead.publishing.selectors import published_comments, published_round

    comments = published_comments(published_round(assessment))
    if comments is None:
        return None
    instrument = get_instrument(assessment.instrument_key, assessment.instrument_version)
    return [PromptSet(p.key, p.text, len(comments.get(p.key, [])))
            for p in instrument.free_text]


def round_texts(assessment: Assessment, prompt_key: str) -> list[str] | None:
    from tracelead.publishing.selectors import published_comments, published_round

    comments = published_comments(published_round(assessment))
    if comments is None:
        return None
    return list(comments.get(prompt_key, []))
