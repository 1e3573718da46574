"""The TickDuel event decoder: generated times, teacher-forced vs free-running, learning, data, checkpoints, play."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import botarena.envs  # noqa: F401  (registers the ids)
from botarena.agents.common.checkpoint import CheckpointError
from botarena.agents.tick_duel.data import load_split_ticks, split_of
from botarena.agents.tick_duel.decoder import DecoderConfig, EventDecoder
from botarena.agents.tick_duel.policy import DecoderAgent
from botarena.agents.tick_duel.train import load_decoder, main, to_tensors
from botarena.envs.tick_duel import core

SMALL = DecoderConfig(event_dim=16, tick_dim=16, context=32, hidden=32)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """A quick training run (10 episodes of two players, max build) and its data."""
    root = tmp_path_factory.mktemp("tick_duel_decoder")
    data, out = root / "data", root / "run"
    args = ["--quick", "--out", str(out), "--data", str(data), "--players", "nh_expert:fast,nh_expert:sloppy",
            "--threads", "1"]
    assert main(args) == 0
    return data, out, args


def _batch(data, size: int = 24) -> dict[str, torch.Tensor]:
    splits, _ = load_split_ticks(data, ["nh_expert:fast", "nh_expert:sloppy"], ["max"])
    ticks = splits["train"]
    busy = np.flatnonzero(ticks.count > 3)[:size]
    return to_tensors(ticks.batch(busy))


def test_generated_times_lie_inside_the_tick_in_order_and_counts_fit():
    torch.manual_seed(0)
    model = EventDecoder(SMALL)
    for bias in (-4.0, 0.0, 4.0):  # gap means pushed short, neutral and long
        with torch.no_grad():
            model.gap.bias[3:6] = bias
        context = torch.randn(32, SMALL.context)
        for sample in (True, False):
            events, counts = model.generate(context, torch.Generator().manual_seed(1), sample=sample)
            assert events.shape == (32, SMALL.max_events, 7) and ((counts >= 0) & (counts <= 64)).all()
            for row, n in zip(events, counts, strict=True):
                t = row[:n, core.F_TIME]
                assert ((t >= 0) & (t < core.TICK_MS)).all() and (np.diff(t) >= 0).all()
                assert not row[n:].any()  # zero padded past the count
                assert np.isin(row[:n, core.F_TYPE], np.arange(core.NUM_EVENT_TYPES)).all()


def test_teacher_forced_and_free_running_paths_agree_on_a_fixed_sequence(quick_run):
    torch.manual_seed(0)
    model = EventDecoder(SMALL).eval()
    b = _batch(quick_run[0])
    context = model(b["gamestate"], b["action_history"], b["history_len"], b["style"])
    forced = model.teacher_forced(context, b["events"])
    free = model.free_running(context, b["events"])
    for name in forced:
        torch.testing.assert_close(forced[name], free[name], rtol=1e-5, atol=1e-5)


def test_the_loss_falls_on_a_small_batch(quick_run):
    torch.manual_seed(0)
    model = EventDecoder(SMALL)
    b = _batch(quick_run[0], 16)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(60):
        context = model(b["gamestate"], b["action_history"], b["history_len"], b["style"])
        loss, parts = model.loss(context, b["events"], b["count"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < losses[0] - 2.0, losses[::10]
    assert set(parts) == {"stop", "type", "gap", "button", "key", "xy", "beyond"}


def test_the_data_split_is_by_episode_and_unknown_players_are_refused(quick_run, tmp_path):
    assert [split_of(k) for k in range(12)] == ["test", "val", *["train"] * 8, "test", "val"]
    with pytest.raises(ValueError, match="player must be one of"):
        load_split_ticks(quick_run[0], ["someone"], ["max"])
    with pytest.raises(Exception, match="zerker"):  # no such dataset written
        load_split_ticks(quick_run[0], ["nh_expert:fast"], ["zerker"])


def test_a_run_resumes_and_its_checkpoint_round_trips(quick_run):
    data, out, args = quick_run
    with pytest.raises(CheckpointError, match="--resume"):
        main(args)  # the run exists
    assert main([*args, "--resume", "--steps", "30"]) == 0
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert any('"step": 30' in line for line in lines)
    model, card = load_decoder(out / "decoder.pt")
    assert card.name == "tick_duel/decoder" and card.seed == 0 and "type_macro_f1" in card.metrics
    assert card.config["steps"] == 30 and "botarena train tick_duel" in card.command
    with pytest.raises(CheckpointError, match="other settings"):
        main([*args, "--resume", "--batch", "8"])
    broken = out / "broken.pt"
    broken.write_bytes((out / "decoder.pt").read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_decoder(broken)


def test_the_agent_plays_a_duel_through_act(quick_run):
    agent = DecoderAgent(quick_run[1] / "decoder.pt")
    env = gym.make("botarena/TickDuel-v1", max_episode_steps=40, opponent="nh_expert")
    obs, _ = env.reset(seed=3)
    agent.reset(seed=3)
    for _ in range(40):
        action = agent.act(obs)
        assert action["events"].shape == (64, 7) and 0 <= action["n"] <= 64
        obs, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            break
    assert truncated or terminated
    with pytest.raises(ValueError, match="style must be one of"):
        DecoderAgent(quick_run[1] / "decoder.pt", style="nobody")


def test_the_closed_loop_report_plays_held_out_duels_to_the_end(quick_run):
    from botarena.agents.tick_duel.train import duel_report

    report = duel_report(DecoderAgent(quick_run[1] / "decoder.pt"), duels=2, builds=("pure",))
    assert 0.0 <= report["pure"]["score_rate"] <= 1.0 and report["all"]["ci95"][0] <= report["all"]["score_rate"]
    assert report["ms_per_tick_batch1"] > 0 and report["seed_base"] >= 2**32
    # An untrained decoder's duels end in kills, not time-outs: the score is 0 or 1, never a reset's 0.5.
    assert report["pure"]["mean_return"] < 0 and report["pure"]["score_rate"] < 0.5
