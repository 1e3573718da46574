"""Demonstration datasets: written and loaded through Minari with the data contract checked both ways."""

from __future__ import annotations

import numpy as np
import pytest

from botarena.envs.tick_duel import TickDuelEnv, bots, core
from botarena.envs.tick_duel import datasets as ds

pytest.importorskip("minari")
pytest.importorskip("h5py")


def test_cli_writes_datasets_that_load_with_rebuilt_history(tmp_path, capsys):
    assert ds.main(["--episodes", "2", "--players", "nh_expert:fast,nh_expert:sloppy", "--builds", "max,pure",
                    "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("contract checked") == 4
    episodes = ds.load_tick_duel_dataset("tick_duel/nh_expert-fast-pure-v0", tmp_path)
    assert len(episodes) == 2
    ep = episodes[0]
    t = len(ep.n)
    assert ep.gamestate.shape == (t + 1, 128) and ep.events.shape == (t, 64, 7)
    assert ep.action_history.shape == (t, 10, 64, 7) and ep.history_len.shape == (t, 10)
    assert ep.terminations[-1] or ep.truncations[-1]
    # The rebuilt history equals what the env showed: replay the episode's events in the env.
    env = TickDuelEnv(build="pure", opponent="nh_expert")
    obs, _ = env.reset(seed=0)
    env.unwrapped.batch.policies[0, 0] = bots.BOT_NONE
    np.testing.assert_array_equal(obs["gamestate"], ep.gamestate[0])
    for step in range(min(t, 40)):
        np.testing.assert_array_equal(obs["action_history"], ep.action_history[step])
        np.testing.assert_array_equal(obs["history_len"], ep.history_len[step])
        obs, reward, *_ = env.step({"n": int(ep.n[step]), "events": ep.events[step]})
        np.testing.assert_array_equal(obs["gamestate"], ep.gamestate[step + 1])
        assert reward == ep.rewards[step]


def test_the_same_seed_writes_the_same_data(tmp_path):
    a = ds.generate_episodes("nh_expert", "zerker", 2, seed=5)
    b = ds.generate_episodes("nh_expert", "zerker", 2, seed=5)
    c = ds.generate_episodes("nh_expert", "zerker", 2, seed=6)
    for x, y in zip(a, b, strict=True):
        for key in x:
            np.testing.assert_array_equal(x[key], y[key])
    assert not np.array_equal(a[0]["n"][:20], c[0]["n"][:20]) or not np.array_equal(a[0]["events"][:20],
                                                                                    c[0]["events"][:20])


def _episode():
    return ds.generate_episodes("nh_expert:fast", "max", 1, seed=1, max_steps=30)[0]


@pytest.mark.parametrize("breakage,message", [
    (lambda ep: ep["events"].__setitem__((3, 0, core.F_TIME), 600.0), "time_ms"),
    (lambda ep: ep["events"].__setitem__((3, 0, core.F_X), 800.0), " x "),
    (lambda ep: ep["n"].__setitem__(3, ep["n"][3] + 1), "past its count|time order|time_ms"),
    (lambda ep: ep.update(rewards=ep["rewards"][:-1]), "counts do not match"),
    (lambda ep: ep["events"].__setitem__((3, 0, core.F_Y), np.nan), "NaN"),
])
def test_the_contract_rejects_broken_data(breakage, message):
    ep = _episode()
    while ep["n"][3] == 0:  # a tick with events
        ep = ds.generate_episodes("nh_expert:fast", "max", 1, seed=int(ep["n"].sum()) + 2, max_steps=30)[0]
    ds.check_contract(ep, "ok", 64)
    breakage(ep)
    with pytest.raises(ds.DataContractError, match=message):
        ds.check_contract(ep, "broken", 64)


def test_bad_cli_arguments_fail_with_a_message(tmp_path, capsys):
    assert ds.main(["--players", "nh_god", "--out", str(tmp_path)]) == 2
    assert "bot must be one of" in capsys.readouterr().out
