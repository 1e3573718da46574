"""``botarena train click_arena``: the hierarchical agent learned from the expert by behaviour cloning, then DAgger.

Read top to bottom, one round at a time:

1. **Collect.** ``num_envs`` games of ``frames`` frames on the native batch (``data.collect``). Round 0 is the
   expert's own play (behaviour cloning's data); round ``r >= 1`` is driven by the learner, each env following
   the expert for a second with probability ``beta_r = beta0 * beta_decay ** (r - 1)``, the expert labelling
   every state (DAgger, Ross et al. 2011). Rounds aggregate.
2. **Strategist** on the second boundaries: mode cross-entropy with label smoothing 0.1, the goal decoded into
   the expert's goal point (Huber), confidence = "the mode is right" (BCE).
3. **Tactician** on every ``tactician_stride``-th frame, reading the frozen strategist's goal of its second:
   target cross-entropy on its cross-attention weights, approach cross-entropy, the fly point (Huber).
4. **Executor** on the streams in time order, reading the frozen levels' goal and target information at their
   rates: truncated backprop through time over ``chunk`` frames, the recurrent state carried from chunk to
   chunk; aim Huber in screen fractions toward the expert's aim point (``executor_targets``), click and
   attack-key BCE.
5. **Evaluate** on held-out seeds (neither training seeds, which stay below 2**32, nor the leaderboard's, at
   2**40 and up): the learner alone drives; score, per-level metrics on the states it visits.

Each level trains with AdamW, linear warmup then cosine decay, gradient clipping, and keeps an EMA of its
weights, which is what the levels below read, what is evaluated and what ships. Every phase ends with an atomic
checkpoint of the run (``<out>/run.pt``; the demonstrations as ``<out>/round<r>.npz``); ``--resume`` continues
after the last finished phase. TensorBoard logs go to ``<out>/tb`` when tensorboard is installed, and every
scalar also to ``<out>/metrics.jsonl``.

    botarena train click_arena --out runs/click-arena                 # the shipped agent's command
    botarena train click_arena --out runs/ca-quick --quick            # a smoke run, a minute or two
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import shlex
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm import tqdm

from botarena.agents.common.averaging import average_into
from botarena.agents.common.checkpoint import (
    CheckpointError,
    ModelCard,
    git_sha,
    load_checkpoint,
    resumed_git_sha,
    save_checkpoint,
)
from botarena.agents.common.metrics import macro_f1
from botarena.agents.leaderboard.seeds import TRAINING_SEED_LIMIT

from . import features as fx
from .data import Demonstrations, collect
from .hierarchical import Hierarchy, HierarchyConfig, executor_input
from .policy import AGENT_NAME, HANDS, HierarchicalAgent

HELD_OUT_SEED_BASE = TRAINING_SEED_LIMIT  # held-out evaluation seeds: 2**32 + i (the leaderboard's are >= 2**40)
LEVELS = ("strategist", "tactician", "executor")


@dataclass
class TrainConfig:
    """Everything a run depends on (written into the checkpoint and the model card)."""

    out: str = "runs/click-arena"
    seed: int = 0
    num_envs: int = 64
    frames: int = 10_800  # per env per round: one 3-minute episode
    rounds: int = 4  # round 0 is behaviour cloning, the rest DAgger
    beta0: float = 0.5
    beta_decay: float = 0.5
    difficulty: str = "standard"
    strategist_steps: int = 1500
    tactician_steps: int = 3000
    executor_steps: int = 3000
    later_round_fraction: float = 0.5  # DAgger rounds train this fraction of the steps (from the last weights)
    strategist_batch: int = 128
    tactician_batch: int = 256
    tactician_stride: int = 2
    executor_streams: int = 16
    chunk: int = 64
    lr: float = 3e-4
    weight_decay: float = 0.01
    warmup: int = 100
    clip: float = 1.0
    ema: float = 0.995
    label_smoothing: float = 0.1
    click_weight: float = 10.0  # BCE weight of the frames that press (1 in ~157); the logit stays calibrated
    hand: str = "direct"  # the learner's hand (policy.HANDS) while it drives: DAgger rounds and evaluation
    eval_envs: int = 16
    eval_frames: int = 10_800
    threads: int = 2
    model: dict[str, Any] = field(default_factory=lambda: HierarchyConfig().to_dict())

    @classmethod
    def quick(cls, **overrides: Any) -> TrainConfig:
        """A smoke run: tiny data and step counts, every phase exercised."""
        small = dict(num_envs=4, frames=600, rounds=2, strategist_steps=20, tactician_steps=20, executor_steps=10,
                     strategist_batch=16, tactician_batch=32, executor_streams=4, chunk=32, warmup=5,
                     eval_envs=2, eval_frames=300)
        return cls(**{**small, **overrides})

    def round_seed(self, round_index: int) -> int:
        seed = (self.seed * 1_000_003 + round_index * 10_007) % (TRAINING_SEED_LIMIT // 2)
        if seed + self.num_envs >= TRAINING_SEED_LIMIT:
            raise ValueError("training seeds must stay below 2**32")
        return seed

    def steps(self, level: str, round_index: int) -> int:
        steps = getattr(self, f"{level}_steps")
        return steps if round_index == 0 else max(1, int(steps * self.later_round_fraction))

    def beta(self, round_index: int) -> float:
        return 1.0 if round_index == 0 else self.beta0 * self.beta_decay ** (round_index - 1)


# ====================================================================== optimisation
class LevelTrainer:
    """AdamW + warmup/cosine + clipping + EMA for one level (the EMA copy is what the others read)."""

    def __init__(self, module: nn.Module, ema_module: nn.Module, config: TrainConfig, total_steps: int) -> None:
        self.module, self.ema_module = module, ema_module
        self.config = config
        self.total_steps = total_steps
        self.optimizer = torch.optim.AdamW(module.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        self.step_count = 0

    def learning_rate(self) -> float:
        c, k = self.config, self.step_count
        if k < c.warmup:
            return c.lr * (k + 1) / c.warmup
        progress = (k - c.warmup) / max(1, self.total_steps - c.warmup)
        return c.lr * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))

    def update(self, loss: Tensor) -> float:
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(self.module.parameters(), self.config.clip)
        self.optimizer.step()
        average_into(self.ema_module, self.module, self.config.ema)
        self.step_count += 1
        return float(norm)


# ====================================================================== per-level losses
def strategist_histories(data: Demonstrations) -> tuple[np.ndarray, np.ndarray]:
    """The strategist's decision frames (stream, frame) and each one's history, as indices into those frames.

    Returns ``decisions [D, 2]`` and ``history [D, 60]`` (index into ``decisions``, -1 = padding before the
    episode's first second), oldest first.
    """
    streams, frames = np.nonzero(data.t % fx.FRAMES_PER_STRATEGIST == 0)
    order = np.lexsort((frames, streams))
    streams, frames = streams[order], frames[order]
    seconds = data.t[streams, frames] // fx.FRAMES_PER_STRATEGIST  # second of its episode
    history = np.arange(len(frames))[:, None] + np.arange(-fx.HISTORY_SECONDS + 1, 1)[None, :]
    history = np.where(np.arange(-fx.HISTORY_SECONDS + 1, 1)[None, :] + seconds[:, None] >= 0, history, -1)
    return np.stack([streams, frames], axis=1), history


def strategist_inputs(data: Demonstrations, decisions: np.ndarray, history: np.ndarray, rows: np.ndarray) -> Tensor:
    summaries = fx.summarize(data.objects[decisions[:, 0], decisions[:, 1]],
                             data.object_mask[decisions[:, 0], decisions[:, 1]],
                             data.state[decisions[:, 0], decisions[:, 1]])
    padded = np.concatenate([summaries, np.zeros((1, fx.SUMMARY_FEATURES), np.float32)])
    return torch.from_numpy(padded[history[rows]])  # -1 picks the zero row


def strategist_loss(model: Hierarchy, batch: dict[str, Tensor], smoothing: float) -> tuple[Tensor, dict]:
    mode_logits, goal, confidence = model.strategist(batch["history"])
    mode_loss = F.cross_entropy(mode_logits, batch["mode"], label_smoothing=smoothing)
    goal_loss = F.huber_loss(model.strategist.goal_decoder(goal), batch["goal_offset"], delta=0.5)
    right = (mode_logits.argmax(-1) == batch["mode"]).float()
    confidence_loss = F.binary_cross_entropy_with_logits(confidence, right)
    return mode_loss + goal_loss + 0.1 * confidence_loss, {
        "mode_loss": mode_loss.item(), "goal_loss": goal_loss.item(), "confidence_loss": confidence_loss.item(),
        "mode_accuracy": right.mean().item()}


def tactician_loss(model: Hierarchy, batch: dict[str, Tensor]) -> tuple[Tensor, dict]:
    out = model.tactician(batch["objects"], batch["object_mask"], batch["goal"])
    target_loss = F.nll_loss(out.log_attention, batch["slot"])
    approach_loss = F.cross_entropy(out.approach_logits, batch["approach"])
    fly = (batch["approach"] == fx.APPROACH_FLY).float()
    point_error = F.huber_loss(out.point, batch["point_xy"], delta=0.05, reduction="none").sum(-1)
    point_loss = 10.0 * (point_error * fly).sum() / fly.sum().clamp_min(1.0)
    return target_loss + approach_loss + point_loss, {
        "target_loss": target_loss.item(), "approach_loss": approach_loss.item(), "point_loss": point_loss.item(),
        "target_accuracy": (out.log_attention.argmax(-1) == batch["slot"]).float().mean().item()}


def executor_loss(logits: Tensor, action: Tensor, valid: Tensor, click_weight: float = 10.0) -> tuple[Tensor, dict]:
    """Aim Huber (screen fractions, weighted 50: a pixel matters), click and attack-key BCE.

    A press is rare (the expert holds the button one frame a click, 0.6 % of frames), so its frames weigh
    ``click_weight``. Weighting alone would inflate the learned odds ``click_weight`` times; the BCE therefore
    reads the click logit plus ``log(click_weight)``, whose optimum leaves the logit itself calibrated: the
    executor's click probability is the expert's per-frame chance of pressing, the hazard the agent's click
    timing works from (``policy.ClickTiming``)."""
    weight = valid.float()
    denominator = weight.sum().clamp_min(1.0)
    aim = F.huber_loss(torch.sigmoid(logits[..., :2]), action[..., :2], delta=0.02, reduction="none").sum(-1)
    pos_weight = torch.tensor([click_weight, 1.0])
    prior = torch.tensor([math.log(click_weight), 0.0])
    buttons = F.binary_cross_entropy_with_logits(logits[..., 2:] + prior, (action[..., 2:] > 0.5).float(),
                                                 pos_weight=pos_weight, reduction="none")
    aim_loss = (aim * weight).sum() / denominator
    click_loss = (buttons[..., 0] * weight).sum() / denominator
    attack_loss = (buttons[..., 1] * weight).sum() / denominator
    pixels = (torch.sigmoid(logits[..., :2]) - action[..., :2]) * torch.tensor([fx.core.VIEW_W, fx.core.VIEW_H])
    aim_px = (pixels.norm(dim=-1) * weight).sum() / denominator
    return 50.0 * aim_loss + click_loss + attack_loss, {
        "aim_loss": aim_loss.item(), "click_loss": click_loss.item(), "attack_loss": attack_loss.item(),
        "aim_error_px": aim_px.item()}


# ====================================================================== held levels: what the lower levels read
@torch.no_grad()
def strategist_goals(model: Hierarchy, data: Demonstrations, batch: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """The strategist's goal at every frame (held from its last decision) ``[E, T, 64]``, and its mode
    prediction at every decision frame with the decisions' (stream, frame) ``[D]``, ``[D, 2]``."""
    decisions, history = strategist_histories(data)
    goals = np.zeros((len(decisions), model.strategist.goal_head[-1].out_features), np.float32)
    modes = np.zeros(len(decisions), np.int64)
    for start in range(0, len(decisions), batch):
        rows = np.arange(start, min(start + batch, len(decisions)))
        mode_logits, goal, _ = model.strategist(strategist_inputs(data, decisions, history, rows))
        goals[rows] = goal.numpy()
        modes[rows] = mode_logits.argmax(-1).numpy()
    return _hold(goals, decisions, data.first.shape), modes, decisions


@torch.no_grad()
def tactician_infos(model: Hierarchy, data: Demonstrations, goals: np.ndarray, batch: int = 2048) -> np.ndarray:
    """The tactician's target information at every frame, held from its last decision: ``[E, T, 34]``."""
    decisions = np.stack(np.nonzero(data.t % fx.FRAMES_PER_TACTICIAN == 0), axis=1)
    infos = np.zeros((len(decisions), model.tactician.info_head[-1].out_features + 2), np.float32)
    for start in range(0, len(decisions), batch):
        e, k = decisions[start:start + batch].T
        out = model.tactician(torch.from_numpy(data.objects[e, k].astype(np.float32)),
                              torch.from_numpy(data.object_mask[e, k].astype(np.float32)),
                              torch.from_numpy(goals[e, k]))
        infos[start:start + len(e)] = out.target_info.numpy()
    return _hold(infos, decisions, data.first.shape)


def _hold(values: np.ndarray, decisions: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Values decided at ``decisions`` (stream, frame) held until the stream's next decision: ``[E, T, ...]``.
    Every episode starts with a decision, so nothing is held across an episode boundary."""
    which = np.full(shape, -1, np.int64)
    which[decisions[:, 0], decisions[:, 1]] = np.arange(len(decisions))
    which = np.maximum.accumulate(which, axis=1)
    if (which < 0).any():
        raise ValueError("a stream does not start with a decision frame (its first frame must have t = 0 mod rate)")
    return values[which]


def executor_targets(data: Demonstrations, *index: Any) -> np.ndarray:
    """What the executor learns to output at ``data[index]``: ``[aim x, aim y, click, attack]``.

    The cursor columns are where the expert's hand is going (its aim point, ``point_xy``), not the point it
    commands this frame on its way there. The env's human cursor limits the speed to the point. Why: the
    expert's per-frame command follows its hidden hand, and after a new operation it starts again from the
    cursor. In the states a learner reaches (DAgger), those labels jitter around the learner's own cursor.
    Measured: a learner trained on them held still, drifted into a corner of the map and scored -0.04
    after one DAgger round.
    """
    d = data
    return np.concatenate([d.point_xy[index], d.action[index][..., 2:]], axis=-1)


class ExecutorChunks:
    """Truncated BPTT batches: ``streams`` env streams read in time order, ``chunk`` frames at a time, the
    recurrent state carried from one chunk to the next (``carry``) and restarted where an episode starts; at the
    end of the streams a new set is drawn and starts from a fresh state."""

    def __init__(self, data: Demonstrations, goals: np.ndarray, infos: np.ndarray, executor: nn.Module,
                 streams: int, chunk: int, rng: np.random.Generator) -> None:
        self.data, self.goals, self.infos, self.executor = data, goals, infos, executor
        self.size, self.chunk, self.rng = min(streams, data.num_streams), chunk, rng
        self.state: tuple[Tensor, ...] = ()

    def carry(self, state: tuple[Tensor, ...]) -> None:
        """The state after the chunk just trained on, cut from its graph."""
        self.state = tuple(s.detach() for s in state)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        d = self.data
        while True:
            streams = self.rng.choice(d.num_streams, self.size, replace=False)
            self.state = self.executor.initial_state(self.size)
            for start in range(0, d.first.shape[1] - self.chunk + 1, self.chunk):
                window = slice(start, start + self.chunk)
                first = d.first[streams, window]
                state = self.executor.core.reset_state(self.state, first[:, 0])
                # After a mid-chunk episode start the frames would read the old episode's state: not trained on.
                valid = np.concatenate([np.ones((self.size, 1), bool), np.cumsum(first[:, 1:], axis=1) == 0], 1)
                x = executor_input(torch.from_numpy(d.state[streams, window]),
                                   torch.from_numpy(self.goals[streams, window]),
                                   torch.from_numpy(self.infos[streams, window]))
                yield {"x": x, "action": torch.from_numpy(executor_targets(d, streams, window)),
                       "valid": torch.from_numpy(valid), "state": state}


# ====================================================================== the run
class Logger:
    """Scalars to ``metrics.jsonl`` and, when tensorboard is installed, to TensorBoard."""

    def __init__(self, out: Path) -> None:
        self.path = out / "metrics.jsonl"
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(out / "tb"))
        except ImportError:  # tensorboard is an optional (dev) dependency
            self.writer = None

    def log(self, tag: str, step: int, values: dict[str, float]) -> None:
        with open(self.path, "a") as handle:
            handle.write(json.dumps({"tag": tag, "step": step, **values}) + "\n")
        if self.writer is not None:
            for key, value in values.items():
                self.writer.add_scalar(f"{tag}/{key}", value, step)
            self.writer.flush()


class Run:
    """One training run: its model, EMA copy, finished phases and round reports, saved after every phase."""

    def __init__(self, config: TrainConfig, *, resume: bool = False, command: str = "") -> None:
        self.config = config
        self.out = Path(config.out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.command = command
        self.model = Hierarchy(HierarchyConfig.from_dict(config.model))
        self.ema = copy.deepcopy(self.model).eval()
        self.finished: list[str] = []
        self.reports: list[dict[str, Any]] = []
        self.references: dict[str, float] = {}
        self.global_step = {level: 0 for level in LEVELS}
        # The commit the run started from, taken now: the code may change before the run exports.
        self.git_sha = git_sha()
        if resume and self.run_path.exists():
            self._load()
        self.logger = Logger(self.out)

    @property
    def run_path(self) -> Path:
        return self.out / "run.pt"

    # ------------------------------------------------------------------ persistence
    def _save(self) -> None:
        card = ModelCard(name=AGENT_NAME, config=self._card_config(), command=self.command, seed=self.config.seed,
                         data=self._data_line(), metrics={"rounds": self.reports}, git_sha=self.git_sha)
        extra = {"finished": json.dumps(self.finished), "references": json.dumps(self.references),
                 "global_step": json.dumps(self.global_step), "ema": self.ema.state_dict(),
                 "train_config": json.dumps(asdict(self.config))}
        save_checkpoint(self.run_path, self.model.state_dict(), card, extra=extra)

    def _load(self) -> None:
        state_dict, card, extra = load_checkpoint(self.run_path, expected_name=AGENT_NAME)
        saved = json.loads(extra["train_config"])
        # A run saved before a model field existed recorded that field's old behaviour (HierarchyConfig.from_dict).
        saved["model"] = HierarchyConfig.from_dict(saved["model"]).to_dict()
        # A resumed run may only add DAgger rounds (more --rounds); anything else would mix two experiments.
        changed = {k for k in saved if k not in ("out", "threads", "rounds") and saved[k] != asdict(self.config).get(k)}
        if saved["rounds"] > self.config.rounds:
            changed.add("rounds")
        if changed:
            raise CheckpointError(f"--resume: {self.run_path} was trained with other settings ({sorted(changed)}); "
                                  "resume with the same options (or more --rounds) or use a new --out")
        self.model.load_state_dict(state_dict)
        self.ema.load_state_dict(extra["ema"])
        self.finished = json.loads(extra["finished"])
        self.references = json.loads(extra["references"])
        self.global_step = json.loads(extra["global_step"])
        self.reports = card.metrics.get("rounds", [])
        self.git_sha = resumed_git_sha(card.git_sha, self.git_sha)  # both commits trained it
        print(f"resuming {self.out}: finished {', '.join(self.finished) or 'nothing'}", flush=True)

    def _card_config(self) -> dict[str, Any]:
        return {"model": self.config.model, "train": asdict(self.config),
                "parameters": self.model.parameter_counts()}

    def _data_line(self) -> str:
        c = self.config
        return (f"botarena/ClickArena-v0 ({c.difficulty}, cursor=human), generated on the native batch: "
                f"{c.rounds} rounds x {c.num_envs} envs x {c.frames} frames = {c.rounds * c.num_envs * c.frames:,} "
                f"expert-labelled frames (round 0 the expert driving; then DAgger with beta "
                f"{', '.join(f'{c.beta(r):.3g}' for r in range(1, c.rounds))}); training seeds from "
                f"{c.round_seed(0)} (all < 2**32)")

    def phase(self, name: str) -> bool:
        """Whether phase ``name`` still has to run (False when a resumed run already finished it)."""
        return name not in self.finished

    def finish(self, name: str) -> None:
        self.finished.append(name)
        self._save()

    # ------------------------------------------------------------------ phases
    def demonstrations(self, round_index: int) -> Demonstrations:
        path = self.out / f"round{round_index}.npz"
        name = f"round{round_index}/collect"
        if not self.phase(name) and path.exists():
            return Demonstrations.load(path)
        c = self.config
        beta = c.beta(round_index)
        learner = None if beta >= 1.0 else HierarchicalAgent(model=self.ema, hand=c.hand)
        with tqdm(total=c.num_envs * c.frames, desc=f"round {round_index}: collect (beta {beta:.2f})",
                  unit="frame", unit_scale=True, file=sys.stdout) as bar:
            data = collect(c.num_envs, c.frames, c.round_seed(round_index), learner=learner, beta=beta,
                           difficulty=c.difficulty, progress=bar.update)
        data.save(path)
        self.logger.log("collect", round_index, {"frames": data.num_frames, "beta": beta,
                                                 "expert_share": float(data.expert_drove.mean())})
        self.finish(name)
        return data

    def train_strategist(self, data: Demonstrations, round_index: int) -> None:
        c = self.config
        decisions, history = strategist_histories(data)
        mode = torch.from_numpy(data.mode[decisions[:, 0], decisions[:, 1]].astype(np.int64))
        goal_offset = torch.from_numpy(data.goal_offset[decisions[:, 0], decisions[:, 1]])
        rng = np.random.default_rng([c.seed, round_index, 1])

        def batches() -> Iterator[dict[str, Tensor]]:
            while True:
                rows = rng.integers(0, len(decisions), c.strategist_batch)
                yield {"history": strategist_inputs(data, decisions, history, rows), "mode": mode[rows],
                       "goal_offset": goal_offset[rows]}

        self._fit("strategist", round_index, batches(),
                  lambda batch: strategist_loss(self.model, batch, c.label_smoothing))

    def train_tactician(self, data: Demonstrations, round_index: int) -> None:
        c = self.config
        goals, _, _ = strategist_goals(self.ema, data)
        streams, frames = np.nonzero(data.t % c.tactician_stride == 0)
        rng = np.random.default_rng([c.seed, round_index, 2])

        def batches() -> Iterator[dict[str, Tensor]]:
            while True:
                pick = rng.integers(0, len(streams), c.tactician_batch)
                e, k = streams[pick], frames[pick]
                yield {"objects": torch.from_numpy(data.objects[e, k].astype(np.float32)),
                       "object_mask": torch.from_numpy(data.object_mask[e, k].astype(np.float32)),
                       "goal": torch.from_numpy(goals[e, k]),
                       "slot": torch.from_numpy(data.slot[e, k].astype(np.int64)),
                       "approach": torch.from_numpy(data.approach[e, k].astype(np.int64)),
                       "point_xy": torch.from_numpy(data.point_xy[e, k])}

        self._fit("tactician", round_index, batches(), lambda batch: tactician_loss(self.model, batch))

    def train_executor(self, data: Demonstrations, round_index: int) -> None:
        c = self.config
        goals, _, _ = strategist_goals(self.ema, data)
        infos = tactician_infos(self.ema, data, goals)
        executor = self.model.executor
        chunks = ExecutorChunks(data, goals, infos, executor, c.executor_streams, c.chunk,
                                np.random.default_rng([c.seed, round_index, 3]))

        def loss(batch: dict[str, Any]) -> tuple[Tensor, dict]:
            logits, state = executor(batch["x"], batch["state"])
            chunks.carry(state)
            return executor_loss(logits, batch["action"], batch["valid"], c.click_weight)

        self._fit("executor", round_index, iter(chunks), loss)

    def _fit(self, level: str, round_index: int, batches: Iterator[dict[str, Any]], loss_fn: Any) -> None:
        steps = self.config.steps(level, round_index)
        module = getattr(self.model, level)
        trainer = LevelTrainer(module, getattr(self.ema, level), self.config, steps)
        module.train()
        started = time.perf_counter()
        running: dict[str, float] = {}
        with tqdm(range(steps), desc=f"round {round_index}: {level}", unit="step", file=sys.stdout) as bar:
            for step in bar:
                batch = next(batches)
                loss, values = loss_fn(batch)
                values["grad_norm"] = trainer.update(loss)
                values["loss"] = loss.item()
                for key, value in values.items():
                    running[key] = value if key not in running else 0.95 * running[key] + 0.05 * value
                self.global_step[level] += 1
                if step % 25 == 0 or step == steps - 1:
                    values["lr"] = trainer.learning_rate()
                    self.logger.log(level, self.global_step[level], values)
                    bar.set_postfix({k: f"{v:.3g}" for k, v in running.items() if not k.endswith("norm")})
        module.eval()
        self.logger.log(f"{level}/phase", round_index, {"seconds": time.perf_counter() - started,
                                                        **{f"final_{k}": v for k, v in running.items()}})

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, round_index: int) -> dict[str, Any]:
        """The EMA agent alone on held-out seeds: score and per-level metrics on the states it visits."""
        c = self.config
        if not self.references:
            self.references = held_out_references(c)
        report = {"round": round_index, "beta": c.beta(round_index),
                  "frames_trained": (round_index + 1) * c.num_envs * c.frames,
                  **evaluate_agent(HierarchicalAgent(model=self.ema, hand=c.hand), c, self.references,
                                   f"round {round_index}: evaluate")}
        self.logger.log("eval", round_index, {k: v for k, v in report.items() if isinstance(v, (int, float))})
        print(json.dumps(report, indent=1), flush=True)
        return report

    # ------------------------------------------------------------------ everything
    def run(self) -> Path:
        c = self.config
        torch.manual_seed(c.seed)
        torch.set_num_threads(c.threads)
        rounds: list[Demonstrations] = []
        for r in range(c.rounds):
            rounds.append(self.demonstrations(r))
            data = Demonstrations.concatenate(rounds) if len(rounds) > 1 else rounds[0]
            for level, train in (("strategist", self.train_strategist), ("tactician", self.train_tactician),
                                 ("executor", self.train_executor)):
                if self.phase(f"round{r}/{level}"):
                    train(data, r)
                    self.finish(f"round{r}/{level}")
            if self.phase(f"round{r}/evaluate"):
                self.reports.append(self.evaluate(r))
                self.finish(f"round{r}/evaluate")
        return self.export()

    def export(self) -> Path:
        """The shipped file: the EMA weights in float16 (cast back on load) with the model card."""
        path = self.out / "click-arena-hierarchical.pt"
        weights = {k: v.half() if v.is_floating_point() else v for k, v in self.ema.state_dict().items()}
        final = self.reports[-1] if self.reports else {}
        card = ModelCard(name=AGENT_NAME, config=self._card_config(), command=self.command, seed=self.config.seed,
                         data=self._data_line(), metrics={"final": final, "rounds": self.reports},
                         git_sha=self.git_sha,
                         notes="EMA weights stored in float16; metrics measured with these weights on held-out "
                               "seeds by the training command's evaluation (the learner alone drives).")
        save_checkpoint(path, weights, card)
        print(f"wrote {path} ({path.stat().st_size / 2**20:.2f} MiB)", flush=True)
        return path


def held_out_references(c: TrainConfig) -> dict[str, float]:
    """The normalisation's two ends on the held-out seeds: random input (0) and the expert (1)."""
    from botarena.agents.scripted.random_input import ClickArenaRandomAgent

    seed = HELD_OUT_SEED_BASE
    expert = collect(c.eval_envs, c.eval_frames, seed, difficulty=c.difficulty).first_episode_returns()
    randoms = collect(c.eval_envs, c.eval_frames, seed, learner=_RandomLearner(ClickArenaRandomAgent()),
                      beta=0.0, difficulty=c.difficulty).first_episode_returns()
    return {"expert": float(expert.mean()), "random": float(randoms.mean())}


def evaluate_agent(agent: HierarchicalAgent, c: TrainConfig, references: dict[str, float],
                   desc: str = "evaluate") -> dict[str, Any]:
    """``agent`` alone on the ``eval_envs`` held-out seeds: its score and per-level metrics."""
    seed = HELD_OUT_SEED_BASE
    with tqdm(total=c.eval_envs * c.eval_frames, desc=desc, unit="frame", unit_scale=True,
              file=sys.stdout) as bar:
        data = collect(c.eval_envs, c.eval_frames, seed, learner=agent, beta=0.0, difficulty=c.difficulty,
                       progress=bar.update)
    return {**score_report(data.first_episode_returns(), references), **level_metrics(data),
            "hand": agent.hand_mode, "held_out_seeds": f"{seed}..{seed + c.eval_envs - 1}",
            "eval_frames": c.eval_frames}


class _RandomLearner:
    """The random agent in ``collect``'s learner slot (it has no decisions to report)."""

    def __init__(self, agent: Any) -> None:
        self.agent = agent
        self.mode = self.slot = 0

    def reset(self, seed: int | None = None) -> None:
        self.agent.reset(seed)

    def reset_slots(self, mask: np.ndarray) -> None:
        pass

    def act_batch(self, obs: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self.agent.act_batch(obs), np.float32)


# ====================================================================== metrics
def score_report(returns: np.ndarray, references: dict[str, float]) -> dict[str, Any]:
    """Mean return and normalised score (random 0, expert 1) with 95% percentile-bootstrap intervals over the
    held-out episodes (the leaderboard's bootstrap)."""
    from botarena.agents.leaderboard.stats import mean, stratified_bootstrap

    span = references["expert"] - references["random"]
    raw = stratified_bootstrap(np.asarray(returns, np.float64), mean)
    normalised = stratified_bootstrap((np.asarray(returns, np.float64) - references["random"]) / span, mean)
    return {"return_mean": raw.value, "return_ci95": [raw.low, raw.high],
            "normalised_score": normalised.value, "normalised_ci95": [normalised.low, normalised.high],
            "references": dict(references), "episodes": int(len(returns))}


def level_metrics(data: Demonstrations) -> dict[str, float]:
    """Each level's agreement with the expert on the states the learner visited (the learner drove)."""
    own = ~data.expert_drove
    decisions = own & (data.t % fx.FRAMES_PER_STRATEGIST == 0)
    tactics = own & (data.t % fx.FRAMES_PER_TACTICIAN == 0)
    cursor = (data.learner_action[..., :2] - data.point_xy) * np.array([fx.core.VIEW_W, fx.core.VIEW_H])
    clicks, wanted = (data.learner_action[..., 2] > 0.5) & own, (data.action[..., 2] > 0.5) & own
    minutes = max(1e-9, own.sum() / (fx.EXECUTOR_HZ * 60))
    return {
        "mode_macro_f1": macro_f1(data.learner_mode[decisions], data.mode[decisions], fx.NUM_MODES),
        "target_top1": float((data.learner_slot[tactics] == data.slot[tactics]).mean()) if tactics.any() else 0.0,
        "aim_error_px": float(np.linalg.norm(cursor, axis=-1)[own].mean()) if own.any() else 0.0,
        # a click counts as on time within CLICK_TOLERANCE frames of one the expert wanted (its timing is a hazard)
        "click_precision": float((clicks & _near(wanted)).sum() / max(1, clicks.sum())),
        "click_recall": float((wanted & _near(clicks)).sum() / max(1, wanted.sum())),
        "clicks_per_minute": float(clicks.sum() / minutes),
        "expert_clicks_per_minute": float(wanted.sum() / minutes),
    }


CLICK_TOLERANCE = 6  # frames (0.1 s) either side


def _near(events: np.ndarray) -> np.ndarray:
    """``[envs, frames]`` bool: an event within ``CLICK_TOLERANCE`` frames of each frame."""
    counts = np.cumsum(np.pad(events, ((0, 0), (CLICK_TOLERANCE + 1, CLICK_TOLERANCE)), constant_values=False),
                       axis=1, dtype=np.int64)
    window = 2 * CLICK_TOLERANCE + 1
    return (counts[:, window:] - counts[:, :-window]) > 0


# ====================================================================== command line
def parse_config(argv: list[str] | None) -> tuple[TrainConfig, bool, str | None]:
    parser = argparse.ArgumentParser(prog="botarena train click_arena", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a smoke run with tiny data and step counts")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out after its last phase (with more --rounds: add DAgger rounds)")
    parser.add_argument("--executor-core", choices=("mamba", "lstm", "gru"), default=None,
                        help="the executor's recurrent core (default mamba)")
    parser.add_argument("--no-executor-hold-gate", action="store_true",
                        help="the executor's aim starts from the tactician's target, not from a gated point between "
                             "it and the last command (HierarchyConfig.executor_hold_gate)")
    parser.add_argument("--evaluate", metavar="CHECKPOINT", default=None,
                        help="train nothing: evaluate CHECKPOINT on the held-out seeds (with --hand, --eval-envs, "
                             "--eval-frames) and print the report")
    defaults = TrainConfig()
    for f in fields(TrainConfig):
        if f.name == "model":
            continue
        flag = "--" + f.name.replace("_", "-")
        parser.add_argument(flag, type=type(getattr(defaults, f.name)), default=None,
                            help=f"default {getattr(defaults, f.name)}")
    args = parser.parse_args(argv)
    overrides = {f.name: getattr(args, f.name) for f in fields(TrainConfig)
                 if f.name != "model" and getattr(args, f.name) is not None}
    overrides["model"] = HierarchyConfig().to_dict()
    if args.executor_core is not None:
        overrides["model"]["executor_core"] = args.executor_core
    if args.no_executor_hold_gate:
        overrides["model"]["executor_hold_gate"] = False
    config = TrainConfig.quick(**overrides) if args.quick else TrainConfig(**overrides)
    for name in ("num_envs", "frames", "rounds", "chunk", "eval_envs", "eval_frames"):
        if getattr(config, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(config, name)}")
    if config.frames < config.chunk:
        raise ValueError(f"--frames ({config.frames}) must be at least --chunk ({config.chunk})")
    if config.hand not in HANDS:
        raise ValueError(f"--hand must be one of {list(HANDS)}, got {config.hand!r}")
    return config, args.resume, args.evaluate


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    config, resume, evaluate = parse_config(argv)
    if evaluate is not None:
        torch.set_num_threads(config.threads)
        agent = HierarchicalAgent(evaluate, hand=config.hand)
        report = {"checkpoint": evaluate, **evaluate_agent(agent, config, held_out_references(config))}
        print(json.dumps(report, indent=1), flush=True)
        return 0
    command = "botarena train click_arena " + shlex.join(argv)
    path = Run(config, resume=resume, command=command).run()
    print(f"done: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
