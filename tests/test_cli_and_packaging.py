"""The `botarena` command and the package layout."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from botarena.agents.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "botarena.agents.cli", *args], capture_output=True, text=True)


def test_help_lists_every_subcommand():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("envs", "agents", "play", "replay", "datasets", "train", "eval", "leaderboard", "bench"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), command


def test_envs_lists_every_registered_id(capsys):
    from botarena.envs import GAMES

    assert main(["envs"]) == 0
    out = capsys.readouterr().out
    for spec in GAMES.values():
        assert spec.env_id in out
    if not GAMES:
        assert "No games" in out


def test_unknown_game_is_a_clear_error_not_a_traceback(capsys):
    assert main(["play", "chess"]) == 2
    assert "unknown game 'chess'" in capsys.readouterr().err


def test_replay_of_a_missing_file_is_a_clear_error(capsys, tmp_path):
    assert main(["replay", str(tmp_path / "none.npz")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_every_package_folder_is_listed_in_pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for top, name in (("envs", "botarena.envs"), ("agents", "botarena.agents")):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top)
            found.add(".".join([name, *rel.parts]))
    assert found == listed, f"add to / remove from pyproject packages: {sorted(found ^ listed)}"


@pytest.mark.parametrize("module", ["botarena.envs", "botarena.agents.cli", "botarena.agents.common"])
def test_importing_the_package_pulls_in_no_optional_extra(module):
    code = (f"import sys, {module}; bad = [m for m in ('mamba_ssm', 'ray', 'minari') if m in sys.modules]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_bad_counts_and_names_are_refused_before_anything_runs(capsys):
    with pytest.raises(SystemExit):
        main(["leaderboard", "--episodes", "0"])
    assert "must be an integer >= 1" in capsys.readouterr().err
    assert main(["agents", "--game", "chess"]) == 2
    assert "unknown game 'chess'" in capsys.readouterr().err
    assert main(["bench", "nosuchbench"]) == 2
    assert "benchmarks: " in capsys.readouterr().err


def test_reports_are_written_readable_by_others(tmp_path):
    from botarena.envs.common.io import atomic_write_text

    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "page.html", "<p>hi</p>")
    finally:
        os.umask(old)
    assert (tmp_path / "page.html").stat().st_mode & 0o777 == 0o644


def test_our_commands_run_numpys_blas_on_one_thread():
    """numpy's OpenBLAS would otherwise start a thread per core and fight torch's threads over small products."""
    code = ("from botarena.agents.cli import main; main(['envs']); from threadpoolctl import threadpool_info; "
            "print(sorted({i['num_threads'] for i in threadpool_info() if i['user_api'] == 'blas'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "2"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[1]"
