"""A malformed instrument file fails with a message naming the file, the line and the field.

Each case takes the small valid instrument in ``conftest.MINI_YAML`` and breaks one thing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tracelead.instruments import InstrumentError, load_instrument

WriteYaml = Callable[..., Path]
Broken = Callable[[str, str], str]


def error_for(write_yaml: WriteYaml, text: str) -> InstrumentError:
    with pytest.raises(InstrumentError) as caught:
        load_instrument(write_yaml(text))
    return caught.value


def test_the_small_instrument_used_below_is_valid(write_yaml: WriteYaml, mini_yaml: str) -> None:
    assert load_instrument(write_yaml(mini_yaml)).item_keys == ("direction_1", "direction_2")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            "        text: We know what matters most this year.\n",
            "",
            "mini.yaml, line 21: scales[0].items[1].text: field required",
            id="missing-item-text",
        ),
        pytest.param(
            "title: Mini\n",
            "",
            "mini.yaml, line 1: title: field required",
            id="missing-top-level-field",
        ),
        pytest.param(
            "scales:\n",
            "scales:\n  - key: aim\n    name: Aim\n",
            "mini.yaml, line 14: scales[0].question: field required",
            id="incomplete-scale",
        ),
        pytest.param(
            "minutes: 2",
            "minutes: eight",
            "mini.yaml, line 6: minutes: must be a whole number, got text",
            id="minutes-not-a-number",
        ),
        pytest.param(
            'version: "1.0"',
            "version: 1.0",
            'mini.yaml, line 2: version: must be text in quotes, such as "1.0"',
            id="version-unquoted",
        ),
        pytest.param(
            'version: "1.0"',
            'version: "first"',
            "mini.yaml, line 2: version: 'first' is not a version like \"1.0\"",
            id="version-not-dotted-numbers",
        ),
        pytest.param(
            "    name: Direction",
            "    name: [Direction, Aim]",
            "mini.yaml, line 15: scales[0].name: must be text, got a list",
            id="name-is-a-list",
        ),
        pytest.param(
            "    description: Shared direction.",
            "    description:",
            "mini.yaml, line 17: scales[0].description: must not be empty",
            id="empty-description",
        ),
        pytest.param(
            "  - key: direction\n",
            "  - key: direction\n    role: yes\n    role_description: A guide.\n",
            "mini.yaml, line 15: scales[0].role: must be text, got true/false (put it in quotes)",
            id="yes-read-as-a-boolean",
        ),
        pytest.param(
            "      - key: direction_2",
            "      - key: direction_1",
            "mini.yaml, line 21: scales[0].items[1].key: duplicate item or prompt key "
            "'direction_1' (first used at scales[0].items[0].key, line 19)",
            id="duplicate-item-key",
        ),
        pytest.param(
            "We know what matters most this year.",
            "We agree on where we are heading.",
            "mini.yaml, line 22: scales[0].items[1].text: duplicate item text",
            id="duplicate-item-text",
        ),
        pytest.param(
            "      - key: direction_2",
            "      - key: Direction 2",
            "mini.yaml, line 21: scales[0].items[1].key: 'Direction 2' is not a valid key",
            id="key-with-capitals-and-spaces",
        ),
        pytest.param(
            '  - value: 2\n    label: "Yes"\n',
            "",
            "mini.yaml, line 8: response_scale: must have at least 2 options",
            id="response-scale-with-one-option",
        ),
        pytest.param(
            'response_scale:\n  - value: 1\n    label: "No"\n  - value: 2\n    label: "Yes"\n',
            "response_scale: Agree or disagree\n",
            "mini.yaml, line 7: response_scale: must be a list, got text",
            id="response-scale-not-a-list",
        ),
        pytest.param(
            "  - value: 2",
            "  - value: 3",
            "mini.yaml, line 10: response_scale[1].value: expected 2, got 3",
            id="response-scale-skips-a-value",
        ),
        pytest.param(
            "  - value: 1",
            "  - value: 0",
            "mini.yaml, line 8: response_scale[0].value: expected 1, got 0",
            id="response-scale-starts-at-zero",
        ),
        pytest.param(
            '    label: "Yes"',
            '    label: "No"',
            "mini.yaml, line 11: response_scale[1].label: duplicate label 'No'",
            id="response-scale-repeats-a-label",
        ),
        pytest.param(
            "dont_know_label: Not sure",
            'dont_know_label: "No"',
            "mini.yaml, line 12: dont_know_label: must differ from every response_scale label",
            id="dont-know-label-clashes",
        ),
        pytest.param(
            "    name: Direction",
            "    nmae: Direction",
            "mini.yaml, line 15: scales[0].nmae: unknown field",
            id="misspelt-field",
        ),
        pytest.param(
            "title: Mini",
            "title: Mini\ntitle: Again",
            "mini.yaml, line 4: title: field given twice",
            id="field-given-twice",
        ),
        pytest.param(
            "  - key: member\n    label: Member\n    description: Someone in the group.\n",
            "",
            "mini.yaml, line 23: rater_kinds: must be a list, got nothing",
            id="no-rater-kinds",
        ),
    ],
)
def test_a_malformed_file_names_the_file_line_and_field(
    write_yaml: WriteYaml, broken: Broken, old: str, new: str, expected: str
) -> None:
    assert str(error_for(write_yaml, broken(old, new))).startswith(expected)


def test_an_eleven_point_scale_is_refused_since_answers_are_kept_one_digit_each(
    write_yaml: WriteYaml, broken: Broken
) -> None:
    eleven = "".join(f'  - value: {v}\n    label: "{v - 1}"\n' for v in range(1, 12))
    error = error_for(write_yaml, broken(
        '  - value: 1\n    label: "No"\n  - value: 2\n    label: "Yes"\n', eleven))
    assert "response_scale: must have at most 9 options; got 11" in str(error)


def test_a_misspelt_field_suggests_the_right_one(write_yaml: WriteYaml, broken: Broken) -> None:
    error = error_for(write_yaml, broken("    name: Direction", "    nmae: Direction"))
    assert "did you mean 'name'?" in str(error)


def test_a_yaml_syntax_error_is_reported_with_its_line(
    write_yaml: WriteYaml, broken: Broken
) -> None:
    error = error_for(write_yaml, broken("    name: Direction", "   name: Direction"))
    assert str(error).startswith("mini.yaml, line 15: YAML syntax error:")
    assert error.line == 15
    assert error.field is None


def test_an_unclosed_bracket_says_where_it_was_opened(
    write_yaml: WriteYaml, broken: Broken
) -> None:
    error = error_for(write_yaml, broken("title: Mini", "title: [Mini"))
    assert str(error).startswith("mini.yaml, line 4: YAML syntax error:")
    assert "starts on line 3" in str(error)


def test_the_error_carries_its_parts_as_attributes(write_yaml: WriteYaml, broken: Broken) -> None:
    error = error_for(write_yaml, broken("minutes: 2", "minutes: eight"))
    assert (error.source, error.line, error.field) == ("mini.yaml", 6, "minutes")
    assert error.problem == "must be a whole number, got text"
    assert isinstance(error, ValueError)


def test_an_empty_file_is_refused(write_yaml: WriteYaml) -> None:
    assert str(error_for(write_yaml, "")) == "mini.yaml, line 1: the file is empty"


def test_a_file_that_is_not_a_mapping_is_refused(write_yaml: WriteYaml) -> None:
    error = error_for(write_yaml, "- key: mini\n- version: '1.0'\n")
    assert str(error) == "mini.yaml, line 1: must be a mapping of fields, got a list"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match=r"absent\.yaml: cannot read"):
        load_instrument(tmp_path / "absent.yaml")


def test_a_practice_title_may_not_repeat_within_a_scale(
    write_yaml: WriteYaml, broken: Broken
) -> None:
    practices = (
        "    practices:\n"
        "      - title: Charter\n"
        "        description: Write down how we work.\n"
        "      - title: Charter\n"
        "        description: Write it down again.\n"
        "    items:\n"
    )
    error = error_for(write_yaml, broken("    items:\n", practices))
    assert str(error).startswith(
        "mini.yaml, line 21: scales[0].practices[1].title: duplicate practice title 'Charter'"
    )


def test_a_scale_key_may_not_repeat(write_yaml: WriteYaml, broken: Broken) -> None:
    extra_scale = (
        "  - key: direction\n"
        "    name: Direction again\n"
        "    question: Do we still agree?\n"
        "    description: The same key twice.\n"
        "    items:\n"
        "      - key: direction_3\n"
        "        text: We still agree.\n"
        "rater_kinds:\n"
    )
    error = error_for(write_yaml, broken("rater_kinds:\n", extra_scale))
    assert str(error).startswith(
        "mini.yaml, line 23: scales[1].key: duplicate scale key 'direction'"
    )


def test_an_item_key_may_not_be_reused_by_a_prompt(write_yaml: WriteYaml, broken: Broken) -> None:
    prompt = "free_text:\n  - key: direction_1\n    text: Anything else?\nrater_kinds:\n"
    error = error_for(write_yaml, broken("rater_kinds:\n", prompt))
    assert str(error).startswith("mini.yaml, line 24: free_text[0].key: duplicate")


def test_a_role_needs_its_description(write_yaml: WriteYaml, broken: Broken) -> None:
    error = error_for(write_yaml, broken("    items:\n", "    role: Guide\n    items:\n"))
    assert str(error).startswith("mini.yaml, line 14: scales[0].role_description: field required")


def test_a_prompt_length_limit_must_be_positive(write_yaml: WriteYaml, broken: Broken) -> None:
    prompt = "free_text:\n  - key: why\n    text: Why?\n    max_length: 0\nrater_kinds:\n"
    error = error_for(write_yaml, broken("rater_kinds:\n", prompt))
    assert str(error) == "mini.yaml, line 26: free_text[0].max_length: must be at least 1, got 0"
