"""What a TickDuel event decoder does in its duels: the outcome and the UI elements it clicks, per build.

The per-event metrics of ``botarena train tick_duel`` score a decoder on the demonstrators' ticks; this plays the
decoder (greedy, the fast hands' style, as the agent plays) against ``nh_expert`` and counts what it actually
does: the score rate (draws half), ticks per duel, events and key presses per tick, and left clicks per tick on
each group of elements (``agents/tick_duel/targets.py``: tab buttons, the spec orb and bar, inventory slots,
prayers, spells, arena tiles) — and what came of it in the game: the share of ticks it was attacking the
opponent (a click on the opponent's tile sets that until it walks away, so most tile clicks re-click an attack
already on), the damage it dealt and took a tick, and its attacks a tick by style. Comparing two checkpoints of a
run shows what a losing one does differently.

Each checkpoint is a decoder (``decoder.pt`` of a run, or a shipped one) or a run's ``run.pt`` (its last weights),
or ``nh_expert``: the scripted expert itself in the decoder's seat, the demonstrator for reference.
The duels are on the validation seeds by default (those that chose the checkpoint; ``--seed`` for others).

    python benchmarks/tick_duel_closed_loop_actions.py runs/tick_duel/attn128-s0/decoder.pt \\
        runs/tick_duel/attn128-s0/run.pt --duels 24                      # ~3 min
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

GROUPS = ("tab", "spec", "inventory", "prayer", "spell", "tile")
ATTACK_STYLES = ("melee", "ranged", "magic")


EXPERT = "nh_expert"


def load(path: Path):
    """A decoder checkpoint, or a run checkpoint's last weights; None for ``EXPERT``."""
    from botarena.agents.common.checkpoint import load_checkpoint
    from botarena.agents.tick_duel.decoder import EventDecoder
    from botarena.agents.tick_duel.train import AGENT_NAME, TrainConfig, load_decoder

    if str(path) == EXPERT:
        return None
    if path.name != "run.pt":
        return load_decoder(path)[0]
    state, card, _ = load_checkpoint(path, expected_name=AGENT_NAME + "/run")
    model = EventDecoder(TrainConfig(**card.config).model())
    model.load_state_dict(state)
    return model.eval()


def group_bounds() -> dict[str, tuple[int, int]]:
    from botarena.agents.tick_duel import targets as t

    starts = (t.FIRST_TAB, t.SPEC_ORB, t.FIRST_SLOT, t.FIRST_PRAYER, t.FIRST_SPELL, t.FIRST_TILE, t.NUM_TARGETS)
    return dict(zip(GROUPS, zip(starts[:-1], starts[1:], strict=True), strict=True))


@torch.no_grad()
def play(model, build_index: int, build: str, duels: int, seed: int) -> dict:
    """``duels`` greedy duels in one build; what the decoder (``model``; None: the expert) did, per tick of play."""
    from botarena.agents.tick_duel import targets
    from botarena.agents.tick_duel.decoder import STYLES
    from botarena.agents.tick_duel.train import duel_score
    from botarena.envs.tick_duel import TickDuelVectorEnv, core

    env = TickDuelVectorEnv(duels, build=build, opponent="nh_expert", autoreset_mode="disabled")
    obs, _ = env.reset(seed=seed + build_index)  # the seeds duel_report gives this build
    style = torch.full((duels,), STYLES.index("nh_expert:fast"))
    bounds = group_bounds()
    score, running = np.full(duels, np.nan), np.ones(duels, bool)
    ticks = events = keys = attacking = dealt = taken = 0
    attacks = dict.fromkeys(ATTACK_STYLES, 0)
    clicks = dict.fromkeys(GROUPS, 0)
    while running.any():
        if model is None:
            expert = env.expert_events(EXPERT)  # drawn from the seat's own stream: the game is unchanged by it
            made, count = expert["events"], expert["n"]
            chosen = targets.label_clicks(made, count, env.state.open_tab[:, 0])
        else:
            context = model(*(torch.as_tensor(np.asarray(obs[k]))
                              for k in ("gamestate", "action_history", "history_len")), style)
            made, count, chosen = model.generate(context, sample=False, with_targets=True)
        live = chosen[running]
        for name, (lo, hi) in bounds.items():
            clicks[name] += int(((live >= lo) & (live < hi)).sum())
        listed = np.arange(made.shape[1])[None] < count[:, None]
        keys += int((running[:, None] & listed & (made[..., core.F_TYPE] == core.EV_KEY_DOWN)).sum())
        events += int(count[running].sum())
        ticks += int(running.sum())
        limit = np.asarray(obs["action_history"]).shape[2]  # the env's max_events
        action = np.zeros((duels, limit, made.shape[2]), np.float32)
        action[:, :min(limit, made.shape[1])] = made[:, :limit]
        obs, _, terminated, truncated, info = env.step({"n": np.minimum(count, limit), "events": action})
        s = env.state  # after the tick's boundary: its damage and attacks (seat 0 is the decoder)
        attacking += int((running & (s.target[:, 0] == 1)).sum())
        dealt += int(s.dealt[running, 0].sum())
        taken += int(s.taken[running, 0].sum())
        for name, code in zip(ATTACK_STYLES, (core.MELEE, core.RANGED, core.MAGIC), strict=True):
            attacks[name] += int((running & (s.last_style[:, 0] == code)).sum())
        for i in np.flatnonzero(running & (terminated | truncated)):
            score[i] = duel_score(info, i)
            running[i] = False
    env.close()
    return {"score": float(score.mean()), "ticks_per_duel": ticks / duels, "events": events / ticks,
            "key_downs": keys / ticks, **{name: n / ticks for name, n in clicks.items()},
            "attacking": attacking / ticks, "dealt": dealt / ticks, "taken": taken / ticks,
            **{f"{name}_attacks": n / ticks for name, n in attacks.items()}}


def main(argv: list[str] | None = None) -> int:
    from botarena.agents.common.threads import single_threaded_numpy_blas
    from botarena.agents.tick_duel.train import VALIDATION_SEED_BASE
    from botarena.envs.tick_duel import core

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoints", nargs="+", type=Path)
    p.add_argument("--duels", type=int, default=24, help="duels per build")
    p.add_argument("--builds", default=",".join(core.BUILD_NAMES))
    p.add_argument("--seed", type=int, default=VALIDATION_SEED_BASE, help="first duel seed (the validation ones)")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    single_threaded_numpy_blas()
    print("| checkpoint | build | score rate | ticks / duel | events / tick | key downs / tick | "
          + " | ".join(f"{g} clicks / tick" for g in GROUPS)
          + " | attacking (share of ticks) | damage dealt / tick | damage taken / tick | "
          + " | ".join(f"{name} attacks / tick" for name in ATTACK_STYLES) + " |")
    print("|---" * (9 + len(GROUPS) + len(ATTACK_STYLES)) + "|")
    for path in args.checkpoints:
        model = load(path)
        for build in args.builds.split(","):
            r = play(model, core.BUILD_NAMES.index(build), build, args.duels, args.seed)
            print(f"| {path} | {build} | {r['score']:.2f} | {r['ticks_per_duel']:.0f} | {r['events']:.1f} | "
                  f"{r['key_downs']:.2f} | " + " | ".join(f"{r[g]:.3f}" for g in GROUPS)
                  + f" | {r['attacking']:.2f} | {r['dealt']:.2f} | {r['taken']:.2f} | "
                  + " | ".join(f"{r[name + '_attacks']:.3f}" for name in ATTACK_STYLES) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
