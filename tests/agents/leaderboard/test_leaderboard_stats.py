"""Leaderboard statistics on synthetic data with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from botarena.agents.leaderboard import ratings, stats


def test_iqm_is_the_mean_of_the_middle_half():
    assert stats.iqm(np.arange(8.0)) == pytest.approx(np.mean([2, 3, 4, 5]))
    assert stats.iqm([1.0, 1.0, 1.0, 100.0]) == pytest.approx(1.0)  # robust to one outlier


def test_bootstrap_ci_covers_the_true_mean_at_about_the_nominal_rate():
    rng = np.random.default_rng(0)
    trials, covered = 200, 0
    for t in range(trials):
        sample = rng.normal(3.0, 2.0, size=(30, 1))
        ci = stats.stratified_bootstrap(sample, stats.mean, reps=400, seed=t)
        covered += ci.low <= 3.0 <= ci.high
    # Percentile-bootstrap intervals for n=30 run a little narrow; 95% nominal, allow 88-99%.
    assert 0.88 <= covered / trials <= 0.99, covered / trials


def test_stratification_keeps_each_task_column_intact():
    x = np.column_stack([np.zeros(10), np.full(10, 100.0)])  # two tasks with constant scores
    ci = stats.stratified_bootstrap(x, stats.mean, reps=200)
    assert ci.low == ci.high == 50.0  # unstratified resampling would mix the columns and vary


def test_the_bootstrap_is_deterministic_for_the_same_data():
    x = np.random.default_rng(1).normal(size=(20, 2))
    assert stats.stratified_bootstrap(x) == stats.stratified_bootstrap(x)


def test_probability_of_improvement_of_a_clearly_better_agent_is_near_one():
    rng = np.random.default_rng(2)
    better, worse = rng.normal(5, 1, (40, 1)), rng.normal(0, 1, (40, 1))
    poi = stats.probability_of_improvement(better, worse, reps=200)
    assert poi.value > 0.99 and poi.low > 0.95
    same = stats.probability_of_improvement(worse, worse, reps=200)
    assert same.value == pytest.approx(0.5)


def test_normalised_scores_put_random_at_zero_and_expert_at_one():
    assert stats.normalize([10.0, 30.0, 50.0], 10.0, 30.0).tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(ValueError, match="score the same"):
        stats.normalize([1.0], 2.0, 2.0)


def test_normalised_scores_are_per_task_and_their_ci_carries_the_references_noise():
    rng = np.random.default_rng(8)
    # Two tasks on very different scales: per-task normalisation puts the expert at 1 on both.
    random = np.column_stack([rng.normal(0, 1, 40), rng.normal(0, 10, 40)])
    expert = np.column_stack([rng.normal(10, 1, 40), rng.normal(1000, 10, 40)])
    mid = (random + expert) / 2
    assert stats.normalized_bootstrap(expert, random, expert, stats.mean, reps=200).value == pytest.approx(1.0)
    assert stats.normalized_bootstrap(mid, random, expert, stats.mean, reps=200).value == pytest.approx(0.5)
    # With noisy references the interval is wider than if they were known constants.
    noisy_expert = np.column_stack([rng.normal(10, 8, 40), rng.normal(1000, 400, 40)])
    agent = np.column_stack([rng.normal(5, 1, 40), rng.normal(500, 10, 40)])
    joint = stats.normalized_bootstrap(agent, random, noisy_expert, stats.mean, reps=400)
    fixed = stats.stratified_bootstrap((agent - random.mean(0)) / (noisy_expert.mean(0) - random.mean(0)),
                                       stats.mean, reps=400)
    assert joint.high - joint.low > 1.5 * (fixed.high - fixed.low)
    with pytest.raises(ValueError, match="score the same"):
        stats.normalized_bootstrap(agent, random, random, stats.mean)


def test_bad_score_matrices_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        stats.stratified_bootstrap(np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="non-empty"):
        stats.stratified_bootstrap(np.zeros((0, 1)))


def sample_rankings(strength: np.ndarray, games: int, rng: np.random.Generator) -> list[list[int]]:
    out = []
    for _ in range(games):
        items, order = list(range(len(strength))), []
        while items:
            w = np.exp(strength[items])
            order.append(items.pop(rng.choice(len(items), p=w / w.sum())))
        out.append(order)
    return out


def test_plackett_luce_recovers_a_known_order_and_scale():
    true = np.array([1.5, 0.5, 0.0, -0.5, -1.5])
    fit = ratings.plackett_luce(sample_rankings(true, 600, np.random.default_rng(3)), 5)
    assert np.argsort(-fit).tolist() == [0, 1, 2, 3, 4]
    assert np.allclose(fit, true - true.mean(), atol=0.15)


def test_an_unbeaten_agent_still_gets_a_finite_rating():
    fit = ratings.plackett_luce([[0, 1, 2]] * 20, 3)
    assert np.all(np.isfinite(fit)) and fit[0] > fit[1] > fit[2]


def test_bradley_terry_is_plackett_luce_on_pairs():
    # 30 wins to 10: the MAP odds with one virtual win each are (30+1)/(10+1).
    fit = ratings.plackett_luce([[0, 1]] * 30 + [[1, 0]] * 10, 2)
    elo = ratings.elo_scale(fit)
    assert fit[0] - fit[1] == pytest.approx(np.log(31 / 11), rel=1e-3)
    assert elo[0] - elo[1] == pytest.approx(400 * np.log10(31 / 11), rel=1e-3)


def test_bradley_terry_on_a_score_matrix_agrees_with_plackett_luce_on_decisive_games():
    rng = np.random.default_rng(6)
    true = np.array([1.0, 0.0, -1.0])
    games = sample_rankings(true, 300, rng)
    pairs = [[g[0], g[1]] for g in games]  # the first two places of each game as a duel
    scores = np.zeros((3, 3))
    for winner, loser in pairs:
        scores[winner, loser] += 1
    assert np.allclose(ratings.bradley_terry(scores), ratings.plackett_luce(pairs, 3), atol=1e-6)


def test_a_draw_counts_half_a_win_each_way():
    # 10 wins, 10 losses and 10 draws between two agents is an even record: equal ratings.
    even = ratings.bradley_terry(np.array([[0.0, 15.0], [15.0, 0.0]]))
    assert even[0] == pytest.approx(even[1])
    # 20 wins and 10 draws against nothing: 25 points to 5, MAP odds (25+1)/(5+1).
    fit = ratings.bradley_terry(np.array([[0.0, 25.0], [5.0, 0.0]]))
    assert fit[0] - fit[1] == pytest.approx(np.log(26 / 6), rel=1e-3)
    with pytest.raises(ValueError, match="square non-negative"):
        ratings.bradley_terry(np.array([[1.0, 0.0], [0.0, 0.0]]))


def test_bradley_terry_bootstrap_separates_clearly_different_duellists():
    rng = np.random.default_rng(7)
    blocks = np.zeros((20, 3, 3))
    p_win = {(0, 1): 0.9, (0, 2): 0.97, (1, 2): 0.8}
    for block in blocks:
        for (i, j), p in p_win.items():
            for _ in range(2):  # both seat orders
                if rng.random() < p:
                    block[i, j] += 1
                else:
                    block[j, i] += 1
    cis = ratings.bootstrap_bradley_terry(blocks, reps=100)
    assert all(c.low <= c.value <= c.high for c in cis)
    assert cis[0].low > cis[2].high


def test_block_bootstrap_intervals_contain_the_point_and_separate_clear_gaps():
    rng = np.random.default_rng(4)
    blocks = [sample_rankings(np.array([2.0, 0.0, -2.0]), 3, rng) for _ in range(30)]
    cis = ratings.bootstrap_plackett_luce(blocks, 3, reps=100)
    assert all(c.low <= c.value <= c.high for c in cis)
    assert cis[0].low > cis[1].high and cis[1].low > cis[2].high


def test_openskill_orders_agents_by_their_results():
    rng = np.random.default_rng(5)
    games = sample_rankings(np.array([2.0, 0.0, -2.0]), 60, rng)
    out = ratings.openskill_ratings(games, 3)
    assert out[0]["ordinal"] > out[1]["ordinal"] > out[2]["ordinal"]
    assert ratings.openskill_ratings(games, 3) == out  # same order, same numbers


def test_rankings_with_unknown_or_repeated_items_are_refused():
    with pytest.raises(ValueError, match="distinct items"):
        ratings.plackett_luce([[0, 0, 1]], 3)
    with pytest.raises(ValueError, match="distinct items"):
        ratings.plackett_luce([[0, 5]], 3)
