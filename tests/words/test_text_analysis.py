"""The words' analysis core against statements written with a known structure
(words_fixtures.py), for both the sentence model and the TF-IDF fallback."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import words_fixtures as fx

from tracelead.analysis import text

pytestmark = pytest.mark.no_database

METHODS = ["tfidf", pytest.param("minilm", marks=pytest.mark.skipif(
    not text.minilm_available(), reason="the words extra is not installed"))]


def _grouping(clusters: list[tuple[int, ...]], truth: list[str]) -> set[frozenset[str]]:
    """Each found group as the set of true tasks in it (a perfect grouping: singletons)."""
    return {frozenset(truth[i] for i in members) for members in clusters}


@pytest.mark.parametrize("method", METHODS)
def test_three_paraphrased_tasks_come_out_as_three_groups(method: str) -> None:
    result = text.convergence(fx.THREE_TASKS, method=method)
    assert result.method == method
    assert len(result.clusters) == 3
    assert sorted(c.size for c in result.clusters) == [6, 6, 6]
    assert _grouping([c.members for c in result.clusters], fx.THREE_TASKS_GROUPS) == {
        frozenset("D"), frozenset("W"), frozenset("C")}
    # Every statement is in exactly one group; representatives are members.
    assert sorted(i for c in result.clusters for i in c.members) == list(range(18))
    for c in result.clusters:
        assert c.representative_index in c.members
        assert c.representative == fx.THREE_TASKS[c.representative_index]


def test_the_fallback_groups_the_easy_fixture_as_the_model_does() -> None:
    if not text.minilm_available():
        pytest.skip("the words extra is not installed")
    model = text.convergence(fx.THREE_TASKS, method="minilm")
    fallback = text.convergence(fx.THREE_TASKS, method="tfidf")
    assert {c.members for c in model.clusters} == {c.members for c in fallback.clusters}


@pytest.mark.parametrize("method", METHODS)
def test_near_paraphrases_score_clearly_higher_than_unrelated_tasks(method: str) -> None:
    same = text.convergence(fx.PARAPHRASES, method=method)
    different = text.convergence(fx.UNRELATED, method=method)
    assert same.score - different.score >= 50
    assert same.band == "shared"
    assert different.band == "not shared"
    # Paraphrases of one task are one way of describing it.
    assert len(same.clusters) == 1


@pytest.mark.parametrize("method", METHODS)
def test_the_calibration_examples_sit_at_the_ends_of_the_scale(method: str) -> None:
    """The stored anchors are what the functions measure on the examples (to 4 places)."""
    low, high = text.CALIBRATION[method]
    diverged, _ = text.embed(list(text.DIVERGED_EXAMPLE), method=method)
    converged, _ = text.embed(list(text.CONVERGED_EXAMPLE), method=method)
    assert text.mean_pairwise_similarity(diverged) == pytest.approx(low, abs=5e-4)
    assert text.mean_pairwise_similarity(converged) == pytest.approx(high, abs=5e-4)
    assert text.convergence(list(text.DIVERGED_EXAMPLE), method=method).score <= 1.0
    assert text.convergence(list(text.CONVERGED_EXAMPLE), method=method).score >= 99.0


@pytest.mark.parametrize("method", METHODS)
def test_outliers_are_the_statements_furthest_from_the_rest(method: str) -> None:
    statements = [*fx.DISCHARGE, "Recruit more foster carers for teenagers in the county."]
    result = text.convergence(statements, method=method)
    assert result.outliers[0].index == len(statements) - 1
    sims = [o.similarity for o in result.outliers]
    assert sims == sorted(sims)


def test_mean_pairwise_similarity_matches_the_pairs_counted_by_hand() -> None:
    rng = np.random.default_rng(3)
    v = rng.normal(size=(7, 5))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    by_hand = np.mean([v[i] @ v[j] for i in range(7) for j in range(7) if i != j])
    assert text.mean_pairwise_similarity(v) == pytest.approx(by_hand, abs=1e-12)


def test_the_score_is_the_documented_linear_map_of_the_mean_similarity() -> None:
    result = text.convergence(fx.THREE_TASKS, method="tfidf")
    low, high = text.CALIBRATION["tfidf"]
    expected = 100 * min(1.0, max(0.0, (result.mean_similarity - low) / (high - low)))
    assert result.score == pytest.approx(expected, abs=0.1)
    assert text.convergence_band(70) == "shared"
    assert text.convergence_band(69.9) == "partly shared"
    assert text.convergence_band(39.9) == "not shared"


def test_blank_statements_are_left_out_and_indices_refer_to_the_input() -> None:
    statements = ["", *fx.DISCHARGE[:3], "   ", *fx.WELLBEING[:3]]
    result = text.convergence(statements, method="tfidf")
    assert result.n == 6
    assert sorted(i for c in result.clusters for i in c.members) == [1, 2, 3, 5, 6, 7]


def test_bad_input_is_refused_with_a_message_naming_it() -> None:
    with pytest.raises(ValueError, match="method must be one of"):
        text.convergence(fx.THREE_TASKS, method="bert")
    with pytest.raises(ValueError, match="at least two"):
        text.convergence(["only one", ""])
    with pytest.raises(ValueError, match="list of strings"):
        text.convergence("a string")  # type: ignore[arg-type]


def test_it_is_deterministic() -> None:
    first = text.convergence(fx.THREE_TASKS, method="tfidf")
    again = text.convergence(list(fx.THREE_TASKS), method="tfidf")
    assert first == again


@pytest.mark.parametrize("method", METHODS)
def test_vectors_kept_for_a_list_are_the_model_s_and_each_caller_gets_its_own(
        method: str) -> None:
    """The sentence model's vectors are kept by their list (``text._encoded``): a list
    asked for again gets the vectors the model gives it afresh, and changing one
    caller's array changes nobody else's."""
    first, _ = text.embed(fx.THREE_TASKS, method=method)
    expected = first.copy()
    first[:] = 0.0  # a caller writing into its result
    again, _ = text.embed(list(fx.THREE_TASKS), method=method)
    np.testing.assert_array_equal(again, expected)
    if method == "minilm":
        text._encoded.cache_clear()
        afresh, _ = text.embed(fx.THREE_TASKS, method=method)
        np.testing.assert_array_equal(afresh, expected)
        other, _ = text.embed([*fx.THREE_TASKS[1:], fx.THREE_TASKS[0]], method=method)
        np.testing.assert_allclose(other[-1], expected[0], atol=1e-6)


def test_class_keywords_follow_the_c_tf_idf_formula() -> None:
    """By hand: class 0 has words {beds: 2, wait: 1} (3 words), class 1 {staff: 2, rota: 2,
    leave: 1} (5 words); A = 4. W(beds, 0) = 2/3 ln(1 + 4/2) = 0.732; W(wait, 0) =
    1/3 ln(1 + 4/1) = 0.536; W(staff, 1) = W(rota, 1) = 2/5 ln 3 = 0.439; W(leave, 1) =
    1/5 ln 5 = 0.322."""
    words = text.class_keywords(["beds beds wait", "staff rota", "rota staff leave"],
                                [0, 1, 1], top=3)
    assert words == {0: ("beds", "wait"), 1: ("rota", "staff", "leave")}


@pytest.mark.parametrize("method", METHODS)
def test_themes_have_keywords_sizes_and_representative_quotes(method: str) -> None:
    found = text.themes(fx.THREE_TASKS, method=method)
    assert found.method == method
    assert [t.size for t in found.themes] == [6, 6, 6]
    keywords = {kw for t in found.themes for kw in t.keywords[:3]}
    assert {"discharge", "wellbeing", "crisis"} & keywords == {"discharge", "wellbeing",
                                                               "crisis"}
    for theme in found.themes:
        assert 2 <= len(theme.quotes) <= 3
        assert set(theme.quotes) <= set(theme.members)


def test_splitting_a_theme_separates_two_tasks() -> None:
    members = [i for i, g in enumerate(fx.THREE_TASKS_GROUPS) if g in "DW"]
    first, second = text.split_members(fx.THREE_TASKS, members, method="tfidf")
    assert {fx.THREE_TASKS_GROUPS[i] for i in first} in ({"D"}, {"W"})
    assert {fx.THREE_TASKS_GROUPS[i] for i in second} in ({"D"}, {"W"})
    assert sorted(first + second) == members


@pytest.mark.parametrize(("quote", "kind", "what"), [
    ("Things improved once Priya took over the rota.", "person", "Priya"),
    ("Since Sarah left, nobody chairs the huddle.", "person", "Sarah"),
    ("Dr Okonkwo never answers emails.", "person", "Dr Okonkwo"),
    ("We need Kwabena to share the data earlier.", "person", "Kwabena"),
    ("The chief executive overrules every decision we make.", "role",
     "The chief executive"),
    ("Our matron is brilliant at this.", "role", "Our matron"),
    ("Ask the director of nursing to come to the huddle.", "role", "director of nursing"),
    ("My line manager does not listen.", "role", "line manager"),
    ("Ward 7 never sends anyone to the meeting.", "team", "Ward 7"),
    ("The Discharge Hub always says no.", "team", "Discharge Hub"),
])
def test_the_identifying_flag_catches_planted_names(quote: str, kind: str, what: str) -> None:
    reasons = text.identifying_reasons(quote, teams=["Discharge Hub"])
    words = {"person": "may name a person", "role": "may name a role one person holds",
             "team": "may name a small team"}[kind]
    hits = [r for r in reasons if r.startswith(words)]
    assert hits, reasons
    assert what.casefold() in hits[0].casefold()


@pytest.mark.parametrize("quote", [
    "More protected time to plan together across the system.",
    "Fewer meetings and clearer decisions, please.",
    "Consultants and nurses should plan the rota together.",
    "The NHS and the council need to share data every Monday.",
    "I would like the team to meet in person once a month.",
])
def test_ordinary_comments_are_not_flagged(quote: str) -> None:
    assert text.identifying_reasons(quote) == ()


def test_ward_keeps_two_close_topics_apart_where_average_linkage_splits_a_loose_one() -> None:
    """Four topics on a sphere: two tight ones close together (cosine 0.75 between their
    centres) and one loose topic of two sub-ideas. Ward's linkage, used for themes, finds
    the four topics; the same cut of the average-linkage tree does not."""
    rng = np.random.default_rng(3)
    axes = np.eye(8)
    close = 0.75 * axes[0] + np.sqrt(1 - 0.75**2) * axes[1]

    def topic(centre: np.ndarray, spread: float, n: int = 60) -> np.ndarray:
        points = centre + rng.normal(0, spread, (n, 8))
        return points / np.linalg.norm(points, axis=1, keepdims=True)

    loose = np.vstack([topic(axes[2] + 0.55 * axes[3], 0.05, 30),
                       topic(axes[2] - 0.55 * axes[3], 0.05, 30)])
    vectors = np.vstack([topic(axes[0], 0.06), topic(close, 0.06), loose,
                         topic(axes[4], 0.06)])
    truth = np.repeat(np.arange(4), 60)

    def purity(labels: np.ndarray) -> float:
        return sum(np.bincount(truth[labels == g]).max() for g in np.unique(labels)) / 240

    ward = text.group_vectors(vectors, same_similarity=0.99, max_groups=4,
                              linkage_method="ward")
    assert len(np.unique(ward)) == 4 and purity(ward) == 1.0
    average = text.group_vectors(vectors, same_similarity=0.99, max_groups=4)
    assert purity(average) == 0.75  # the close topics merged, the loose one split
    with pytest.raises(ValueError, match="linkage_method"):
        text.group_vectors(vectors, same_similarity=0.99, linkage_method="single")  # type: ignore[arg-type]


def test_themes_of_many_answers_sharing_stock_phrases_find_their_topics_with_tfidf() -> None:
    """1,500 answers of the words benchmark (eight topics, each with shared openings and
    endings): the fallback finds at least six topics as a theme of their own (at the
    convergence's limit of 0.04 it allowed only two themes)."""
    import importlib.util
    from collections import Counter

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "words_bench.py"
    spec = importlib.util.spec_from_file_location("words_bench_for_tests", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    texts, topics = bench.statements(1500)
    result = text.themes(texts, method="tfidf")
    theme_of = {i: k for k, theme in enumerate(result.themes) for i in theme.members}
    found = 0
    for topic in set(topics):
        mine = Counter(theme_of[i] for i, t in enumerate(topics) if t == topic)
        theme, count = mine.most_common(1)[0]
        members = Counter(topics[i] for i in result.themes[theme].members)
        found += count / sum(mine.values()) >= 0.8 and members[topic] / sum(
            members.values()) >= 0.8
    assert found >= 6, f"{found} of 8 topics found"
