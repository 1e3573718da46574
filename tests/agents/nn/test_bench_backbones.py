"""Smoke test of benchmarks/bench_backbones.py: its --quick run completes and prints a row per backbone."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from botarena.agents.nn import BACKBONES

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "bench_backbones.py"


def test_quick_benchmark_prints_every_backbone(capsys, monkeypatch):
    # Imported in process rather than run as a subprocess: saves a second torch import (seconds here).
    spec = importlib.util.spec_from_file_location("bench_backbones", SCRIPT)
    assert spec is not None and spec.loader is not None, SCRIPT
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_backbones", bench)  # dataclasses look their module up there
    spec.loader.exec_module(bench)  # the script only runs main() under __main__
    assert bench.main(["--quick", "--no-cuda"]) == 0
    out = capsys.readouterr().out
    assert "torch " in out and "device: cpu" in out
    rows = [line for line in out.splitlines() if line.startswith("| ") and "backbone" not in line]
    assert [row.split("|")[1].strip() for row in rows] == [label for label, _, _ in bench.ROWS]
    assert {label.split(" ")[0] for label, _, _ in bench.ROWS} == set(BACKBONES)
    for row in rows:
        params, *times = (cell.strip().replace(",", "") for cell in row.split("|")[2:-1])
        assert int(params) > 0 and all(float(t) > 0 for t in times), row
