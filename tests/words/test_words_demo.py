"""The demo's story for the words: the partnership board describes many tasks in round 1
and one task in round 2, so its convergence rises (tracelead.words.demo)."""

from __future__ import annotations

import pytest

from tracelead.analysis import text


@pytest.mark.parametrize("method", ["tfidf", pytest.param("minilm", marks=pytest.mark.skipif(
    not text.minilm_available(), reason="the words extra is not installed"))])
def test_the_boards_convergence_rises_between_the_demo_rounds(method: str) -> None:
    from tracelead.words.demo import BOARD_ROUND_ONE, BOARD_ROUND_TWO

    # Ten or eleven of the fourteen answer the task question (the demo's 80%).
    first = text.convergence(BOARD_ROUND_ONE[:11], method=method)
    second = text.convergence(BOARD_ROUND_TWO[:11], method=method)
    assert first.band == "not shared"
    assert second.band == "shared"
    assert len(second.clusters) == 1
    assert second.score - first.score >= 50
