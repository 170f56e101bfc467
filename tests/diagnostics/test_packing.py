"""Answers packed one digit each: round trip, and a loud refusal of what does not fit."""

from __future__ import annotations

import numpy as np
import pytest

from tracelead.diagnostics.packing import answers_matrix, pack_answers, unpack_answers

KEYS = ("a", "b", "c", "d")

pytestmark = pytest.mark.no_database


def test_packed_answers_decode_to_the_same_matrix_as_the_json() -> None:
    answers = [{"a": 1, "b": None, "c": 5, "d": 9}, {"a": 3, "c": 2}]
    packed = [pack_answers(KEYS, a) for a in answers]
    assert packed == ["1059", "3020"]
    np.testing.assert_array_equal(unpack_answers(packed, 4), answers_matrix(answers, KEYS))


def test_an_answer_of_ten_or_more_is_refused_not_turned_into_dont_know() -> None:
    with pytest.raises(ValueError, match="does not fit one digit"):
        pack_answers(KEYS, {"a": 10})


def test_rows_of_another_width_are_read_from_their_json() -> None:
    answers = [{"a": 2, "b": 2, "c": 2, "d": 2}, {"a": 4, "b": 1, "c": None, "d": 3}]
    values = unpack_answers(["2222", "41"], 4, answers=answers, keys=KEYS)
    np.testing.assert_array_equal(values[1], [4, 1, np.nan, 3])
    with pytest.raises(ValueError, match="do not fit"):
        unpack_answers(["2222", "41"], 4)
