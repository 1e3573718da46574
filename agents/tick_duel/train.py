"""``botarena train tick_duel``: the event decoder, trained on TickDuel-v1 demonstrations.

    botarena train tick_duel --out runs/tick_duel/gru [--backbone gru] [--decoder sequential|attention]
                             [--steps 6000] [--episodes 100] [--dagger-rounds 2] [--final-duels 32] [--resume]

1. Data: the Minari datasets of every ``--players`` x ``--builds`` pair under ``--data`` (default
   ``runs/tick_duel-data``); missing ones are written first with ``botarena datasets tick_duel``'s own code
   (``--episodes`` episodes each, seeds 0..N-1, against ``nh_expert``). Split by episode (``data.split_of``).
2. Training: AdamW on the decoder's loss (``decoder.EventDecoder.loss``), batches drawn with every (player,
   build) pair equally likely, whatever its size; event types weighted by 1 / sqrt(frequency). Left clicks are
   labelled with the UI element they hit (``targets``).
3. DAgger (``--dagger-rounds``, after the ``--steps`` of behaviour cloning): each round plays
   ``--dagger-duels`` duels per (player, build) against ``nh_expert`` on training seeds (below 2**32, away from
   the datasets'), the expert labelling every tick (``TickDuelVectorEnv.expert_events``) and driving it with
   probability ``beta0 * 0.5 ** (round - 1)``, the decoder otherwise; then ``--dagger-steps`` steps with half
   of every batch from the demonstrations, half from all rounds' on-policy ticks (``<out>/dagger<r>.npz``).
4. Every ``--eval-every`` steps and at the end, on the validation ticks: the loss, event-type macro-F1 and
   balanced accuracy (teacher forced), gap MAE (the heaviest component's median), clicks on the intended UI
   element and their pixel error (the most likely target and offset), and, generating freely, events-per-tick
   exactness (greedy, and sampled as the agent plays; ``benchmarks/tick_duel_count_ceiling.py`` measures what
   the demonstrators' own random hands allow). ``metrics.jsonl`` and TensorBoard (when installed) get them;
   the final test-split report, with the confusion matrix and the two baselines (copy the last tick; majority
   type with mean timing), goes into ``report.json`` and the model card, with ``--final-duels`` held-out duels
   per build against ``nh_expert`` when asked (``duel_report``).
5. Checkpoint selection (``--val-duels``): at every evaluation the greedy agent also plays validation duels
   against ``nh_expert`` (training-range seeds from ``VALIDATION_SEED_BASE``), and the latest weights that scored
   within one standard error of the best there (``selected_step``) are the ones tested and shipped (the step and
   score go on the card). The closed loop is noisy from one
   checkpoint to the next (0.52 and 0.39 of the same 96 held-out duels at steps 5,250 and 9,000 of one run),
   and the held-out duels must not choose. With ``--ema`` the policy is an exponential moving average of the
   weights (``agents/common/averaging.py``): it is what is evaluated, plays the duels and ships.

The run checkpoint ``<out>/run.pt`` (weights, optimizer, step, the samplers' RNG) is written atomically every
``--save-every`` steps; ``--resume`` continues from it (the same settings, or a clear error). The final weights are
``<out>/decoder.pt`` with a model card (command, seed, data and their sizes, git sha, test metrics).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import shlex
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from botarena.agents.common.averaging import average_into, warmed_up_decay
from botarena.agents.common.checkpoint import (
    CheckpointError,
    ModelCard,
    git_sha,
    load_checkpoint,
    resumed_git_sha,
    save_checkpoint,
)
from botarena.agents.common.metrics import balanced_accuracy, confusion, macro_f1, wilson
from botarena.agents.common.threads import single_threaded_numpy_blas
from botarena.agents.leaderboard.seeds import TRAINING_SEED_LIMIT
from botarena.envs.tick_duel import core

from . import targets
from .data import DemoTicks, collect_on_policy, concat_ticks, load_split_ticks, load_ticks, save_ticks
from .decoder import NUM_TYPES, TICK_MS, DecoderConfig, EventDecoder, most_likely_click

AGENT_NAME = "tick_duel/decoder"
# Held-out duels: seeds 2**32 + 2 * 10**6 + ..., never a dataset's (seeds below 2**32) nor the leaderboard's (>= 2**40).
HELD_OUT_SEED_BASE = TRAINING_SEED_LIMIT + 2_000_000
# Validation duels (checkpoint selection): training-range seeds, away from the datasets' and DAgger's.
VALIDATION_SEED_BASE = 3_000_000_000
LR_SCHEDULES = ("constant", "cosine")  # see TrainConfig.lr_schedule


@dataclass
class TrainConfig:
    """A run's settings (stored in its checkpoints; ``--resume`` refuses other ones)."""

    backbone: str = "gru"
    decoder: str = "sequential"
    # The decoder's width: the GRU's hidden size, or the attention decoder's model width (its feed-forward is
    # twice that). At batch 1 a step reads every weight once, so its cost grows with the square of this.
    hidden: int = 256
    history: int = 10
    time_components: int = 3
    style_encoding: str = "embedding"
    players: str = "nh_expert:fast,nh_expert,nh_expert:sloppy"
    builds: str = "max,zerker,pure"
    episodes: int = 100
    data: str = "runs/tick_duel-data"
    steps: int = 6000
    batch: int = 128
    lr: float = 1e-3
    # "constant", or "cosine": a linear warm-up over the first 100 steps, then a cosine from lr down to 5 % of it
    # at the last step (DAgger's steps included, so its rounds train at the lower rates).
    lr_schedule: str = "constant"
    seed: int = 0
    eval_every: int = 500
    save_every: int = 250
    eval_ticks: int = 2048
    threads: int = 2
    # DAgger (Ross et al. 2011) after the ``steps`` of behaviour cloning: each round collects ``dagger_duels``
    # duels per (player, build), the expert labelling every tick and driving it with probability
    # beta0 * 0.5 ** (round - 1), then trains ``dagger_steps`` more steps, half of every batch from the
    # demonstrations and half from every round's on-policy ticks.
    dagger_rounds: int = 0
    dagger_steps: int = 2000
    dagger_duels: int = 8
    beta0: float = 0.5
    # Closed loop at the end: this many held-out duels per build against nh_expert (``duel_report``), into the
    # report and the model card; 0 skips them (ablations).
    final_duels: int = 0
    # Closed-loop checkpoint selection: at every evaluation, this many validation duels per build against
    # nh_expert (seeds from VALIDATION_SEED_BASE); the run ships the evaluated weights that scored best there
    # (``<out>/best.pt``), not the last ones. 0: the last weights.
    val_duels: int = 0
    # Polyak averaging: the decay of an exponential moving average of the weights (0: off). With it, the averaged
    # weights are the policy: they are evaluated, play the validation and DAgger duels, and ship; the optimizer
    # trains the raw ones. A closed-loop score swings between neighbouring checkpoints (0.49 at step 6,000 of run
    # attn128-s0, 0.11 at 6,750, 0.00 at 4,500) more than their fit to the demonstrations does; an average of the
    # recent weights is the usual cure (the decay's horizon, 1 / (1 - ema) steps, spans several evaluations' worth
    # of updates at 0.999).
    ema: float = 0.0

    @classmethod
    def quick(cls, **overrides: Any) -> TrainConfig:
        """A smoke run: tiny data and step counts."""
        return cls(**{"episodes": 10, "steps": 20, "batch": 16, "eval_every": 10, "save_every": 5,
                      "eval_ticks": 64, "builds": "max", "dagger_steps": 10, "dagger_duels": 2, **overrides})

    @property
    def total_steps(self) -> int:
        return self.steps + self.dagger_rounds * self.dagger_steps

    def round_start(self, round_index: int) -> int:
        """The step at which DAgger round ``round_index`` (1-based) collects its duels."""
        return self.steps + (round_index - 1) * self.dagger_steps

    def round_seed(self, round_index: int) -> int:
        """Round ``round_index``'s first duel seed: far from the datasets' (0 ..) and below 2**32 (training)."""
        return 1_000_000_000 + 10_000_000 * self.seed + 100_000 * round_index

    def lr_at(self, step: int) -> float:
        """The learning rate of step ``step`` (0-based) under ``lr_schedule``."""
        if self.lr_schedule == "constant":
            return self.lr
        warmup = min(100, self.total_steps // 10)
        if step < warmup:
            return self.lr * (step + 1) / warmup
        progress = (step - warmup) / max(1, self.total_steps - 1 - warmup)
        return self.lr * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0))))

    def beta(self, round_index: int) -> float:
        return self.beta0 * 0.5 ** (round_index - 1)

    def model(self) -> DecoderConfig:
        return DecoderConfig(backbone=self.backbone, decoder=self.decoder, hidden=self.hidden, history=self.history,
                             time_components=self.time_components, style_encoding=self.style_encoding)

    def player_list(self) -> list[str]:
        return [p for p in self.players.split(",") if p]

    def build_list(self) -> list[str]:
        return [b for b in self.builds.split(",") if b]


def ensure_datasets(c: TrainConfig) -> None:
    """Write every missing (player, build) dataset under ``c.data``."""
    from botarena.envs.tick_duel.datasets import dataset_id, write_dataset

    for player in c.player_list():
        for build in c.build_list():
            if not (Path(c.data) / dataset_id(player, build)).is_dir():
                write_dataset(player, build, c.episodes, c.data, seed=0)


def to_tensors(batch: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in batch.items()}


def merge_batches(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Two batches as one, every array zero padded to the larger (tick events, action history rows)."""
    out = {}
    for k in a:
        shape = np.maximum(a[k].shape[1:], b[k].shape[1:])
        pads = [[(0, 0)] + [(0, int(n - m)) for n, m in zip(shape, x.shape[1:], strict=True)] for x in (a[k], b[k])]
        out[k] = np.concatenate([np.pad(x, pad) for x, pad in zip((a[k], b[k]), pads, strict=True)])
    return out


def type_weights(ticks: DemoTicks) -> torch.Tensor:
    """1 / sqrt(frequency) of each event type in the training ticks, mean 1 over the types seen."""
    valid = np.arange(ticks.events.shape[1])[None] < ticks.count[:, None]
    types = ticks.events[..., core.F_TYPE][valid].round().astype(np.int64)
    freq = np.bincount(types, minlength=NUM_TYPES).astype(np.float64)
    w = np.where(freq > 0, 1.0 / np.sqrt(np.maximum(freq, 1.0)), 0.0)
    return torch.tensor(w / w[freq > 0].mean(), dtype=torch.float32)


class Sampler:
    """Batches with every (style, build) group equally likely, then uniform ticks inside the group."""

    def __init__(self, ticks: DemoTicks, seed: int) -> None:
        self.ticks = ticks
        key = ticks.style * 16 + ticks.build
        self.groups = [np.flatnonzero(key == k) for k in np.unique(key)]
        self.rng = np.random.default_rng(seed)

    def draw(self, size: int) -> np.ndarray:
        group = self.rng.integers(len(self.groups), size=size)
        return np.array([self.groups[g][self.rng.integers(len(self.groups[g]))] for g in group], np.int64)


# ---------------------------------------------------------------------------------------------- evaluation
@torch.no_grad()
def evaluate(model: EventDecoder, ticks: DemoTicks, limit: int, history: int, seed: int = 0,
             full: bool = False) -> dict[str, Any]:
    """Held-out metrics on (at most ``limit``) ticks of ``ticks`` (see the module docstring)."""
    model.eval()
    idx = np.random.default_rng(seed).permutation(len(ticks))[:limit]
    losses, pred_types, true_types, gap_err, count_pred, count_true = [], [], [], [], [], []
    click_hit, click_px, count_sampled = [], [], []
    rng = np.random.default_rng(seed)
    times_ok = 0
    for at in range(0, len(idx), 256):
        b = to_tensors(ticks.batch(idx[at:at + 256], history))
        context = model(b["gamestate"], b["action_history"], b["history_len"], b["style"])
        loss, _ = model.loss(context, b["events"], b["count"], b["target"], b["offset"])
        losses.append(float(loss) * len(b["count"]))
        heads = model.teacher_forced(context, b["events"], b["target"])
        n = b["count"].numpy()
        valid = np.arange(b["events"].shape[1])[None] < n[:, None]
        pred_types.append(heads["type"][:, :-1].argmax(-1).numpy()[valid])
        true_types.append(b["events"][..., core.F_TYPE].round().long().numpy()[valid])
        log_w, mean, _ = heads["gap"][:, :-1].chunk(3, -1)
        best = mean.gather(-1, log_w.argmax(-1, keepdim=True))[..., 0]
        pred_gap = torch.expm1(best * np.log(TICK_MS + 1.0)).numpy()
        t = b["events"][..., core.F_TIME].numpy()
        true_gap = np.diff(t, axis=1, prepend=0.0)
        gap_err.append(np.abs(pred_gap - true_gap)[valid])
        # Clicks on an element: where the most likely target and offset put them, against the true click.
        on = torch.from_numpy(valid) & (b["events"][..., core.F_TYPE].round() == core.EV_LEFT_CLICK) \
            & (b["target"] > targets.ELSEWHERE)
        if on.any():
            xy = most_likely_click(heads["xy"][:, :-1][on], heads["target"][:, :-1][on], heads["offset"][:, :-1][on])
            true_xy = b["events"][on][:, [core.F_X, core.F_Y]].numpy()
            r = targets.RECTS[b["target"][on].numpy()]
            click_hit.append((r[:, 0] <= xy[:, 0]) & (xy[:, 0] < r[:, 0] + r[:, 2])
                             & (r[:, 1] <= xy[:, 1]) & (xy[:, 1] < r[:, 1] + r[:, 3]))
            click_px.append(np.hypot(*(xy - true_xy).T))
        events, counts = model.generate(context, sample=False)
        count_pred.append(counts)
        count_sampled.append(model.generate(context, rng, sample=True)[1])
        count_true.append(n)
        times = events[..., core.F_TIME]
        inside = np.arange(events.shape[1])[None] < counts[:, None]
        times_ok += int(np.all((times[inside] >= 0) & (times[inside] < TICK_MS)))
    model.train()
    pt, tt = np.concatenate(pred_types), np.concatenate(true_types)
    cp, ct, cs = np.concatenate(count_pred), np.concatenate(count_true), np.concatenate(count_sampled)
    report = {
        "ticks": int(len(idx)), "events": int(len(tt)),
        "loss": float(np.sum(losses) / len(idx)),
        "type_macro_f1": macro_f1(pt, tt, NUM_TYPES), "type_balanced_accuracy": balanced_accuracy(pt, tt, NUM_TYPES),
        "gap_mae_ms": float(np.mean(np.concatenate(gap_err))),
        "count_exact": float(np.mean(cp == ct)), "count_within_1": float(np.mean(np.abs(cp - ct) <= 1)),
        "count_exact_sampled": float(np.mean(cs == ct)), "count_within_1_sampled": float(np.mean(np.abs(cs - ct) <= 1)),
        "generated_times_inside_tick": times_ok == (len(idx) + 255) // 256,
        "clicks": int(sum(len(h) for h in click_hit)),
        "click_on_intended_element": float(np.mean(np.concatenate(click_hit))) if click_hit else float("nan"),
        "click_pixel_error": float(np.mean(np.concatenate(click_px))) if click_px else float("nan"),
    }
    if full:
        report["type_confusion"] = confusion(pt, tt, NUM_TYPES).tolist()
    return report


def baselines(ticks: DemoTicks, limit: int, seed: int = 0) -> dict[str, Any]:
    """The same held-out ticks judged for two baselines: copy the last tick, and majority type + mean gap."""
    idx = np.random.default_rng(seed).permutation(len(ticks))[:limit]
    prev = np.where(idx > ticks.episode_start[idx], idx - 1, -1)
    count_copy = np.where(prev >= 0, ticks.count[np.maximum(prev, 0)], 0)
    valid = np.arange(ticks.events.shape[1])[None] < ticks.count[idx][:, None]
    types = ticks.events[idx][..., core.F_TYPE].round().astype(np.int64)
    gaps = np.diff(ticks.events[idx][..., core.F_TIME], axis=1, prepend=0.0)
    prev_types = np.where((prev >= 0)[:, None], ticks.events[np.maximum(prev, 0)][..., core.F_TYPE].round(), 0)
    prev_gaps = np.where((prev >= 0)[:, None], np.diff(ticks.events[np.maximum(prev, 0)][..., core.F_TIME],
                                                       axis=1, prepend=0.0), 0.0)
    majority = np.bincount(types[valid], minlength=NUM_TYPES).argmax()
    return {
        "copy_last_tick": {"type_macro_f1": macro_f1(prev_types[valid].astype(np.int64), types[valid], NUM_TYPES),
                           "gap_mae_ms": float(np.mean(np.abs(prev_gaps - gaps)[valid])),
                           "count_exact": float(np.mean(count_copy == ticks.count[idx]))},
        "majority_type_mean_gap": {
            "type_macro_f1": macro_f1(np.full(valid.sum(), majority), types[valid], NUM_TYPES),
            "gap_mae_ms": float(np.mean(np.abs(gaps[valid] - gaps[valid].mean()))),
            "count_exact": float(np.mean(ticks.count[idx] == int(round(ticks.count.mean()))))},
    }


def duel_score(info: dict[str, np.ndarray], i: int) -> float:
    """Seat 0's score in ended duel ``i`` (the env's ``info``): a win 1, a loss 0; a double knockout or the time
    limit goes to the larger share of hitpoints left (mirrored builds), as on the leaderboard, 1/2 if equal."""
    if info["winner"][i] in (0, 1):
        return 1.0 - float(info["winner"][i])
    return 0.5 + 0.5 * float(np.sign(info["hp"][i] - info["opponent_hp"][i]))


def duel_report(agent: Any, duels: int, opponent: str = "nh_expert", builds: tuple[str, ...] = core.BUILD_NAMES,
                seed: int = HELD_OUT_SEED_BASE) -> dict[str, Any]:
    """Closed loop: ``agent`` (seat 0) against the built-in ``opponent`` in ``duels`` mirrored duels per build on
    held-out seeds. A duel that reaches the time limit goes to the larger share of hitpoints left, as on the
    leaderboard; draws count half. Returns the score rate per build and overall with a 95 % Wilson interval,
    the mean return, and the agent's milliseconds per tick at batch 1."""
    from botarena.envs.tick_duel import TickDuelVectorEnv

    report: dict[str, Any] = {"opponent": opponent, "duels_per_build": duels, "seed_base": seed}
    scores, returns = [], []
    for k, build in enumerate(builds):
        # No autoreset: an ended duel keeps its final state (and info) until every duel has ended.
        env = TickDuelVectorEnv(duels, build=build, opponent=opponent, autoreset_mode="disabled")
        obs, _ = env.reset(seed=seed + k)
        agent.reset(seed + k)
        score = np.full(duels, np.nan)
        total = np.zeros(duels)
        # The bar on stderr: ``--evaluate`` prints its report as JSON on stdout, for a pipe to read.
        with tqdm(total=duels, desc=f"duels vs {opponent} ({build})", unit="duel", file=sys.stderr) as bar:
            while np.isnan(score).any():
                obs, reward, terminated, truncated, info = env.step(agent.act_batch(obs))
                running = np.isnan(score)
                total += np.where(running, reward, 0.0)
                ended = running & (terminated | truncated)
                for i in np.flatnonzero(ended):
                    score[i] = duel_score(info, i)
                    bar.update(1)
        env.close()
        scores.append(score)
        returns.append(total)
        report[build] = {"score_rate": float(score.mean()), "ci95": list(wilson(float(score.sum()), len(score))),
                         "mean_return": float(total.mean())}
    every = np.concatenate(scores)
    report["all"] = {"score_rate": float(every.mean()), "ci95": list(wilson(float(every.sum()), len(every))),
                     "mean_return": float(np.concatenate(returns).mean())}
    # As the leaderboard's cards read it: seeds, episodes, win rate (draws half) and mean placement (1 or 2).
    report["held_out_seeds"] = f"{seed}..{seed + len(builds) + duels - 2}"
    report["episodes"] = int(len(every))
    report["win_rate"], report["win_rate_ci95"] = report["all"]["score_rate"], report["all"]["ci95"]
    report["placement"] = 2.0 - report["all"]["score_rate"]
    env = TickDuelVectorEnv(1, opponent=opponent)
    obs, _ = env.reset(seed=seed)
    start = time.perf_counter()
    for _ in range(50):
        obs, *_ = env.step(agent.act_batch(obs))
    report["ms_per_tick_batch1"] = (time.perf_counter() - start) / 50 * 1e3
    env.close()
    return report


# ---------------------------------------------------------------------------------------------- the run
class Run:
    def __init__(self, config: TrainConfig, out: Path, resume: bool, command: str) -> None:
        self.c, self.out, self.command = config, out, command
        self.git_sha = git_sha()  # the code this process trains with (a commit made during the run is not it)
        self.out.mkdir(parents=True, exist_ok=True)
        self.run_path = out / "run.pt"
        torch.manual_seed(config.seed)
        self.model = EventDecoder(config.model())
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=config.lr, weight_decay=1e-4)
        # The policy: the averaged weights with --ema, else the trained ones themselves.
        self.policy = copy.deepcopy(self.model).eval() if config.ema else self.model
        self.step = 0
        self.sampler_state: dict | None = None
        self.on_policy_state: dict | None = None
        if resume:
            self._resume()
        elif self.run_path.exists():
            raise CheckpointError(f"{self.run_path} exists: pass --resume to continue that run, or another --out")

    def _resume(self) -> None:
        state, card, extra = load_checkpoint(self.run_path, expected_name=AGENT_NAME + "/run")
        defaults = asdict(TrainConfig())  # a setting added since the run began had its default then
        changed = {k for k, v in asdict(self.c).items()
                   if k not in ("steps", "threads", "eval_every", "save_every", "dagger_rounds", "final_duels",
                                "val_duels")
                   and card.config.get(k, defaults[k]) != v}
        if changed:
            raise CheckpointError(f"--resume: {self.run_path} was trained with other settings ({sorted(changed)}); "
                                  f"use its settings or another --out")
        self.git_sha = resumed_git_sha(card.git_sha, self.git_sha)  # both commits trained it
        self.model.load_state_dict(state)
        if self.c.ema:
            self.policy.load_state_dict(extra["averaged"])
        self.opt.load_state_dict(extra["optimizer"])
        self.step = int(extra["step"])
        self.sampler_state = extra["sampler"]
        self.on_policy_state = extra.get("on_policy_sampler")

    def _save_run(self, sampler: Sampler, on_policy_sampler: Sampler | None) -> None:
        card = ModelCard(name=AGENT_NAME + "/run", config=asdict(self.c), command=self.command, seed=self.c.seed,
                         git_sha=self.git_sha)
        save_checkpoint(self.run_path, self.model.state_dict(), card,
                        extra={"optimizer": self.opt.state_dict(), "step": self.step,
                               "averaged": self.policy.state_dict() if self.c.ema else None,
                               "sampler": sampler.rng.bit_generator.state,
                               "on_policy_sampler": None if on_policy_sampler is None
                               else on_policy_sampler.rng.bit_generator.state})

    def _validation_duels(self) -> dict[str, float]:
        """With ``val_duels``: the greedy agent's validation duels; if these weights are the selected ones so far
        (``selected_step``) they are kept in ``<out>/best.pt``, written atomically."""
        if not self.c.val_duels:
            return {}
        from .policy import DecoderAgent

        report = duel_report(DecoderAgent(model=self.policy), self.c.val_duels, seed=VALIDATION_SEED_BASE)
        self.model.train()
        score, mean_return = report["all"]["score_rate"], report["all"]["mean_return"]
        values = {"val_duel_score": score, "val_duel_return": mean_return, "val_duels": report["episodes"],
                  "val_seeds": report["held_out_seeds"]}
        rows = {**self._validation_rows(), self.step: values}
        if selected_step({k: r["val_duel_score"] for k, r in rows.items()}, report["episodes"]) == self.step:
            card = ModelCard(name=AGENT_NAME + "/best", config=asdict(self.c), command=self.command, seed=self.c.seed,
                             git_sha=self.git_sha, metrics={"step": self.step, **values})
            save_checkpoint(self.out / "best.pt", self.policy.state_dict(), card)
        return values

    def _validation_rows(self) -> dict[int, dict]:
        """Step -> the validation-duel figures of every evaluation logged up to this step (a redone one counts
        once: its last)."""
        path = self.out / "metrics.jsonl"
        rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        return {r["step"]: {k: r.get(k) for k in ("val_duel_score", "val_duel_return", "val_duels", "val_seeds")}
                for r in rows if r["tag"] == "val" and "val_duel_score" in r and r["step"] <= self.step}

    # ------------------------------------------------------------------ DAgger
    def _round_at(self, step: int) -> int:
        """The DAgger round step ``step`` trains in (0: behaviour cloning)."""
        c = self.c
        return 0 if step < c.steps else min(c.dagger_rounds, 1 + (step - c.steps) // c.dagger_steps)

    def _on_policy_rounds(self) -> tuple[list[DemoTicks], Sampler | None]:
        """The rounds already collected (a resumed run reads them back) and their sampler."""
        rounds = [load_ticks(self.out / f"dagger{r}.npz") for r in range(1, self._round_at(self.step) + 1)
                  if self.step > self.c.round_start(r)]
        if not rounds:
            return [], None
        sampler = Sampler(concat_ticks(rounds), self.c.seed + 1)
        if self.on_policy_state is not None:
            sampler.rng.bit_generator.state = self.on_policy_state
        return rounds, sampler

    def _collect(self, round_index: int) -> DemoTicks:
        c = self.c
        path = self.out / f"dagger{round_index}.npz"
        if path.exists():  # collected before a kill that came ahead of the next save
            return load_ticks(path)
        players, builds = c.player_list(), c.build_list()
        with tqdm(desc=f"DAgger round {round_index}: collect (beta {c.beta(round_index):.3g})", unit="tick",
                  file=sys.stdout) as bar:
            ticks = collect_on_policy(self.policy, players, builds, c.dagger_duels, c.round_seed(round_index),
                                      c.beta(round_index), progress=bar.update)
        self.model.train()
        save_ticks(ticks, path)
        self.log("collect", {"round": round_index, "ticks": len(ticks), "beta": c.beta(round_index)})
        return ticks

    def log(self, tag: str, values: dict[str, Any]) -> None:
        with open(self.out / "metrics.jsonl", "a") as handle:
            handle.write(json.dumps({"tag": tag, "step": self.step, **values}) + "\n")
        if self.writer is not None:
            for key, value in values.items():
                if isinstance(value, (int, float)):
                    self.writer.add_scalar(f"{tag}/{key}", value, self.step)
            self.writer.flush()

    def run(self) -> Path:
        c = self.c
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(self.out / "tb"))
        except ImportError:  # tensorboard is an optional (dev) dependency
            self.writer = None
        ensure_datasets(c)
        splits, sizes = load_split_ticks(c.data, c.player_list(), c.build_list())
        print(f"data: {sizes}; ticks train {len(splits['train'])}, val {len(splits['val'])}, "
              f"test {len(splits['test'])}", flush=True)
        sampler = Sampler(splits["train"], c.seed)
        if self.sampler_state is not None:
            sampler.rng.bit_generator.state = self.sampler_state
        on_policy, on_policy_sampler = self._on_policy_rounds()
        weights = type_weights(splits["train"])
        start, first_step = time.perf_counter(), self.step  # a resumed run counts only its own steps
        with tqdm(total=c.total_steps, initial=self.step, desc="train tick_duel decoder", unit="step",
                  file=sys.stdout) as bar:
            while self.step < c.total_steps:
                round_index = self._round_at(self.step)
                if round_index > len(on_policy):  # a DAgger round starts: collect its duels first
                    self._save_run(sampler, on_policy_sampler)
                    on_policy.append(self._collect(round_index))
                    on_policy_sampler = Sampler(concat_ticks(on_policy), c.seed + 1)
                if on_policy_sampler is None:
                    b = splits["train"].batch(sampler.draw(c.batch), c.history)
                else:  # half demonstrations, half the states the learner reaches
                    half = c.batch // 2
                    b = merge_batches(splits["train"].batch(sampler.draw(c.batch - half), c.history),
                                      on_policy_sampler.ticks.batch(on_policy_sampler.draw(half), c.history))
                b = to_tensors(b)
                context = self.model(b["gamestate"], b["action_history"], b["history_len"], b["style"])
                loss, parts = self.model.loss(context, b["events"], b["count"], b["target"], b["offset"], weights)
                self.opt.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
                for group in self.opt.param_groups:
                    group["lr"] = c.lr_at(self.step)
                self.opt.step()
                if c.ema:
                    average_into(self.policy, self.model, warmed_up_decay(c.ema, self.step))
                self.step += 1
                bar.update(1)
                bar.set_postfix(loss=f"{float(loss.detach()):.3f}")
                if self.step % 50 == 0:
                    elapsed = max(time.perf_counter() - start, 1e-9)
                    self.log("train", {"loss": float(loss), **parts, "steps_per_s": (self.step - first_step) / elapsed})
                # Evaluate before saving: a run killed in between redoes the evaluation after --resume rather than
                # skip it (the steps since the last save replay exactly: the samplers' states are saved too).
                if self.step % c.eval_every == 0 or self.step == c.total_steps:
                    self.log("val", {**evaluate(self.policy, splits["val"], c.eval_ticks, c.history),
                                     **self._validation_duels()})
                if self.step % c.save_every == 0 or self.step == c.total_steps:
                    self._save_run(sampler, on_policy_sampler)
        # The shipped weights: the selected ones (selected_step) with validation duels, else the last (averaged with
        # --ema). They are a separate model: ``self.model`` and ``self.policy`` keep the last weights, which run.pt
        # holds and a resumed run continues.
        shipped, selected = self.policy, None
        if c.val_duels:
            rows = self._validation_rows()
            duels = c.val_duels * len(core.BUILD_NAMES)  # duel_report plays every build
            chosen = selected_step({k: r["val_duel_score"] for k, r in rows.items()}, duels)
            selected = {"step": chosen, **rows[chosen], "val_duels": duels,
                        "best_val_duel_score": max(r["val_duel_score"] for r in rows.values())}
            if chosen != self.step:
                state, best_card, _ = load_checkpoint(self.out / "best.pt", expected_name=AGENT_NAME + "/best")
                if best_card.metrics["step"] != chosen:
                    raise CheckpointError(f"{self.out / 'best.pt'} holds step {best_card.metrics['step']}'s weights, "
                                          f"but the validation duels select step {chosen}: rerun the run")
                shipped = EventDecoder(c.model())
                shipped.load_state_dict(state)
        test = evaluate(shipped, splits["test"], c.eval_ticks, c.history, full=True)
        report = {"test": test, "baselines": baselines(splits["test"], c.eval_ticks), "data_ticks": sizes,
                  "parameters": shipped.num_parameters(), "selected": selected}
        if c.final_duels:
            from .policy import DecoderAgent

            report["closed_loop"] = duel_report(DecoderAgent(model=shipped), c.final_duels)
        self.model.train()
        (self.out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
        card = ModelCard(name=AGENT_NAME, config={**asdict(self.c), "model": self.c.model().as_dict()},
                         command=self.command, seed=c.seed, git_sha=self.git_sha,
                         data=f"TickDuel-v1 Minari datasets under {c.data}: {sizes} (ticks per dataset; episodes "
                              f"split by index: k % 10 == 0 test, 1 validation)",
                         metrics={**{k: v for k, v in test.items() if k != "type_confusion"},
                                  **({"final": report["closed_loop"]} if "closed_loop" in report else {}),
                                  **({"selected": selected} if selected else {})})
        path = save_checkpoint(self.out / "decoder.pt", shipped.state_dict(), card)
        self._save_run(sampler, on_policy_sampler)  # rewritten once the run is whole (a resumed finish writes too)
        return path


def selected_step(history: dict[int, float], duels: int) -> int:
    """The evaluation whose weights a run ships: the latest one whose validation duel score is within one standard
    error of the best (the one-standard-error rule, Breiman et al. 1984), the error that of a rate measured on
    ``duels`` duels, sqrt(p (1 - p) / duels) at the best rate p.

    Why not simply the best: with 72 validation duels the score's standard error is about 0.06, and scores swing
    from one evaluation to the next by more than that (run ``attn128-s0``: 0.51 at step 2,250, 0.49 at 6,000)
    while the later weights fit the demonstrations far better (validation macro-F1 0.85 against 0.89): among
    weights that play equally well as far as the duels can tell, the most trained ones.
    """
    if not history:
        raise ValueError("selected_step: no validation duels were logged")
    best = max(history.values())
    margin = math.sqrt(best * (1.0 - best) / max(duels, 1))
    return max(step for step, score in history.items() if score >= best - margin)


def load_decoder(path: str | Path) -> tuple[EventDecoder, ModelCard]:
    """A trained decoder and its card (``decoder.pt`` of a run, or a shipped checkpoint)."""
    state, card, _ = load_checkpoint(path, expected_name=AGENT_NAME)
    try:
        model = EventDecoder(DecoderConfig(**card.config["model"]))
        model.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"checkpoint {path} does not fit the event decoder: {err}") from err
    model.eval()
    return model, card


# ---------------------------------------------------------------------------------------------- command line
def parse_config(argv: list[str]) -> tuple[TrainConfig, Path, bool, argparse.Namespace]:
    parser = argparse.ArgumentParser(prog="botarena train tick_duel", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=None, help="the run's folder (required unless --evaluate)")
    parser.add_argument("--quick", action="store_true", help="a smoke run with tiny data and step counts")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--evaluate", metavar="CHECKPOINT", default=None,
                        help="train nothing: play CHECKPOINT against nh_expert on held-out seeds in every build "
                             "(--duels each) and print the report")
    parser.add_argument("--duels", type=int, default=64, help="held-out duels per build for --evaluate")
    parser.add_argument("--sample", action="store_true",
                        help="--evaluate the agent sampling its events (default: greedy, as the leaderboard plays)")
    defaults = TrainConfig()
    for f in fields(TrainConfig):
        parser.add_argument("--" + f.name.replace("_", "-"), type=type(getattr(defaults, f.name)), default=None,
                            help=f"default {getattr(defaults, f.name)}")
    args = parser.parse_args(argv)
    overrides = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if getattr(args, f.name) is not None}
    config = TrainConfig.quick(**overrides) if args.quick else TrainConfig(**overrides)
    for name in ("steps", "batch", "episodes", "history", "eval_every", "save_every", "eval_ticks", "threads",
                 "dagger_steps", "dagger_duels", "time_components"):
        if getattr(config, name) < 1:
            raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(config, name)}")
    if min(config.dagger_rounds, config.final_duels, config.val_duels) < 0 or not 0.0 <= config.beta0 <= 1.0:
        raise ValueError(f"--dagger-rounds, --final-duels and --val-duels must be >= 0 and --beta0 in [0, 1], got "
                         f"{config.dagger_rounds}, {config.final_duels}, {config.val_duels} and {config.beta0}")
    if not 0.0 <= config.ema < 1.0:
        raise ValueError(f"--ema must be in [0, 1) (0: no weight averaging), got {config.ema}")
    if config.lr_schedule not in LR_SCHEDULES:
        raise ValueError(f"--lr-schedule must be {' or '.join(LR_SCHEDULES)}, got {config.lr_schedule!r}")
    if config.episodes < 10:
        raise ValueError(f"--episodes must be >= 10 (one in ten is the test split), got {config.episodes}")
    config.model()  # a clear error for an unknown backbone
    if args.out is None and args.evaluate is None:
        parser.error("--out is required (or --evaluate CHECKPOINT)")
    return config, Path(args.out or "."), args.resume, args


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    config, out, resume, args = parse_config(argv)
    torch.set_num_threads(config.threads)
    single_threaded_numpy_blas()  # the decoder's steps are small numpy products (see the function)
    if args.evaluate is not None:
        from .policy import DecoderAgent

        agent = DecoderAgent(args.evaluate, deterministic=not args.sample)
        report = {"checkpoint": args.evaluate, "sampled": args.sample, **duel_report(agent, args.duels)}
        print(json.dumps(report, indent=1), flush=True)
        return 0
    path = Run(config, out, resume, "botarena train tick_duel " + shlex.join(argv)).run()
    print(f"done: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
