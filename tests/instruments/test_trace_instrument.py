"""The bundled TRACE diagnostic: its structure, and the quality rules its wording keeps."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracelead.instruments import Instrument, get_instrument, load_instrument

REPO_ROOT = Path(__file__).resolve().parents[2]
TRACE_YAML = REPO_ROOT / "src" / "tracelead" / "instruments" / "trace.yaml"
# CI keeps the source documents beside the repository; locally they may be elsewhere.
SEED_DIRS = (REPO_ROOT.parent / "shared" / "seeds", Path("/work/shared/seeds"))
SHARED_RUN = 9  # words in a row that may not be copied from a source document

CONDITIONS = ("task", "route", "alignment", "capability", "energy")
ROLES = {
    "task": "Architect",
    "route": "Architect",
    "alignment": "Composer",
    "capability": "Coach",
    "energy": "Champion",
}


@pytest.fixture(scope="module")
def trace() -> Instrument:
    return get_instrument("trace")


def words(text: str) -> list[str]:
    """Lower-case words, splitting at every non-alphanumeric character.

    Splitting at apostrophes and hyphens too ("don't" is two words) makes copied runs
    look longer, never shorter, so the check errs on the strict side.
    """
    return re.findall(r"[a-z0-9]+", text.lower())


def runs(text: str, length: int = SHARED_RUN) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + length]) for i in range(len(tokens) - length + 1)}


def all_texts(value: object) -> Iterator[str]:
    """Every string held anywhere in a loaded instrument."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from all_texts(getattr(value, field.name))
    elif isinstance(value, tuple):
        for entry in value:
            yield from all_texts(entry)


def test_the_bundled_trace_file_loads(trace: Instrument) -> None:
    assert trace.key == "trace"
    assert trace.version == "1.0"
    assert trace.source_path == TRACE_YAML.resolve()
    assert load_instrument(TRACE_YAML) == trace


def test_it_has_the_five_conditions_in_order(trace: Instrument) -> None:
    assert trace.scale_keys == CONDITIONS
    assert [scale.name for scale in trace.scales] == [
        "Task",
        "Route",
        "Alignment",
        "Capability",
        "Energy",
    ]


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_condition_has_six_to_eight_items(trace: Instrument, condition: str) -> None:
    assert 6 <= len(trace.scale(condition).items) <= 8


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_condition_names_the_leader_role_it_calls_for(
    trace: Instrument, condition: str
) -> None:
    scale = trace.scale(condition)
    assert scale.role == ROLES[condition]
    assert scale.role_description is not None
    assert ROLES[condition] in scale.role_description


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_condition_offers_four_to_six_practices(trace: Instrument, condition: str) -> None:
    practices = trace.scale(condition).practices
    assert 4 <= len(practices) <= 6
    for practice in practices:
        assert practice.title
        sentences = re.findall(r"[.!?](?:\s|$)", practice.description)
        assert 1 <= len(sentences) <= 2, practice.title


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_condition_asks_one_question(trace: Instrument, condition: str) -> None:
    question = trace.scale(condition).question
    assert question.endswith("?")
    assert question.count("?") == 1


def test_item_keys_are_numbered_within_their_condition(trace: Instrument) -> None:
    for scale in trace.scales:
        assert scale.item_keys == tuple(f"{scale.key}_{n}" for n in range(1, len(scale.items) + 1))


def test_item_scale_keys_line_up_with_items(trace: Instrument) -> None:
    assert len(trace.item_scale_keys) == len(trace.items) == 35
    for item, scale_key in zip(trace.items, trace.item_scale_keys, strict=True):
        assert item in trace.scale(scale_key).items
        assert trace.item(item.key) == item


def test_every_item_text_is_unique(trace: Instrument) -> None:
    texts = [item.text.casefold() for item in trace.items]
    assert len(set(texts)) == len(texts)


def test_every_item_is_a_short_statement_about_the_group(trace: Instrument) -> None:
    about_the_group = re.compile(r"\b(we|our|us|group)\b", re.IGNORECASE)
    for item in trace.items:
        assert len(item.text.split()) <= 20, item.key
        assert item.text.endswith("."), item.key
        assert "?" not in item.text, item.key
        assert about_the_group.search(item.text), item.key


def test_the_response_scale_is_five_point_agreement_with_dont_know(trace: Instrument) -> None:
    assert trace.scale_points == 5
    assert [option.value for option in trace.response_scale] == [1, 2, 3, 4, 5]
    assert trace.response_scale[0].label == "Strongly disagree"
    assert trace.response_scale[-1].label == "Strongly agree"
    assert trace.dont_know_label == "Don't know"


def test_it_asks_for_a_task_statement_and_one_change(trace: Instrument) -> None:
    assert [prompt.key for prompt in trace.free_text] == ["task_statement", "one_change"]
    for prompt in trace.free_text:
        assert prompt.hint
        assert 100 <= prompt.max_length <= 1000


def test_it_supports_self_member_and_stakeholder_raters(trace: Instrument) -> None:
    assert [kind.key for kind in trace.rater_kinds] == ["self", "member", "stakeholder"]
    assert all(kind.label and kind.description for kind in trace.rater_kinds)


def test_it_describes_the_four_spaces(trace: Instrument) -> None:
    assert [space.key for space in trace.spaces] == ["self", "team", "organisation", "system"]


def test_it_takes_about_eight_minutes_and_explains_itself(trace: Instrument) -> None:
    assert 5 <= trace.minutes <= 12
    assert trace.introduction
    assert trace.instructions


def seed_runs() -> set[tuple[str, ...]]:
    for directory in SEED_DIRS:
        if directory.is_dir():
            found: set[tuple[str, ...]] = set()
            for path in sorted(directory.glob("*.txt")):
                found |= runs(path.read_text(encoding="utf-8", errors="replace"))
            return found
    pytest.skip("the seed documents are not available beside the repository")


def test_no_text_shares_nine_words_in_a_row_with_the_seed_documents(
    trace: Instrument,
) -> None:
    copied = seed_runs()
    offending = {
        text: sorted(" ".join(run) for run in runs(text) & copied)
        for text in [*all_texts(trace), TRACE_YAML.read_text(encoding="utf-8")]
        if runs(text) & copied
    }
    assert not offending, offending
