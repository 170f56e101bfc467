"""tracelead.analysis: the statistics of the TRACE leadership model, in NumPy.

Pure Python, NumPy and SciPy; no Django. Every function documents its formula, its
references and what it was validated against; ``docs/statistics.md`` explains them.
"""

from .agreement import (
    AGREEMENT_BANDS,
    agreement_band,
    rwg,
    rwg_from_counts,
    rwg_j,
    uniform_null_variance,
)
from .audit import AuditResult, audit_disclosure, audit_intervals, determined_cells
from .change import ChangeResult, SelfOtherGap, compare_rounds, self_other_gap, self_other_gaps
from .disclosure import (
    COMMENTS_THRESHOLD,
    FIGURES_THRESHOLD,
    DisclosureDecision,
    disclose,
    suppress_hierarchy,
)
from .focus import Focus, RankedCondition, focus_condition
from .profile import (
    ConditionResult,
    GroupProfile,
    ItemDistribution,
    condition_profile,
    condition_scores,
)
from .reliability import (
    cronbach_alpha,
    icc1,
    icc2,
    mcdonald_omega,
    shrout_fleiss_icc,
)
from .report import GroupsReport, groups_report, groups_report_from_sums
from .sums import NodeSums, alpha_from_sums, node_sums

__all__ = [
    "AGREEMENT_BANDS",
    "COMMENTS_THRESHOLD",
    "FIGURES_THRESHOLD",
    "AuditResult",
    "ChangeResult",
    "ConditionResult",
    "DisclosureDecision",
    "Focus",
    "GroupProfile",
    "GroupsReport",
    "ItemDistribution",
    "NodeSums",
    "RankedCondition",
    "SelfOtherGap",
    "agreement_band",
    "alpha_from_sums",
    "audit_disclosure",
    "audit_intervals",
    "compare_rounds",
    "condition_profile",
    "condition_scores",
    "cronbach_alpha",
    "determined_cells",
    "disclose",
    "focus_condition",
    "groups_report",
    "groups_report_from_sums",
    "icc1",
    "icc2",
    "mcdonald_omega",
    "node_sums",
    "rwg",
    "rwg_from_counts",
    "rwg_j",
    "self_other_gap",
    "self_other_gaps",
    "shrout_fleiss_icc",
    "suppress_hierarchy",
    "uniform_null_variance",
]
