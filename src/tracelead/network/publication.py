"""Publishing the anonymised network: the only network anyone but the academy's
facilitators sees.

The gate's rules (``shared/gate.md``) applied to relationships:

* **Publish rarely and freeze.** A facilitator publishes the network at most once a
  calendar month. The figures, tables, picture, PDF and workbook are computed once, stored
  in :class:`~tracelead.network.models.NetworkPublication` and served as stored, so a
  viewer who reloads after one more tie sees nothing move; only two publications at least
  a month apart can be compared.
* **The threshold never falls.** A publication uses the system's threshold, or the highest
  an earlier publication used if that is higher, so a lowered threshold cannot split a
  pooled group that was shown whole before.
* **Check against everything published before.** Each view pools people by
  organisation-and-sector *cells* (:func:`~tracelead.network.selectors.atom_key`); a
  group is a union of cells, and every figure about a group (its people, its ties within,
  its ties to another group) is a sum over its cells. Taken over every publication and
  both views (organisations and sectors), the groups are a system of equations in the
  cells. A hidden cell is an organisation or a sector with fewer people than the
  threshold; it must not be determined (the rank test of
  :func:`tracelead.analysis.audit.determined_cells`). Where the new publication would
  determine one (an organisation pooled with others last month, shown beside a group it
  now leaves), the group holding it is pooled further with the smallest other group of
  that view, until no hidden cell follows. Ties between groups are sums over pairs of
  cells; a cell that no row isolates cannot be isolated by pairs of rows either (the pair
  rows lie in the tensor product of the group rows' span), so the test on the groups
  covers the ties between them.

What is left, and said in ``docs/network.md``: between two monthly publications a count
of ties can move by one, which tells that one tie was recorded in the month, not by whom.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from tracelead.academy.models import Academy
from tracelead.analysis.audit import determined_cells
from tracelead.core.audit import audit_record
from tracelead.core.models import AuditEvent

from . import exports, selectors
from .models import NetworkPublication

GROUPINGS: tuple[selectors.Grouping, ...] = ("organisation", "sector")


class PublicationRefused(Exception):
    """Why the network cannot be published now, in words a facilitator can act on."""


# --- The check ----------------------------------------------------------------------------


Pooling = dict[str, list[list[str]]]


def pooling_of(grouped: dict[selectors.Grouping, selectors.GroupedNetwork],
               network: selectors.Network) -> Pooling:
    """Per view, the cells each group pools (sorted, so that it can be stored)."""
    cell = {p.key: selectors.atom_key(p) for p in network.people}
    return {g: [sorted({cell[k] for k in group.members}) for group in grouped[g].groups]
            for g in grouped}


def hidden_cells(network: selectors.Network, threshold: int) -> list[list[str]]:
    """The cells no view may single out: each organisation-and-sector cell and each sector
    with at least one person and fewer than ``threshold``."""
    by_cell: dict[str, int] = {}
    by_sector: dict[str, set[str]] = {}
    sector_people: dict[str, int] = {}
    for p in network.people:
        key = selectors.atom_key(p)
        by_cell[key] = by_cell.get(key, 0) + 1
        by_sector.setdefault(p.sector, set()).add(key)
        sector_people[p.sector] = sector_people.get(p.sector, 0) + 1
    hidden = [[key] for key, n in sorted(by_cell.items()) if n < threshold]
    hidden += [sorted(cells) for sector, cells in sorted(by_sector.items())
               if sector_people[sector] < threshold and len(cells) > 1]
    return hidden


def exposed(earlier: Sequence[Pooling], new: Pooling, hidden: list[list[str]]) -> list[int]:
    """Indices of the hidden cells that ``new``, with every earlier pooling, determines
    and the earlier ones alone did not (those were shown when they were larger: members
    who left are erased, and nothing published can be taken back)."""
    if not hidden:
        return []
    cells = sorted({c for pooling in [*earlier, new] for groups in pooling.values()
                    for group in groups for c in group} | {c for h in hidden for c in h})
    column = {c: n for n, c in enumerate(cells)}

    def rows(poolings: Sequence[Pooling]) -> np.ndarray:
        out = [np.zeros(len(cells))]  # no publication yet: nothing is determined
        for pooling in poolings:
            for groups in pooling.values():
                for group in groups:
                    row = np.zeros(len(cells))
                    row[[column[c] for c in group]] = 1.0
                    out.append(row)
        return np.vstack(out)

    targets = np.zeros((len(hidden), len(cells)))
    for n, h in enumerate(hidden):
        targets[n, [column[c] for c in h]] = 1.0
    before = determined_cells(rows(earlier), targets)
    after = determined_cells(rows([*earlier, new]), targets)
    return [int(i) for i in np.flatnonzero(after & ~before)]


def _widen(network: selectors.Network, grouped: dict[selectors.Grouping,
           selectors.GroupedNetwork], cell_keys: list[str], threshold: int
           ) -> dict[selectors.Grouping, selectors.GroupedNetwork] | None:
    """Pool the group holding the exposed cell with the smallest other group, in the view
    where that is possible with the fewest people moved; None if both views are one group."""
    cell = {p.key: selectors.atom_key(p) for p in network.people}
    best: tuple[int, selectors.Grouping, int, int] | None = None
    for g in GROUPINGS:
        groups = grouped[g].groups
        if len(groups) < 2:
            continue
        holder = next((i for i, group in enumerate(groups)
                       if any(cell[k] in cell_keys for k in group.members)), None)
        if holder is None:
            continue
        other = min((i for i in range(len(groups)) if i != holder),
                    key=lambda i: (groups[i].people, groups[i].label))
        size = groups[holder].people + groups[other].people
        if best is None or size < best[0]:
            best = (size, g, holder, other)
    if best is None:
        return None
    _, g, holder, other = best
    groups = grouped[g].groups
    joined = groups[holder].members | groups[other].members
    label = (selectors.SMALLER_TOGETHER if g == "organisation" else selectors.OTHER_SECTORS)
    same_sector = groups[holder].sector == groups[other].sector
    merged = [(group.label, group.sector, set(group.members))
              for i, group in enumerate(groups) if i not in (holder, other)]
    merged.append((label if not same_sector else
                   (f"Smaller organisations: {selectors.sector_label(groups[holder].sector)}"
                    if g == "organisation" else selectors.sector_label(groups[holder].sector)),
                   groups[holder].sector if same_sector else "", set(joined)))
    widened = dict(grouped)
    widened[g] = selectors.grouped_from(network, grouping=g, threshold=threshold,
                                        merged=merged)
    return widened


def safe_grouping(network: selectors.Network, threshold: int, earlier: Sequence[Pooling]
                  ) -> tuple[dict[selectors.Grouping, selectors.GroupedNetwork], int]:
    """Both views, pooled further where needed so that nothing hidden follows from them
    and the earlier publications together; and how many times they were widened."""
    grouped = {g: selectors.grouped_network(network, grouping=g, threshold=threshold)
               for g in GROUPINGS}
    hidden = hidden_cells(network, threshold)
    widened = 0
    while True:
        found = exposed(earlier, pooling_of(grouped, network), hidden)
        if not found:
            return grouped, widened
        wider = _widen(network, grouped, hidden[found[0]], threshold)
        if wider is None:  # pragma: no cover - one group per view isolates nothing new
            raise PublicationRefused(
                "The network cannot be published without singling out a small "
                "organisation or sector; publish again when more people have joined.")
        grouped, widened = wider, widened + 1


# --- Publishing -----------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Dataclasses, dates and tuples as JSON."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def figures_from(data: dict[str, Any]) -> selectors.Figures:
    """The stored figures as the page's template reads them."""
    return selectors.Figures(**{
        **data,
        "start": _day(data["start"]), "end": _day(data["end"]),
        "per_event": [selectors.EventFigure(**{**e, "on": _day(e["on"])})
                      for e in data["per_event"]],
        "brokers": [selectors.BrokerFigure(**b) for b in data["brokers"]],
        "bridges": [selectors.BridgeFigure(**b) for b in data["bridges"]],
        "sectors": [selectors.SectorFigure(**s) for s in data["sectors"]],
        "broker_sectors": [tuple(x) for x in data["broker_sectors"]],
        "bridge_sectors": [tuple(x) for x in data["bridge_sectors"]],
    })


def tables_from(data: dict[str, Any]) -> dict[str, tuple[list[selectors.GroupRow],
                                                        list[selectors.PairRow]]]:
    return {g: ([selectors.GroupRow(**r) for r in rows],
                [selectors.PairRow(**p) for p in pairs])
            for g, (rows, pairs) in data.items()}


def latest(academy: Academy) -> NetworkPublication | None:
    return NetworkPublication.objects.filter(academy=academy).order_by("-number").first()


def next_allowed(last: NetworkPublication) -> dt.date:
    """The first day of the month after the last publication's."""
    year, month = divmod(last.as_of.year * 12 + last.as_of.month, 12)
    return dt.date(year, month + 1, 1)


def publish(academy: Academy, *, by: Any = None, today: dt.date | None = None
            ) -> NetworkPublication:
    """Compute, check and store the anonymised network as it stands today."""
    today = today or timezone.localdate()
    with transaction.atomic():
        Academy.objects.select_for_update().filter(pk=academy.pk).first()
        earlier = list(NetworkPublication.objects.filter(academy=academy).order_by("number"))
        last = earlier[-1] if earlier else None
        if last is not None and today < next_allowed(last):
            raise PublicationRefused(
                f"The network was last published on {last.as_of:%-d %B %Y}. It can be "
                f"published once a calendar month, so the next can be from "
                f"{next_allowed(last):%-d %B %Y}: figures that change less often give "
                "nobody a before and after to compare.")
        network = selectors.network_for(academy, end=today, today=today)
        if not network.people:
            raise PublicationRefused("Nobody is in the network yet: there is nothing to "
                                     "publish.")
        threshold = max([selectors.network_threshold(academy),
                         *(p.threshold for p in earlier)])
        grouped, widened = safe_grouping(network, threshold, [p.pooling for p in earlier])
        figures = selectors.figures(network, named=False, threshold=threshold)
        tables = {g: selectors.group_tables(network, grouped[g], threshold=threshold)
                  for g in GROUPINGS}
        graph = selectors.grouped_graph(network, threshold, grouped=grouped)
        pdf = exports.render_network(network, figures, grouped, tables, "pdf")
        xlsx = exports.render_network(network, figures, grouped, tables, "xlsx")
        try:
            with transaction.atomic():
                publication = NetworkPublication.objects.create(
                    academy=academy, number=(last.number + 1) if last else 1, as_of=today,
                    threshold=threshold, people=len(network.people),
                    pooling=pooling_of(grouped, network),
                    page={"figures": _plain(figures), "tables": _plain(tables)},
                    graph=graph, pdf=pdf, xlsx=xlsx, widened=widened, published_by=by)
        except IntegrityError as error:  # pragma: no cover - two facilitators at once
            raise PublicationRefused("Someone else published the network just now.") from error
        audit_record(user=by, action=AuditEvent.Action.PUBLISHED,
                     what=f"relationships network of {academy.name} (publication "
                          f"{publication.number}, {len(network.people)} people)",
                     system_id=academy.system_id)
    return publication
