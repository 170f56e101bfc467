"""The shape of an instrument once loaded: immutable values, no I/O.

An instrument is a versioned questionnaire defined as data. Everything here is a frozen
dataclass holding tuples, so a loaded instrument can be cached and shared freely.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ResponseOption:
    """One point of the response scale: the number stored and the label shown."""

    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Item:
    """One statement a respondent rates. ``key`` is stable across wording edits.

    ``hint`` explains words in the statement that a respondent may not know; it is shown
    under the statement and changes nothing of what is asked."""

    key: str
    text: str
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class Practice:
    """Something a group can adopt to strengthen a scale's condition."""

    title: str
    description: str


@dataclass(frozen=True, slots=True)
class Scale:
    """A set of items scored together; for TRACE, one of the five conditions.

    ``role`` and ``role_description`` name the leader role the condition calls for;
    instruments without roles leave them ``None``.
    """

    key: str
    name: str
    question: str
    description: str
    role: str | None
    role_description: str | None
    items: tuple[Item, ...]
    practices: tuple[Practice, ...]

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)


@dataclass(frozen=True, slots=True)
class Prompt:
    """A free-text question, answered in at most ``max_length`` characters."""

    key: str
    text: str
    hint: str | None
    max_length: int


@dataclass(frozen=True, slots=True)
class RaterKind:
    """A kind of respondent, such as the group's own members or its stakeholders."""

    key: str
    label: str
    description: str


@dataclass(frozen=True, slots=True)
class Space:
    """A space in which leadership happens (for TRACE: self, team, organisation, system)."""

    key: str
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class Translation:
    """What a respondent reads, in another language: the same keys, other words.

    Only the wording is translated; keys, values and everything reports use stay as they
    are, so an answer given in Welsh is stored and scored exactly as one given in English.
    Every scale, item, prompt, rater kind and response label has a translation (the loader
    refuses one that misses any).
    """

    language: str
    title: str
    introduction: str
    dont_know_label: str | None
    response_labels: tuple[tuple[int, str], ...]
    scales: tuple[tuple[str, str, str, str], ...]  # key, name, question, description
    items: tuple[tuple[str, str, str | None], ...]  # key, text, hint
    prompts: tuple[tuple[str, str, str | None], ...]  # key, text, hint
    rater_kinds: tuple[tuple[str, str, str], ...]  # key, label, description


@dataclass(frozen=True, slots=True)
class Instrument:
    """A versioned questionnaire: scales of items, a response scale and free-text prompts.

    Answers are stored as the ``value`` of a :class:`ResponseOption`; "don't know"
    (offered when ``dont_know_label`` is set) is stored as missing, never as a number.
    """

    key: str
    version: str
    title: str
    description: str
    introduction: str
    instructions: str | None
    minutes: int
    response_scale: tuple[ResponseOption, ...]
    dont_know_label: str | None
    scales: tuple[Scale, ...]
    free_text: tuple[Prompt, ...]
    rater_kinds: tuple[RaterKind, ...]
    spaces: tuple[Space, ...]
    source_path: Path
    translations: tuple[Translation, ...] = ()
    # The language of the wording above: "en" as written, or that of a translation.
    language: str = "en"

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages this instrument can be answered in besides English."""
        return tuple(t.language for t in self.translations)

    def in_language(self, language: str | None) -> Instrument:
        """This instrument worded in ``language`` (such as ``"cy"``), or as it is.

        English, or a language without a translation, gives the instrument unchanged.
        """
        wanted = (language or "").split("-")[0].lower()
        for translation in self.translations:
            if translation.language == wanted:
                return _translated(self, translation)
        return self

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item, scale by scale, in the order the respondent sees them."""
        return tuple(item for scale in self.scales for item in scale.items)

    @property
    def item_keys(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.items)

    @property
    def item_scale_keys(self) -> tuple[str, ...]:
        """The scale key of each item in :attr:`items`, position by position."""
        return tuple(scale.key for scale in self.scales for _ in scale.items)

    @property
    def scale_keys(self) -> tuple[str, ...]:
        return tuple(scale.key for scale in self.scales)

    @property
    def scale_points(self) -> int:
        """How many points the response scale has (5 for a five-point agreement scale)."""
        return len(self.response_scale)

    def scale(self, key: str) -> Scale:
        """The scale with this key; ``KeyError`` naming the known keys otherwise."""
        for scale in self.scales:
            if scale.key == key:
                return scale
        raise KeyError(
            f"{self.key} {self.version} has no scale {key!r}; "
            f"scales are: {', '.join(self.scale_keys)}"
        )

    def item(self, key: str) -> Item:
        """The item with this key; ``KeyError`` otherwise."""
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(f"{self.key} {self.version} has no item {key!r}")

    def prompt(self, key: str) -> Prompt:
        """The free-text prompt with this key; ``KeyError`` otherwise."""
        for prompt in self.free_text:
            if prompt.key == key:
                return prompt
        raise KeyError(
            f"{self.key} {self.version} has no free-text prompt {key!r}; "
            f"prompts are: {', '.join(p.key for p in self.free_text) or '(none)'}"
        )

    def rater_kind(self, key: str) -> RaterKind:
        """The rater kind with this key; ``KeyError`` otherwise."""
        for kind in self.rater_kinds:
            if kind.key == key:
                return kind
        raise KeyError(
            f"{self.key} {self.version} has no rater kind {key!r}; "
            f"rater kinds are: {', '.join(k.key for k in self.rater_kinds)}"
        )


def _translated(instrument: Instrument, translation: Translation) -> Instrument:
    labels = dict(translation.response_labels)
    scales = {key: (name, question, description) for key, name, question, description
              in translation.scales}
    items = {key: (text, hint) for key, text, hint in translation.items}
    prompts = {key: (text, hint) for key, text, hint in translation.prompts}
    kinds = {key: (label, description) for key, label, description in translation.rater_kinds}
    return replace(
        instrument,
        title=translation.title,
        introduction=translation.introduction,
        dont_know_label=translation.dont_know_label,
        response_scale=tuple(
            replace(option, label=labels[option.value]) for option in instrument.response_scale
        ),
        scales=tuple(
            replace(
                scale,
                name=scales[scale.key][0],
                question=scales[scale.key][1],
                description=scales[scale.key][2],
                items=tuple(
                    replace(item, text=items[item.key][0], hint=items[item.key][1])
                    for item in scale.items
                ),
            )
            for scale in instrument.scales
        ),
        free_text=tuple(
            replace(prompt, text=prompts[prompt.key][0], hint=prompts[prompt.key][1])
            for prompt in instrument.free_text
        ),
        rater_kinds=tuple(
            replace(kind, label=kinds[kind.key][0], description=kinds[kind.key][1])
            for kind in instrument.rater_kinds
        ),
        translations=(),
        language=translation.language,
    )
