"""Demonstration datasets: written and loaded through Minari with the data contract checked both ways; a killed writer
leaves a dataset complete or absent, and a damaged or foreign one gets a clear error."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from botarena.envs.tick_duel import TickDuelEnv, bots, core
from botarena.envs.tick_duel import datasets as ds

pytest.importorskip("minari")
pytest.importorskip("h5py")


def test_cli_writes_datasets_that_load_with_rebuilt_history(tmp_path, capsys):
    assert ds.main(["--episodes", "2", "--players", "nh_expert:fast,nh_expert:sloppy", "--builds", "max,pure",
                    "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("contract checked") == 4
    episodes = ds.load_tick_duel_dataset("tick_duel/nh_expert-fast-pure-v1", tmp_path)
    assert len(episodes) == 2
    ep = episodes[0]
    t = len(ep.n)
    assert ep.gamestate.shape == (t + 1, 152) and ep.events.shape == (t, 64, 7)
    assert ep.action_history.shape == (t, 10, 64, 7) and ep.history_len.shape == (t, 10)
    assert ep.terminations[-1] or ep.truncations[-1]
    # The rebuilt history equals what the env showed: replay the episode's events in the env.
    env = TickDuelEnv(build="pure", opponent="nh_expert")
    obs, _ = env.reset(seed=0)
    env.unwrapped.batch.policies[0, 0] = bots.BOT_NONE
    np.testing.assert_array_equal(obs["gamestate"], ep.gamestate[0])
    for step in range(min(t, 40)):
        np.testing.assert_array_equal(obs["action_history"], ep.action_history[step])
        np.testing.assert_array_equal(obs["history_len"], ep.history_len[step])
        obs, reward, *_ = env.step({"n": int(ep.n[step]), "events": ep.events[step]})
        np.testing.assert_array_equal(obs["gamestate"], ep.gamestate[step + 1])
        assert reward == ep.rewards[step]


def test_the_same_seed_writes_the_same_data(tmp_path):
    a = ds.generate_episodes("nh_expert", "zerker", 2, seed=5)
    b = ds.generate_episodes("nh_expert", "zerker", 2, seed=5)
    c = ds.generate_episodes("nh_expert", "zerker", 2, seed=6)
    for x, y in zip(a, b, strict=True):
        for key in x:
            np.testing.assert_array_equal(x[key], y[key])
    assert not np.array_equal(a[0]["n"][:20], c[0]["n"][:20]) or not np.array_equal(a[0]["events"][:20],
                                                                                    c[0]["events"][:20])


def _episode():
    return ds.generate_episodes("nh_expert:fast", "max", 1, seed=1, max_steps=30)[0]


@pytest.mark.parametrize("breakage,message", [
    (lambda ep: ep["events"].__setitem__((3, 0, core.F_TIME), 600.0), "time_ms"),
    (lambda ep: ep["events"].__setitem__((3, 0, core.F_X), 800.0), " x "),
    (lambda ep: ep["n"].__setitem__(3, ep["n"][3] + 1), "past its count|time order|time_ms"),
    (lambda ep: ep.update(rewards=ep["rewards"][:-1]), "counts do not match"),
    (lambda ep: ep["events"].__setitem__((3, 0, core.F_Y), np.nan), "NaN"),
])
def test_the_contract_rejects_broken_data(breakage, message):
    ep = _episode()
    while ep["n"][3] == 0:  # a tick with events
        ep = ds.generate_episodes("nh_expert:fast", "max", 1, seed=int(ep["n"].sum()) + 2, max_steps=30)[0]
    ds.check_contract(ep, "ok", 64)
    breakage(ep)
    with pytest.raises(ds.DataContractError, match=message):
        ds.check_contract(ep, "broken", 64)


def test_bad_cli_arguments_fail_with_a_message(tmp_path, capsys):
    assert ds.main(["--players", "nh_god", "--out", str(tmp_path)]) == 2
    assert "bot must be one of" in capsys.readouterr().out


# ---------------------------------------------------------------------- kills, corruption, other versions
DATASET = "tick_duel/nh_expert-fast-max-v1"

# A child process that writes DATASET under argv[1] with --overwrite; argv[2] says where it stalls (prints
# "stalled" and sleeps) so the test can SIGKILL it there: "mid-write" (in the HDF5 file, after its first episode),
# "before-publish" (the dataset complete in its staging folder, not yet renamed into place) or "nowhere".
WRITER = """
import sys, time
from botarena.envs.tick_duel import datasets
root, stall = sys.argv[1], sys.argv[2]

def stop(*args, **kwargs):
    print("stalled", flush=True)
    time.sleep(600)

if stall == "mid-write":
    from minari.dataset._storages import hdf5_storage
    add_episode, calls = hdf5_storage._add_episode_to_group, []
    def add_one_then_stop(*args, **kwargs):
        calls.append(1)
        add_episode(*args, **kwargs) if len(calls) == 1 else stop()
    hdf5_storage._add_episode_to_group = add_one_then_stop
elif stall == "before-publish":
    datasets._publish = stop
print("ready", flush=True)
datasets.write_dataset("nh_expert:fast", "max", 2, root, seed=int(sys.argv[3]), max_steps=60, overwrite=True)
print("done", flush=True)
"""


def _start_writer(root, stall: str, seed: int = 0):
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-c", WRITER, str(root), stall, str(seed)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _wait_for(proc, line: str, timeout: float = 180.0) -> None:
    watchdog = threading.Timer(timeout, proc.kill)  # a wedged writer fails the test instead of hanging CI
    watchdog.start()
    try:
        for got in proc.stdout:
            if got.strip() == line:
                return
    finally:
        watchdog.cancel()
    raise AssertionError(f"the writer ended (exit {proc.wait()}) before printing {line!r} (or {timeout:.0f} s passed)")


def _kill(proc) -> None:
    proc.kill()
    proc.wait()
    proc.stdout.close()


def _complete_or_absent(root) -> list[ds.DemoEpisode] | None:
    """The dataset loads whole (two episodes, the contract checked) or is not there; never anything between."""
    import minari

    with ds.datasets_root(root):
        listed = DATASET in minari.list_local_datasets()
    try:
        episodes = ds.load_tick_duel_dataset(DATASET, root)
    except FileNotFoundError as err:
        assert "not found" in str(err) and not listed
        return None
    assert listed and len(episodes) == 2
    return episodes


@pytest.mark.slow
def test_a_writer_killed_at_any_moment_leaves_the_dataset_complete_or_absent(tmp_path):
    import random
    import shutil

    # Killed inside the HDF5 file: nothing is listed or loadable, the half-written file sits in a hidden staging folder.
    proc = _start_writer(tmp_path, "mid-write")
    _wait_for(proc, "stalled")
    _kill(proc)
    assert _complete_or_absent(tmp_path) is None
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(ds.STAGING_PREFIX)]
    # The next write deletes the dead writer's staging folder and publishes a whole dataset.
    ds.write_dataset("nh_expert:fast", "max", 2, tmp_path, max_steps=60)
    first = _complete_or_absent(tmp_path)
    assert first is not None and sorted(p.name for p in tmp_path.iterdir()) == ["tick_duel"]
    # Replacing it (another seed) and killed just before the rename: the old dataset is still there, whole.
    proc = _start_writer(tmp_path, "before-publish", seed=7)
    _wait_for(proc, "stalled")
    _kill(proc)
    kept = _complete_or_absent(tmp_path)
    for old, now in zip(first, kept, strict=True):
        np.testing.assert_array_equal(old.events, now.events)
    # Killed at seeded random moments once Minari starts writing (its staging folder appears), the first with no
    # dataset there: complete or absent every time.
    shutil.rmtree(tmp_path / DATASET)
    rng = random.Random("dataset kills")
    for _ in range(3):
        proc = _start_writer(tmp_path, "nowhere")
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline and not any(  # its own, not a killed one's
                p.name.startswith(ds.STAGING_PREFIX) and f".{proc.pid}." in p.name for p in tmp_path.iterdir()):
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.1))  # the Minari write and the rename take about 0.1 s
        _kill(proc)
        _complete_or_absent(tmp_path)


def test_a_write_that_fails_midway_leaves_nothing_behind(tmp_path, monkeypatch):
    from minari.dataset._storages import hdf5_storage

    def disk_full(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(hdf5_storage, "_add_episode_to_group", disk_full)
    with pytest.raises(OSError, match="disk full"):
        ds.write_dataset("nh_expert:fast", "max", 2, tmp_path, max_steps=30)
    assert _complete_or_absent(tmp_path) is None
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def _corrupt_hdf5(data, _):
    blob = bytearray((data / "main_data.hdf5").read_bytes())
    blob[len(blob) // 3:] = bytes(len(blob) - len(blob) // 3)  # the back two thirds zeroed
    (data / "main_data.hdf5").write_bytes(bytes(blob))


def _another_env_version(data, _):
    meta = json.loads((data / "metadata.json").read_text())
    meta["env_spec"] = meta["env_spec"].replace("TickDuel-v1", "TickDuel-v0")
    (data / "metadata.json").write_text(json.dumps(meta))


def _gigantic_declared_array(data, _):
    import h5py

    with h5py.File(data / "main_data.hdf5", "a") as handle:  # 512 GB declared, nothing stored
        del handle["episode_0/observations/gamestate"]
        handle.create_dataset("episode_0/observations/gamestate", shape=(10**9, 128), dtype="f4", chunks=(1024, 128))


@pytest.mark.parametrize("damage,message", [
    (lambda data, _: (data / "main_data.hdf5").write_bytes((data / "main_data.hdf5").read_bytes()[:5000]),
     "is corrupt.*truncated file"),
    (_corrupt_hdf5, "is corrupt"),
    (lambda data, _: (data / "metadata.json").write_text("{\"total_episodes\": "), "is corrupt or not a Minari"),
    (_another_env_version, "was played on botarena/TickDuel-v0; this botarena reads botarena/TickDuel-v1"),
    (_gigantic_declared_array, "declares 512,000,.* bytes of arrays.*refused before reading"),
], ids=["truncated-hdf5", "zeroed-hdf5", "truncated-metadata", "another-env-version", "gigantic-declared-array"])
def test_a_damaged_or_foreign_dataset_gets_a_data_contract_error_naming_it(tmp_path, damage, message):
    ds.write_dataset("nh_expert:fast", "max", 2, tmp_path, max_steps=30)
    damage(tmp_path / DATASET / "data", tmp_path)
    with pytest.raises(ds.DataContractError, match=message) as error:
        ds.load_tick_duel_dataset(DATASET, tmp_path)
    assert DATASET in str(error.value)
