"""The TickDuel event decoder: generated times, teacher-forced vs free-running, learning, data, checkpoints, play."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest
import torch

import botarena.envs  # noqa: F401  (registers the ids)
from botarena.agents.common.checkpoint import CheckpointError
from botarena.agents.tick_duel.data import load_split_ticks, split_of
from botarena.agents.tick_duel.decoder import UNKNOWN_STYLE, DecoderConfig, EventDecoder
from botarena.agents.tick_duel.policy import DecoderAgent
from botarena.agents.tick_duel.train import TrainConfig, load_decoder, main, parse_config, selected_step, to_tensors
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
            events, counts = model.generate(context, np.random.default_rng(1), sample=sample)
            assert events.shape == (32, SMALL.max_events, 7) and ((counts >= 0) & (counts <= 64)).all()
            for row, n in zip(events, counts, strict=True):
                t = row[:n, core.F_TIME]
                assert ((t >= 0) & (t < core.TICK_MS)).all() and (np.diff(t) >= 0).all()
                assert not row[n:].any()  # zero padded past the count
                assert np.isin(row[:n, core.F_TYPE], np.arange(core.NUM_EVENT_TYPES)).all()


@pytest.mark.parametrize("decoder", ["sequential", "attention"])
def test_teacher_forced_and_free_running_paths_agree_on_a_fixed_sequence(quick_run, decoder):
    torch.manual_seed(0)
    model = EventDecoder(DecoderConfig(**{**SMALL.as_dict(), "decoder": decoder})).eval()
    b = _batch(quick_run[0])
    context = model(b["gamestate"], b["action_history"], b["history_len"], b["style"])
    forced = model.teacher_forced(context, b["events"], b["target"])
    free = model.free_running(context, b["events"], b["target"])
    for name in forced:
        torch.testing.assert_close(forced[name], free[name], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("style_encoding", ["embedding", "onehot"])
def test_the_loss_falls_on_a_small_batch(quick_run, style_encoding):
    torch.manual_seed(0)
    model = EventDecoder(DecoderConfig(**{**SMALL.as_dict(), "style_encoding": style_encoding}))
    b = _batch(quick_run[0], 16)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(60):
        context = model(b["gamestate"], b["action_history"], b["history_len"], b["style"])
        loss, parts = model.loss(context, b["events"], b["count"], b["target"], b["offset"])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < losses[0] - 2.0, losses[::10]
    assert set(parts) == {"stop", "type", "gap", "key", "xy", "beyond", "target", "offset"}
    others = torch.tensor([(int(s) + 1) % (UNKNOWN_STYLE + 1) for s in b["style"]])
    with torch.no_grad():  # the style reaches the context either way
        changed = model(b["gamestate"], b["action_history"], b["history_len"], others) - context
    assert changed.abs().max() > 1e-4


def test_every_demonstrated_click_of_the_fast_hands_is_labelled_with_its_element(quick_run):
    from botarena.agents.tick_duel import targets

    splits, _ = load_split_ticks(quick_run[0], ["nh_expert:fast"], ["max"])
    ticks = splits["train"]
    valid = np.arange(ticks.events.shape[1])[None] < ticks.count[:, None]
    clicks = valid & (np.rint(ticks.events[..., core.F_TYPE]) == core.EV_LEFT_CLICK)
    assert clicks.sum() > 50
    assert (ticks.target[clicks] > targets.ELSEWHERE).all()  # fast hands click inside what they aim at
    assert (ticks.target[~clicks] == targets.ELSEWHERE).all()


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


def test_evaluate_prints_its_report_alone_on_stdout(quick_run, capsys):
    """``--evaluate`` output is for a pipe (``| jq``): the progress bars go to stderr."""
    assert main(["--evaluate", str(quick_run[1] / "decoder.pt"), "--duels", "1", "--threads", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["episodes"] == 3 and 0.0 <= report["win_rate"] <= 1.0  # one duel in each build


def test_dagger_rounds_collect_on_policy_ticks_labelled_by_the_expert_and_resume(tmp_path, quick_run):
    from botarena.agents.tick_duel.data import load_ticks

    data, _, _ = quick_run
    out = tmp_path / "dagger"
    args = ["--quick", "--out", str(out), "--data", str(data), "--players", "nh_expert:fast", "--threads", "1",
            "--dagger-rounds", "1"]
    assert main(args) == 0
    ticks = load_ticks(out / "dagger1.npz")
    assert len(ticks) > 20 and ticks.shown is not None
    # Labels are the expert's; the history shows what was played, which is the learner's on about half the ticks.
    assert (ticks.count != ticks.shown_count).any() and (ticks.count == ticks.shown_count).any()
    lines = [line for line in (out / "metrics.jsonl").read_text().splitlines() if '"collect"' in line]
    assert len(lines) == 1 and '"round": 1' in lines[0]
    # One more round, then held-out duels; validation duels at every evaluation choose the shipped weights.
    assert main([*args[:-1], "2", "--resume", "--final-duels", "1", "--val-duels", "1"]) == 0
    assert (out / "dagger2.npz").exists()
    _, card = load_decoder(out / "decoder.pt")
    assert card.config["dagger_rounds"] == 2
    vals = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if '"val"' in line]
    dueled = {r["step"]: (r["val_duel_score"], r["val_duel_return"]) for r in vals if "val_duel_score" in r}
    chosen = card.metrics["selected"]
    assert chosen["step"] == selected_step({k: v[0] for k, v in dueled.items()}, 3)
    assert (chosen["val_duel_score"], chosen["val_duel_return"]) == dueled[chosen["step"]]
    # run.pt keeps the last weights (what --resume continues); decoder.pt the chosen ones
    from botarena.agents.common.checkpoint import load_checkpoint

    last, run_card, extra = load_checkpoint(out / "run.pt", expected_name="tick_duel/decoder/run")
    shipped, _ = load_decoder(out / "decoder.pt")
    same = all(torch.equal(last[k], v) for k, v in shipped.state_dict().items())
    assert same == (chosen["step"] == extra["step"] == max(dueled))
    assert int(chosen["val_seeds"].split("..")[0]) < 2**32 <= int(card.metrics["final"]["held_out_seeds"][:10])
    final = card.metrics["final"]  # the closed loop, as every shipped card carries it
    assert final["duels_per_build"] == 1 and final["episodes"] == 3 and 0.0 <= final["win_rate"] <= 1.0
    assert int(final["held_out_seeds"].split("..")[0]) >= 2**32
    (out / "broken.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="corrupt"):
        load_ticks(out / "broken.npz")


def test_the_shipped_weights_are_the_latest_within_one_standard_error_of_the_best_validation_score():
    # run attn128-s0's validation duels (72 a time): 0.493 at the end is within 0.059 of the best, 0.514
    history = {750: 0.181, 1500: 0.222, 2250: 0.514, 3000: 0.361, 3750: 0.458, 4500: 0.0, 5250: 0.028, 6000: 0.493}
    assert selected_step(history, 72) == 6000
    assert selected_step({**history, 6000: 0.45}, 72) == 3750  # 0.45 falls outside, 0.458 does not
    assert selected_step(history, 10_000) == 2250  # measured exactly, the best is the best
    assert selected_step({5: 0.0, 10: 0.0}, 3) == 10  # ties: the more trained
    with pytest.raises(ValueError, match="no validation duels"):
        selected_step({}, 72)


def test_the_weight_average_warms_up_then_moves_by_one_minus_the_decay():
    from botarena.agents.common.averaging import average_into, warmed_up_decay

    torch.manual_seed(0)
    model, averaged = EventDecoder(SMALL), EventDecoder(SMALL)
    assert warmed_up_decay(0.999, 0) == pytest.approx(0.1) and warmed_up_decay(0.99, 10_000) == 0.99
    before = [p.detach().clone() for p in averaged.parameters()]
    average_into(averaged, model, warmed_up_decay(0.999, 0))  # warm-up: decay 1 / 10
    for old, new, weight in zip(before, averaged.parameters(), model.parameters(), strict=True):
        torch.testing.assert_close(new, 0.1 * old + 0.9 * weight)
    before = [p.detach().clone() for p in averaged.parameters()]
    average_into(averaged, model, 0.99)
    for old, new, weight in zip(before, averaged.parameters(), model.parameters(), strict=True):
        torch.testing.assert_close(new, 0.99 * old + 0.01 * weight)
    with pytest.raises(ValueError, match="--ema must be in"):
        parse_config(["--out", "x", "--ema", "1.0"])


def test_an_averaged_run_ships_and_resumes_its_average_exactly(tmp_path, quick_run):
    """With --ema the shipped decoder is the average (not the last weights), and a run stopped halfway and resumed
    ends with the same average as one run straight through."""
    data, _, _ = quick_run
    common = ["--quick", "--data", str(data), "--players", "nh_expert:fast,nh_expert:sloppy", "--threads", "1",
              "--ema", "0.9", "--eval-every", "6", "--save-every", "6"]
    straight, halves = tmp_path / "straight", tmp_path / "halves"
    assert main([*common, "--out", str(straight), "--steps", "12"]) == 0
    assert main([*common, "--out", str(halves), "--steps", "6"]) == 0
    assert main([*common, "--out", str(halves), "--steps", "12", "--resume"]) == 0
    shipped, card = load_decoder(straight / "decoder.pt")
    resumed, _ = load_decoder(halves / "decoder.pt")
    assert card.config["ema"] == 0.9
    for a, b in zip(shipped.state_dict().values(), resumed.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b)
    from botarena.agents.common.checkpoint import load_checkpoint

    last, _, extra = load_checkpoint(straight / "run.pt")
    assert all(torch.equal(extra["averaged"][k], v) for k, v in shipped.state_dict().items())
    assert not all(torch.equal(last[k], v) for k, v in shipped.state_dict().items())  # the raw weights differ


@pytest.mark.parametrize("decoder", ["sequential", "attention"])
def test_greedy_generation_is_what_the_teacher_forced_heads_choose(decoder):
    """``generate`` (the fast path the agent plays with) and ``teacher_forced`` (what training fits) are one model:
    feeding the greedy events back, every event's type, key and target are the heads' argmax there, and its
    gap the heaviest component's median."""
    torch.manual_seed(1)
    model = EventDecoder(DecoderConfig(**{**SMALL.as_dict(), "decoder": decoder})).eval()
    with torch.no_grad():
        model.stop.bias[:] = -3.0  # long sequences
        model.gap.bias[3:6] = 0.5
    context = torch.randn(16, SMALL.context)
    events, counts, clicked = model.generate(context, sample=False, with_targets=True)
    assert counts.max() >= 3
    for i in range(3):  # batch 1 takes its own faster path to the same events
        alone, n = model.generate(context[i:i + 1], sample=False)
        assert n[0] == counts[i]
        np.testing.assert_allclose(alone[0], events[i], rtol=1e-4, atol=1e-3)
    longest = int(counts.max())
    with torch.no_grad():
        heads = model.teacher_forced(context, torch.from_numpy(events[:, :longest]),
                                     torch.from_numpy(clicked[:, :longest]))
    for i, n in enumerate(counts):
        types = heads["type"][i, :n].argmax(-1).numpy()
        assert (types == events[i, :n, core.F_TYPE]).all()
        is_key = (types == core.EV_KEY_DOWN) | (types == core.EV_KEY_UP)
        assert (np.where(is_key, heads["key"][i, :n].argmax(-1).numpy(), 0) == events[i, :n, core.F_KEY]).all()
        assert (events[i, :n, core.F_BUTTON] == (types == 1) + 2 * (types == 2)).all()
        clicks = (types == core.EV_LEFT_CLICK) & (heads["target"][i, :n].argmax(-1).numpy() > 0)
        assert (clicked[i, :n][clicks] == heads["target"][i, :n].argmax(-1).numpy()[clicks]).all()
        log_w, mean, _ = heads["gap"][i, :n].chunk(3, -1)
        best = mean.gather(-1, log_w.argmax(-1, keepdim=True))[:, 0]
        gaps = np.diff(events[i, :n, core.F_TIME], prepend=0.0)
        np.testing.assert_allclose(gaps, np.maximum(np.expm1(best.double().numpy() * np.log(601.0)), 0.0),
                                   rtol=1e-3, atol=1e-2)


def test_the_attention_decoders_cached_steps_equal_its_transformer_over_the_prefix():
    """Generation's numpy steps with a key / value cache give, step by step, the torch transformer's output at the
    last position of the prefix (what training fits), in a batch and at batch 1."""
    from botarena.agents.tick_duel.decoder import _NumpyAttentionSteps

    torch.manual_seed(2)
    model = EventDecoder(DecoderConfig(**{**SMALL.as_dict(), "decoder": "attention"})).eval()
    context = torch.randn(5, SMALL.context)
    inputs = torch.randn(5, 9, SMALL.event_dim)
    norms = [m for m in model.steps.modules() if isinstance(m, torch.nn.LayerNorm)]
    with torch.no_grad():  # gains and biases away from 1 and 0: the numpy steps fold them into the next map
        for norm in norms:
            norm.weight.normal_(1.0, 0.3)
            norm.bias.normal_(0.0, 0.3)
    for changed in (False, True):
        if changed:  # an in-place change, as a training step makes: the prepared weights follow it
            with torch.no_grad():
                norms[0].weight.mul_(2.0)
                model.steps.layers.layers[1].linear2.bias.add_(1.0)
        with torch.no_grad():
            expected = model.steps(inputs, context).numpy()
        for rows in (slice(0, 5), slice(3, 4)):
            steps = _NumpyAttentionSteps(model._numpy_weights(), context[rows].numpy())
            for k in range(inputs.shape[1]):
                np.testing.assert_allclose(steps.step(inputs[rows, k].numpy()), expected[rows, k], rtol=1e-4,
                                           atol=1e-5)


def test_a_model_of_a_longer_window_than_the_env_keeps_plays_with_the_older_ticks_empty():
    torch.manual_seed(0)
    model = EventDecoder(DecoderConfig(event_dim=16, tick_dim=16, context=32, hidden=32, history=20))
    agent = DecoderAgent(model=model, deterministic=True)
    env = gym.make("botarena/TickDuel-v1", opponent="nh_expert")
    obs, _ = env.reset(seed=1)
    assert obs["action_history"].shape[0] == 10
    action = agent.act(obs)
    assert action["events"].shape == (64, 7) and 0 <= action["n"] <= 64
    env.step(action)


def test_the_shipped_decoder_plays_a_whole_duel_through_act_and_can_be_the_opponent(tmp_path):
    """``tick_duel/decoder`` as users meet it: made by name, acting on observations to the end of a duel, and
    dueling a player as the opponent (``botarena play tick_duel --opponent tick_duel/decoder``)."""
    from botarena.agents import make_agent
    from botarena.envs.common.recording import EpisodeRecording, replay
    from botarena.envs.tick_duel import play

    agent = make_agent("tick_duel/decoder")
    env = gym.make("botarena/TickDuel-v1", build="pure", opponent="nh_expert")
    obs, _ = env.reset(seed=2**32 + 1)
    agent.reset(2**32 + 1)
    made, done = 0, False
    while not done:
        action = agent.act(obs)
        made += int(action["n"])
        obs, _, terminated, truncated, info = env.step(action)
        done = terminated or truncated
    assert made > 0 and info["winner"] in (-1, 0, 1, 2)
    path = tmp_path / "vs-decoder.npz"
    assert play.main(["--spectate", "nh_expert:fast", "--tick-ms", "5", "--max-steps", "20", "--seed", "4",
                      "--record", str(path), "--opponent", "tick_duel/decoder"]) == 0
    rec = EpisodeRecording.load(path)
    assert rec.env_kwargs["opponent"] == "tick_duel/decoder"
    assert len(list(replay(rec))) == rec.length  # the decoder plays the same duel again


def test_the_cosine_schedule_warms_up_then_decays_to_a_twentieth_and_constant_stays_put():
    cosine = TrainConfig(steps=1500, dagger_rounds=1, dagger_steps=500, lr=1e-3, lr_schedule="cosine")
    rates = np.array([cosine.lr_at(k) for k in range(cosine.total_steps)])
    assert rates[0] == pytest.approx(1e-5) and rates[99] == pytest.approx(1e-3)  # 100 warm-up steps
    assert (np.diff(rates[:100]) > 0).all() and (np.diff(rates[100:]) < 0).all()
    assert rates[-1] == pytest.approx(5e-5)  # DAgger's steps are the schedule's tail
    assert {TrainConfig(lr=3e-4).lr_at(k) for k in (0, 500, 5999)} == {3e-4}
    with pytest.raises(ValueError, match="--lr-schedule must be constant or cosine, got 'step'"):
        parse_config(["--out", "x", "--lr-schedule", "step"])


def test_the_closed_loop_actions_script_counts_what_a_decoder_and_a_run_checkpoint_click(quick_run, capsys,
                                                                                          monkeypatch):
    import importlib.util
    import sys
    from pathlib import Path

    benchmarks = Path(__file__).resolve().parents[3] / "benchmarks"
    spec = importlib.util.spec_from_file_location("tick_duel_closed_loop_actions",
                                                  benchmarks / "tick_duel_closed_loop_actions.py")
    script = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "tick_duel_closed_loop_actions", script)
    spec.loader.exec_module(script)
    _, out, _ = quick_run
    assert script.main([str(out / "decoder.pt"), str(out / "run.pt"), "nh_expert", "--duels", "2", "--builds", "max",
                        "--threads", "1"]) == 0
    rows = [line.split("|")[1:-1] for line in capsys.readouterr().out.splitlines() if "| max |" in line]
    assert [r[0].strip() for r in rows] == [str(out / "decoder.pt"), str(out / "run.pt"), "nh_expert"]
    assert float(rows[2][6 + script.GROUPS.index("inventory")]) > 0.5  # the expert's gear switches and food
    for r in rows:
        score, ticks, events = float(r[2]), float(r[3]), float(r[4])
        assert 0.0 <= score <= 1.0 and ticks >= 1 and events >= 0
        assert all(float(c) >= 0 for c in r[6:]) and len(r) == 9 + len(script.GROUPS) + len(script.ATTACK_STYLES)
        attacking = float(r[6 + len(script.GROUPS)])
        assert 0.0 <= attacking <= 1.0
