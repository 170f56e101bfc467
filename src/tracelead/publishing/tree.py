"""The group hierarchy of a system, now and as a publication stored it.

Groups may move between publications, so what a published row covered is read from the
hierarchy stored in its publication (``table["tree"]``: group id -> parent id); the gate
and the many-groups report both walk it from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tracelead.organisations.models import Group


@dataclass
class GroupTree:
    ids: list[int]  # group ids, in node order
    parent: dict[int, int | None]
    children: dict[int, list[int]]

    @classmethod
    def from_parents(cls, parent: Mapping[int, int | None]) -> GroupTree:
        children: dict[int, list[int]] = {}
        for gid, pid in parent.items():
            if pid is not None:
                children.setdefault(pid, []).append(gid)
        return cls(list(parent), dict(parent), children)

    def subtree(self, gid: int) -> list[int]:
        """The group ``gid`` and every group nested in it, at any depth."""
        found, stack = [gid], [gid]
        while stack:
            for child in self.children.get(stack.pop(), []):
                found.append(child)
                stack.append(child)
        return found


def system_tree(system_id: int) -> GroupTree:
    """Today's hierarchy of a system's groups, in id order."""
    rows = Group.objects.filter(system_id=system_id).order_by("pk").values_list("pk", "parent_id")
    return GroupTree.from_parents({gid: pid for gid, pid in rows})


def tree_then(table: Mapping[str, Any], now: GroupTree) -> GroupTree:
    """The hierarchy as it was when the publication ``table`` was made (``now`` for a
    table stored without one)."""
    stored = table.get("tree")
    if stored is None:
        return now
    return GroupTree.from_parents(
        {int(g): (None if p is None else int(p)) for g, p in stored.items()}
    )
