"""Behaviour cloning of a scripted Territory bot into the policy, before PPO (``botarena train territory``'s
first phase).

A PPO policy started from scratch on Territory-v2 stays at a random player's level for a long time (the first
runs: no duel won and 3.5-6% of the map after 80k steps), because the land a good decision wins arrives over
dozens of ticks and is worth ~3e-4 of share per tile. The scripted ``nation`` bot wins every duel against
expander and 54% of the mixed free-for-alls from seat 0, so we start from it:

1. **Label.** In the learner's seat, the expert decides on a copy of the state (the env's RNG is untouched) and
   its action is written in the learner's own action space: a bot aims at a cell, the learner picks a compass
   direction, so the label is the valid direction (at the bot's intensity, else the nearest valid intensity)
   whose ray from our centroid reaches the same target, nearest the cell's bearing; under Territory-v2 the
   direction chooses the target and only tilts the front, so nothing of the bot's choice is lost but the tilt.
   A bot aiming at a target no ray reaches is played as WAIT and left out of the policy loss
   (``Demonstrations.unreachable`` counts them; about 9% of the nation's duel decisions, 14% in a free-for-all).
   In cell mode (the gridnet) the label is the bot's own cell at the nearest valid intensity: nothing is lost.
2. **Play.** The env executes the label, so the states are the ones the learner will meet when it imitates well.
3. **Train.** Cross-entropy on the masked logits of every labelled decision where more than WAIT was valid
   (forced WAITs teach nothing), and the value head regressed on the discounted return of the trainer's reward,
   so that PPO starts with a critic that knows the policy it fine-tunes.

How often the scripted bots idle by the trainer's definition (a WAIT while some attack was valid), the figure the
learned agent's idle share is read beside:

    python -m botarena.agents.territory.imitation --experts nation,aggressor,expander,turtle
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from botarena.envs.territory import bots, core

from . import actions

WAIT_ACTION = actions.DIRECTION_WAIT
DIRECTION_ANGLES = np.arctan2(core.DIR_DY, core.DIR_DX).astype(np.float64)


def expert_core_actions(state: core.TerritoryState, seat: int, expert: int) -> np.ndarray:
    """The expert bot's core rows ``(mode, code, intensity)`` for ``seat`` of every env, decided on a copy."""
    shadow = type(state)(*(np.array(a, copy=True) for a in state))
    num_envs, num_players = state.troops.shape
    policies = np.full((num_envs, num_players), bots.BOT_NONE, np.int8)
    policies[:, seat] = expert
    actions = np.zeros((num_envs, num_players, 3), np.int64)
    bots.bot_actions(shadow, policies, actions)
    return actions[:, seat].copy()


def direction_label(state: core.TerritoryState, n: int, seat: int, row: np.ndarray, mask: np.ndarray) -> int:
    """The learner's direction action closest to the bot's core action ``row`` in env ``n`` (see the module
    docstring); -1 when the bot's target is out of every ray's reach."""
    mode, code, intensity = (int(v) for v in row)
    if mode == core.MODE_DIRECTION:
        action = code * core.NUM_INTENSITIES + (intensity if code != core.WAIT else 0)
        return action if mask[action] else WAIT_ACTION
    if mode == core.MODE_RETREAT:
        action = WAIT_ACTION + 1 + code
        return action if mask[action] else WAIT_ACTION
    width = state.owner.shape[2]
    cell_y, cell_x = divmod(code, width)
    target = int(state.owner[n, cell_y, cell_x])
    tiles = max(int(state.tiles[n, seat]), 1)
    cy, cx = int(state.sum_y[n, seat]) // tiles, int(state.sum_x[n, seat]) // tiles
    bearing = math.atan2(cell_y - cy, cell_x - cx)
    best, best_cost = -1, math.inf
    for d in range(core.NUM_DIRECTIONS):
        if core.ray_target(state.owner[n], cy, cx, seat, d) != target:
            continue
        valid = [k for k in range(core.NUM_INTENSITIES) if mask[d * core.NUM_INTENSITIES + k]]
        if not valid:
            continue
        k = min(valid, key=lambda v: abs(v - intensity))
        turn = abs((DIRECTION_ANGLES[d] - bearing + math.pi) % (2 * math.pi) - math.pi)
        cost = abs(k - intensity) * 10.0 + turn  # the intensity first, then the bearing
        if cost < best_cost:
            best, best_cost = d * core.NUM_INTENSITIES + k, cost
    return best


def cell_label(n_cells: int, row: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The learner's cell action ``(cell or no-op, intensity)`` for the bot's core action ``row``: its own target
    cell at the nearest valid intensity (cell mode loses nothing of a bot's choice); ``(-1, -1)`` for a
    direction launch (only the random bot makes them) or a cell the mask rejects."""
    mode, code, intensity = (int(v) for v in row)
    intensities = mask[n_cells + 1:]
    if mode == core.MODE_RETREAT:
        return np.array([n_cells, code + 1] if intensities[code + 1] else [n_cells, 0], np.int64)
    if mode == core.MODE_DIRECTION and code == core.WAIT:
        return np.array([n_cells, 0], np.int64)
    if mode != core.MODE_CELL or not mask[code] or not intensities.any():
        return np.array([-1, -1], np.int64)
    valid = np.flatnonzero(intensities)
    return np.array([code, valid[np.argmin(np.abs(valid - intensity))]], np.int64)


def expert_label(state: core.TerritoryState, n: int, seat: int, row: np.ndarray, mask: np.ndarray,
                 action_mode: str) -> np.ndarray:
    """The expert's decision ``row`` in env ``n`` in the learner's action space: int64 ``[]`` (direction) or
    ``[2]`` (cell); negative where the learner's space cannot express it."""
    if action_mode == "direction":
        return np.int64(direction_label(state, n, seat, row, mask))
    return cell_label(actions.cells_of(len(mask)), row, mask)


@dataclass
class Demonstrations:
    """Decisions of the expert in the learner's action space: observations, labels, masks, returns."""

    maps: np.ndarray  # uint8 [N, C, H, W]
    globals_: np.ndarray  # float32 [N, G]
    masks: np.ndarray  # int8 [N, A]
    labels: np.ndarray  # int64 [N] (direction) or [N, 2] (cell): the action played; negative where the
    #                     bot's choice had no equivalent (WAIT played)
    action_mode: str
    returns: np.ndarray  # float32 [N]: discounted return of the trainer's reward from that decision
    unreachable: int  # bot launches no ray could express (labelled WAIT)
    placements: np.ndarray  # the expert-driven learner seat's placement in each finished game

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def informative(self) -> np.ndarray:
        """Labelled decisions where more than WAIT was valid (the ones the policy loss reads)."""
        labelled = self.labels >= 0 if self.labels.ndim == 1 else (self.labels >= 0).all(axis=1)
        return actions.can_attack(self.masks, self.action_mode) & labelled

    @property
    def cells(self) -> int:
        return actions.cells_of(self.masks.shape[1])


def collect(env_kwargs: dict, num_envs: int, decisions: int, seed: int, expert: str = "nation",
            gamma: float = 0.995, land_weight: float = 1.0, keep_wait: float = 1.0) -> Demonstrations:
    """``decisions`` decisions of each of ``num_envs`` Territory-v2 games (seeds ``seed + i``, autoreset), the
    learner's seat played by ``expert`` through its direction labels. Every launch is kept and a ``keep_wait``
    share of the rest (drawn from ``seed``): the returns are computed over the whole games first."""
    from botarena.envs.territory import TerritoryVectorEnv

    env = TerritoryVectorEnv(num_envs=num_envs, **env_kwargs)
    action_mode = env.action_mode
    wait = actions.DIRECTION_WAIT if action_mode == "direction" else np.array([env.height * env.width, 0])
    expert_id = bots.BOT_NAMES.index(expert)
    seat = env.learner_seat
    obs, _ = env.reset(seed=seed)
    maps, globals_, masks, labels, kept = [], [], [], [], []
    draw = np.random.default_rng(seed)
    rewards = np.zeros((decisions, num_envs), np.float64)
    ends = np.zeros((decisions, num_envs), np.bool_)
    unreachable = 0
    placements: list[int] = []
    for t in range(decisions):
        rows = expert_core_actions(env.state, seat, expert_id)
        label = np.array([expert_label(env.state, n, seat, rows[n], obs["action_mask"][n], action_mode)
                          for n in range(num_envs)], np.int64)
        missing = label < 0 if label.ndim == 1 else (label < 0).any(axis=1)
        unreachable += int(missing.sum())
        played = label.copy()
        played[missing] = wait
        waits = actions.is_wait(played, action_mode, env.height * env.width)
        keep = np.flatnonzero(~waits | (draw.random(num_envs) < keep_wait))
        maps.append(obs["map"][keep])
        globals_.append(obs["global"][keep])
        masks.append(obs["action_mask"][keep])
        labels.append(label[keep])
        kept.append(t * num_envs + keep)
        before = env.prev_share.copy()
        obs, reward, terminated, truncated, infos = env.step(played)
        done = terminated | truncated
        final = infos.get("final_info", infos)
        share_now = np.where(done, final["land_share"], infos["land_share"])
        rewards[t] = reward + (land_weight - 1.0) * (share_now - before)
        ends[t] = done
        placements.extend(int(p) for p in final["placement"][done])
    env.close()
    returns = np.zeros_like(rewards)
    running = np.zeros(num_envs)
    for t in range(decisions - 1, -1, -1):
        running = rewards[t] + gamma * running * ~ends[t]
        returns[t] = running
    returns = returns.reshape(-1)[np.concatenate(kept)].astype(np.float32)
    return Demonstrations(np.concatenate(maps), np.concatenate(globals_), np.concatenate(masks),
                          np.concatenate(labels), action_mode, returns, unreachable,
                          np.array(placements, np.int64))


def clone(policy, demos: list[Demonstrations], epochs: int, batch_size: int = 128, lr: float = 3e-4,
          value_weight: float = 0.5, launch_weight: float = 8.0, seed: int = 0, log=None) -> dict[str, float]:
    """Fit the SB3 policy to the demonstrations of every setting (batches of one setting each, since map sizes
    differ, shuffled together): masked cross-entropy on informative decisions plus ``value_weight`` x MSE of the
    value on every decision's return. ``log`` receives each epoch's losses and label accuracy; the last epoch's
    are returned.

    The nation waits in ~96% of its decisions (it launches once its troops reach 55% of its cap): cloned from all
    its decisions, the greedy clone never launched (accuracy stuck at the WAIT share, 0.9615, after 3 epochs),
    and weighting launches 8x alone brought the launch accuracy only to 1.3%. ``collect(keep_wait=...)`` drops
    most WAITs instead, and a launch's cross-entropy counts ``launch_weight`` times.
    """
    from .policy import factor_sizes, set_norm_frozen

    factors = factor_sizes(policy.action_space)
    # A launch's target: its direction (direction mode, action // intensities) or its cell (cell mode).
    target_divisor = core.NUM_INTENSITIES if len(factors) == 1 else 1
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(policy.parameters(), lr=lr)
    stats: dict[str, float] = {}
    set_norm_frozen(policy, False)
    policy.set_training_mode(True)
    for epoch in range(epochs):
        batches = [(d, order[start:start + batch_size]) for d in demos
                   for order in [torch.randperm(len(d), generator=generator)]
                   for start in range(0, len(d), batch_size)]
        totals = dict.fromkeys(("policy_loss", "value_loss", "accuracy", "count", "decisions", "launch_hits",
                                "launches", "direction_hits", "predicted_launches"), 0.0)
        for b in torch.randperm(len(batches), generator=generator).tolist():
            d, idx = batches[b]
            obs = {"map": torch.as_tensor(d.maps[idx]), "global": torch.as_tensor(d.globals_[idx])}
            mask = torch.as_tensor(d.masks[idx]).bool()
            features = policy.extract_features(obs, policy.pi_features_extractor)
            latent_pi, latent_vf = policy.mlp_extractor(features)
            logits = policy.action_net(latent_pi).masked_fill(~mask, -1e8)
            values = policy.value_net(latent_vf).squeeze(1)
            labels = torch.as_tensor(d.labels[idx]).clamp(min=0).reshape(len(idx), -1)  # [B, factors]
            factor_logits = logits.split(factors, dim=1)
            keep = torch.as_tensor(d.informative[idx])
            launches = torch.as_tensor(actions.is_launch(d.labels[idx], d.action_mode, d.cells))[keep]
            if keep.any():
                weights = torch.where(launches, launch_weight, 1.0)
                per_decision = sum(nn.functional.cross_entropy(f[keep], labels[keep, i], reduction="none")
                                   for i, f in enumerate(factor_logits))
                ce = (weights * per_decision).sum() / weights.sum()
            else:
                ce = logits.sum() * 0
            value_loss = nn.functional.mse_loss(values, torch.as_tensor(d.returns[idx]))
            loss = ce + value_weight * value_loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(policy.parameters(), 0.5)
            optimizer.step()
            n_keep = int(keep.sum())
            predicted = torch.stack([f[keep].argmax(1) for f in factor_logits], dim=1).detach()
            hits = (predicted == labels[keep]).all(dim=1)
            # The expert mostly waits: its launches are what matters, and first whom they hit.
            same_target = (predicted[:, 0] // target_divisor) == (labels[keep, 0] // target_divisor)
            totals["direction_hits"] += float((same_target & launches).sum())
            as_actions = predicted[:, 0] if len(factors) == 1 else predicted
            totals["predicted_launches"] += float(actions.is_launch(as_actions.numpy(), d.action_mode, d.cells).sum())
            totals["policy_loss"] += ce.item() * n_keep
            totals["value_loss"] += value_loss.item() * len(idx)
            totals["accuracy"] += float(hits.sum())
            totals["launch_hits"] += float(hits[launches].sum())
            totals["launches"] += float(launches.sum())
            totals["count"] += n_keep
            totals["decisions"] += len(idx)
        count = max(totals["count"], 1)
        stats = {"epoch": epoch, "policy_loss": totals["policy_loss"] / count, "accuracy": totals["accuracy"] / count,
                 "launch_accuracy": totals["launch_hits"] / max(totals["launches"], 1),
                 "launch_direction_accuracy": totals["direction_hits"] / max(totals["launches"], 1),
                 "predicted_launch_share": totals["predicted_launches"] / count,
                 "launch_share": totals["launches"] / count,
                 "value_loss": totals["value_loss"] / max(totals["decisions"], 1)}
        if log is not None:
            log(stats)
    policy.set_training_mode(False)
    set_norm_frozen(policy, True)
    return stats


def calibrate(policy, keep_wait: float = 1.0, launch_weight: float = 1.0, temperature: float = 1.0) -> None:
    """Reparametrise a cloned direction-mode policy's action layer so that what it *samples* plays like the expert.

    Cloning keeps ``keep_wait`` of the expert's WAITs and counts each launch ``launch_weight`` times, which shifts
    the fitted log-odds of WAIT against a launch by ``log(keep_wait / launch_weight)`` (-2.6 by default): the
    greedy clone still waits where the expert would, but the sampled one launches several times as often and wins
    a fraction of the greedy one's games (the README's greedy-vs-sampled table). PPO's rollouts play the sampled
    policy, so it fine-tuned a weak player, not the one that is scored. Adding the shift back to the logits
    (logit adjustment for a resampled training set) restores the expert's rate of waiting; dividing them by
    ``temperature`` < 1 then moves the sampled policy toward the greedy one. Both act on the last Linear layer
    (its bias, and its weights for the temperature), so the result is an ordinary policy that PPO trains as is.
    """
    if not (0 < keep_wait <= 1 and launch_weight > 0 and temperature > 0):
        raise ValueError(f"calibrate needs 0 < keep_wait <= 1, launch_weight > 0 and temperature > 0, got "
                         f"{keep_wait}, {launch_weight}, {temperature}")
    layer = policy.action_net
    if not isinstance(layer, nn.Linear) or layer.out_features != (core.WAIT + 1) * core.NUM_INTENSITIES:
        raise ValueError("calibrate reparametrises direction mode's Linear action layer (attention or flatten "
                         f"arch), got {layer}")
    with torch.no_grad():
        layer.bias[actions.DIRECTION_WAIT] -= math.log(keep_wait)
        layer.bias[:actions.NUM_DIRECTION_ATTACKS] -= math.log(launch_weight)
        layer.weight /= temperature
        layer.bias /= temperature


def expert_idle_share(env_kwargs: dict, num_envs: int, decisions: int, seed: int, expert: str) -> dict[str, float]:
    """The scripted ``expert`` in the learner's seat for ``decisions`` steps of ``num_envs`` games, played in cell
    mode (which keeps its every choice): the share of decisions with some attack valid in which it waited, and
    the share of its choices the learner's mask refused (played as WAIT, counted apart)."""
    from botarena.envs.territory import TerritoryVectorEnv

    env = TerritoryVectorEnv(num_envs=num_envs, **{**env_kwargs, "action_mode": "cell"})
    expert_id, seat, cells = bots.BOT_NAMES.index(expert), env.learner_seat, env.height * env.width
    obs, _ = env.reset(seed=seed)
    idle = could = refused = 0
    for _ in range(decisions):
        rows = expert_core_actions(env.state, seat, expert_id)
        played = np.stack([cell_label(cells, rows[n], obs["action_mask"][n]) for n in range(num_envs)])
        missing = (played < 0).any(axis=1)
        played[missing] = (cells, 0)
        waited, valid = actions.idle_count(played[~missing], obs["action_mask"][~missing], "cell")
        idle, could, refused = idle + waited, could + valid, refused + int(missing.sum())
        obs, *_ = env.step(played)
    return {"idle_share": idle / max(could, 1), "attack_valid_share": could / (decisions * num_envs),
            "refused_share": refused / (decisions * num_envs)}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="the scripted bots' idle share, by the trainer's definition")
    p.add_argument("--experts", default="nation,aggressor,expander,turtle")
    p.add_argument("--map-size", type=int, default=64)
    p.add_argument("--players", type=int, default=5)
    p.add_argument("--opponents", default="mixed")
    p.add_argument("--envs", type=int, default=16)
    p.add_argument("--decisions", type=int, default=1000, help="steps of the batch (an episode's length)")
    p.add_argument("--seed", type=int, default=2**32 + 3_000_000, help="held out: above every training seed")
    a = p.parse_args(argv)
    env_kwargs = {"map_size": a.map_size, "num_players": a.players, "opponents": a.opponents}
    print(f"{a.envs} games x {a.decisions} decisions of {env_kwargs}, seeds {a.seed}..{a.seed + a.envs - 1}")
    for expert in a.experts.split(","):
        figures = expert_idle_share(env_kwargs, a.envs, a.decisions, a.seed, expert)
        print(f"  {expert:<10} " + "  ".join(f"{k} {v:.3f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
