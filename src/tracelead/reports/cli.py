"""`tracelead report ...`: the group report and many groups at once, as files.

The command acts as an administrator (whoever runs it has the database anyway), but the
reports come from the same selectors as the pages, so disclosure is applied all the same.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

report_app = typer.Typer(help="Reports as files: PDF, Excel, CSV or HTML.",
                         no_args_is_help=True)


class Format(StrEnum):
    pdf = "pdf"
    xlsx = "xlsx"
    csv = "csv"
    html = "html"


class Measure(StrEnum):
    level = "level"
    sharedness = "sharedness"


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="File format.")]
OutputOption = Annotated[Path, typer.Option("--output", "-o", help="File to write.",
                                            dir_okay=False, writable=True)]


def _say(text: str) -> None:
    typer.echo(text, err=True)


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg="red")
    return typer.Exit(1)


def _write(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    typer.echo(f"Wrote {path} ({len(content):,} bytes)")


@report_app.command("group")
def report_group(
    assessment_id: Annotated[int, typer.Argument(help="The assessment (round) to report.")],
    fmt: FormatOption = Format.pdf,
    output: OutputOption = Path("report.pdf"),
    comments: Annotated[
        bool, typer.Option(help="Include the free-text comments (left out by default).")
    ] = False,
) -> None:
    """The group report of one assessment."""
    from tracelead.bootstrap import django_setup as _django

    _django()
    from tracelead.diagnostics.models import Assessment

    from .builders import group_report
    from .exports import export_group

    assessment = (Assessment.objects.select_related("group", "group__system",
                                                    "group__organisation")
                  .filter(pk=assessment_id).first())
    if assessment is None:
        raise _fail(f"No assessment with id {assessment_id}.")
    _say(f"Reading the published results of {assessment.title}")
    report = group_report(assessment)
    try:
        export = export_group(report, fmt.value, progress=_say, include_comments=comments)
    except ValueError as error:
        raise _fail(f"Nothing written: {error}.") from error
    _write(output, export.content)


@report_app.command("system")
def report_system(
    system_id: Annotated[int, typer.Argument(help="The system whose groups to report.")],
    organisation: Annotated[int | None, typer.Option(
        help="Only the groups of this organisation (its id).")] = None,
    measure: Annotated[Measure, typer.Option(help="What the heatmap colours.")] = Measure.level,
    cycle: Annotated[int | None, typer.Option(
        help="The reporting cycle (its id); default: the newest with a publication.")] = None,
    fmt: FormatOption = Format.pdf,
    output: OutputOption = Path("groups.pdf"),
) -> None:
    """Many groups at once: every group of a system or organisation in one cycle, as it was
    last published."""
    from tracelead.bootstrap import django_setup as _django

    _django()
    from tracelead.organisations.models import Organisation, System
    from tracelead.publishing.models import Cycle

    from .builders import many_groups_report
    from .exports import export_many

    system = System.objects.filter(pk=system_id).first()
    if system is None:
        raise _fail(f"No system with id {system_id}.")
    org = None
    if organisation is not None:
        org = Organisation.objects.filter(pk=organisation, system=system).first()
        if org is None:
            raise _fail(f"No organisation with id {organisation} in {system.name}.")
    chosen = None
    if cycle is not None:
        chosen = Cycle.objects.filter(pk=cycle, system=system).first()
        if chosen is None:
            raise _fail(f"No cycle with id {cycle} in {system.name}.")
    _say(f"Reading the published results of {org.name if org else system.name}")
    report = many_groups_report(system, cycle=chosen, organisation=org, measure=measure.value)
    export = export_many(report, fmt.value, progress=_say)
    _write(output, export.content)
