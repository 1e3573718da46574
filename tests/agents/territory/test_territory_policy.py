"""The Territory policies and their trainer: shapes and sizes, masks, checkpoints, a tiny run (resume after kills:
tests/agents/test_training_survives_kills.py)."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest
import torch
from crafted_files import CreatesFileWhenUnpickled
from hypothesis import given, settings
from hypothesis import strategies as st

from botarena.agents.common.checkpoint import CheckpointError, ModelCard, save_checkpoint
from botarena.agents.territory.policy import (
    AttentionCNN,
    FlattenCNN,
    TerritoryPolicyAgent,
    action_probabilities,
    build_policy,
    greedy_actions,
    observation_and_action_spaces,
)
from botarena.agents.territory.train import BEST_FILE, RUN_FILE, Stage, TrainConfig, main

SIZES = {"duel": 64, "standard": 128}


def spaces(preset: str):
    return observation_and_action_spaces({"preset": preset})


def sample_obs(obs_space, batch: int, seed: int = 0) -> dict[str, np.ndarray]:
    obs_space.seed(seed)
    rows = [obs_space.sample() for _ in range(batch)]
    return {k: np.stack([r[k] for r in rows]) for k in obs_space.spaces}


@pytest.mark.parametrize("preset", ["duel", "standard"])
def test_extractors_give_256_features_on_both_map_sizes_with_the_documented_sizes(preset):
    obs_space, act_space = spaces(preset)
    assert obs_space["map"].shape == (9, SIZES[preset], SIZES[preset]) and act_space.n == 45
    obs = {k: torch.as_tensor(v) for k, v in sample_obs(obs_space, 3).items()}
    attention, flatten = AttentionCNN(obs_space).eval(), FlattenCNN(obs_space).eval()
    assert attention(obs).shape == flatten(obs).shape == (3, 256)
    # The attention net's size does not depend on the map; the baseline's Linear layer does (12,544 inputs at 128).
    assert sum(p.numel() for p in attention.parameters()) == 499_459
    flat_inputs = flatten.map_out[0].in_features
    assert flat_inputs == {64: 64 * 6 * 6, 128: 64 * 14 * 14}[SIZES[preset]]
    policy = build_policy("attention", obs_space, act_space)
    assert sum(p.numel() for p in policy.parameters()) == 571_185
    logits = policy.action_net(policy.mlp_extractor.forward_actor(policy.extract_features(
        {k: v for k, v in obs.items() if k != "action_mask"}, policy.pi_features_extractor)))
    assert logits.shape == (3, 45)


def test_the_attention_weights_play_any_map_size():
    obs_space, act_space = spaces("duel")
    policy = build_policy("attention", obs_space, act_space)
    policy.set_training_mode(False)
    big, _ = spaces("standard")
    for space in (obs_space, big):
        assert greedy_actions(policy, sample_obs(space, 2)).shape == (2,)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.booleans(), min_size=45, max_size=45), st.integers(0, 2**16))
def test_a_masked_action_is_never_chosen(mask_bits, seed):
    obs_space, act_space = spaces("duel")
    policy = _shared_policy(obs_space, act_space)
    mask = np.array(mask_bits, np.int8)
    mask[40] = 1  # WAIT is always valid
    obs = sample_obs(obs_space, 4, seed)
    obs["action_mask"][:] = mask
    actions = greedy_actions(policy, obs)
    assert mask[actions].all()
    probs = action_probabilities(policy, obs)
    assert (probs[:, mask == 0] == 0).all() and np.allclose(probs.sum(axis=1), 1.0)


_POLICY_CACHE: dict[str, object] = {}


def _shared_policy(obs_space, act_space):
    if "duel" not in _POLICY_CACHE:
        policy = build_policy("attention", obs_space, act_space)
        policy.set_training_mode(False)
        _POLICY_CACHE["duel"] = policy
    return _POLICY_CACHE["duel"]


def _write_checkpoint(path, policy, name="territory/ppo-attention", env=None, arch="attention"):
    card = ModelCard(name=name, config={"arch": arch, "env": env or {"preset": "duel"}})
    return save_checkpoint(path, policy.state_dict(), card)


def test_checkpoint_round_trip_and_bad_checkpoints_are_refused(tmp_path):
    obs_space, act_space = spaces("duel")
    policy = build_policy("attention", obs_space, act_space)
    policy.set_training_mode(False)
    path = _write_checkpoint(tmp_path / "a.pt", policy)
    agent = TerritoryPolicyAgent(path)
    obs = sample_obs(obs_space, 5)
    np.testing.assert_array_equal(agent.act_batch(obs), greedy_actions(policy, obs))
    assert agent.act({k: v[0] for k, v in obs.items()}) == greedy_actions(policy, obs)[0]

    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(CheckpointError, match="corrupt"):
        TerritoryPolicyAgent(corrupt)
    with pytest.raises(CheckpointError, match="holds 'territory/other'"):
        TerritoryPolicyAgent(_write_checkpoint(tmp_path / "b.pt", policy, name="territory/other"))
    with pytest.raises(CheckpointError, match="does not fit"):  # flatten's weights for the attention net
        flat = build_policy("flatten", obs_space, act_space)
        TerritoryPolicyAgent(_write_checkpoint(tmp_path / "c.pt", flat))
    with pytest.raises(CheckpointError, match="config"):
        save_checkpoint(tmp_path / "d.pt", policy.state_dict(), ModelCard(name="territory/ppo-attention"))
        TerritoryPolicyAgent(tmp_path / "d.pt")


def test_stage_and_argument_errors_say_what_is_allowed():
    assert Stage.parse("steps=10,preset=duel,opponents=expander").env_kwargs() == {
        "preset": "duel", "opponents": "expander"}
    with pytest.raises(ValueError, match="needs steps"):
        Stage.parse("preset=duel")
    with pytest.raises(ValueError, match="is not one of"):
        Stage.parse("steps=10,speed=3")
    with pytest.raises(SystemExit):
        main(["--preset", "duel"])  # --preset needs --steps
    from botarena.agents.territory.train import parse_args

    assert parse_args(["--land-weight", "1"])[0].land_weight == 1.0
    for bad in ("-1", "nan"):
        with pytest.raises(SystemExit):
            parse_args(["--land-weight", bad])


def test_a_tiny_run_writes_logs_metrics_and_a_loadable_best_checkpoint_and_compares(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["--quick", "--out", str(out)]) == 0
    config = TrainConfig.quick()
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == config.total_steps == 512
    assert any("eval" in row for row in rows) and any("idle_share" in row for row in rows)
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(out / "tb"))
    agent = TerritoryPolicyAgent(out / BEST_FILE)
    assert agent.card.metrics["held_out_eval"]["games"] == config.eval_games
    assert agent.card.command.startswith("botarena train territory --quick")

    from botarena.agents.territory.compare import main as compare

    capsys.readouterr()
    compare([str(out), "--png", str(tmp_path / "curves.png"), "--sampled", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[2].startswith("| run | attention | 571,185 |")
    assert lines[6].startswith("| run | ") and lines[6].count("|") == 9  # greedy and sampled, side by side
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_resume_reads_tensors_and_json_only_so_a_crafted_run_checkpoint_runs_no_code(tmp_path):
    import base64
    import io
    import pickle

    from botarena.agents.territory.train import Run

    config = TrainConfig.quick(out=str(tmp_path / "run"), bc_expert="", threads=1)
    run = Run(config, "pytest")
    run.out.mkdir(parents=True)
    run.enter_stage(0)
    run.model.num_timesteps, run.model._n_updates = 128, 1
    run.save()
    # SB3's MaskablePPO.load unpickles every ":serialized:" entry of the model zip's JSON data; add one that would
    # create `marker` if it were ever unpickled.
    marker = tmp_path / "code-ran"
    path = run.out / RUN_FILE
    with zipfile.ZipFile(path) as outer:
        progress, model_zip = outer.read("progress.json"), outer.read("model.zip")
    crafted = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(model_zip)) as inner, zipfile.ZipFile(crafted, "w") as out:
        for name in inner.namelist():
            data = inner.read(name)
            if name == "data":
                fields = json.loads(data)
                fields["crafted"] = {":serialized:": base64.b64encode(
                    pickle.dumps(CreatesFileWhenUnpickled(marker))).decode()}
                data = json.dumps(fields).encode()
            out.writestr(name, data)
    with zipfile.ZipFile(path, "w") as outer:
        outer.writestr("model.zip", crafted.getvalue())
        outer.writestr("progress.json", progress)

    resumed = Run(config, "pytest")
    resumed.load()
    assert not marker.exists()
    assert resumed.model.num_timesteps == 128 and resumed.model._n_updates == 1
    for key, value in run.model.policy.state_dict().items():
        torch.testing.assert_close(resumed.model.policy.state_dict()[key], value)

    path.write_bytes(path.read_bytes()[:1000])  # truncated by something other than our atomic writes
    with pytest.raises(CheckpointError, match="corrupt"):
        Run(config, "pytest").load()
    run.model.get_env().close()
    resumed.model.get_env().close()


def test_a_run_resumed_from_a_stage_start_evaluates_on_the_uninterrupted_grid(tmp_path, monkeypatch):
    # Regression: SB3 gives a callback the step count only at on_training_start, so a resumed run's fresh Monitor
    # once put its evaluation grid at step 0 and evaluated at 384 instead of 512.
    from botarena.agents.territory.train import Monitor, Run

    config = TrainConfig.quick(out=str(tmp_path / "run"), bc_expert="", threads=1)  # stages end at 256 and 512
    original = Monitor._on_rollout_end

    def killed_at_384(monitor):
        original(monitor)
        if monitor.model.num_timesteps == 384:  # after the stage-start checkpoint (256), before the next (384)
            raise KeyboardInterrupt

    monkeypatch.setattr(Monitor, "_on_rollout_end", killed_at_384)
    run = Run(config, "pytest")
    with pytest.raises(KeyboardInterrupt):
        run.train()
    run.model.get_env().close()
    monkeypatch.setattr(Monitor, "_on_rollout_end", original)
    resumed = Run(config, "pytest")
    resumed.load()
    assert resumed.model.num_timesteps == 256
    resumed.train()
    assert [row["step"] for row in resumed.history] == [256, 512]
    resumed.model.get_env().close()


def test_the_land_weight_adds_its_share_of_the_land_gained_and_nothing_else():
    from botarena.agents.territory.train import make_vec_env

    kwargs = {"preset": "duel", "opponents": "expander", "max_episode_steps": 25}
    plain, weighted = make_vec_env(kwargs, 2), make_vec_env(kwargs, 2, land_weight=4.0)
    for venv in (plain, weighted):
        venv.seed(7)
    plain.reset(), weighted.reset()
    start = weighted.batch.prev_share.copy()
    gained = np.zeros(2)
    episodes = 0
    rng = np.random.default_rng(0)
    for _ in range(60):
        masks = plain.venv.action_masks()
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in masks])
        _, r_plain, dones, infos = plain.step(actions)
        _, r_weighted, dones_w, _ = weighted.step(actions)
        np.testing.assert_array_equal(dones, dones_w)
        now = np.array([info["land_share"] for info in infos])
        np.testing.assert_allclose(r_weighted - r_plain, 3.0 * (now - start), atol=1e-6)
        gained += now - start
        start = weighted.batch.prev_share.copy()
        episodes += int(dones.sum())
    assert episodes >= 2 and (gained != 0).all()


def test_the_experts_launches_are_labelled_with_a_valid_direction_at_the_same_target():
    from botarena.agents.territory.imitation import WAIT_ACTION, direction_label, expert_core_actions
    from botarena.envs.territory import TerritoryVectorEnv, bots, core

    env = TerritoryVectorEnv(num_envs=4, preset="duel", opponents="expander")
    obs, _ = env.reset(seed=3)
    state, expert = env.state, bots.BOT_NAMES.index("nation")
    labelled = 0
    for _ in range(400):
        before = state.rng_state.copy()
        rows = expert_core_actions(state, 0, expert)
        np.testing.assert_array_equal(state.rng_state, before)  # the expert decided on a copy
        actions = []
        for n in range(4):
            label = direction_label(state, n, 0, rows[n], obs["action_mask"][n])
            if rows[n, 0] == core.MODE_CELL and label >= 0:
                direction = label // core.NUM_INTENSITIES
                cy, cx = state.sum_y[n, 0] // state.tiles[n, 0], state.sum_x[n, 0] // state.tiles[n, 0]
                aimed = state.owner[n].flat[rows[n, 1]]
                assert obs["action_mask"][n, label] and core.ray_target(state.owner[n], cy, cx, 0, direction) == aimed
                labelled += 1
            actions.append(label if label >= 0 else WAIT_ACTION)
        obs, *_ = env.step(np.array(actions))
    assert labelled >= 10


def test_the_registered_agent_loads_the_shipped_checkpoint_and_plays_a_full_game():
    from botarena.agents import make_agent, play_episode
    from botarena.agents.common.registry import agent_spec

    spec = agent_spec("territory/ppo-attention")
    assert spec.checkpoint_path.stat().st_size < 8 * 2**20  # small enough to ship
    agent = make_agent("territory/ppo-attention")
    assert agent.card.command.startswith("botarena train territory")
    assert agent.card.metrics["final"]["episodes"] == 200
    result = play_episode("territory", {0: agent, 1: "territory/expander"}, seed=0, preset="duel")
    assert result.length > 0 and sorted(result.placements) == [1, 2]


# ---------------------------------------------------------------------- the gridnet (cell mode)
def cell_spaces(preset: str):
    return observation_and_action_spaces({"preset": preset, "action_mode": "cell"})


@pytest.mark.parametrize("preset", ["duel", "standard"])
def test_gridnet_gives_one_logit_per_cell_then_the_noop_and_intensities_with_map_independent_weights(preset):
    from botarena.agents.territory.policy import GridNet

    obs_space, act_space = cell_spaces(preset)
    side = SIZES[preset]
    assert list(act_space.nvec) == [side * side + 1, 5]
    policy = build_policy("gridnet", obs_space, act_space)
    policy.set_training_mode(False)
    assert sum(p.numel() for p in policy.parameters()) == 95_944  # the same at 64x64 and 128x128
    assert sum(p.numel() for p in GridNet(obs_space).parameters()) == 61_377
    obs = {k: torch.as_tensor(v) for k, v in sample_obs(obs_space, 2).items() if k != "action_mask"}
    features = policy.extract_features(obs, policy.pi_features_extractor)
    assert features.shape == (2, side * side + 256)
    latent_pi, latent_vf = policy.mlp_extractor(features)
    assert policy.action_net(latent_pi).shape == (2, side * side + 1 + 5)
    assert policy.value_net(latent_vf).shape == (2, 1)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**16))
def test_gridnet_never_chooses_a_masked_cell_or_intensity(seed):
    obs_space, act_space = cell_spaces("duel")
    if "gridnet" not in _POLICY_CACHE:
        _POLICY_CACHE["gridnet"] = build_policy("gridnet", obs_space, act_space)
    policy = _POLICY_CACHE["gridnet"]
    policy.set_training_mode(False)
    rng = np.random.default_rng(seed)
    cells = 64 * 64
    obs = sample_obs(obs_space, 3, seed)
    mask = np.zeros((3, cells + 6), np.int8)
    mask[:, rng.choice(cells, 5, replace=False)] = 1  # five frontier cells
    mask[:, cells] = 1  # the no-op
    mask[:, cells + 1 + rng.choice(5, 2, replace=False)] = 1
    obs["action_mask"] = mask
    actions = greedy_actions(policy, obs)
    assert actions.shape == (3, 2)
    assert mask[np.arange(3), actions[:, 0]].all() and mask[np.arange(3), cells + 1 + actions[:, 1]].all()
    probs = action_probabilities(policy, obs)
    assert (probs[mask == 0] == 0).all()
    np.testing.assert_allclose(probs[:, :cells + 1].sum(axis=1), 1.0)
    np.testing.assert_allclose(probs[:, cells + 1:].sum(axis=1), 1.0)


def test_cell_labels_keep_the_bots_target_and_idle_counts_only_avoidable_waits():
    from botarena.agents.territory.actions import idle_count
    from botarena.agents.territory.imitation import cell_label
    from botarena.envs.territory import core

    cells = 16
    mask = np.zeros(cells + 6, np.int8)
    mask[[3, 7, cells]] = 1
    mask[cells + 1 + np.array([1, 3])] = 1  # intensities 1 and 3
    launch = np.array([core.MODE_CELL, 7, 4])
    np.testing.assert_array_equal(cell_label(cells, launch, mask), [7, 3])  # the nearest valid intensity
    np.testing.assert_array_equal(cell_label(cells, np.array([core.MODE_CELL, 5, 1]), mask), [-1, -1])  # masked
    np.testing.assert_array_equal(cell_label(cells, np.array([core.MODE_DIRECTION, core.WAIT, 0]), mask), [cells, 0])
    np.testing.assert_array_equal(cell_label(cells, np.array([core.MODE_RETREAT, 0, 0]), mask), [cells, 1])

    masks = np.stack([mask, mask, np.where(np.arange(cells + 6) < cells, 0, mask)])  # the third: no cell valid
    chosen = np.array([[cells, 0], [3, 1], [cells, 0]])
    assert idle_count(chosen, masks, "cell") == (1, 2)  # the third WAIT was forced
    direction_masks = np.zeros((3, 45), np.int8)
    direction_masks[:, 40] = 1
    direction_masks[:2, 5] = 1
    assert idle_count(np.array([40, 40, 40]), direction_masks, "direction") == (2, 2)


def test_cell_mode_needs_one_map_size_and_the_arch_decides_the_action_mode():
    assert TrainConfig(arch="gridnet").action_mode == "cell" and TrainConfig().action_mode == "direction"
    assert {stage.map_side for stage in TrainConfig(arch="gridnet").stages} == {64}  # its defaults: 64x64 only
    with pytest.raises(ValueError, match="one map size"):
        TrainConfig(arch="gridnet", stages=[Stage(10, preset="duel"), Stage(10)])
    with pytest.raises(ValueError, match="plays action_mode='direction'"):
        TrainConfig(arch="attention", action_mode="cell")
    with pytest.raises(SystemExit):
        main(["--arch", "gridnet", "--action-mode", "direction"])
    with pytest.raises(ValueError, match="needs a clone"):
        TrainConfig(arch="gridnet", bc_calibrate=True)
    with pytest.raises(ValueError, match="needs a clone"):
        TrainConfig(temperature=0.5, bc_expert="")
    with pytest.raises(ValueError, match="temperature must be > 0"):
        TrainConfig(temperature=0.0)
    with pytest.raises(SystemExit):
        main(["--arch", "gridnet", "--temperature", "0.5"])


def test_a_calibrated_run_calibrates_the_clone_once_with_its_settings_and_evaluates_both_ways(tmp_path, monkeypatch):
    from botarena.agents.territory import imitation

    calls = []
    real = imitation.calibrate
    monkeypatch.setattr(imitation, "calibrate", lambda policy, **kw: (calls.append(kw), real(policy, **kw)))
    out = tmp_path / "run"
    assert main(["--quick", "--out", str(out), "--bc-calibrate", "--temperature", "0.5"]) == 0
    config = TrainConfig.quick()
    assert calls == [{"keep_wait": config.bc_keep_wait, "launch_weight": config.bc_launch_weight,
                      "temperature": 0.5}]
    card = TerritoryPolicyAgent(out / BEST_FILE).card
    assert card.config["train"]["bc_calibrate"] is True and card.config["train"]["temperature"] == 0.5
    evals = [json.loads(line)["eval"] for line in (out / "metrics.jsonl").read_text().splitlines() if "eval" in line]
    assert evals and all(0 <= e["sampled"]["win_rate"] <= 1 for e in evals)


def test_a_run_started_from_a_checkpoint_plays_its_weights_at_step_0_and_clones_nothing(tmp_path, monkeypatch):
    from botarena.agents.territory import imitation, train

    config = TrainConfig.quick()
    torch.manual_seed(123)  # weights no fresh policy of the run's own seed has
    start = build_policy("attention", *observation_and_action_spaces(config.env_kwargs(config.stages[0])))
    init = _write_checkpoint(tmp_path / "start.pt", start, env=config.env_kwargs(config.stages[0]))
    monkeypatch.setattr(imitation, "collect", lambda *a, **k: pytest.fail("a run with --init must not clone"))
    first: list[dict] = []
    evaluate = train.Monitor.evaluate

    def spy(monitor):
        if not first:
            first.append({k: v.clone() for k, v in monitor.run.model.policy.state_dict().items()})
        return evaluate(monitor)

    monkeypatch.setattr(train.Monitor, "evaluate", spy)
    out = tmp_path / "run"
    assert main(["--quick", "--out", str(out), "--init", str(init)]) == 0
    for name, tensor in start.state_dict().items():
        torch.testing.assert_close(first[0][name], tensor, rtol=0, atol=0, msg=name)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[0]["init_done"]["init"] == str(init) and rows[1]["eval"]["step"] == 0
    card = TerritoryPolicyAgent(out / BEST_FILE).card
    assert card.config["train"]["init"] == str(init) and card.config["train"]["bc_expert"] == ""
    assert f"PPO started from {init} (sha256 " in card.data
    # Resuming reads the run's own checkpoint, never the start again.
    init.unlink()
    assert main(["--quick", "--out", str(out), "--init", str(init), "--resume"]) == 0


def test_a_start_checkpoint_that_cannot_start_the_run_is_refused_with_the_reason(tmp_path):
    with pytest.raises(SystemExit):  # a clone and a start checkpoint are two starts
        main(["--quick", "--out", str(tmp_path / "a"), "--init", "x.pt", "--bc-expert", "nation"])
    with pytest.raises(ValueError, match="give one of them"):
        TrainConfig(init="x.pt")
    with pytest.raises(CheckpointError, match="does not exist"):
        main(["--quick", "--out", str(tmp_path / "b"), "--init", str(tmp_path / "missing.pt")])
    obs_space, act_space = spaces("duel")
    flat = _write_checkpoint(tmp_path / "flat.pt", build_policy("flatten", obs_space, act_space),
                             name="territory/ppo-flatten", arch="flatten")
    with pytest.raises(CheckpointError, match="holds 'territory/ppo-flatten', expected 'territory/ppo-attention'"):
        main(["--quick", "--out", str(tmp_path / "c"), "--init", str(flat)])


def test_a_tiny_gridnet_run_clones_trains_and_its_checkpoint_plays_cell_actions(tmp_path):
    from botarena.envs.territory import TerritoryVectorEnv

    out = tmp_path / "grid"
    assert main(["--quick", "--arch", "gridnet", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert any("bc" in row for row in rows) and rows[-1]["step"] == 512
    agent = TerritoryPolicyAgent(out / BEST_FILE, name="territory/ppo-gridnet")
    env = TerritoryVectorEnv(num_envs=2, **agent.env_kwargs)
    obs, _ = env.reset(seed=1)
    for _ in range(20):
        actions = agent.act_batch(obs)
        assert actions.shape == (2, 2)
        obs, *_ = env.step(actions)


def test_seeds_train_as_parallel_processes_each_with_its_own_folder_and_card(tmp_path, capsys):
    out = tmp_path / "seeds"
    assert main(["--quick", "--out", str(out), "--seeds", "5,6", "--threads", "1"]) == 0
    for seed in (5, 6):
        card = TerritoryPolicyAgent(out / f"seed-{seed}" / BEST_FILE).card
        assert card.seed == seed and f"--seed {seed}" in card.command and "--seeds" not in card.command
        assert (out / f"seed-{seed}.log").exists()
    with pytest.raises(SystemExit, match="distinct"):
        main(["--quick", "--out", str(out), "--seeds", "1,1"])


def test_the_scripted_bots_idle_share_keeps_their_every_choice_in_cell_mode():
    from botarena.agents.territory.imitation import expert_idle_share

    figures = expert_idle_share({"preset": "duel", "map_size": 32, "opponents": "expander"}, 2, 40, 7, "aggressor")
    assert figures["refused_share"] == 0.0  # cell mode expresses every bot choice
    assert 0.0 <= figures["idle_share"] <= 1.0 and 0.0 < figures["attack_valid_share"] <= 1.0


def test_the_policy_cost_benchmark_measures_every_arch(monkeypatch):
    import importlib.util
    from pathlib import Path

    folder = Path(__file__).resolve().parents[3] / "benchmarks"
    monkeypatch.syspath_prepend(str(folder))  # the script imports its harness from beside it
    spec = importlib.util.spec_from_file_location("bench_territory_policy", folder / "bench_territory_policy.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)  # main() (which pins the process to one core) runs only under __main__
    for arch in bench.ARCHS:
        figures = bench.measure(arch, {"map_size": 32, "num_players": 3}, repeats=1)
        assert figures["params"] > 0 and all(figures[k] > 0 for k in ("forward_1", "forward_64", "update_64"))


def test_calibrating_a_clone_undoes_the_resampling_shift_and_sharpens_by_the_temperature():
    from botarena.agents.territory.imitation import calibrate

    obs_space, act_space = spaces("duel")
    policy = build_policy("attention", obs_space, act_space)
    policy.set_training_mode(False)
    obs = sample_obs(obs_space, 3, seed=5)
    obs["action_mask"][:] = 1
    before = np.log(action_probabilities(policy, obs))
    calibrate(policy, keep_wait=0.25, launch_weight=2.0)
    adjusted = np.log(action_probabilities(policy, obs))
    # WAIT gains log(1 / 0.25) and every launch loses log(2) against the recalls, whose logits are untouched.
    shift = (adjusted - adjusted[:, [41]]) - (before - before[:, [41]])
    assert np.allclose(shift[:, 40], np.log(4.0), atol=1e-4)
    assert np.allclose(shift[:, :40], -np.log(2.0), atol=1e-4) and np.allclose(shift[:, 41:], 0.0, atol=1e-4)
    calibrate(policy, temperature=0.5)
    sharpened = np.log(action_probabilities(policy, obs))
    assert np.allclose(sharpened - sharpened[:, [41]], 2 * (adjusted - adjusted[:, [41]]), atol=1e-3)
    assert (greedy_actions(policy, obs) == np.argmax(adjusted, axis=1)).all()
    with pytest.raises(ValueError, match="temperature > 0"):
        calibrate(policy, temperature=0.0)
    with pytest.raises(ValueError, match="direction mode"):
        calibrate(build_policy("gridnet", *cell_spaces("duel")), keep_wait=0.5)


def test_a_sampled_evaluation_is_reproducible_and_leaves_the_training_runs_generator_alone():
    from botarena.agents.territory.train import evaluate

    env_kwargs = {"preset": "duel", "map_size": 32, "opponents": "expander", "max_episode_steps": 40}
    policy = build_policy("attention", *observation_and_action_spaces(env_kwargs))
    policy.set_training_mode(False)
    torch.manual_seed(123)
    state = torch.get_rng_state()
    first = evaluate(policy, env_kwargs, games=2, sample_seed=7)
    assert torch.equal(torch.get_rng_state(), state)
    assert evaluate(policy, env_kwargs, games=2, sample_seed=7) == first
