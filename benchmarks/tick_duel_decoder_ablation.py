"""The TickDuel event decoder's temporal-backbone and history ablations, at equal budget.

Every row is one ``botarena train tick_duel`` run with the same data, steps, batch and learning rate; only
``--backbone``, ``--history`` or ``--seed`` differ. A row reports the last validation evaluation of its run (loss,
event-type macro-F1, time-gap MAE, clicks on the intended element, events-per-tick exactness), its parameters,
its training speed (ms per step, from the run's own log) and one tick's generation at batch 1 on one thread
(context + events, measured here on held-out duel states). Runs live under ``--root``; a finished run is read
back, an interrupted one ``--resume``s, so the script can be stopped and rerun.

    python benchmarks/tick_duel_decoder_ablation.py backbones --steps 2000            # six rows, seed 0
    python benchmarks/tick_duel_decoder_ablation.py backbones --backbones gru,lstm --seeds 0,1,2
    python benchmarks/tick_duel_decoder_ablation.py history --backbones gru,lstm --histories 5,10,20,40
    python benchmarks/tick_duel_decoder_ablation.py backbones --backbones gru --decoders attention
    python benchmarks/tick_duel_decoder_ablation.py backbones --backbones gru --time-components 1
    python benchmarks/tick_duel_decoder_ablation.py backbones --backbones gru --style-encoding onehot --seeds 0,1,2
    python benchmarks/tick_duel_decoder_ablation.py backbones --backbones gru --lr-schedule cosine --seeds 0,1,2

Each run takes 5 to 15 minutes of one core here (mamba and jamba run the pure-PyTorch Mamba).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from botarena.agents.nn import BACKBONES
from botarena.agents.tick_duel.decoder import STYLE_ENCODINGS
from botarena.agents.tick_duel.train import LR_SCHEDULES

COLUMNS = ("backbone", "decoder", "timing", "style", "lr", "history", "seeds", "val loss", "type macro-F1",
           "gap MAE ms", "click on element", "count exact", "parameters", "train ms/step", "tick ms (batch 1)")


def run_dir(root: Path, backbone: str, decoder: str, history: int, seed: int, steps: int, timing: int = 3,
            style: str = "embedding", lr_schedule: str = "constant") -> Path:
    name = f"{backbone}-h{history}-s{seed}-{steps}"
    name = name if decoder == "sequential" else f"{decoder}-{name}"
    name = name if timing == 3 else f"t{timing}-{name}"
    name = name if style == "embedding" else f"{style}-{name}"
    return root / (name if lr_schedule == "constant" else f"{lr_schedule}-{name}")


def train(root: Path, backbone: str, decoder: str, history: int, seed: int, args: argparse.Namespace) -> Path:
    """The run's folder, trained (or resumed) to ``args.steps`` steps."""
    out = run_dir(root, backbone, decoder, history, seed, args.steps, args.time_components, args.style_encoding,
                  args.lr_schedule)
    if (out / "decoder.pt").exists():
        return out
    cmd = [sys.executable, "-m", "botarena.agents.tick_duel.train", "--out", str(out), "--data", args.data,
           "--episodes", str(args.episodes), "--backbone", backbone, "--decoder", decoder, "--history", str(history),
           "--seed", str(seed), "--time-components", str(args.time_components),
           "--style-encoding", args.style_encoding, "--lr-schedule", args.lr_schedule,
           "--steps", str(args.steps), "--eval-every", str(args.steps), "--save-every", "250",
           "--threads", str(args.threads)]
    if (out / "run.pt").exists():
        cmd.append("--resume")
    print("+", " ".join(cmd), flush=True)
    with open(root / f"{out.name}.log", "a") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)
    return out


def tick_ms(out: Path, ticks: int = 100) -> float:
    """One tick's decision at batch 1 on one thread (context and generated events), median over ``ticks`` states
    of a held-out duel."""
    from botarena.agents.tick_duel.policy import DecoderAgent
    from botarena.envs.tick_duel import TickDuelVectorEnv

    torch.set_num_threads(1)
    agent = DecoderAgent(out / "decoder.pt")
    env = TickDuelVectorEnv(1, opponent="nh_expert")
    obs, _ = env.reset(seed=2**32 + 5)
    agent.reset(2**32 + 5)
    times = []
    for _ in range(ticks):
        start = time.perf_counter()
        action = agent.act_batch(obs)
        times.append(time.perf_counter() - start)
        obs, *_ = env.step(action)
    return float(np.median(times) * 1e3)


def row_of(out: Path) -> dict:
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    val = [r for r in lines if r["tag"] == "val"][-1]
    speed = [r["steps_per_s"] for r in lines if r["tag"] == "train"]
    report = json.loads((out / "report.json").read_text())
    return {"val loss": val["loss"], "type macro-F1": val["type_macro_f1"], "gap MAE ms": val["gap_mae_ms"],
            "click on element": val.get("click_on_intended_element", float("nan")),
            "count exact": val["count_exact"], "parameters": report["parameters"],
            "train ms/step": 1e3 / float(np.median(speed)), "tick ms (batch 1)": tick_ms(out)}


def table(rows: list[dict]) -> str:
    """Markdown: one line per (backbone, decoder, history), mean ± spread (min-max / 2) over seeds where there are
    several."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        key = (r["backbone"], r["decoder"], r["timing"], r.get("style", "embedding"), r.get("lr", "constant"),
               r["history"])
        groups.setdefault(key, []).append(r)
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for (backbone, decoder, timing, style, lr, history), rs in groups.items():
        cells = [backbone, decoder, f"{timing} log-normal{'s' * (timing > 1)}", style, lr, str(history),
                 str(len(rs))]
        for col in COLUMNS[7:]:
            values = np.array([r[col] for r in rs], float)
            fmt = "{:,.0f}" if col == "parameters" else ("{:.1f}" if "ms" in col else "{:.3f}")
            cell = fmt.format(values.mean())
            if len(values) > 1 and col != "parameters":
                cell += " ± " + fmt.format((values.max() - values.min()) / 2)
            cells.append(cell)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=("backbones", "history"))
    p.add_argument("--backbones", default=",".join(BACKBONES))
    p.add_argument("--decoders", default="sequential", help="sequential, attention or both")
    p.add_argument("--time-components", type=int, default=3, help="the timing head's log-normals (1: no mixture)")
    p.add_argument("--style-encoding", default="embedding", choices=STYLE_ENCODINGS, help="16-d learned, or one-hot")
    p.add_argument("--lr-schedule", default="constant", choices=LR_SCHEDULES, help="cosine: warm-up, then decay")
    p.add_argument("--histories", default="5,10,20,40", help="for `history` (backbones uses 10)")
    p.add_argument("--seeds", default="0")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--episodes", type=int, default=100)
    p.add_argument("--data", default="runs/tick_duel-data")
    p.add_argument("--root", default="runs/tick_duel/ablation")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    root = Path(args.root)
    root.mkdir(parents=True, exist_ok=True)
    histories = [int(h) for h in args.histories.split(",")] if args.what == "history" else [10]
    rows = []
    for backbone in args.backbones.split(","):
        for decoder in args.decoders.split(","):
            for history in histories:
                for seed in (int(s) for s in args.seeds.split(",")):
                    out = train(root, backbone, decoder, history, seed, args)
                    rows.append({"backbone": backbone, "decoder": decoder, "timing": args.time_components,
                                 "style": args.style_encoding, "lr": args.lr_schedule,
                                 "history": history, "seed": seed, **row_of(out)})
                    print(table(rows), flush=True)
    tag = "-".join(getattr(args, k).replace(",", "_") for k in ("backbones", "decoders", "seeds"))
    tag += "" if args.time_components == 3 else f"-t{args.time_components}"
    tag += "" if args.style_encoding == "embedding" else f"-{args.style_encoding}"
    tag += "" if args.lr_schedule == "constant" else f"-{args.lr_schedule}"
    (root / f"{args.what}-{tag}.json").write_text(json.dumps(rows, indent=1) + "\n")
    print(f"\n{args.what} ablation, {args.steps} steps each, runs under {root}:\n\n{table(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
