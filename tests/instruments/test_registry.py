"""Finding instruments by key and version, and adding one without changing code."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tracelead.instruments import (
    ENV_VAR,
    Instrument,
    InstrumentError,
    available_instruments,
    get_instrument,
    instrument_dirs,
    load_instrument,
)

WriteYaml = Callable[..., Path]

# A cut-down variant of the bundled DAC instrument, as a deployment might add one: leadership
# outcomes as direction, alignment and commitment on a four-point frequency scale. It has no
# leader roles or practices, which the schema allows. Its own key keeps it apart from the
# bundled dac.yaml.
DAC_YAML = """\
key: dac_mini
version: "0.1"
title: Direction, alignment and commitment
description: Three outcomes of shared leadership.
introduction: Tell us how this group works together today.
minutes: 3
response_scale:
  - {value: 1, label: Never}
  - {value: 2, label: Sometimes}
  - {value: 3, label: Often}
  - {value: 4, label: Always}
scales:
  - key: direction
    name: Direction
    question: Do we agree on where we are heading?
    description: Agreement on aims.
    items:
      - {key: direction_1, text: We agree on the outcomes we want for patients.}
      - {key: direction_2, text: We agree on what to do first.}
  - key: alignment
    name: Alignment
    question: Is our work coordinated?
    description: Coordination of work.
    items:
      - {key: alignment_1, text: Our work fits together without gaps.}
  - key: commitment
    name: Commitment
    question: Do we put the group's success first?
    description: Shared commitment.
    items:
      - {key: commitment_1, text: We put the success of the group before our own.}
free_text:
  - key: comments
    text: Anything else?
rater_kinds:
  - {key: member, label: Member, description: Someone in the group.}
"""


def extra_dirs(monkeypatch: pytest.MonkeyPatch, *dirs: Path) -> None:
    monkeypatch.setenv(ENV_VAR, os.pathsep.join(str(d) for d in dirs))


def test_the_bundled_directory_holds_dac_and_trace() -> None:
    assert [(i.key, i.version) for i in available_instruments()] == [
        ("dac", "1.0"),
        ("trace", "1.0"),
    ]


def test_a_second_instrument_loads_from_an_extra_directory_without_code_change(
    monkeypatch: pytest.MonkeyPatch, write_yaml: WriteYaml, tmp_path: Path
) -> None:
    write_yaml(DAC_YAML, "extra/dac_mini.yaml")
    extra_dirs(monkeypatch, tmp_path / "extra")

    dac = get_instrument("dac_mini")

    assert dac.scale_keys == ("direction", "alignment", "commitment")
    assert dac.scale_points == 4
    assert dac.dont_know_label is None
    assert dac.scale("direction").role is None
    assert dac.scale("direction").practices == ()
    assert dac.item_scale_keys == ("direction", "direction", "alignment", "commitment")
    assert dac.free_text[0].max_length == 500
    assert {i.key for i in available_instruments()} == {"dac", "dac_mini", "trace"}
    assert get_instrument("trace").key == "trace"
    assert get_instrument("dac").version == "1.0"


def test_several_extra_directories_are_searched(
    monkeypatch: pytest.MonkeyPatch, write_yaml: WriteYaml, tmp_path: Path
) -> None:
    write_yaml(DAC_YAML, "one/dac_mini.yaml")
    write_yaml(DAC_YAML.replace("key: dac_mini", "key: dac_short"), "two/dac_short.yaml")
    extra_dirs(monkeypatch, tmp_path / "one", tmp_path / "two")
    assert {i.key for i in available_instruments()} == {"dac", "dac_mini", "dac_short", "trace"}


def test_the_latest_version_is_chosen_when_none_is_given(
    monkeypatch: pytest.MonkeyPatch, write_yaml: WriteYaml, tmp_path: Path
) -> None:
    for version in ("1.9", "1.10", "1.2"):
        write_yaml(DAC_YAML.replace('"0.1"', f'"{version}"'), f"v/dac_mini-{version}.yaml")
    extra_dirs(monkeypatch, tmp_path / "v")

    assert get_instrument("dac_mini").version == "1.10"
    assert get_instrument("dac_mini", "1.2").version == "1.2"
    assert [i.version for i in available_instruments() if i.key == "dac_mini"] == [
        "1.2",
        "1.9",
        "1.10",
    ]


def test_an_unknown_instrument_names_the_available_ones() -> None:
    with pytest.raises(
        InstrumentError, match=r"no instrument 'ccl'; available instruments: dac, trace"
    ):
        get_instrument("ccl")


def test_an_unknown_version_names_the_available_ones() -> None:
    with pytest.raises(InstrumentError, match=r"no version '9\.9'; available versions: 1\.0"):
        get_instrument("trace", "9.9")


def test_two_files_with_the_same_key_and_version_are_refused(
    monkeypatch: pytest.MonkeyPatch, write_yaml: WriteYaml, tmp_path: Path
) -> None:
    write_yaml(DAC_YAML, "d/a.yaml")
    write_yaml(DAC_YAML, "d/b.yaml")
    extra_dirs(monkeypatch, tmp_path / "d")
    with pytest.raises(InstrumentError, match=r"'dac_mini' version '0\.1' is defined twice"):
        available_instruments()


def test_a_broken_file_in_an_extra_directory_is_reported_not_skipped(
    monkeypatch: pytest.MonkeyPatch, write_yaml: WriteYaml, tmp_path: Path
) -> None:
    write_yaml(DAC_YAML.replace("minutes: 3", "minutes: three"), "d/dac_mini.yaml")
    extra_dirs(monkeypatch, tmp_path / "d")
    with pytest.raises(InstrumentError, match=r"^dac_mini\.yaml, line 6: minutes: "):
        get_instrument("trace")


def test_a_missing_extra_directory_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    extra_dirs(monkeypatch, tmp_path / "nowhere")
    with pytest.raises(InstrumentError, match=rf"{ENV_VAR}: .*nowhere.* is not a directory"):
        instrument_dirs()


def test_empty_entries_in_the_directory_list_are_ignored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_VAR, os.pathsep * 2)
    assert len(instrument_dirs()) == 1


def test_an_edited_file_is_read_again(write_yaml: WriteYaml) -> None:
    path = write_yaml(DAC_YAML, "dac.yaml")
    assert load_instrument(path).title == "Direction, alignment and commitment"
    write_yaml(DAC_YAML.replace("title: Direction,", "title: Leadership outcomes,"), "dac.yaml")
    assert load_instrument(path).title == "Leadership outcomes, alignment and commitment"


def test_a_loaded_instrument_cannot_be_changed() -> None:
    trace = get_instrument("trace")
    with pytest.raises(dataclasses.FrozenInstanceError):
        trace.title = "Something else"  # type: ignore[misc]
    assert isinstance(trace.scales, tuple)
    assert isinstance(trace.scales[0].items, tuple)


def test_looking_up_an_unknown_scale_or_item_raises_key_error() -> None:
    trace: Instrument = get_instrument("trace")
    with pytest.raises(KeyError, match="scales are: task, route"):
        trace.scale("purpose")
    with pytest.raises(KeyError, match="no item 'task_99'"):
        trace.item("task_99")
    assert trace.prompt("one_change").key == "one_change"
    assert trace.rater_kind("stakeholder").label == "Stakeholder"
