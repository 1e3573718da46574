"""Side-by-side results of Territory training runs, from their own logs: the table and the learning curves in the
README's architecture comparison.

Each run folder is one ``botarena train territory`` run (``metrics.jsonl`` and ``best.pt`` with its card). The
table gives, per run: the policy's parameters, the median end-to-end samples/s of its rollouts (rollout +
update, as the run logged them), the cloned policy's evaluation before any PPO step, and the shipped-format best
checkpoint's figures on its card's final held-out games (win rate and mean placement with 95% CIs, idle share).
The PNG plots every run's periodic held-out evaluations (win rate and idle share against training steps).

    python -m botarena.agents.territory.compare runs/cmp/attention-s0 runs/cmp/attention-seeds/seed-1 \\
        runs/cmp/attention-seeds/seed-2 runs/cmp/flatten-s0 runs/cmp/gridnet-s0 --png curves.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np


def read_run(folder: Path) -> dict[str, Any]:
    """A run's card, its evaluations by step (a resumed run's repeated rows: the last kept) and its speed."""
    card = json.loads((folder / "best.card.json").read_text())
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines() if line.strip()]
    evals = {row["step"]: row["eval"] for row in rows if "eval" in row}
    speeds = [row["samples_per_s"] for row in rows if "samples_per_s" in row and row["step"] > 0]
    return {"folder": folder, "card": card, "evals": dict(sorted(evals.items())),
            "samples_per_s": float(np.median(speeds)) if speeds else float("nan")}


def parameters(card: dict[str, Any]) -> int:
    from .policy import build_policy, observation_and_action_spaces

    obs_space, act_space = observation_and_action_spaces(card["config"]["env"])
    return sum(p.numel() for p in build_policy(card["config"]["arch"], obs_space, act_space).parameters())


def table(runs: list[dict[str, Any]]) -> str:
    lines = ["| run | arch | params | samples/s | cloned, step 0: win rate | best step | win rate [95% CI] "
             "| mean placement [95% CI] | idle share | final games |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for run in runs:
        card = run["card"]
        final = card["metrics"].get("final") or card["metrics"]["held_out_eval"]
        clone = run["evals"].get(0, {}).get("win_rate", float("nan"))
        lo, hi = final["win_rate_ci"]
        plo, phi = final["placement_ci"]
        lines.append(f"| {run['folder'].name} | {card['config']['arch']} | {parameters(card):,} "
                     f"| {run['samples_per_s']:.0f} | {clone:.2f} | {final['step']:,} "
                     f"| {final['win_rate']:.3f} [{lo:.3f}, {hi:.3f}] "
                     f"| {final['placement']:.2f} [{plo:.2f}, {phi:.2f}] "
                     f"| {final['idle_share']:.3f} | {final.get('episodes', final.get('games'))} |")
    return "\n".join(lines)


def plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (win_ax, idle_ax) = plt.subplots(1, 2, figsize=(10, 3.6), dpi=90)
    for run in runs:
        steps = np.array(list(run["evals"]))
        win = np.array([e["win_rate"] for e in run["evals"].values()])
        ci = np.array([e["win_rate_ci"] for e in run["evals"].values()])
        label = f"{run['card']['config']['arch']} seed {run['card']['seed']}"
        line, = win_ax.plot(steps, win, marker="o", ms=3, label=label)
        win_ax.fill_between(steps, ci[:, 0], ci[:, 1], color=line.get_color(), alpha=0.12)
        idle_ax.plot(steps, [e["idle_share"] for e in run["evals"].values()], marker="o", ms=3, label=label)
    win_ax.axhline(0.2, color="grey", lw=0.8, ls=":", label="chance (1 in 5)")
    win_ax.set(xlabel="PPO steps (0: the cloned policy)", ylabel="win rate, held-out games (95% CI)",
               ylim=(0, 1))
    idle_ax.axhline(0.3, color="grey", lw=0.8, ls=":", label="the issue's aim")
    idle_ax.set(xlabel="PPO steps", ylabel="idle share (WAIT while an attack was valid)", ylim=(0, 1))
    win_ax.legend(fontsize=7)
    idle_ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def greedy_and_sampled(folder: Path, games: int) -> str:
    """A run's best checkpoint played greedily (as it is scored) and sampled (as PPO's rollouts play it), on the
    same held-out games of its card's setting: one table row."""
    from .policy import TerritoryPolicyAgent
    from .train import AGENT_NAMES, FINAL_SEED_BASE, evaluate

    card = json.loads((folder / "best.card.json").read_text())
    agent = TerritoryPolicyAgent(folder / "best.pt", name=AGENT_NAMES[card["config"]["arch"]])
    columns = []
    for sample_seed in (None, 0):
        m = evaluate(agent.policy, agent.env_kwargs, games, seed_base=FINAL_SEED_BASE, sample_seed=sample_seed)
        columns.append(f"{m['win_rate']:.3f} [{m['win_rate_ci'][0]:.3f}, {m['win_rate_ci'][1]:.3f}] "
                     f"| {m['placement']:.2f} | {m['idle_share']:.3f}")
    return f"| {folder.name} | {card['metrics']['held_out_eval']['step']:,} | " + " | ".join(columns) + " |"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", type=Path, help="run folders (--out of botarena train territory)")
    p.add_argument("--png", type=Path, help="write the learning curves here")
    p.add_argument("--sampled", type=int, metavar="GAMES",
                   help="also play each best checkpoint greedily and sampled on GAMES held-out games")
    a = p.parse_args(argv)
    runs = [read_run(folder) for folder in a.runs]
    print(table(runs))
    if a.sampled:
        print("\n| run | best step | greedy: win rate [95% CI] | placement | idle | sampled: win rate [95% CI] "
              "| placement | idle |\n|---|---|---|---|---|---|---|---|")
        for folder in a.runs:
            print(greedy_and_sampled(folder, a.sampled))
    if a.png:
        plot(runs, a.png)
        print(f"curves: {a.png}")


if __name__ == "__main__":
    main()
