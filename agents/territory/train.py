"""``botarena train territory``: MaskablePPO on the native batch of Territory-v2, through a curriculum of stages.

Read top to bottom:

0. **Behaviour cloning** (``agents/territory/imitation.py``): the scripted ``nation`` bot plays the learner's seat
   through the learner's own direction actions in each of ``bc_stages``' settings; the policy is fitted to its
   decisions and the value head to the returns, then evaluated, before any PPO step. With ``--init CHECKPOINT``
   PPO starts from that checkpoint's policy instead (the shipped agent, or a run's ``best.pt``), to train it further.
1. **Stages.** Each stage is a Territory setting and a number of environment steps: by default the 2-player
   64x64 duel against expander (learn to take land and to fight one neighbour), then 5 players on a 64x64 map
   against the mixed bots (the free-for-all at a quarter of the pixels), then the standard 128x128 preset
   against mixed, the leaderboard's setting. The attention net pools globally, so its weights carry from map
   to map; the policy and its optimizer move on to each stage's env. ``--arch gridnet`` plays cell mode, whose
   action space fixes the map size: every stage must share one (its defaults stay on 64x64 maps).
2. **Rollouts and updates.** sb3-contrib's MaskablePPO over ``SB3VecEnv`` (the whole batch in one numba call),
   masks from ``action_masks()``, ``--envs`` games per rollout of ``n_steps`` decisions each. The reward is
   Territory-v2's ``"share"`` (the land share gained, plus the placement, +1 to -1, at every end) with its land
   term weighted by ``land_weight`` (10; :class:`LandWeightedReward`): a tile of a 64x64 map is worth about
   3e-4 of share while the placement's +-1 sets the value function's scale, so unweighted the land signal sat
   below the value error: the first run (weight 1) lost every duel and its greedy policy held 3.5% of the map
   after 300 decisions at 60k steps (it never idled: its WAITs were all forced, every attack slot busy).
   Weighted, the return is still ``land_weight x`` share gained plus placement: more land, better place.
3. **Monitoring.** Every rollout logs the episode return, win rate, mean placement, final land share, the idle
   share (WAIT chosen while some attack was valid; a WAIT with every attack masked is not idling) and samples/s
   end to end, to TensorBoard (``<out>/tb``) and ``<out>/metrics.jsonl``, with a progress bar.
4. **Evaluation.** Every ``eval_every`` steps, and at the end, the greedy policy plays ``eval_games`` games of
   the last stage's setting on held-out seeds (``2**32 + 10**6 + i``: never a training seed, which stay below
   2**32, nor the leaderboard's, at 2**40 and up); the best by win rate, then mean placement, is kept as
   ``<out>/best.pt`` (the shipped format, with its model card).
5. **Checkpoints.** The whole run (model, optimizer, step count, best score, evaluations) is written atomically to
   ``<out>/run.ckpt`` after behaviour cloning, at each stage's start, at the first rollout start (after the
   previous rollout's update) once ``checkpoint_every`` steps have passed or an evaluation was made, and at the
   start of a rollout that ends in an evaluation; ``--resume`` continues it to the same total step count, PPO
   updates and evaluation steps, whenever the run was killed.

    botarena train territory --out runs/territory-attention              # the shipped agent's command
    botarena train territory --out runs/territory-quick --quick          # a smoke run, under a minute
"""

from __future__ import annotations

import argparse
import io
import json
import math
import pickle
import shlex
import sys
import time
import zipfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnvWrapper, VecMonitor

from botarena.agents.common.checkpoint import CheckpointError, ModelCard, git_sha, save_checkpoint
from botarena.agents.common.metrics import wilson
from botarena.agents.leaderboard.seeds import TRAINING_SEED_LIMIT
from botarena.envs.common.io import atomic_write, atomic_write_text

from .actions import idle_count
from .policy import ACTION_MODES, EXTRACTORS, greedy_actions, policy_class, policy_kwargs, sampled_actions

AGENT_NAMES = {"attention": "territory/ppo-attention", "flatten": "territory/ppo-flatten",
               "gridnet": "territory/ppo-gridnet"}
HELD_OUT_SEED_BASE = TRAINING_SEED_LIMIT + 1_000_000  # evaluation games: 2**32 + 10**6 + i
# The final figures of the card: seeds no evaluation during training saw (those chose the best checkpoint).
FINAL_SEED_BASE = TRAINING_SEED_LIMIT + 2_000_000
RUN_FILE = "run.ckpt"
BEST_FILE = "best.pt"


@dataclass
class Stage:
    """One step of the curriculum: a Territory setting (``gym.make`` arguments) and how long to train on it."""

    steps: int
    preset: str = "standard"
    map_size: int | None = None
    num_players: int | None = None
    opponents: str = "mixed"

    def env_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"preset": self.preset, "opponents": self.opponents}
        if self.map_size is not None:
            kwargs["map_size"] = self.map_size
        if self.num_players is not None:
            kwargs["num_players"] = self.num_players
        return kwargs

    @property
    def map_side(self) -> int:
        from botarena.envs.territory.env import PRESETS

        return self.map_size if self.map_size is not None else PRESETS[self.preset][0]

    @classmethod
    def parse(cls, text: str) -> Stage:
        """``"steps=200000,preset=duel,opponents=expander"`` (any of the fields, ``steps`` required)."""
        values: dict[str, Any] = {}
        names = {f.name for f in fields(cls)}
        for part in filter(None, text.split(",")):
            key, _, value = part.partition("=")
            if key not in names or not value:
                raise ValueError(f"stage {text!r}: {part!r} is not one of {sorted(names)} as key=value")
            values[key] = int(value) if key in ("steps", "map_size", "num_players") else value
        if "steps" not in values:
            raise ValueError(f"stage {text!r} needs steps=N")
        return cls(**values)


def default_bc_stages() -> list[Stage]:
    # Decisions the expert plays, per setting; all its launches (~4%) and ``bc_keep_wait`` of its WAITs are kept
    # (~44k decisions, ~2.5 GB of observations).
    return [Stage(40_000, preset="duel", opponents="expander"),
            Stage(160_000, map_size=64, num_players=5),
            Stage(40_000)]


def default_stages() -> list[Stage]:
    # Sized to train in under an hour after cloning on this project's 2-core machine (~240 samples/s on 64x64
    # maps, fewer on 128x128, where the first convolution's cost quadruples).
    return [Stage(50_000, preset="duel", opponents="expander"),
            Stage(500_000, map_size=64, num_players=5),
            Stage(150_000)]


def default_cell_stages() -> tuple[list[Stage], list[Stage]]:
    # Cell mode's action space is tied to one map size, and every full-resolution layer of the gridnet costs
    # 4x at 128x128: its defaults keep the same steps and decisions on 64x64 maps (the duel, then 5 players).
    return ([Stage(50_000, preset="duel", opponents="expander"), Stage(650_000, map_size=64, num_players=5)],
            [Stage(40_000, preset="duel", opponents="expander"), Stage(200_000, map_size=64, num_players=5)])


@dataclass
class TrainConfig:
    """Everything a run depends on (written into the run checkpoint and the model card)."""

    out: str = "runs/territory-attention"
    arch: str = "attention"
    seed: int = 0
    num_envs: int = 16
    stages: list[Stage] = field(default_factory=default_stages)
    action_mode: str = ""  # "" is the arch's: direction for attention and flatten, cell for gridnet
    max_episode_steps: int = 1000
    n_steps: int = 128
    batch_size: int = 256
    n_epochs: int = 4
    learning_rate: float = 5e-5  # fine-tuning the cloned policy: slower than from scratch
    ent_coef: float = 0.001  # the clone waits 96% of the time; a larger bonus pulls it toward uniform
    gamma: float = 0.995
    land_weight: float = 10.0
    gae_lambda: float = 0.95
    clip_range: float = 0.1
    bc_expert: str = "nation"  # "" skips behaviour cloning
    # A checkpoint in the shipped format (a run's best.pt, agents/checkpoints/territory-attention.pt) whose policy
    # weights PPO starts from instead of a clone: fine-tuning an agent further, on a new curriculum, with a fresh
    # optimizer. The run's checkpoints carry the weights from then on, so --resume never reads it again.
    init: str = ""
    bc_stages: list[Stage] = field(default_factory=default_bc_stages)
    bc_epochs: int = 8
    bc_lr: float = 3e-4
    bc_launch_weight: float = 2.0
    bc_keep_wait: float = 0.15
    # After cloning, undo the resampling's shift of the logits and sharpen them (imitation.calibrate): PPO's
    # rollouts sample the policy, and the raw clone sampled wins a fifth of the games its greedy self wins. It let
    # PPO improve on the clone on 64x64 maps, but the full curriculum with it scored below the shipped run on
    # 128x128 (README), so it is opt-in. Direction mode only (cell mode has no Linear action layer to adjust).
    bc_calibrate: bool = False
    temperature: float = 1.0
    eval_every: int = 200_000
    eval_games: int = 32
    final_games: int = 200
    checkpoint_every: int = 20_000
    threads: int = 2

    def __post_init__(self) -> None:
        if self.arch not in EXTRACTORS:
            raise ValueError(f"arch must be one of {list(EXTRACTORS)}, got {self.arch!r}")
        self.action_mode = self.action_mode or ACTION_MODES[self.arch]
        if self.action_mode != ACTION_MODES[self.arch]:
            raise ValueError(f"arch {self.arch!r} plays action_mode={ACTION_MODES[self.arch]!r}, "
                             f"not {self.action_mode!r}")
        if not self.temperature > 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")
        if not self.land_weight >= 0:
            raise ValueError(f"land_weight must be >= 0 (1 is the env's own reward), got {self.land_weight}")
        if self.init and self.bc_expert:
            raise ValueError(f"init={self.init!r} starts PPO from that checkpoint's weights instead of a clone of "
                             f"{self.bc_expert!r}: give one of them (bc_expert='' with init)")
        if (self.bc_calibrate or self.temperature != 1.0) and (self.action_mode != "direction" or not self.bc_expert):
            raise ValueError("calibrating the clone (--bc-calibrate, --temperature) needs a clone (a --bc-expert) "
                             f"in action_mode='direction', not {self.action_mode!r} with expert {self.bc_expert!r}")
        if self.action_mode == "cell":
            cell_stages, cell_bc_stages = default_cell_stages()
            self.stages = cell_stages if self.stages == default_stages() else self.stages
            self.bc_stages = cell_bc_stages if self.bc_stages == default_bc_stages() else self.bc_stages
            # Cell mode's action space is MultiDiscrete([H*W + 1, 5]): the policy's heads are tied to one size.
            sides = sorted({stage.map_side for stage in [*self.stages, *self.bc_stages]})
            if len(sides) > 1:
                raise ValueError(f"action_mode='cell' (arch {self.arch!r}) needs every stage and bc stage on one "
                                 f"map size, got sides {sides}")

    @classmethod
    def quick(cls, **overrides: Any) -> TrainConfig:
        """A smoke run: two tiny stages, every part exercised (an evaluation, a checkpoint, a stage change)."""
        small = dict(num_envs=4, n_steps=32, batch_size=64, n_epochs=1, eval_every=256, eval_games=2, final_games=2,
                     checkpoint_every=128, max_episode_steps=100, bc_epochs=1,
                     bc_stages=[Stage(64, preset="duel", map_size=32, opponents="expander")],
                     stages=[Stage(256, preset="duel", map_size=32, opponents="expander"),
                             Stage(256, map_size=32, num_players=3, opponents="expander")])
        return cls(**{**small, **overrides})

    @property
    def total_steps(self) -> int:
        return sum(stage.steps for stage in self.stages)

    def stage_at(self, step: int) -> int:
        """The index of the stage that trains step ``step`` (the last one once every stage is done)."""
        end = 0
        for i, stage in enumerate(self.stages):
            end += stage.steps
            if step < end:
                return i
        return len(self.stages) - 1

    def stage_end(self, index: int) -> int:
        return sum(stage.steps for stage in self.stages[:index + 1])

    def training_seed(self, stage_index: int) -> int:
        seed = (self.seed * 1_000_003 + stage_index * 10_007) % (TRAINING_SEED_LIMIT // 2)
        if seed + self.num_envs >= TRAINING_SEED_LIMIT:
            raise ValueError("training seeds must stay below 2**32")
        return seed

    def env_kwargs(self, stage: Stage) -> dict[str, Any]:
        """The Territory-v2 arguments a stage trains with (the registered defaults otherwise)."""
        return {**stage.env_kwargs(), "action_mode": self.action_mode, "max_episode_steps": self.max_episode_steps}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        data = dict(data)
        data["stages"] = [Stage(**s) for s in data.get("stages", [])]
        data["bc_stages"] = [Stage(**s) for s in data.get("bc_stages", [])]
        return cls(**data)


# ====================================================================== envs and evaluation
class LandWeightedReward(VecEnvWrapper):
    """The env's reward plus ``(land_weight - 1) x`` the land share gained this step (the episode's last step
    counts the share in its final info; a new episode counts from its spawn)."""

    def __init__(self, venv: Any, batch: Any, land_weight: float) -> None:
        super().__init__(venv)
        self.batch = batch  # the TerritoryVectorEnv: ``prev_share`` is each game's share now (a new game's spawn)
        self.extra = float(land_weight) - 1.0
        self.share = np.zeros(venv.num_envs)

    def reset(self) -> Any:
        obs = self.venv.reset()
        self.share = self.batch.prev_share.copy()
        return obs

    def step_wait(self) -> Any:
        obs, rewards, dones, infos = self.venv.step_wait()
        now = np.array([info["land_share"] for info in infos])
        rewards = rewards + (self.extra * (now - self.share)).astype(rewards.dtype)
        self.share = self.batch.prev_share.copy()
        return obs, rewards, dones, infos


def make_vec_env(env_kwargs: dict[str, Any], num_envs: int, land_weight: float = 1.0) -> Any:
    """The training batch: ``SB3VecEnv`` over Territory-v2, episodes monitored on the env's own reward, then the
    land term weighted for the learner."""
    import gymnasium as gym

    import botarena.envs  # noqa: F401  (registers the ids)
    from botarena.envs.common.sb3 import SB3VecEnv

    envs = gym.make_vec("botarena/Territory-v2", num_envs=num_envs, vectorization_mode="vector_entry_point",
                        **env_kwargs)
    monitored = VecMonitor(SB3VecEnv(envs))
    return LandWeightedReward(monitored, envs.unwrapped, land_weight) if land_weight != 1.0 else monitored


def evaluate(policy: Any, env_kwargs: dict[str, Any], games: int, seed_base: int = HELD_OUT_SEED_BASE,
             sample_seed: int | None = None) -> dict:
    """The greedy policy's first game in each of ``games`` envs seeded ``seed_base + i``: win rate, placement,
    final land share and idle share, with 95% intervals (Wilson for the win rate, normal for the means).
    ``sample_seed``: play actions sampled from the policy (as PPO's rollouts do) instead, from that seed (torch's
    global generator is restored afterwards: a training run's own sampling goes on as if nothing had drawn)."""
    import torch

    if sample_seed is None:
        return _evaluate(policy, env_kwargs, games, seed_base, sampled=False)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(sample_seed)
        return _evaluate(policy, env_kwargs, games, seed_base, sampled=True)


def _evaluate(policy: Any, env_kwargs: dict[str, Any], games: int, seed_base: int, sampled: bool) -> dict:
    from botarena.envs.territory import TerritoryVectorEnv

    env = TerritoryVectorEnv(num_envs=games, **env_kwargs)
    action_mode = env_kwargs.get("action_mode", "direction")
    obs, _ = env.reset(seed=seed_base)
    placement = np.zeros(games, np.int64)
    share = np.zeros(games)
    finished = np.zeros(games, np.bool_)
    idle = valid = 0
    while not finished.all():
        actions = sampled_actions(policy, obs) if sampled else greedy_actions(policy, obs)
        idled, could = idle_count(actions[~finished], obs["action_mask"][~finished], action_mode)
        idle, valid = idle + idled, valid + could
        obs, _, terminated, truncated, infos = env.step(actions)
        ended = (terminated | truncated) & ~finished
        final = infos.get("final_info", infos)
        placement[ended] = final["placement"][ended]
        share[ended] = final["land_share"][ended]
        finished |= ended
    env.close()
    wins = placement == 1
    return {"games": games, "seed_base": seed_base, "win_rate": float(wins.mean()),
            "win_rate_ci": list(wilson(int(wins.sum()), games)), "placement": float(placement.mean()),
            "placement_ci": list(mean_ci(placement)), "land_share": float(share.mean()),
            "idle_share": idle / max(valid, 1)}


def mean_ci(values: np.ndarray, z: float = 1.96) -> tuple[float, float]:
    half = z * float(values.std(ddof=1)) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return float(values.mean()) - half, float(values.mean()) + half


# ====================================================================== the run
class Run:
    """One training run: its config, its model, the stage it is in, the best evaluation so far."""

    def __init__(self, config: TrainConfig, command: str) -> None:
        self.config = config
        self.command = command
        self.out = Path(config.out)
        self.model: Any = None
        self.stage_index = -1
        self.best: dict[str, Any] | None = None
        self.history: list[dict[str, Any]] = []
        self.cloned: dict[str, Any] | None = None  # phase 0: the clone's figures, or where --init came from
        self.git_sha = git_sha()  # the code the run starts from (a card written later must not take a newer HEAD)

    # ------------------------------------------------------------------ checkpoints
    def save(self) -> None:
        """The whole run, atomically: SB3's model zip (policy, optimizer, step count) and the progress."""
        model_bytes = io.BytesIO()
        self.model.save(model_bytes)
        progress = {"config": self.config.to_dict(), "stage_index": self.stage_index, "best": self.best,
                    "history": self.history, "num_timesteps": int(self.model.num_timesteps), "cloned": self.cloned}
        with atomic_write(self.out / RUN_FILE) as handle, zipfile.ZipFile(handle, "w") as zf:
            zf.writestr("model.zip", model_bytes.getvalue())
            zf.writestr("progress.json", json.dumps(progress))

    def load(self) -> None:
        """Resume from ``<out>/run.ckpt`` (a :class:`CheckpointError` if it is missing, unreadable or of another
        config).

        The stage's model is rebuilt from the config and only tensors are read into it (``set_parameters``, which
        loads with ``weights_only=True``); the step counters come from plain JSON. SB3's ``MaskablePPO.load``
        would instead unpickle the objects its zip stores (spaces, schedules, policy class), and unpickling a
        file can run any code in it.
        """
        path = self.out / RUN_FILE
        if not path.is_file():
            raise CheckpointError(f"--resume: no run checkpoint at {path}")
        try:
            with zipfile.ZipFile(path) as zf:
                progress = json.loads(zf.read("progress.json"))
                model_bytes = zf.read("model.zip")
            with zipfile.ZipFile(io.BytesIO(model_bytes)) as zf:
                n_updates = int(json.loads(zf.read("data"))["_n_updates"])
            saved = TrainConfig.from_dict(progress["config"])
            stage_index, num_timesteps = int(progress["stage_index"]), int(progress["num_timesteps"])
        except (zipfile.BadZipFile, KeyError, TypeError, ValueError) as err:  # ValueError: bad JSON or config
            raise CheckpointError(f"run checkpoint {path} is corrupt: {err!r}") from err
        if saved.to_dict() != {**self.config.to_dict(), "out": saved.out}:
            raise CheckpointError(f"run checkpoint {path} was made with another config; resume with the same "
                                  f"options (saved: {json.dumps(saved.to_dict())})")
        if not 0 <= stage_index < len(self.config.stages) or num_timesteps < 0:
            raise CheckpointError(f"run checkpoint {path} is corrupt: stage {stage_index} at step {num_timesteps}, "
                                  f"the config has stages 0..{len(self.config.stages) - 1}")
        self.best, self.history, self.cloned = progress.get("best"), progress.get("history", []), progress.get("cloned")
        self.enter_stage(stage_index)
        try:
            self.model.set_parameters(io.BytesIO(model_bytes), exact_match=True, device="cpu")
        except (ValueError, RuntimeError, KeyError, EOFError, pickle.UnpicklingError) as err:
            raise CheckpointError(f"run checkpoint {path}: its model does not load into the config's "
                                  f"{self.config.arch} policy: {err}") from err
        self.model.num_timesteps = num_timesteps
        self.model._n_updates = n_updates

    def save_best(self, metrics: dict[str, Any]) -> None:
        c = self.config
        card = ModelCard(
            name=AGENT_NAMES[c.arch], config={"arch": c.arch, "env": c.env_kwargs(c.stages[-1]), "train": c.to_dict()},
            command=self.command, seed=c.seed, git_sha=self.git_sha,
            data=f"botarena/Territory-v2 self-generated games, curriculum {[s.env_kwargs() for s in c.stages]}, "
                 f"training seeds from {c.training_seed(0)} (below 2**32)" + self._init_provenance(),
            metrics={"held_out_eval": metrics, "how": f"greedy policy, {c.eval_games} games of the last stage's "
                     f"setting on seeds {HELD_OUT_SEED_BASE} + i, at step {metrics['step']}"})
        save_checkpoint(self.out / BEST_FILE, self.model.policy.state_dict(), card)

    def _init_provenance(self) -> str:
        if self.cloned is None or "init" not in self.cloned:
            return ""
        start = self.cloned
        return (f"; PPO started from {start['init']} (sha256 {start['init_sha256']}, git {start['init_git_sha']}, "
                f"itself {start['init_command']!r})")

    # ------------------------------------------------------------------ stages
    def stage_env(self, index: int) -> Any:
        c = self.config
        venv = make_vec_env(c.env_kwargs(c.stages[index]), c.num_envs, c.land_weight)
        venv.seed(c.training_seed(index))
        return venv

    def enter_stage(self, index: int) -> None:
        """Build stage ``index``'s env and a model on it that carries the policy and optimizer over."""
        from sb3_contrib import MaskablePPO

        c = self.config
        venv = self.stage_env(index)
        model = MaskablePPO(policy_class(c.arch), venv, learning_rate=c.learning_rate, n_steps=c.n_steps,
                            batch_size=c.batch_size, n_epochs=c.n_epochs, gamma=c.gamma, gae_lambda=c.gae_lambda,
                            clip_range=c.clip_range, ent_coef=c.ent_coef, policy_kwargs=policy_kwargs(c.arch),
                            seed=c.seed + index, device="cpu", verbose=0)
        if self.model is not None:
            model.policy.load_state_dict(self.model.policy.state_dict())
            model.policy.optimizer.load_state_dict(self.model.policy.optimizer.state_dict())
            model.num_timesteps = self.model.num_timesteps
            model._n_updates = self.model._n_updates
            self.model.get_env().close()
        self.model = model
        self.stage_index = index
        self._attach_logger()

    def behaviour_cloning(self, monitor: Monitor) -> None:
        """Phase 0: clone ``bc_expert`` into the policy (and its returns into the value), evaluate, checkpoint."""
        from . import imitation

        c = self.config
        demos = []
        for i, stage in enumerate(c.bc_stages):
            demos.append(imitation.collect(c.env_kwargs(stage), c.num_envs, max(1, stage.steps // c.num_envs),
                                           seed=c.training_seed(100 + i), expert=c.bc_expert, gamma=c.gamma,
                                           land_weight=c.land_weight, keep_wait=c.bc_keep_wait))
        figures: dict[str, Any] = {
            "decisions": sum(len(d) for d in demos), "unreachable": sum(d.unreachable for d in demos),
            "expert_games": int(sum(len(d.placements) for d in demos)),
            "expert_wins": int(sum(int((d.placements == 1).sum()) for d in demos))}
        stats = imitation.clone(self.model.policy, demos, epochs=c.bc_epochs, lr=c.bc_lr,
                                launch_weight=c.bc_launch_weight, seed=c.seed,
                                log=lambda row: monitor.write_metrics({"bc": row, "step": 0}))
        if c.bc_calibrate or c.temperature != 1.0:
            imitation.calibrate(self.model.policy, keep_wait=c.bc_keep_wait if c.bc_calibrate else 1.0,
                                launch_weight=c.bc_launch_weight if c.bc_calibrate else 1.0,
                                temperature=c.temperature)
        self.cloned = {**figures, **stats}
        monitor.write_metrics({"bc_done": figures, "step": 0})
        monitor.evaluate()
        self.save()

    def start_from_checkpoint(self, monitor: Monitor) -> None:
        """Phase 0 with ``init``: the policy's weights from a shipped-format checkpoint; evaluate, checkpoint."""
        from botarena.agents.common.checkpoint import file_sha256, load_checkpoint, load_weights_into

        c = self.config
        # The registry name is one per arch, so checking it refuses another arch's weights by name.
        state_dict, card, _ = load_checkpoint(c.init, expected_name=AGENT_NAMES[c.arch])
        load_weights_into(self.model.policy, state_dict, source=c.init)
        self.cloned = {"init": c.init, "init_sha256": file_sha256(c.init), "init_git_sha": card.git_sha,
                       "init_command": card.command}
        monitor.write_metrics({"init_done": self.cloned, "step": 0})
        monitor.evaluate()
        self.save()

    def _attach_logger(self) -> None:
        from stable_baselines3.common.logger import configure

        formats = ["csv"]
        try:
            import tensorboard  # noqa: F401

            formats.append("tensorboard")
        except ImportError:
            pass
        self.model.set_logger(configure(str(self.out / "tb"), formats))

    # ------------------------------------------------------------------ training
    def train(self) -> dict[str, Any]:
        import torch
        from tqdm import tqdm

        c = self.config
        torch.set_num_threads(c.threads)
        self.out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.out / "config.json", json.dumps(c.to_dict(), indent=2) + "\n")
        done = 0 if self.model is None else int(self.model.num_timesteps)
        bar = tqdm(total=c.total_steps, initial=done, unit="step", desc="train territory", dynamic_ncols=True)
        monitor = Monitor(self, bar)
        if c.bc_expert and self.cloned is None:
            self.enter_stage(0)
            self.behaviour_cloning(monitor)
        if c.init and self.cloned is None:
            self.enter_stage(0)
            self.start_from_checkpoint(monitor)
        while done < c.total_steps:
            index = c.stage_at(done)
            if index != self.stage_index or self.model is None:
                self.enter_stage(index)
                self.save()  # the stage's start: a kill in its first rollouts resumes here, not a stage back
            remaining = c.stage_end(index) - done
            self.model.learn(total_timesteps=remaining, callback=monitor, reset_num_timesteps=False,
                             progress_bar=False)
            done = int(self.model.num_timesteps)
        if not self.history or self.history[-1]["step"] != done:
            monitor.evaluate()
        self.save()
        bar.close()
        return self.finalize()

    def finalize(self) -> dict[str, Any]:
        """The best checkpoint's figures on ``final_games`` fresh held-out games, written into its model card."""
        import torch

        from botarena.agents.common.checkpoint import load_checkpoint, load_weights_into

        from .policy import build_policy, observation_and_action_spaces

        c = self.config
        path = self.out / BEST_FILE
        state_dict, card, _ = load_checkpoint(path, expected_name=AGENT_NAMES[c.arch])
        if "final" in card.metrics and card.metrics["final"]["step"] == card.metrics["held_out_eval"]["step"]:
            return card.metrics["final"]
        policy = build_policy(c.arch, *observation_and_action_spaces(card.config["env"]))
        load_weights_into(policy, state_dict, source=str(path))
        policy.set_training_mode(False)
        torch.set_num_threads(c.threads)
        metrics = evaluate(policy, c.env_kwargs(c.stages[-1]), c.final_games, seed_base=FINAL_SEED_BASE)
        metrics.update(step=card.metrics["held_out_eval"]["step"], episodes=c.final_games,
                       held_out_seeds=f"{FINAL_SEED_BASE}..{FINAL_SEED_BASE + c.final_games - 1}",
                       how=f"greedy policy, {c.final_games} games of {c.env_kwargs(c.stages[-1])} on seeds "
                           f"{FINAL_SEED_BASE} + i (none seen in training or in choosing the checkpoint)")
        card.metrics["final"] = metrics
        done = int(self.model.num_timesteps) if self.model is not None else self.progress_steps()
        if done < c.total_steps:
            card.notes = (f"the run was stopped at step {done:,} of its {c.total_steps:,} (--resume continues it); "
                          f"this is its best checkpoint, from step {metrics['step']:,}")
        save_checkpoint(path, state_dict, card)
        return metrics

    def progress_steps(self) -> int:
        """The step count in ``<out>/run.ckpt`` (0 without one)."""
        path = self.out / RUN_FILE
        try:
            with zipfile.ZipFile(path) as zf:
                return int(json.loads(zf.read("progress.json"))["num_timesteps"])
        except (OSError, zipfile.BadZipFile, KeyError, TypeError, ValueError):  # no (readable) run checkpoint
            return 0


class Monitor(BaseCallback):
    """Logs each rollout's episodes and idle share, evaluates and checkpoints on schedule."""

    def __init__(self, run: Run, bar: Any) -> None:
        super().__init__()
        self.run = run
        self.bar = bar
        self.last_eval = self.last_ckpt = 0
        self.unsaved_eval = False
        self._reset_window()

    def _reset_window(self) -> None:
        self.idle = self.valid = 0
        self.places: list[int] = []
        self.shares: list[float] = []
        self.returns: list[float] = []
        self.window_start = time.perf_counter()
        self.window_steps = 0

    def _init_callback(self) -> None:
        # On the evaluation schedule's grid, so a resumed run evaluates where the uninterrupted one would. The
        # model's count, not ours: SB3 updates a callback's num_timesteps only from on_training_start on, so a
        # fresh Monitor (a resumed run) still holds 0 here and would evaluate off the grid.
        steps = self.model.num_timesteps
        self.last_eval = steps - steps % self.run.config.eval_every
        self.last_ckpt = steps

    def _on_rollout_start(self) -> None:
        # A rollout starts after the previous one's PPO update: checkpointing here stores the updated weights with
        # the steps they were trained on, so a resumed run neither skips an update nor counts a step twice. (Saved
        # mid-rollout, the checkpoint held the weights from before the rollout's update but counted its steps.)
        # An evaluation since the last checkpoint is saved too, so its history entry is never lost. And so is the
        # start of a rollout that ends in an evaluation: the evaluation reads these weights (the update comes after
        # it), so a run killed before its next checkpoint replays the same evaluation, and best.pt, written at
        # once, always matches the history a resumed run carries.
        steps = self.model.num_timesteps  # ours lags until the rollout's first step (see _init_callback)
        due = steps - self.last_ckpt >= self.run.config.checkpoint_every
        rollout = self.model.n_steps * self.model.n_envs
        evaluates = steps + rollout - self.last_eval >= self.run.config.eval_every
        if (due or self.unsaved_eval or evaluates) and steps != self.last_ckpt:
            self.last_ckpt = steps
            self.unsaved_eval = False
            self.run.save()

    def _on_step(self) -> bool:
        num_envs = len(self.locals["dones"])
        actions = np.asarray(self.locals["actions"]).reshape(num_envs, -1)  # [N, 1] direction, [N, 2] cell
        if actions.shape[1] == 1:
            actions = actions[:, 0]
        masks = np.asarray(self.locals["action_masks"]).reshape(num_envs, -1)
        idled, could = idle_count(actions, masks, self.run.config.action_mode)
        self.idle, self.valid = self.idle + idled, self.valid + could
        for done, info in zip(self.locals["dones"], self.locals["infos"], strict=True):
            if done:
                self.places.append(int(info["placement"]))
                self.shares.append(float(info["land_share"]))
                self.returns.append(float(info["episode"]["r"]))
        self.window_steps += num_envs
        self.bar.update(num_envs)
        return True

    def _on_rollout_end(self) -> None:
        logger = self.model.logger
        seconds = time.perf_counter() - self.window_start
        row: dict[str, Any] = {"step": int(self.num_timesteps), "stage": self.run.stage_index,
                               "samples_per_s": self.window_steps / max(seconds, 1e-9),
                               "idle_share": self.idle / max(self.valid, 1)}
        if self.places:
            places = np.array(self.places)
            row.update(episodes=len(places), win_rate=float((places == 1).mean()), placement=float(places.mean()),
                       land_share=float(np.mean(self.shares)), episode_return=float(np.mean(self.returns)))
        for key, value in row.items():
            if key != "step":
                logger.record(f"territory/{key}", value)
        self.write_metrics(row)
        self.bar.set_postfix(stage=row["stage"], win=f"{row.get('win_rate', float('nan')):.2f}",
                             idle=f"{row['idle_share']:.2f}", sps=f"{row['samples_per_s']:.0f}")
        self._reset_window()
        eval_every = self.run.config.eval_every
        if self.num_timesteps - self.last_eval >= eval_every:
            self.last_eval = self.num_timesteps - self.num_timesteps % eval_every  # the grid, as _init_callback
            self.evaluate()
            self.unsaved_eval = True  # saved at the next rollout's start, after this rollout's update

    def evaluate(self) -> dict[str, Any]:
        run, c = self.run, self.run.config
        model = run.model
        model.policy.set_training_mode(False)
        metrics = evaluate(model.policy, c.env_kwargs(c.stages[-1]), c.eval_games)
        metrics["step"] = int(model.num_timesteps)
        # The same games played as PPO's rollouts play them: what the updates improve, beside what is scored.
        sampled = evaluate(model.policy, c.env_kwargs(c.stages[-1]), c.eval_games, sample_seed=c.seed)
        metrics["sampled"] = {k: sampled[k] for k in ("win_rate", "win_rate_ci", "placement", "idle_share")}
        run.history.append(metrics)
        for key in ("win_rate", "placement", "land_share", "idle_share"):
            model.logger.record(f"eval/{key}", metrics[key])
        for key in ("win_rate", "placement", "idle_share"):
            model.logger.record(f"eval_sampled/{key}", metrics["sampled"][key])
        model.logger.dump(metrics["step"])
        self.write_metrics({"eval": metrics, "step": metrics["step"]})
        better = run.best is None or (metrics["win_rate"], -metrics["placement"]) > (run.best["win_rate"],
                                                                                     -run.best["placement"])
        if better:
            run.best = metrics
            run.save_best(metrics)
        return metrics

    def write_metrics(self, row: dict[str, Any]) -> None:
        with open(self.run.out / "metrics.jsonl", "a") as handle:
            handle.write(json.dumps(row) + "\n")


# ====================================================================== command line
def parse_args(argv: list[str] | None) -> tuple[TrainConfig, bool, bool]:
    defaults = TrainConfig()
    p = argparse.ArgumentParser(prog="botarena train territory", description=__doc__.splitlines()[0])
    p.add_argument("--out", default=defaults.out, help="run folder (checkpoints, logs, best.pt)")
    p.add_argument("--arch", default=defaults.arch, choices=list(EXTRACTORS))
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--envs", type=int, default=defaults.num_envs, help="games per rollout batch")
    p.add_argument("--stage", action="append", metavar="steps=N,preset=P,map_size=S,num_players=K,opponents=O",
                   help="a curriculum stage (repeat, in order); default: "
                        + "; ".join(f"{s.steps:,} steps of {s.env_kwargs()}" for s in default_stages()))
    p.add_argument("--bc-stage", action="append", metavar="steps=N,preset=P,...",
                   help="a behaviour-cloning setting, its steps the expert's decisions (repeat); default: "
                        + "; ".join(f"{s.steps:,} decisions of {s.env_kwargs()}" for s in default_bc_stages()))
    p.add_argument("--bc-expert", help=f"the scripted bot cloned before PPO (default {defaults.bc_expert!r}; "
                                       "'' starts PPO from scratch)")
    p.add_argument("--init", metavar="CHECKPOINT", default="",
                   help="start PPO from this checkpoint's policy (a run's best.pt, or the shipped "
                        "agents/checkpoints/territory-attention.pt) instead of cloning: fine-tune it further")
    p.add_argument("--bc-calibrate", action="store_true",
                   help="after cloning, undo the WAIT subsampling and launch weighting from the policy's logits, so "
                        "that the sampled clone waits as often as the expert (direction mode)")
    p.add_argument("--temperature", type=float, default=defaults.temperature,
                   help="after cloning, divide the policy's logits by this, so that PPO's sampled rollouts play "
                        "closer to the greedy policy (0.25 with --bc-calibrate in the README's runs; 1 keeps them)")
    p.add_argument("--land-weight", type=float, default=defaults.land_weight,
                   help="the reward's land term times this (1: the env's own 'share' reward, whose return is the "
                        "land gained plus the placement)")
    p.add_argument("--preset", help="one stage in this preset (with --steps and --opponents) instead")
    p.add_argument("--opponents", default="mixed", help="with --preset")
    p.add_argument("--steps", type=int, help="with --preset: the stage's environment steps")
    p.add_argument("--action-mode", choices=sorted(set(ACTION_MODES.values())),
                   help="default: the arch's (" + ", ".join(f"{k}: {v}" for k, v in ACTION_MODES.items()) + ")")
    p.add_argument("--eval-every", type=int, default=defaults.eval_every)
    p.add_argument("--eval-games", type=int, default=defaults.eval_games)
    p.add_argument("--final-games", type=int, default=defaults.final_games,
                   help="fresh held-out games for the best checkpoint's card at the end")
    p.add_argument("--threads", type=int, default=defaults.threads, help="torch threads")
    p.add_argument("--seeds", metavar="S,S,...",
                   help="train these seeds as independent runs in parallel processes, into <out>/seed-S (each logs "
                        "to <out>/seed-S.log; --threads defaults to the cores shared out)")
    p.add_argument("--resume", action="store_true", help=f"continue <out>/{RUN_FILE} to the same total")
    p.add_argument("--quick", action="store_true", help="a smoke run (tiny stages)")
    p.add_argument("--finalize", action="store_true",
                   help="only evaluate <out>/best.pt on --final-games fresh held-out games into its card (a run "
                        "stopped early; a finished run does this itself)")
    a = p.parse_args(argv)
    if a.action_mode not in (None, ACTION_MODES[a.arch]):
        p.error(f"--arch {a.arch} plays --action-mode {ACTION_MODES[a.arch]}")
    overrides: dict[str, Any] = dict(out=a.out, arch=a.arch, seed=a.seed, num_envs=a.envs,
                                     eval_every=a.eval_every, eval_games=a.eval_games, final_games=a.final_games,
                                     threads=a.threads, bc_calibrate=a.bc_calibrate, temperature=a.temperature,
                                     land_weight=a.land_weight, init=a.init,
                                     bc_expert=a.bc_expert if a.bc_expert is not None else
                                     ("" if a.init else defaults.bc_expert))
    if a.stage and a.preset:
        p.error("give --stage (repeated) or --preset, not both")
    try:
        if a.stage:
            overrides["stages"] = [Stage.parse(text) for text in a.stage]
        if a.bc_stage:
            overrides["bc_stages"] = [Stage.parse(text) for text in a.bc_stage]
    except ValueError as err:
        p.error(str(err))
    if a.preset:
        if a.steps is None:
            p.error("--preset needs --steps")
        overrides["stages"] = [Stage(a.steps, preset=a.preset, opponents=a.opponents)]
    try:
        if a.quick:
            keep = {k: v for k, v in overrides.items() if getattr(defaults, k) != v or k == "out"}
            return TrainConfig.quick(**keep), a.resume, a.finalize
        return TrainConfig(**overrides), a.resume, a.finalize
    except ValueError as err:  # a setting the config refuses (cell mode over several map sizes)
        p.error(str(err))


def train_seeds(argv: list[str], seeds_text: str, out: str, threads: int | None) -> int:
    """``--seeds 0,1,2``: one child process per seed, the same arguments plus its ``--seed``, ``--out`` and
    ``--threads`` (argparse keeps the last); returns the first failing exit code, 0 if every seed finished."""
    import os
    import subprocess

    try:
        seeds = [int(text) for text in seeds_text.split(",") if text.strip()]
    except ValueError:
        raise SystemExit(f"--seeds takes comma-separated integers, got {seeds_text!r}") from None
    if not seeds or len(set(seeds)) != len(seeds):
        raise SystemExit(f"--seeds needs distinct seeds, got {seeds_text!r}")
    threads = threads or max(1, (os.cpu_count() or 1) // len(seeds))
    rest, skip = [], False
    for arg in argv:  # drop --seeds and its value, in either spelling
        if skip or arg.startswith("--seeds="):
            skip = False
            continue
        skip = arg == "--seeds"
        if not skip:
            rest.append(arg)
    Path(out).mkdir(parents=True, exist_ok=True)
    children = []
    for seed in seeds:
        child = [*rest, "--seed", str(seed), "--out", str(Path(out) / f"seed-{seed}"), "--threads", str(threads)]
        log = open(Path(out) / f"seed-{seed}.log", "w")  # noqa: SIM115 (open while the child runs)
        process = subprocess.Popen([sys.executable, "-m", "botarena.agents.territory.train", *child], stdout=log,
                                   stderr=subprocess.STDOUT)
        children.append((seed, log, process))
        print(f"seed {seed}: {Path(out) / f'seed-{seed}'} (log {log.name})")
    codes = []
    for seed, log, process in children:
        codes.append(process.wait())
        log.close()
        print(f"seed {seed}: exit {codes[-1]}")
    return next((code for code in codes if code), 0)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    pre = argparse.ArgumentParser(add_help=False, allow_abbrev=False)  # a child's --seed is not --seeds
    pre.add_argument("--seeds")
    pre.add_argument("--out", default=TrainConfig.out)
    pre.add_argument("--threads", type=int)
    seeds, _ = pre.parse_known_args(argv)
    if seeds.seeds is not None:
        parse_args(argv)  # every other argument checked before any process starts
        return train_seeds(argv, seeds.seeds, seeds.out, seeds.threads)
    config, resume, finalize = parse_args(argv)
    command = "botarena train territory " + shlex.join(argv)
    run = Run(config, command)
    if finalize:
        print(json.dumps({"final": run.finalize(), "best_checkpoint": str(run.out / BEST_FILE)}, indent=2))
        return 0
    if resume:
        run.load()
    final = run.train()  # a finished run given --resume only (re)writes its final figures
    print(json.dumps({"final_eval": final, "best": run.best, "best_checkpoint": str(run.out / BEST_FILE)},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
