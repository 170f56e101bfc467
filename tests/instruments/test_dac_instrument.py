"""The bundled DAC instrument (direction, alignment, commitment): its structure, its
wording, and that it is scored by the same code as TRACE."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tracelead.analysis import condition_profile
from tracelead.diagnostics.packing import answers_matrix
from tracelead.instruments import Instrument, get_instrument, load_instrument

REPO_ROOT = Path(__file__).resolve().parents[2]
DAC_YAML = REPO_ROOT / "src" / "tracelead" / "instruments" / "dac.yaml"
# As in test_trace_instrument.py: the seeds beside the repository, or where CI keeps them.
SEED_DIRS = (REPO_ROOT.parent / "shared" / "seeds", Path("/work/shared/seeds"))
SHARED_RUN = 9  # words in a row that may not be copied from a source document

OUTCOMES = ("direction", "alignment", "commitment")


@pytest.fixture(scope="module")
def dac() -> Instrument:
    return get_instrument("dac")


def test_the_bundled_dac_file_loads(dac: Instrument) -> None:
    assert (dac.key, dac.version) == ("dac", "1.0")
    assert dac.title == "Direction, alignment and commitment"
    assert dac.source_path == DAC_YAML.resolve()
    assert load_instrument(DAC_YAML) == dac


def test_it_has_the_three_outcomes_in_order(dac: Instrument) -> None:
    assert dac.scale_keys == OUTCOMES
    assert [scale.name for scale in dac.scales] == ["Direction", "Alignment", "Commitment"]


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_each_outcome_has_five_or_six_items_numbered_within_it(
    dac: Instrument, outcome: str
) -> None:
    scale = dac.scale(outcome)
    assert 5 <= len(scale.items) <= 6
    assert scale.item_keys == tuple(f"{outcome}_{n}" for n in range(1, len(scale.items) + 1))


def test_every_item_key_and_text_is_unique(dac: Instrument) -> None:
    keys = [*dac.item_keys, *(prompt.key for prompt in dac.free_text)]
    assert len(set(keys)) == len(keys)
    texts = [item.text.casefold() for item in dac.items]
    assert len(set(texts)) == len(texts)
    assert len(dac.item_scale_keys) == len(dac.items)


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_each_outcome_asks_one_question_and_offers_two_to_four_practices(
    dac: Instrument, outcome: str
) -> None:
    scale = dac.scale(outcome)
    assert scale.question.endswith("?") and scale.question.count("?") == 1
    assert 2 <= len(scale.practices) <= 4
    for practice in scale.practices:
        sentences = re.findall(r"[.!?](?:\s|$)", practice.description)
        assert 1 <= len(sentences) <= 2, practice.title


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_the_outcomes_name_no_leader_role(dac: Instrument, outcome: str) -> None:
    # DAC describes what leadership produces, not who does it: the report leaves the
    # "role this calls for" line out when a scale has none.
    assert dac.scale(outcome).role is None
    assert dac.scale(outcome).role_description is None


def test_every_item_is_a_short_statement_about_the_group(dac: Instrument) -> None:
    about_the_group = re.compile(r"\b(we|our|us|group)\b", re.IGNORECASE)
    for item in dac.items:
        assert len(item.text.split()) <= 20, item.key
        assert item.text.endswith("."), item.key
        assert "?" not in item.text, item.key
        assert about_the_group.search(item.text), item.key


def test_it_uses_traces_response_scale_and_rater_kinds(dac: Instrument) -> None:
    trace = get_instrument("trace")
    assert dac.response_scale == trace.response_scale
    assert dac.dont_know_label == trace.dont_know_label == "Don't know"
    assert [kind.key for kind in dac.rater_kinds] == ["self", "member", "stakeholder"]
    assert dac.spaces == ()


def test_its_one_prompt_asks_for_the_groups_aim_under_the_task_statement_key(
    dac: Instrument,
) -> None:
    # The key the group report's convergence reads (tracelead.words.services.TASK_PROMPT;
    # tests/diagnostics/test_dac_rounds.py checks the two stay the same).
    assert [prompt.key for prompt in dac.free_text] == ["task_statement"]
    prompt = dac.prompt("task_statement")
    assert "one sentence" in prompt.text and "achieve" in prompt.text
    assert prompt.hint and prompt.max_length == 500


# Six respondents. Direction is worked by hand below; alignment is unanimous; commitment is
# split between 1 and 5, so its level is high-ish but nothing is shared.
DIRECTION = [
    [4, 4, 4, 4, 4, 4],
    [5, 5, 5, 5, 5, 5],
    [4, 4, 4, 4, 4, 4],
    [3, 3, 3, 3, 3, 3],
    [4, 4, 4, 4, 4, None],  # "Don't know" on direction_6: stored as missing
    [4, 4, 4, 4, 4, 4],
]
COMMITMENT_BY_PERSON = [1, 5, 1, 5, 5, 5]


def _answers(dac: Instrument) -> list[dict[str, int | None]]:
    rows: list[dict[str, int | None]] = []
    for person, direction in enumerate(DIRECTION):
        answers: dict[str, int | None] = dict(
            zip(dac.scale("direction").item_keys, direction, strict=True))
        answers |= dict.fromkeys(dac.scale("alignment").item_keys, 2)
        answers |= dict.fromkeys(dac.scale("commitment").item_keys,
                                 COMMITMENT_BY_PERSON[person])
        rows.append(answers)
    return rows


def test_it_scores_level_and_sharedness_through_the_same_code_as_trace(
    dac: Instrument,
) -> None:
    values = answers_matrix(_answers(dac), dac.item_keys)
    profile = condition_profile(values, dac.item_scale_keys, scale_points=dac.scale_points)

    assert [c.key for c in profile.conditions] == list(OUTCOMES)
    assert profile.n_respondents == 6

    # Direction by hand. Each person's score is the mean of the items they answered:
    # 4, 5, 4, 3, 4, 4, so the level is 24 / 6 = 4.
    # Sharedness, rwg(j) (James, Demaree and Wolf 1984), with A = 5 points, so the
    # variance of no agreement is (A^2 - 1) / 12 = 2:
    #   direction_1..5: answers 4, 5, 4, 3, 4, 4, mean 4, variance (0+1+0+1+0+0) / 5 = 0.4
    #   direction_6:    answers 4, 5, 4, 3, 4,    mean 4, variance (0+1+0+1+0) / 4 = 0.5
    #   mean item variance s2 = (5 * 0.4 + 0.5) / 6 = 2.5 / 6; ratio r = s2 / 2 = 5 / 24
    #   rwg(j) = J (1 - r) / (J (1 - r) + r) = 6 * 19/24 / (6 * 19/24 + 5/24) = 114 / 119
    direction = profile.condition("direction")
    assert direction.n == 6
    assert direction.n_items == 6
    assert direction.mean == pytest.approx(4.0, abs=1e-12)
    assert direction.rwg_j == pytest.approx(114 / 119, abs=1e-12)

    alignment = profile.condition("alignment")
    assert (alignment.mean, alignment.rwg_j) == (pytest.approx(2.0), pytest.approx(1.0))

    # Two people at 1 and four at 5: a level of 22 / 6 hides a split group, and the
    # sharedness says so. Every item's variance is 64/15, more than the 2 of no agreement,
    # so rwg(j) is set to 0.
    commitment = profile.condition("commitment")
    assert commitment.mean == pytest.approx(22 / 6, abs=1e-12)
    assert float(np.var(COMMITMENT_BY_PERSON, ddof=1)) == pytest.approx(64 / 15, abs=1e-12)
    assert commitment.rwg_j == 0.0


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _runs(text: str, length: int = SHARED_RUN) -> set[tuple[str, ...]]:
    tokens = _words(text)
    return {tuple(tokens[i : i + length]) for i in range(len(tokens) - length + 1)}


def test_no_text_shares_nine_words_in_a_row_with_the_seed_documents() -> None:
    for directory in SEED_DIRS:
        if directory.is_dir():
            break
    else:
        pytest.skip("the seed documents are not available beside the repository")
    copied: set[tuple[str, ...]] = set()
    for path in sorted(directory.glob("*.txt")):
        copied |= _runs(path.read_text(encoding="utf-8", errors="replace"))
    shared = _runs(DAC_YAML.read_text(encoding="utf-8")) & copied
    assert not shared, sorted(" ".join(run) for run in shared)
