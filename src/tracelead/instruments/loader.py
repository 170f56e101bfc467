"""Read one instrument file, check it against the schema, and build an :class:`Instrument`.

The file is composed into a YAML node tree rather than loaded straight into Python
objects, so every node keeps the line it came from: an error can then name the file,
the line and the field (``trace.yaml, line 42: scales[2].items[3].text: field required``)
and the author goes straight to it. The schema is written out here by hand because it
is small and the messages matter more than the machinery.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import NoReturn, TypeVar

import yaml

from tracelead.diagnostics.packing import MAX_PACKED_SCALE

from .errors import InstrumentError
from .models import (
    Instrument,
    Item,
    Practice,
    Prompt,
    RaterKind,
    ResponseOption,
    Scale,
    Space,
    Translation,
)

T = TypeVar("T")

# Keys become database values, CSV column names and URL parts: keep them plain.
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# Dotted numbers, so that "latest version" has one meaning ("1.10" is after "1.9").
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2,3}$")
VERSION_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)*$")
DEFAULT_PROMPT_MAX_LENGTH = 500
LONGEST_PROMPT_MAX_LENGTH = 10_000

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_NULL = "tag:yaml.org,2002:null"
_TAG_NAMES = {
    _STR: "text",
    _INT: "a whole number",
    "tag:yaml.org,2002:float": "a decimal number",
    "tag:yaml.org,2002:bool": "true/false",
    _NULL: "nothing",
    "tag:yaml.org,2002:timestamp": "a date",
}


def version_sort_key(version: str) -> tuple[int, ...]:
    """Order versions numerically part by part: ``"1.10"`` sorts after ``"1.9"``."""
    return tuple(int(part) for part in version.split("."))


def load_instrument(path: str | Path) -> Instrument:
    """Load and validate one instrument file.

    Parameters
    ----------
    path
        A YAML file following the instrument schema (see ``trace.yaml`` for a full
        example).

    Returns
    -------
    Instrument
        An immutable instrument. Loading the same unchanged file again returns the
        same object from a cache.

    Raises
    ------
    InstrumentError
        If the file cannot be read, is not valid YAML, or breaks the schema; the
        message names the file, the line and the field.
    """
    resolved = Path(path).resolve()
    try:
        stat = resolved.stat()
    except OSError as exc:
        raise InstrumentError(
            f"cannot read instrument file: {exc.strerror or exc}", source=str(path)
        ) from exc
    return _load_cached(str(resolved), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _load_cached(path: str, mtime_ns: int, size: int) -> Instrument:
    # mtime and size are part of the cache key so that an edited file is read again.
    del mtime_ns, size
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstrumentError(f"cannot read instrument file: {exc}", source=source.name) from exc
    return parse_instrument(text, source_path=source)


def parse_instrument(text: str, *, source_path: Path) -> Instrument:
    """Validate instrument YAML held in memory; errors are reported against ``source_path``."""
    reader = _Reader(source_path.name)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        # An unclosed bracket or quote is only noticed lines later; say where it began.
        if (
            exc.context
            and exc.context_mark is not None
            and mark is not None
            and exc.context_mark.line != mark.line
        ):
            problem += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        raise InstrumentError(
            f"YAML syntax error: {problem}",
            source=source_path.name,
            line=mark.line + 1 if mark is not None else None,
        ) from exc
    except yaml.YAMLError as exc:
        raise InstrumentError(f"YAML syntax error: {exc}", source=source_path.name) from exc
    if root is None:
        raise InstrumentError("the file is empty", source=source_path.name, line=1)
    return reader.instrument(root, source_path)


class _Reader:
    """Turns YAML nodes into model values, failing with the node's line and field path."""

    def __init__(self, source: str) -> None:
        self.source = source

    # -- failing -----------------------------------------------------------------

    def fail(self, node: yaml.Node, field: str | None, problem: str) -> NoReturn:
        raise InstrumentError(
            problem, source=self.source, line=node.start_mark.line + 1, field=field
        )

    @staticmethod
    def describe(node: yaml.Node) -> str:
        if isinstance(node, yaml.MappingNode):
            return "a mapping"
        if isinstance(node, yaml.SequenceNode):
            return "a list"
        return _TAG_NAMES.get(node.tag, "a value")

    # -- shapes -------------------------------------------------------------------

    def mapping(
        self,
        node: yaml.Node,
        field: str | None,
        *,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
    ) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, field, f"must be a mapping of fields, got {self.describe(node)}")
        allowed = required + optional
        found: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            name = self.join(field, str(key_node.value))
            if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STR):
                self.fail(key_node, field, "field names must be text")
            key = key_node.value
            if key in found:
                self.fail(key_node, name, "field given twice")
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.fail(key_node, name, f"unknown field (allowed: {', '.join(allowed)}){hint}")
            found[key] = value_node
        for key in required:
            if key not in found:
                self.fail(node, self.join(field, key), "field required")
        return found

    def sequence(self, node: yaml.Node, field: str, *, minimum: int = 0) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, field, f"must be a list, got {self.describe(node)}")
        entries: list[yaml.Node] = list(node.value)
        if len(entries) < minimum:
            noun = "entry" if minimum == 1 else "entries"
            self.fail(node, field, f"must have at least {minimum} {noun}")
        return entries

    def items_of(
        self,
        node: yaml.Node,
        field: str,
        build: Callable[[yaml.Node, str], T],
        *,
        minimum: int = 0,
    ) -> tuple[T, ...]:
        entries = self.sequence(node, field, minimum=minimum)
        return tuple(build(entry, f"{field}[{index}]") for index, entry in enumerate(entries))

    # -- scalars ------------------------------------------------------------------

    def text(self, node: yaml.Node, field: str) -> str:
        if not (isinstance(node, yaml.ScalarNode) and node.tag == _STR):
            quote = " (put it in quotes)" if isinstance(node, yaml.ScalarNode) else ""
            if isinstance(node, yaml.ScalarNode) and node.tag == _NULL:
                self.fail(node, field, "must not be empty")
            self.fail(node, field, f"must be text, got {self.describe(node)}{quote}")
        value = str(node.value).strip()
        if not value:
            self.fail(node, field, "must not be empty")
        return value

    def optional_text(self, node: yaml.Node | None, field: str) -> str | None:
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
            return None
        return self.text(node, field)

    def integer(
        self, node: yaml.Node, field: str, *, minimum: int, maximum: int | None = None
    ) -> int:
        if not (isinstance(node, yaml.ScalarNode) and node.tag == _INT):
            self.fail(node, field, f"must be a whole number, got {self.describe(node)}")
        value = yaml.constructor.SafeConstructor().construct_yaml_int(node)
        if value < minimum:
            self.fail(node, field, f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            self.fail(node, field, f"must be at most {maximum}, got {value}")
        return value

    def key(self, node: yaml.Node, field: str) -> str:
        value = self.text(node, field)
        if not KEY_PATTERN.match(value):
            self.fail(
                node,
                field,
                f"{value!r} is not a valid key: use lower-case letters, digits and "
                "underscores, starting with a letter",
            )
        return value

    @staticmethod
    def join(field: str | None, name: str) -> str:
        return f"{field}.{name}" if field else name

    # -- the schema -----------------------------------------------------------------

    def instrument(self, root: yaml.Node, source_path: Path) -> Instrument:
        fields = self.mapping(
            root,
            None,
            required=(
                "key",
                "version",
                "title",
                "description",
                "introduction",
                "minutes",
                "response_scale",
                "scales",
                "rater_kinds",
            ),
            optional=("instructions", "dont_know_label", "free_text", "spaces", "translations"),
        )
        instrument = Instrument(
            key=self.key(fields["key"], "key"),
            version=self.version(fields["version"]),
            title=self.text(fields["title"], "title"),
            description=self.text(fields["description"], "description"),
            introduction=self.text(fields["introduction"], "introduction"),
            instructions=self.optional_text(fields.get("instructions"), "instructions"),
            minutes=self.integer(fields["minutes"], "minutes", minimum=1, maximum=240),
            response_scale=self.response_scale(fields["response_scale"]),
            dont_know_label=self.optional_text(fields.get("dont_know_label"), "dont_know_label"),
            scales=self.items_of(fields["scales"], "scales", self.scale, minimum=1),
            free_text=(
                self.items_of(fields["free_text"], "free_text", self.prompt)
                if "free_text" in fields
                else ()
            ),
            rater_kinds=self.items_of(
                fields["rater_kinds"], "rater_kinds", self.rater_kind, minimum=1
            ),
            spaces=(
                self.items_of(fields["spaces"], "spaces", self.space) if "spaces" in fields else ()
            ),
            source_path=source_path,
        )
        self.check_unique(fields)
        if instrument.dont_know_label is not None and instrument.dont_know_label in {
            option.label for option in instrument.response_scale
        }:
            self.fail(
                fields["dont_know_label"],
                "dont_know_label",
                "must differ from every response_scale label",
            )
        if "translations" in fields:
            instrument = replace(
                instrument, translations=self.translations(fields["translations"], instrument)
            )
        return instrument

    # -- translations -------------------------------------------------------------

    def translations(self, node: yaml.Node, instrument: Instrument) -> tuple[Translation, ...]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, "translations", "must be a mapping of languages, such as cy:")
        found = []
        for key_node, value_node in node.value:
            language = str(key_node.value)
            if not LANGUAGE_PATTERN.match(language) or language == "en":
                self.fail(key_node, f"translations.{language}",
                          "must be a language code other than en, such as cy")
            found.append(self.translation(value_node, f"translations.{language}",
                                          language, instrument))
        return tuple(found)

    def keyed(
        self, node: yaml.Node, field: str, expected: tuple[str, ...], what: str
    ) -> dict[str, yaml.Node]:
        """A mapping from each of ``expected`` keys to its node: none missing, none extra."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, field, f"must be a mapping of {what} keys, got {self.describe(node)}")
        found: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key not in expected:
                self.fail(key_node, f"{field}.{key}", f"the instrument has no {what} {key!r}")
            if key in found:
                self.fail(key_node, f"{field}.{key}", "given twice")
            found[key] = value_node
        missing = [key for key in expected if key not in found]
        if missing:
            self.fail(node, field, f"no translation for {what} {missing[0]!r}"
                      + (f" (nor {', '.join(map(repr, missing[1:]))})" if missing[1:] else ""))
        return found

    def translation(
        self, node: yaml.Node, field: str, language: str, instrument: Instrument
    ) -> Translation:
        required = ["title", "introduction", "response_scale", "scales", "items", "rater_kinds"]
        if instrument.dont_know_label is not None:
            required.append("dont_know_label")
        if instrument.free_text:
            required.append("free_text")
        fields = self.mapping(node, field, required=tuple(required))

        def texts(
            entries: dict[str, yaml.Node], at: str, names: tuple[str, ...],
            optional: str | None, has_optional: dict[str, bool],
        ) -> list[tuple[str, ...]]:
            rows = []
            for key, entry in entries.items():
                wanted = names + ((optional,) if optional and has_optional[key] else ())
                values = self.mapping(entry, f"{at}.{key}", required=wanted)
                rows.append((key, *(self.text(values[n], f"{at}.{key}.{n}") for n in wanted)))
            return rows

        labels = self.keyed(
            fields["response_scale"], f"{field}.response_scale",
            tuple(str(o.value) for o in instrument.response_scale), "response value",
        )
        scales = self.keyed(fields["scales"], f"{field}.scales", instrument.scale_keys, "scale")
        items = self.keyed(fields["items"], f"{field}.items", instrument.item_keys, "item")
        prompts = self.keyed(
            fields["free_text"], f"{field}.free_text",
            tuple(p.key for p in instrument.free_text), "free-text prompt",
        ) if instrument.free_text else {}
        kinds = self.keyed(
            fields["rater_kinds"], f"{field}.rater_kinds",
            tuple(k.key for k in instrument.rater_kinds), "rater kind",
        )
        item_rows = texts(items, f"{field}.items", ("text",), "hint",
                          {i.key: i.hint is not None for i in instrument.items})
        prompt_rows = texts(prompts, f"{field}.free_text", ("text",), "hint",
                            {p.key: p.hint is not None for p in instrument.free_text})
        return Translation(
            language=language,
            title=self.text(fields["title"], f"{field}.title"),
            introduction=self.text(fields["introduction"], f"{field}.introduction"),
            dont_know_label=(
                self.text(fields["dont_know_label"], f"{field}.dont_know_label")
                if "dont_know_label" in fields else None
            ),
            response_labels=tuple(
                (int(key), self.text(entry, f"{field}.response_scale.{key}"))
                for key, entry in labels.items()
            ),
            scales=tuple(
                (row[0], row[1], row[2], row[3])
                for row in texts(scales, f"{field}.scales", ("name", "question", "description"),
                                 None, {})
            ),
            items=tuple((row[0], row[1], row[2] if len(row) > 2 else None) for row in item_rows),
            prompts=tuple(
                (row[0], row[1], row[2] if len(row) > 2 else None) for row in prompt_rows
            ),
            rater_kinds=tuple(
                (row[0], row[1], row[2])
                for row in texts(kinds, f"{field}.rater_kinds", ("label", "description"),
                                 None, {})
            ),
        )

    def version(self, node: yaml.Node) -> str:
        if isinstance(node, yaml.ScalarNode) and node.tag != _STR:
            self.fail(
                node,
                "version",
                f'must be text in quotes, such as "1.0", got {self.describe(node)} '
                "(YAML reads an unquoted 1.0 as a number)",
            )
        value = self.text(node, "version")
        if not VERSION_PATTERN.match(value):
            self.fail(node, "version", f'{value!r} is not a version like "1.0" or "2.1.3"')
        return value

    def response_scale(self, node: yaml.Node) -> tuple[ResponseOption, ...]:
        entries = self.sequence(node, "response_scale")
        if len(entries) < 2:
            self.fail(node, "response_scale", "must have at least 2 options")
        if len(entries) > MAX_PACKED_SCALE:
            # Responses keep one digit per answer (tracelead.diagnostics.packing).
            self.fail(node, "response_scale",
                      f"must have at most {MAX_PACKED_SCALE} options; got {len(entries)}")
        options: list[ResponseOption] = []
        labels: dict[str, int] = {}
        for index, entry in enumerate(entries):
            field = f"response_scale[{index}]"
            fields = self.mapping(entry, field, required=("value", "label"))
            value = self.integer(fields["value"], f"{field}.value", minimum=-(10**6))
            if value != index + 1:
                self.fail(
                    fields["value"],
                    f"{field}.value",
                    f"expected {index + 1}, got {value}: values must be consecutive whole "
                    "numbers starting at 1, in order",
                )
            label = self.text(fields["label"], f"{field}.label")
            if label in labels:
                self.fail(
                    fields["label"],
                    f"{field}.label",
                    f"duplicate label {label!r} (also response_scale[{labels[label]}])",
                )
            labels[label] = index
            options.append(ResponseOption(value=value, label=label))
        return tuple(options)

    def scale(self, node: yaml.Node, field: str) -> Scale:
        fields = self.mapping(
            node,
            field,
            required=("key", "name", "question", "description", "items"),
            optional=("role", "role_description", "practices"),
        )
        role = self.optional_text(fields.get("role"), f"{field}.role")
        role_description = self.optional_text(
            fields.get("role_description"), f"{field}.role_description"
        )
        if (role is None) != (role_description is None):
            missing = "role_description" if role_description is None else "role"
            self.fail(
                node, f"{field}.{missing}", "field required when the other role field is given"
            )
        return Scale(
            key=self.key(fields["key"], f"{field}.key"),
            name=self.text(fields["name"], f"{field}.name"),
            question=self.text(fields["question"], f"{field}.question"),
            description=self.text(fields["description"], f"{field}.description"),
            role=role,
            role_description=role_description,
            items=self.items_of(fields["items"], f"{field}.items", self.item, minimum=1),
            practices=(
                self.items_of(fields["practices"], f"{field}.practices", self.practice)
                if "practices" in fields
                else ()
            ),
        )

    def item(self, node: yaml.Node, field: str) -> Item:
        fields = self.mapping(node, field, required=("key", "text"), optional=("hint",))
        return Item(
            key=self.key(fields["key"], f"{field}.key"),
            text=self.text(fields["text"], f"{field}.text"),
            hint=self.optional_text(fields.get("hint"), f"{field}.hint"),
        )

    def practice(self, node: yaml.Node, field: str) -> Practice:
        fields = self.mapping(node, field, required=("title", "description"))
        return Practice(
            title=self.text(fields["title"], f"{field}.title"),
            description=self.text(fields["description"], f"{field}.description"),
        )

    def prompt(self, node: yaml.Node, field: str) -> Prompt:
        fields = self.mapping(
            node, field, required=("key", "text"), optional=("hint", "max_length")
        )
        return Prompt(
            key=self.key(fields["key"], f"{field}.key"),
            text=self.text(fields["text"], f"{field}.text"),
            hint=self.optional_text(fields.get("hint"), f"{field}.hint"),
            max_length=(
                self.integer(
                    fields["max_length"],
                    f"{field}.max_length",
                    minimum=1,
                    maximum=LONGEST_PROMPT_MAX_LENGTH,
                )
                if "max_length" in fields
                else DEFAULT_PROMPT_MAX_LENGTH
            ),
        )

    def rater_kind(self, node: yaml.Node, field: str) -> RaterKind:
        fields = self.mapping(node, field, required=("key", "label", "description"))
        return RaterKind(
            key=self.key(fields["key"], f"{field}.key"),
            label=self.text(fields["label"], f"{field}.label"),
            description=self.text(fields["description"], f"{field}.description"),
        )

    def space(self, node: yaml.Node, field: str) -> Space:
        fields = self.mapping(node, field, required=("key", "name", "description"))
        return Space(
            key=self.key(fields["key"], f"{field}.key"),
            name=self.text(fields["name"], f"{field}.name"),
            description=self.text(fields["description"], f"{field}.description"),
        )

    # -- uniqueness -------------------------------------------------------------------

    def check_unique(self, fields: dict[str, yaml.Node]) -> None:
        """Fail on the second use of a key or text that must be unique.

        Runs after the shapes are known to be valid, so it can index nodes directly.
        Item and prompt keys share one namespace because both name answers in a
        response.
        """
        scales = _entries(fields["scales"])
        self.unique(
            [(f"scales[{i}].key", _child(s, "key")) for i, s in enumerate(scales)],
            "scale key",
        )
        answer_keys = [
            (f"scales[{i}].items[{j}].key", _child(item, "key"))
            for i, s in enumerate(scales)
            for j, item in enumerate(_entries(_child(s, "items")))
        ]
        answer_keys += [
            (f"free_text[{i}].key", _child(p, "key"))
            for i, p in enumerate(_entries(fields.get("free_text")))
        ]
        self.unique(answer_keys, "item or prompt key")
        self.unique(
            [
                (f"scales[{i}].items[{j}].text", _child(item, "text"))
                for i, s in enumerate(scales)
                for j, item in enumerate(_entries(_child(s, "items")))
            ],
            "item text",
        )
        for i, scale in enumerate(scales):
            practices = _entries(_child_or_none(scale, "practices"))
            self.unique(
                [
                    (f"scales[{i}].practices[{j}].title", _child(p, "title"))
                    for j, p in enumerate(practices)
                ],
                "practice title",
            )
        for name, what in (("rater_kinds", "rater kind key"), ("spaces", "space key")):
            self.unique(
                [
                    (f"{name}[{i}].key", _child(e, "key"))
                    for i, e in enumerate(_entries(fields.get(name)))
                ],
                what,
            )

    def unique(self, named: list[tuple[str, yaml.Node]], what: str) -> None:
        first: dict[str, tuple[str, yaml.Node]] = {}
        for field, node in named:
            value = str(node.value).strip()
            if value in first:
                earlier_field, earlier = first[value]
                self.fail(
                    node,
                    field,
                    f"duplicate {what} {value!r} (first used at {earlier_field}, "
                    f"line {earlier.start_mark.line + 1})",
                )
            first[value] = (field, node)


def _entries(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _child_or_none(node: yaml.Node, name: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == name:
                found: yaml.Node = value_node
                return found
    return None


def _child(node: yaml.Node, name: str) -> yaml.Node:
    child = _child_or_none(node, name)
    if child is None:  # the schema pass has already required it
        raise LookupError(name)
    return child
