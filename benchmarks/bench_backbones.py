"""Latency and training cost of every temporal backbone in ``botarena.agents.nn``.

Prints one table per device: parameters, batch-1 forward over a window, batch-1 per-step latency with ``step``
(what a rollout pays per observation) and one batch-64 training step (forward, backward, Adam). The CPU runs
single-threaded, so figures compare across machines and do not fight other processes for cores. Medians of
repeats after warm-up; figures are printed, never asserted.

    python benchmarks/bench_backbones.py            # full run, about a minute on a 2-core machine
    python benchmarks/bench_backbones.py --quick    # smoke run with tiny sizes and repeats (seconds)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from botarena.agents.nn import BACKBONES, Mamba, make_backbone


@dataclass(frozen=True)
class Config:
    d_in: int
    d_model: int
    window: int
    train_batch: int
    warmup: int
    forward_repeats: int
    step_repeats: int
    train_repeats: int


FULL = Config(
    d_in=64,
    d_model=256,
    window=60,
    train_batch=64,
    warmup=2,
    forward_repeats=21,
    step_repeats=15,
    train_repeats=5,
)
QUICK = Config(
    d_in=8, d_model=32, window=8, train_batch=4, warmup=1, forward_repeats=1, step_repeats=1, train_repeats=1
)

# (row label, backbone name, extra keyword arguments). Mamba gets a second row with the other PyTorch scan so
# the table shows why "auto" picks the sequential scan on CPUs and the parallel one on GPUs.
ROWS: list[tuple[str, str, dict[str, object]]] = [(name, name, {}) for name in BACKBONES]
ROWS.insert(BACKBONES.index("mamba") + 1, ("mamba (parallel scan)", "mamba", {"scan": "parallel"}))


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _median_ms(
    fn: Callable[[], object], device: torch.device, warmup: int, repeats: int, per: int = 1
) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append((time.perf_counter() - start) * 1e3 / per)
    return statistics.median(times)


def bench_row(
    name: str, kw: dict[str, object], cfg: Config, device: torch.device
) -> tuple[int, float, float, float, str | None]:
    torch.manual_seed(0)
    net = make_backbone(name, cfg.d_in, cfg.d_model, **kw).to(device)
    x1 = torch.randn(1, cfg.window, cfg.d_in, device=device)

    @torch.no_grad()
    def forward() -> None:
        net(x1)

    @torch.no_grad()
    def rollout() -> None:
        state = net.initial_state(1, device)
        for t in range(cfg.window):
            _, state = net.step(x1[:, t], state)

    xb = torch.randn(cfg.train_batch, cfg.window, cfg.d_in, device=device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)

    def train() -> None:
        opt.zero_grad(set_to_none=True)
        y, _ = net(xb)
        y.pow(2).mean().backward()
        opt.step()

    fwd = _median_ms(forward, device, cfg.warmup, cfg.forward_repeats)
    step = _median_ms(rollout, device, cfg.warmup, cfg.step_repeats, per=cfg.window)
    trn = _median_ms(train, device, cfg.warmup, cfg.train_repeats)
    # Which Mamba backend the training forward used (mamba-ssm's kernel only appears on CUDA).
    backends = {m.last_backend for m in net.modules() if isinstance(m, Mamba)}
    return net.num_parameters, fwd, step, trn, ", ".join(sorted(b for b in backends if b)) or None


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny sizes and repeats: a smoke test, not figures"
    )
    parser.add_argument(
        "--no-cuda", action="store_true", help="skip the CUDA table even when a GPU is present"
    )
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    torch.set_num_threads(1)

    devices = [torch.device("cpu")]
    if torch.cuda.is_available() and not args.no_cuda:
        devices.append(torch.device("cuda"))
    # The load average says whether other processes shared the cores: batch-1 latencies move with it.
    load = f", load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    print(f"torch {torch.__version__}, python {platform.python_version()}, {platform.system()}{load}")
    print(
        f"d_in={cfg.d_in} d_model={cfg.d_model} window={cfg.window} steps, train batch={cfg.train_batch}; "
        f"medians of {cfg.forward_repeats}/{cfg.step_repeats}/{cfg.train_repeats} repeats after {cfg.warmup} "
        "warm-up" + (" (QUICK SMOKE RUN: figures mean nothing)" if args.quick else "")
    )
    for device in devices:
        label = (
            f"cpu ({cpu_name()}, {torch.get_num_threads()} thread)"
            if device.type == "cpu"
            else (f"cuda ({torch.cuda.get_device_name(device)})")
        )
        print(f"\ndevice: {label}")
        header = (
            f"| {'backbone':<22} | {'params':>9} | {'forward b=1 (ms)':>16} | {'step b=1 (ms)':>13} | "
            f"{'train b=' + str(cfg.train_batch) + ' (ms)':>15} |"
        )
        print(header)
        print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
        began = time.perf_counter()
        backends = []
        for row, name, kw in ROWS:
            params, fwd, step, trn, backend = bench_row(name, kw, cfg, device)
            print(f"| {row:<22} | {params:>9,} | {fwd:>16.2f} | {step:>13.3f} | {trn:>15.1f} |", flush=True)
            if backend:
                backends.append(f"{row}: {backend}")
        print(
            f"forward: one pass over the {cfg.window}-step window; step: per observation with step(); "
            f"train: forward+backward+Adam.\nMamba training forward ran on: {'; '.join(backends)}. "
            f"({time.perf_counter() - began:.0f} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
