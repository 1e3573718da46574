"""The hierarchical ClickArena agent: level shapes and sizes, train/act consistency, training, checkpoints."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from botarena.agents.click_arena import features as fx
from botarena.agents.click_arena.data import Demonstrations, collect
from botarena.agents.click_arena.hierarchical import (
    EXECUTOR_IN,
    GATE_START,
    GOAL_DIM,
    TARGET_DIM,
    Executor,
    Hierarchy,
    HierarchyConfig,
    action_from_logits,
    executor_input,
)
from botarena.agents.click_arena.policy import ClickTiming, HierarchicalAgent, HumanHand, load_hierarchy
from botarena.agents.click_arena.train import (
    LevelTrainer,
    Run,
    TrainConfig,
    executor_loss,
    executor_targets,
    strategist_goals,
    strategist_histories,
    strategist_inputs,
    strategist_loss,
    tactician_infos,
    tactician_loss,
)
from botarena.agents.common.checkpoint import CheckpointError


@pytest.fixture(scope="module")
def model() -> Hierarchy:
    torch.manual_seed(0)
    return Hierarchy().eval()


@pytest.fixture(scope="module")
def expert_data() -> Demonstrations:
    return collect(3, 240, seed=5)


def test_level_shapes_and_parameter_counts(model):
    history = torch.zeros(2, fx.HISTORY_SECONDS, fx.SUMMARY_FEATURES)
    mode, goal, confidence = model.strategist(history)
    assert mode.shape == (2, fx.NUM_MODES) and goal.shape == (2, GOAL_DIM) and confidence.shape == (2,)
    out = model.tactician(torch.randn(2, 16, 20), torch.ones(2, 16), goal)
    assert out.log_attention.shape == (2, fx.NUM_SLOTS) and out.approach_logits.shape == (2, 4)
    assert out.target_info.shape == (2, TARGET_DIM) and EXECUTOR_IN == 162
    logits, _ = model.executor(torch.zeros(2, 5, EXECUTOR_IN))
    assert logits.shape == (2, 5, 4)
    counts = model.parameter_counts()
    # The sizes the module docstring states; the float16 checkpoint stays under 8 MiB.
    assert 1.9e6 < counts["strategist"] < 2.2e6
    assert 3.0e5 < counts["tactician"] < 4.0e5
    assert 1.0e6 < counts["executor"] < 1.3e6
    assert counts["total"] * 2 < 8 * 2**20 * 0.95


def test_tactician_attention_ignores_absent_rows_and_always_has_the_no_object_slot(model):
    mask = torch.zeros(2, 16)
    mask[1, :3] = 1
    out = model.tactician(torch.randn(2, 16, 20), mask, torch.randn(2, GOAL_DIM))
    weights = out.log_attention.exp().detach()
    assert torch.allclose(weights.sum(-1), torch.ones(2), atol=1e-5)
    assert float(weights[0, 0]) == pytest.approx(1.0, abs=1e-6)  # nothing on screen: only the no-object slot
    assert torch.all(weights[1, 4:] < 1e-6)


@pytest.mark.parametrize("core", ["mamba", "lstm", "gru"])
def test_executor_step_equals_forward(core):
    torch.manual_seed(1)
    executor = Hierarchy(HierarchyConfig(executor_core=core)).executor.eval()
    for p in executor.head.parameters():  # a trained-looking head, not the zero start
        torch.nn.init.normal_(p, std=0.1)
    x = torch.randn(3, 12, EXECUTOR_IN)
    x[..., -2:] = torch.rand(3, 12, 2)
    with torch.no_grad():
        whole, _ = executor(x)
        state, steps = None, []
        for t in range(x.shape[1]):
            y, state = executor.step(x[:, t], state)
            steps.append(y)
    torch.testing.assert_close(torch.stack(steps, 1), whole, atol=2e-4, rtol=1e-4)


def test_untrained_executor_aims_at_its_target(model):
    target_xy = torch.tensor([[0.2, 0.7], [0.9, 0.1]])
    state = torch.randn(2, 64)
    previous = torch.tensor([[0.5, 0.5], [0.3, 0.6]])
    state[:, 8:10] = previous  # the point the last frame commanded
    x = executor_input(state, torch.randn(2, GOAL_DIM), torch.cat([torch.randn(2, 32), target_xy], -1))
    with torch.no_grad():
        logits, _ = model.executor.step(x)
    action = action_from_logits(logits)
    expected = previous + torch.sigmoid(torch.tensor(GATE_START)) * (target_xy - previous)
    torch.testing.assert_close(action[:, :2], expected, atol=1e-5, rtol=0)
    assert torch.all((action[:, :2] - target_xy).norm(dim=-1) <= 0.02 * (previous - target_xy).norm(dim=-1))
    assert torch.all(action[:, 2:] == 0)  # neither clicks nor holds the attack key
    # without the hold gate the aim starts from the target itself, wherever the last command was
    ungated = Executor(HierarchyConfig(executor_core="gru", executor_hold_gate=False)).eval()
    assert ungated.gate is None
    with torch.no_grad():
        logits, _ = ungated.step(x)
    torch.testing.assert_close(action_from_logits(logits)[:, :2], target_xy, atol=1e-5, rtol=0)


def test_expert_labels_name_the_row_of_the_target(expert_data):
    d = expert_data
    objects = d.slot > 0
    assert objects.mean() > 0.3  # the expert works on an object most of the time
    # The row a slot names is present and its kind agrees with the approach.
    e, k = np.nonzero(objects)
    rows = d.objects[e, k, d.slot[e, k] - 1]
    assert np.all(d.object_mask[e, k, d.slot[e, k] - 1] == 1)
    is_box = rows[:, 4] + rows[:, 5] > 0.5
    assert np.all((d.approach[e, k] == fx.APPROACH_COLLECT) == is_box)


def test_agent_acts_as_the_training_pipeline_reads(model):
    """The agent's clocks, held goals and target information at play time are what training feeds each level."""
    agent = HierarchicalAgent(model=model, hand="direct")  # the executor's own aim point
    data = collect(2, 150, seed=9, learner=agent, beta=0.0)
    goals, modes, decisions = strategist_goals(model, data)
    infos = tactician_infos(model, data, goals)
    assert np.array_equal(modes, data.learner_mode[decisions[:, 0], decisions[:, 1]])
    tactics = data.t % fx.FRAMES_PER_TACTICIAN == 0
    x = executor_input(torch.from_numpy(data.state), torch.from_numpy(goals), torch.from_numpy(infos))
    with torch.no_grad():
        logits, _ = model.executor(x)
    expected = action_from_logits(logits).numpy()
    timing = ClickTiming(2)
    for k in range(logits.shape[1]):  # the click column replays the deterministic click timing
        expected[:, k, 2] = timing.clicks(torch.sigmoid(logits[:, k, 2]).double().numpy(), None)
    np.testing.assert_allclose(expected, data.learner_action, atol=1e-4)
    # The tactician ran on its frames: its target point changes only there.
    moved = np.any(infos[:, 1:, -2:] != infos[:, :-1, -2:], axis=-1)
    assert np.all(tactics[:, 1:][moved])


def test_a_restarted_slot_plays_like_a_fresh_agent(model):
    rng = np.random.default_rng(0)
    obs = [{"objects": rng.random((2, 16, 20), np.float32), "object_mask": np.ones((2, 16), np.int8),
            "state": rng.random((2, 64), np.float32)} for _ in range(70)]
    agent, fresh = HierarchicalAgent(model=model), HierarchicalAgent(model=model)
    agent.reset(0)
    fresh.reset(0)
    for o in obs[:65]:
        agent.act_batch(o)
    agent.reset_slots(np.array([False, True]))
    for o in obs[:5]:
        a, b = agent.act_batch(o), fresh.act_batch(o)
        np.testing.assert_allclose(a[1], b[1], atol=1e-6)  # slot 1 starts over; slot 0 plays on


def test_collect_mixes_expert_and_learner_by_seconds(model):
    data = collect(4, 181, seed=3, learner=HierarchicalAgent(model=model), beta=0.5)
    share = data.expert_drove.mean()
    assert 0.0 < share < 1.0
    # Who drives changes only at second boundaries.
    changes = np.nonzero(data.expert_drove[:, 1:] != data.expert_drove[:, :-1])
    assert np.all((data.t[changes[0], changes[1] + 1] % fx.FRAMES_PER_STRATEGIST) == 0)
    with pytest.raises(ValueError, match="beta"):
        collect(1, 10, seed=0, beta=1.5)


def _fit(level_loss, module, ema, batch, steps=40) -> tuple[float, float]:
    trainer = LevelTrainer(module, ema, TrainConfig(warmup=1, lr=1e-3), steps)
    first = level_loss(batch)[0].item()
    for _ in range(steps):
        loss, _ = level_loss(batch)
        trainer.update(loss)
    return first, level_loss(batch)[0].item()


def test_a_short_behaviour_cloning_run_lowers_every_level_loss(expert_data):
    torch.manual_seed(2)
    model, ema = Hierarchy(), Hierarchy()
    d = expert_data
    decisions, history = strategist_histories(d)
    rows = np.arange(len(decisions))
    strategist_batch = {"history": strategist_inputs(d, decisions, history, rows),
                        "mode": torch.from_numpy(d.mode[decisions[:, 0], decisions[:, 1]].astype(np.int64)),
                        "goal_offset": torch.from_numpy(d.goal_offset[decisions[:, 0], decisions[:, 1]])}
    first, last = _fit(lambda b: strategist_loss(model, b, 0.1), model.strategist, ema.strategist, strategist_batch)
    assert last < 0.7 * first

    goals, _, _ = strategist_goals(model, d)
    e, k = np.nonzero(d.t % 4 == 0)
    tactician_batch = {"objects": torch.from_numpy(d.objects[e, k]),
                       "object_mask": torch.from_numpy(d.object_mask[e, k].astype(np.float32)),
                       "goal": torch.from_numpy(goals[e, k]), "slot": torch.from_numpy(d.slot[e, k].astype(np.int64)),
                       "approach": torch.from_numpy(d.approach[e, k].astype(np.int64)),
                       "point_xy": torch.from_numpy(d.point_xy[e, k])}
    first, last = _fit(lambda b: tactician_loss(model, b), model.tactician, ema.tactician, tactician_batch)
    assert last < 0.7 * first

    infos = tactician_infos(model, d, goals)
    x = executor_input(torch.from_numpy(d.state[:, :64]), torch.from_numpy(goals[:, :64]),
                       torch.from_numpy(infos[:, :64]))
    executor_batch = {"x": x, "action": torch.from_numpy(executor_targets(d, slice(None), slice(0, 64))),
                      "valid": torch.ones(3, 64, dtype=bool)}

    def loss(b):
        logits, _ = model.executor(b["x"])
        return executor_loss(logits, b["action"], b["valid"])

    first, last = _fit(loss, model.executor, ema.executor, executor_batch)
    assert last < 0.7 * first


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("click-arena-run")
    config = TrainConfig.quick(out=str(out), threads=1)
    path = Run(config, command="pytest quick run").run()
    return config, path


def test_quick_run_does_bc_then_a_dagger_round_and_ships_a_small_checkpoint(quick_run):
    config, path = quick_run
    assert path.stat().st_size < 8 * 2**20
    card = json.loads(path.with_name(path.stem + ".card.json").read_text())
    rounds = card["metrics"]["rounds"]
    assert [r["round"] for r in rounds] == [0, 1] and rounds[0]["beta"] == 1.0 and rounds[1]["beta"] == 0.5
    for key in ("normalised_score", "normalised_ci95", "mode_macro_f1", "target_top1", "aim_error_px",
                "click_precision", "click_recall"):
        assert key in card["metrics"]["final"]
    assert card["command"] == "pytest quick run" and card["seed"] == 0
    dagger = Demonstrations.load(path.parent / "round1.npz")
    assert 0.0 < dagger.expert_drove.mean() < 1.0  # the learner drove part of round 1


def test_checkpoint_round_trip_acts_like_the_float16_weights(quick_run):
    config, path = quick_run
    loaded, card = load_hierarchy(path)
    state = torch.load(path.parent / "run.pt", weights_only=True)["extra"]["ema"]
    reference = Hierarchy(HierarchyConfig(**card.config["model"]))
    reference.load_state_dict({k: v.half().float() if v.is_floating_point() else v for k, v in state.items()})
    for a, b in zip(loaded.state_dict().values(), reference.eval().state_dict().values(), strict=True):
        torch.testing.assert_close(a, b)
    env_data = collect(1, 90, seed=11, learner=HierarchicalAgent(checkpoint=path), beta=0.0)
    again = collect(1, 90, seed=11, learner=HierarchicalAgent(model=reference), beta=0.0)
    np.testing.assert_array_equal(env_data.learner_action, again.learner_action)


def test_resume_skips_finished_phases_and_refuses_other_settings(quick_run, capsys):
    config, path = quick_run
    Run(config, resume=True, command="pytest quick run").run()
    assert "resuming" in capsys.readouterr().out
    with pytest.raises(CheckpointError, match="other settings"):
        Run(TrainConfig.quick(out=config.out, threads=1, seed=1), resume=True)
    with pytest.raises(CheckpointError, match="rounds"):
        Run(TrainConfig.quick(out=config.out, threads=1, rounds=1), resume=True)


def test_a_run_saved_before_a_model_field_existed_resumes_with_that_fields_old_behaviour(quick_run, tmp_path):
    import shutil

    from botarena.agents.common.checkpoint import load_checkpoint, save_checkpoint

    config, _ = quick_run
    old = tmp_path / "old-run"
    shutil.copytree(config.out, old)
    state_dict, card, extra = load_checkpoint(old / "run.pt", expected_name="click_arena/hierarchical")
    saved = json.loads(extra["train_config"])
    del saved["model"]["executor_hold_gate"]  # as a run written before the field was added
    save_checkpoint(old / "run.pt", state_dict, card, extra={**extra, "train_config": json.dumps(saved)})
    run = Run(TrainConfig.quick(out=str(old), threads=1), resume=True)
    assert run.finished and run.model.config.executor_hold_gate


def test_corrupt_or_foreign_checkpoints_are_rejected(quick_run, tmp_path):
    _, path = quick_run
    broken = tmp_path / "broken.pt"
    broken.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="corrupt"):
        HierarchicalAgent(checkpoint=broken)
    with pytest.raises(CheckpointError, match="does not exist"):
        HierarchicalAgent(checkpoint=tmp_path / "missing.pt")


def test_bad_observations_get_clear_errors(model):
    agent = HierarchicalAgent(model=model)
    agent.reset(0)
    good = {"objects": np.zeros((16, 20), np.float32), "object_mask": np.zeros(16, np.int8),
            "state": np.zeros(64, np.float32)}
    assert agent.act(good).shape == (4,)
    with pytest.raises(ValueError, match="objects"):
        agent.act({**good, "objects": np.zeros((8, 20), np.float32)})
    with pytest.raises(ValueError, match="NaN"):
        agent.act({**good, "state": np.full(64, np.nan, np.float32)})
    with pytest.raises(ValueError, match="dict"):
        agent.act(np.zeros(64))


def test_spectating_draws_each_levels_decision_on_the_frame(model):
    from botarena.envs.click_arena import ClickArenaEnv, play

    env = ClickArenaEnv(render_mode="rgb_array")
    obs, _ = env.reset(seed=4)
    seat = play.AgentSeat("click_arena/random", seed=4)
    seat.agent = HierarchicalAgent(model=model)  # the learned agent, untrained: its decisions are still drawn
    seat.agent.reset(4)
    for _ in range(7):
        obs, *_ = env.step(seat.act(obs))
    frame = env.render()
    drawn = seat.overlay(frame)
    decided = seat.decisions()
    assert set(decided) >= {"mode", "confidence", "target_slot", "target_xy"}
    assert drawn.shape == frame.shape and (drawn != frame).any(axis=-1).sum() > 100
    assert seat.mode().split()[0] in ("fight", "loot", "flee", "explore", "repair")


def test_the_humanlikeness_classifier_catches_the_aimbot_but_not_the_expert():
    from botarena.agents.click_arena import humanlike

    aimbot = humanlike.detectability("aimbot", num_envs=8, frames=1800)
    control = humanlike.detectability("expert", num_envs=8, frames=1800)
    assert aimbot["held_out_accuracy"] > 0.75  # (98% with 16 games of a minute, the default)
    assert 0.3 < control["held_out_accuracy"] < 0.7  # the expert against itself on other games: chance
    features = humanlike.movement_features(humanlike.cursor_traces("expert", 2, 600, seed=3))
    assert features.shape[1] == len(humanlike.FEATURES) and len(features) > 5
    assert np.all((features[:, 1] > 0) & (features[:, 1] <= 1.0 + 1e-9))  # straightness


def test_executor_chunks_carry_the_state_through_each_stream_and_restart_it(expert_data, model):
    from botarena.agents.click_arena.train import ExecutorChunks

    goals, _, _ = strategist_goals(model, expert_data)
    infos = tactician_infos(model, expert_data, goals)
    chunks = ExecutorChunks(expert_data, goals, infos, model.executor, 2, 64, np.random.default_rng(0))
    batches = iter(chunks)
    first = next(batches)
    assert all(torch.count_nonzero(s) == 0 for s in first["state"])  # a fresh set of streams starts from zero
    with torch.no_grad():
        _, state = model.executor(first["x"], first["state"])
    chunks.carry(state)
    second = next(batches)
    for carried, given in zip(state, second["state"], strict=True):
        torch.testing.assert_close(carried, given)
    # The second chunk is the next 64 frames of the same streams.
    for row in second["x"][..., :64].numpy():
        assert any(np.array_equal(row, expert_data.state[e, 64:128]) for e in range(expert_data.num_streams))
    next(batches)  # the third and last whole chunk of 240 frames
    assert all(torch.count_nonzero(s) == 0 for s in next(batches)["state"])  # a new set of streams


def test_click_timing_clicks_at_the_rate_its_hazard_implies():
    """A press probability of 10 % a frame: the deterministic timing clicks on every 7th frame (the first frame
    where 1 - 0.9**k >= 1/2), sampling clicks on about 10 % of frames, and a probability of 0 never clicks."""
    timing = ClickTiming(3)
    p = np.array([0.1, 0.0, 0.1])
    clicks = np.stack([timing.clicks(p, None) for _ in range(72)])
    assert np.array_equal(np.flatnonzero(clicks[:, 0]), np.arange(6, 72, 7))
    assert clicks[:, 1].sum() == 0
    timing.reset(np.array([False, False, True]))  # a restarted slot starts from no accumulated hazard
    assert timing.hazard[2] == 0 and timing.hazard[0] > 0
    sampled = np.stack([timing.clicks(p, np.random.default_rng(k)) for k in range(4000)])
    assert 0.08 < sampled[:, 0].mean() < 0.12 and sampled[:, 1].sum() == 0


def test_the_registered_agent_plays_a_full_episode_and_beats_random_input():
    """``click_arena/hierarchical`` (the shipped checkpoint) through the PettingZoo env, as the leaderboard plays
    it: the whole 3-minute episode, deterministic for a seed, clicking, and above random input on that seed."""
    from botarena.agents import play_episode
    from botarena.envs import GAMES

    seed = 2**32 + 1000  # held out: neither a training nor a leaderboard seed
    learned = play_episode("click_arena", {0: "click_arena/hierarchical"}, seed=seed, num_players=1)
    assert learned.length == GAMES["click_arena"].max_episode_steps == 10_800
    again = play_episode("click_arena", {0: "click_arena/hierarchical"}, seed=seed, num_players=1, max_cycles=600)
    first = play_episode("click_arena", {0: "click_arena/hierarchical"}, seed=seed, num_players=1, max_cycles=600)
    assert again.returns == first.returns
    randoms = play_episode("click_arena", {0: "click_arena/random"}, seed=seed, num_players=1)
    assert learned.returns[0] > randoms.returns[0] + 10.0


def test_the_human_hand_moves_to_the_aim_point_in_fitts_time_along_a_minimum_jerk_path():
    from botarena.envs.click_arena import bots, core

    hand = HumanHand(1)
    aim = np.array([[0.75, 0.5]])  # 200 px to the right of the cursor
    point, path = np.array([[0.5, 0.5]]), []
    for _ in range(40):
        point = hand.command(aim, point)  # the env commands what the hand says; the next frame starts there
        path.append(point[0, 0] * core.VIEW_W)
    path = np.array(path)
    duration = bots.FITTS_A + bots.FITTS_B * np.log2(200 / bots.POINT_WIDTH + 1)  # 0.49 s
    arrive = int(np.ceil(duration / core.DT - 1e-9))
    assert np.all(np.diff(path) >= 0) and path[arrive - 2] < 600 and np.allclose(path[arrive - 1:], 600)
    assert abs(path[arrive // 2 - 1] - 500) < 12  # a minimum-jerk path is halfway at half time
    speeds = np.diff(np.concatenate([[400.0], path[:arrive]]))
    assert 1.7 < speeds.max() / speeds.mean() < 2.0  # its peak speed is 1.875 times its mean
    # A target drifting a few pixels is followed without starting again; a new one starts a new movement.
    drifted = hand.command(aim + [[5 / core.VIEW_W, 0]], point)
    assert np.isclose(drifted[0, 0] * core.VIEW_W, 605)
    moved = hand.command(np.array([[0.2, 0.2]]), drifted)
    assert np.linalg.norm((moved - drifted) * [core.VIEW_W, core.VIEW_H]) < 5  # it starts slowly
    hand.reset(np.array([True]))
    assert np.isnan(hand.end).all()


def test_evaluate_scores_a_checkpoint_with_either_hand_and_trains_nothing(quick_run, capsys):
    from botarena.agents.click_arena.train import main

    _, path = quick_run
    before = sorted(p.name for p in path.parent.iterdir())
    assert main(["--evaluate", str(path), "--hand", "human", "--eval-envs", "1", "--eval-frames", "120"]) == 0
    out = capsys.readouterr().out
    report = json.loads(out[out.index("\n{") + 1:])
    assert report["hand"] == "human" and report["episodes"] == 1 and report["checkpoint"] == str(path)
    assert report["held_out_seeds"].startswith(str(2**32))
    assert sorted(p.name for p in path.parent.iterdir()) == before
    with pytest.raises(ValueError, match="--hand must be one of"):
        main(["--evaluate", str(path), "--hand", "robot"])


def test_the_executor_ablation_swaps_only_the_executor_and_prints_a_row_per_core(quick_run, tmp_path, capsys,
                                                                                  monkeypatch):
    import importlib.util
    import sys
    from pathlib import Path

    from botarena.agents.common.checkpoint import load_checkpoint

    benchmarks = Path(__file__).resolve().parents[3] / "benchmarks"
    monkeypatch.syspath_prepend(str(benchmarks))  # the script imports its harness from beside it
    spec = importlib.util.spec_from_file_location("click_arena_executor_ablation",
                                                  benchmarks / "click_arena_executor_ablation.py")
    ablation = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "click_arena_executor_ablation", ablation)
    spec.loader.exec_module(ablation)
    config, _ = quick_run
    snapshot = Path(config.out) / "run.pt"
    assert ablation.main(["--snapshot", str(snapshot), "--data", str(Path(config.out) / "round0.npz"),
                          "--out", str(tmp_path), "--cores", "mamba,lstm,gru", "--hand", "direct"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and "core" not in line]
    assert [row.split("|")[1].strip() for row in rows] == ["mamba", "lstm", "gru"]
    upper, run_card, _ = load_checkpoint(snapshot, expected_name="click_arena/hierarchical")
    # the run's own core with the run's hand is the run's round 0, not retrained
    own = json.loads((tmp_path / "mamba" / "report.json").read_text())
    assert own["normalised_score"] == run_card.metrics["rounds"][0]["normalised_score"]
    assert own["train_ms_per_step"] is None and not (tmp_path / "mamba" / "run.pt").exists()
    for core in ("lstm", "gru"):
        report = json.loads((tmp_path / core / "report.json").read_text())
        assert report["core"] == core and report["executor_parameters"] > 0 and report["step_ms"] > 0
        trained, card, _ = load_checkpoint(tmp_path / core / "run.pt", expected_name="click_arena/hierarchical")
        assert card.config["model"]["executor_core"] == core
        assert all(torch.equal(trained[k], upper[k]) for k in upper if k.startswith(("strategist.", "tactician.")))
    # another training seed retrains even the run's own core, into its own folder and row
    assert ablation.main(["--snapshot", str(snapshot), "--data", str(Path(config.out) / "round0.npz"),
                          "--out", str(tmp_path), "--cores", "mamba", "--hand", "direct", "--seed", "5"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and "core" not in line]
    assert [row.split("|")[1].strip() for row in rows] == ["mamba-seed5"]
    _, card, _ = load_checkpoint(tmp_path / "mamba-seed5" / "run.pt", expected_name="click_arena/hierarchical")
    assert card.seed == 5 and json.loads((tmp_path / "mamba-seed5" / "report.json").read_text())["train_ms_per_step"]


def test_the_diagnosis_reports_modes_and_each_levels_exploring_direction(model):
    from botarena.agents.click_arena import diagnose

    np.testing.assert_allclose(diagnose._inward(np.array([[100.0, 1000.0], [1000.0, 1900.0]])), [[1, 0], [0, -1]])
    with pytest.raises(ValueError, match="driver must be 'expert' or a HierarchicalAgent"):
        diagnose.diagnose("aimbot", num_envs=1, frames=10)
    report = diagnose.diagnose(HierarchicalAgent(model=model, hand="human"), num_envs=2, frames=600, seed=7)
    assert sum(report["mode_share"].values()) == pytest.approx(1.0, abs=0.01)
    explore = report["explore"]  # an untrained agent finds few aliens: the expert would explore
    assert explore["frames"] > 0 and 0.0 <= explore["flying"] <= 1.0
    for level in diagnose.LEVELS:
        cosine = explore[f"inward_cosine_{level}"]
        assert all(v is None or -1.0 <= v <= 1.0 for v in cosine.values())
    # an untrained gate is its start value everywhere (zero weights); the hook that read it is gone after
    start = 1.0 / (1.0 + np.exp(-GATE_START))
    assert all(v is None or v == pytest.approx(start, abs=1e-6) for v in explore["executor_gate"].values())
    assert not model.executor.gate._forward_hooks
    assert "strategist_goal" not in str(diagnose.diagnose("expert", num_envs=1, frames=120, seed=7))
    with pytest.raises(ValueError, match="memory must be 1..60 seconds"):
        diagnose.ShortMemoryAgent(model=model, memory=0)
    forgetful, agent = diagnose.ShortMemoryAgent(model=model, memory=1), HierarchicalAgent(model=model)
    data = collect(1, 61, seed=3)  # the same frames for both: the strategist decides at frames 0 and 60
    for k in range(61):
        obs = {"objects": data.objects[:, k], "object_mask": data.object_mask[:, k], "state": data.state[:, k]}
        forgetful.act_batch(obs), agent.act_batch(obs)
        if k == 0:  # one second of history: nothing to forget yet
            torch.testing.assert_close(forgetful.goal, agent.goal)
    assert not torch.allclose(forgetful.goal, agent.goal)
    torch.testing.assert_close(forgetful.history, agent.history)  # the agent's own history is kept whole


def test_the_tacticians_no_object_point_follows_the_goal_when_no_object_is_on_screen():
    torch.manual_seed(0)
    goals = torch.randn(2, GOAL_DIM)
    empty = torch.zeros(2, 16, 20), torch.zeros(2, 16)
    points = Hierarchy().tactician(*empty, goals).point
    assert not torch.allclose(points[0], points[1])  # two goals, two places to fly
    legacy = Hierarchy(HierarchyConfig(tactician_goal_residual=False)).tactician(*empty, goals).point
    torch.testing.assert_close(legacy[0], legacy[1])  # before the residual: one point whatever the goal
