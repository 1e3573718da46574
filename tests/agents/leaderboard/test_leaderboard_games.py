"""Every leaderboard table plays real, seeded episodes of its game with the bundled agents."""

from __future__ import annotations

import pytest

from botarena.agents.common.registry import list_agents
from botarena.agents.leaderboard import runner
from botarena.agents.leaderboard.games import GAME_ADAPTERS


@pytest.mark.parametrize("table", sorted(GAME_ADAPTERS))
def test_every_table_plays_its_game_with_the_bundled_agents_reproducibly(table):
    adapter = GAME_ADAPTERS[table]
    agents = [spec.name for spec in list_agents(adapter.game)]
    assert adapter.expert in agents + [None] and adapter.random in agents + [None]
    jobs = runner.plan_jobs(table, agents, episodes=1)
    # One job per agent's first appearance keeps the test short; every seat of those episodes is checked.
    picked = {}
    for job in jobs:
        picked.setdefault(job.seats[0], job)
    for job in picked.values():
        rows = runner.play_job(job)
        assert [r["error"] for r in rows] == [None] * len(job.seats), rows[0]["error"]
        assert all(r["return"] is not None and r["length"] >= 1 for r in rows)
        if adapter.kind != "single":
            assert sorted(r["placement"] for r in rows)[0] == 1
        again = runner.play_job(job)
        assert [r["return"] for r in again] == [r["return"] for r in rows]
