"""Instruments carry their Welsh wording per item; a translation missing one is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tracelead.instruments import InstrumentError, get_instrument, parse_instrument

TRACE = Path(get_instrument("trace").source_path)


def _parse(text: str):  # type: ignore[no-untyped-def]
    return parse_instrument(text, source_path=TRACE)


def test_trace_reads_in_welsh_with_the_same_keys_and_values() -> None:
    english = get_instrument("trace")
    welsh = english.in_language("cy")
    assert english.languages == ("cy",)
    assert welsh.item_keys == english.item_keys
    assert [o.value for o in welsh.response_scale] == [o.value for o in english.response_scale]
    assert [p.key for p in welsh.free_text] == [p.key for p in english.free_text]
    assert welsh.item("task_2").text == (
        "Byddai pawb yn y grŵp hwn yn disgrifio ein nod mewn ffordd debyg iawn."
    )
    assert welsh.dont_know_label == "Ddim yn gwybod"
    # Reports are unchanged: English wording for English, and for a language not offered.
    assert english.in_language("en-gb") is english
    assert english.in_language("fr") is english
    # Every Welsh text differs from its English (nothing left untranslated by mistake).
    for en_item, cy_item in zip(english.items, welsh.items, strict=True):
        assert cy_item.text != en_item.text
        assert (cy_item.hint is None) == (en_item.hint is None)


def test_dac_reads_in_welsh_with_the_same_keys_and_values() -> None:
    english = get_instrument("dac")
    welsh = english.in_language("cy")
    assert english.languages == ("cy",)
    assert welsh.language == "cy" and english.language == "en"
    assert welsh.title == "Cyfeiriad, aliniad ac ymrwymiad"
    assert welsh.item_keys == english.item_keys
    assert welsh.scale_keys == english.scale_keys
    assert [s.name for s in welsh.scales] == ["Cyfeiriad", "Aliniad", "Ymrwymiad"]
    assert [p.key for p in welsh.free_text] == ["task_statement"]
    assert welsh.item("direction_1").text == (
        "Rydyn ni'n cytuno ar yr hyn y mae'r grŵp hwn yn ceisio'i gyflawni ar y cyd."
    )
    # The words DAC shares with TRACE read the same in Welsh too.
    trace = get_instrument("trace").in_language("cy")
    assert welsh.response_scale == trace.response_scale
    assert welsh.dont_know_label == trace.dont_know_label == "Ddim yn gwybod"
    assert welsh.rater_kinds == trace.rater_kinds
    assert welsh.scale("alignment").name == trace.scale("alignment").name
    # Nothing left in English by mistake.
    for en_scale, cy_scale in zip(english.scales, welsh.scales, strict=True):
        assert cy_scale.question != en_scale.question
        assert cy_scale.description != en_scale.description
    for en_item, cy_item in zip(english.items, welsh.items, strict=True):
        assert cy_item.text != en_item.text
        assert (cy_item.hint is None) == (en_item.hint is None)
    assert welsh.prompt("task_statement").hint != english.prompt("task_statement").hint
    assert welsh.introduction.count("\n\n") == english.introduction.count("\n\n")


def test_it_refuses_a_translation_missing_an_item() -> None:
    text = TRACE.read_text(encoding="utf-8")
    cut = re.sub(r"\n      task_3:\n        text: [^\n]*", "", text)
    assert cut != text
    missing = r"translations\.cy\.items: no translation for item 'task_3'"
    with pytest.raises(InstrumentError, match=missing):
        _parse(cut)


def test_it_refuses_a_translation_of_an_item_the_instrument_does_not_have() -> None:
    text = TRACE.read_text(encoding="utf-8").replace(
        "\n      task_2:\n", "\n      task_99:\n        text: Eitem nad yw'n bod.\n      task_2:\n"
    )
    extra = r"translations\.cy\.items\.task_99: the instrument has no item 'task_99'"
    with pytest.raises(InstrumentError, match=extra):
        _parse(text)


def test_it_refuses_an_item_translation_without_the_hint_the_english_has() -> None:
    text = TRACE.read_text(encoding="utf-8")
    start = text.index("\n      task_7:\n")
    hint = text.index("        hint:", start)
    end = text.index("\n      route_1:", hint)
    with pytest.raises(InstrumentError, match=r"cy\.items\.task_7\.hint: field required"):
        _parse(text[:hint] + text[end + 1:])


def test_it_refuses_a_translation_missing_a_response_label() -> None:
    text = TRACE.read_text(encoding="utf-8").replace("      5: Cytuno'n gryf\n", "")
    with pytest.raises(InstrumentError, match=r"no translation for response value '5'"):
        _parse(text)
