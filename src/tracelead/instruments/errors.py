"""The one error an instrument file or look-up raises."""

from __future__ import annotations


class InstrumentError(ValueError):
    """An instrument file is malformed, or an instrument look-up failed.

    The message reads ``<file>, line <n>: <field>: <problem>``, for example
    ``trace.yaml, line 42: scales[2].items[3].text: field required``; parts that do
    not apply are left out. List positions in ``field`` count from 0. The parts are
    also available as attributes, so a command or page can lay them out its own way.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.line = line
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        where = ", ".join(
            part
            for part in (
                self.source,
                f"line {self.line}" if self.line is not None else None,
            )
            if part
        )
        what = f"{self.field}: {self.problem}" if self.field else self.problem
        return f"{where}: {what}" if where else what
