"""The PDF is fit for a board paper: read back page by page (pdftotext) and as pictures
(pdftoppm), not by looking at the HTML that made it.

* no heading is left at the foot of a page, and each chart's heading shares its page;
* no page but the last is less than half full (the cover excepted: it is a page of its own);
* a cover with the system's name, its logo and the classification line, which is also at
  the head and foot of every page (TRACELEAD_CLASSIFICATION changes it);
* whole-number axes where a chart counts people;
* the board copy and the copy with comments have different file names.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftoppm") is None,
                       reason="poppler-utils (pdftoppm, pdftotext) not installed"),
]
MARK = "OFFICIAL-SENSITIVE"


def _pdf(client: Any, assessment: Any, *, comments: bool = False) -> Any:
    url = reverse("report_group_export", args=[assessment.pk, "pdf"])
    response = client.get(url + ("?comments=1" if comments else ""))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return response


def _page_texts(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,  # noqa: S603, S607
                          capture_output=True, text=True).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def _content_lines(page: str, mark: str = MARK) -> list[str]:
    """A page's lines of text without the running head and foot (marking, page number)."""
    lines = []
    for line in page.splitlines():
        line = re.sub(r"Page \d+ of \d+", "", line).replace(mark, "").strip()
        if line:
            lines.append(" ".join(line.split()))
    return lines


def _headings(html: str) -> list[str]:
    """The text of every h2 and h3 of the report, as the PDF prints it."""
    found = re.findall(r"<h([23])[^>]*>(.*?)</h\1>", html, flags=re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", "", text)).split()) for _, text in found]


def _fill(pdf: bytes, tmp_path: Path) -> list[float]:
    """How far down each page's body (inside the top and bottom margins) the content
    reaches, from 0 to 1, read from the rendered page."""
    from PIL import Image

    path = tmp_path / "fill.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "40", str(path), str(tmp_path / "fill")],  # noqa: S603, S607
                   check=True)
    fills = []
    for png in sorted(tmp_path.glob("fill-*.png"), key=lambda p: int(p.stem.split("-")[-1])):
        grey = np.asarray(Image.open(png).convert("L"))
        height = grey.shape[0]
        body = grey[int(height * 22 / 297): int(height * 275 / 297)]
        inked = np.where((body < 200).any(axis=1))[0]
        fills.append(0.0 if not len(inked) else (inked.max() + 1) / body.shape[0])
    return fills


def _red_pixels_on_first_page(pdf: bytes, tmp_path: Path) -> int:
    from PIL import Image

    path = tmp_path / "cover.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path),  # noqa: S603, S607
                    str(tmp_path / "cover")], check=True)
    pixels = np.asarray(Image.open(next(tmp_path.glob("cover-*.png"))).convert("RGB")).astype(int)
    red = (pixels[..., 0] > 200) & (pixels[..., 1] < 60) & (pixels[..., 2] < 60)
    return int(red.sum())


def test_no_heading_is_left_at_the_foot_of_a_page(
    facilitator_client: Any, reports_data: Any, tmp_path: Path
) -> None:
    from tracelead.reports.builders import group_report
    from tracelead.reports.exports import group_html

    now = reports_data["now"]
    pages = _page_texts(_pdf(facilitator_client, now, comments=True).content, tmp_path)
    headings = set(_headings(group_html(group_report(now))))
    assert {"The five conditions: level and sharedness", "Answers to each statement",
            "Change since the previous round"} <= headings
    for number, page in enumerate(pages, start=1):
        lines = _content_lines(page)
        assert lines, f"page {number} is empty"
        assert lines[-1] not in headings, f"page {number} ends with the heading {lines[-1]!r}"
    # A chart's section heading is printed on the page where its chart starts (a heading
    # with only its introduction at a page's foot was the fault before).
    for heading, caption in (
        ("The five conditions: level and sharedness", "Level and sharedness of each condition,"),
        ("Change since the previous round", "Change in each condition since"),
    ):
        where = [n for n, page in enumerate(pages) if heading in " ".join(page.split())]
        assert where, heading
        assert caption in " ".join(pages[where[0]].split()), (heading, where[0] + 1)


def test_pages_are_full_but_for_the_last_and_their_number_is_sane(
    facilitator_client: Any, reports_data: Any, tmp_path: Path
) -> None:
    pdf = _pdf(facilitator_client, reports_data["now"], comments=True).content
    pages = _page_texts(pdf, tmp_path)
    # A cover, then the summary, profile, five conditions' statements, self and others,
    # change and comments: more than 4 pages, and far fewer than one a section.
    assert 5 <= len(pages) <= 12
    fills = _fill(pdf, tmp_path)
    assert len(fills) == len(pages)
    half_empty = [n for n, fill in enumerate(fills[1:-1], start=2) if fill < 0.5]
    assert not half_empty, f"pages less than half full: {half_empty} ({fills})"


def test_the_cover_has_the_name_and_the_marking_which_heads_every_page(
    facilitator_client: Any, reports_data: Any, system: Any, tmp_path: Path
) -> None:
    pages = _page_texts(_pdf(facilitator_client, reports_data["now"]).content, tmp_path)
    cover = " ".join(pages[0].split())
    assert system.name in cover
    assert "Group report: Ward 7 team" in cover
    assert "Board copy" in cover
    assert "In short" not in cover  # the cover is a page of its own
    for number, page in enumerate(pages, start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        assert lines[0] == MARK, f"page {number} does not start with the marking"
        assert lines[-1].startswith(MARK) and lines[-1].endswith(f"Page {number} of "
                                                                   f"{len(pages)}")


def test_the_marking_is_a_setting(
    facilitator_client: Any, reports_data: Any, settings: Any, tmp_path: Path
) -> None:
    settings.TRACELEAD_CLASSIFICATION = "OFFICIAL"
    pages = _page_texts(_pdf(facilitator_client, reports_data["now"]).content, tmp_path)
    assert all(page.strip().startswith("OFFICIAL\n") for page in pages)
    assert MARK not in "".join(pages)


def test_the_cover_shows_the_systems_logo(
    facilitator_client: Any, reports_data: Any, system: Any, tmp_path: Path
) -> None:
    from PIL import Image

    now = reports_data["now"]
    assert _red_pixels_on_first_page(_pdf(facilitator_client, now).content, tmp_path) == 0
    buffer = io.BytesIO()
    Image.new("RGB", (200, 100), (230, 0, 0)).save(buffer, format="PNG")
    system.logo.save("logo.png", ContentFile(buffer.getvalue()))
    cover_dir = tmp_path / "with-logo"
    cover_dir.mkdir()
    red = _red_pixels_on_first_page(_pdf(facilitator_client, now).content, cover_dir)
    # 70 mm wide at 50 dpi is about 138 by 69 pixels of red.
    assert red > 5000


def test_the_board_copy_and_the_copy_with_comments_have_different_names(
    facilitator_client: Any, reports_data: Any, tmp_path: Path
) -> None:
    now = reports_data["now"]
    board = _pdf(facilitator_client, now)
    full = _pdf(facilitator_client, now, comments=True)
    board_name = re.search(r'filename="([^"]+)"', board["Content-Disposition"])
    full_name = re.search(r'filename="([^"]+)"', full["Content-Disposition"])
    assert board_name and full_name
    assert board_name[1] == f"tracelead-ward-7-team-{now.pk}-board.pdf"
    assert full_name[1] == f"tracelead-ward-7-team-{now.pk}-with-comments.pdf"
    board_text = " ".join("".join(_page_texts(board.content, tmp_path)).split())
    full_text = " ".join("".join(_page_texts(full.content, tmp_path)).split())
    assert "We keep patients safe" not in board_text and "Board copy" in board_text
    assert "We keep patients safe" in full_text and "Copy with comments" in full_text


def test_counts_of_people_have_whole_number_axes(
    facilitator_client: Any, reports_data: Any
) -> None:
    from tracelead.reports import charts
    from tracelead.reports.builders import group_report

    report = group_report(reports_data["now"])
    for scale in report.instrument.scales:
        svg = charts.to_svg(charts.items_chart(report, scale.key))
        # The "Don't know" axis is the last axis drawn: its labels follow the title of the
        # shares' axis and come before its own title.
        tail = svg.split("disagree to the left, agree to the right")[-1]
        labels = re.findall(r">([^<>]+)</text>", tail)
        numbers = [label for label in labels if re.fullmatch(r"[\d.,−-]+", label)]
        assert numbers, scale.key
        assert all(label.isdigit() for label in numbers), numbers
        assert len(set(numbers)) == len(numbers), f"repeated tick labels: {numbers}"
    assert charts.count_ticks(0) == [0, 1]
    assert charts.count_ticks(3) == [0, 1, 2, 3]
    assert charts.count_ticks(7) == [0, 2, 4, 6, 8]
    assert charts.count_ticks(40) == [0, 10, 20, 30, 40]
