"""The group hierarchy as the many-groups report walks it.

Rows are listed depth first, siblings by name, from the groups of today; what a row covers
(its nested groups) is read from the hierarchy stored with the publication, since groups
may have moved since it was made.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracelead.organisations.models import Group, System


@dataclass(frozen=True)
class GroupInfo:
    id: int
    name: str
    parent_id: int | None
    organisation_id: int | None
    organisation: str
    sector: str
    space: str


def system_groups(system: System) -> list[GroupInfo]:
    """Every group of the system, read in one query."""
    rows = Group.objects.filter(system=system).values_list(
        "id", "name", "parent_id", "organisation_id", "organisation__name",
        "organisation__sector", "space",
    )
    return [
        GroupInfo(id=r[0], name=r[1], parent_id=r[2], organisation_id=r[3],
                  organisation=r[4] or "", sector=r[5] or "", space=r[6])
        for r in rows
    ]


def depth_first(groups: list[GroupInfo]) -> list[tuple[GroupInfo, int]]:
    """The groups with their depth, each followed by the groups nested in it; a group whose
    parent is not among ``groups`` starts a tree of its own."""
    ids = {g.id for g in groups}
    children: dict[int | None, list[GroupInfo]] = {}
    for g in groups:
        children.setdefault(g.parent_id if g.parent_id in ids else None, []).append(g)
    for siblings in children.values():
        siblings.sort(key=lambda g: g.name.lower())
    ordered: list[tuple[GroupInfo, int]] = []
    stack = [(g, 0) for g in reversed(children.get(None, []))]
    while stack:
        g, depth = stack.pop()
        ordered.append((g, depth))
        stack.extend((c, depth + 1) for c in reversed(children.get(g.id, [])))
    return ordered
