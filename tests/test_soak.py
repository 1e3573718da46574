"""A short run of benchmarks/soak.py: every game plays through autoresets with finite numbers and sound states.

The full soak (10^7 env-steps per game) is ``python benchmarks/soak.py``; its memory and time figures are printed,
never asserted (they are for a quiet machine, not a test).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "soak.py"


@pytest.fixture(scope="module")
def soak_module():
    spec = importlib.util.spec_from_file_location("soak", SCRIPT)
    assert spec is not None and spec.loader is not None, SCRIPT
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("soak", None)


@pytest.mark.parametrize("game", ["territory", "click_arena", "tick_duel"])
def test_a_short_soak_keeps_numbers_finite_and_states_sound(soak_module, game):
    # Long enough for each env of the batch to end an episode (a ClickArena episode is 10,800 frames).
    num_envs, steps = {"territory": (4, 4_000), "click_arena": (2, 24_000), "tick_duel": (16, 40_000)}[game]
    result = soak_module.soak(game, steps, num_envs=num_envs, check_every=10)
    assert result.env_steps == steps
    assert result.nonfinite_steps == 0
    assert result.invariant_checks == steps // num_envs // 10
    assert result.invariant_violations == []
    assert result.rss_warm_mib > 0 and result.us_per_env_step_first > 0
    assert result.episodes_ended > 0


def test_the_report_prints_a_row_per_game_and_lists_violations(soak_module, capsys):
    assert soak_module.main(["--steps", "640", "--num-envs", "16", "--games", "click_arena", "--check-every", "5"]) == 0
    out = capsys.readouterr().out
    assert out.count("| click_arena |") == 1
    bad = soak_module.SoakResult("x", "id", 1, 1, 0, 1.0, 1.0, 1.0, 0.0, 0, 1, ["step 3: broken"], 1.0, 1.0)
    assert "x: step 3: broken" in soak_module.report([bad])
