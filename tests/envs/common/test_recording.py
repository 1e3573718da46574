"""Recordings replay exactly, fail loudly when the dynamics changed, and never half-write."""

from __future__ import annotations

import numpy as np
import pytest
from toy import register_corridor

from botarena.envs.common.recording import (
    EpisodeRecorder,
    EpisodeRecording,
    RecordingError,
    ReplayDivergence,
    replay,
)


def record_corridor(seed: int = 3) -> EpisodeRecording:
    import gymnasium as gym

    env_id = register_corridor()
    kwargs = {"gust": 0.3}
    env = gym.make(env_id, **kwargs)
    env.reset(seed=seed)
    recorder = EpisodeRecorder(env_id=env_id, env_kwargs=kwargs, seed=seed, info_keys=("pos",))
    rng = np.random.default_rng(0)
    while True:
        action = int(rng.choice([1, 2, 2]))
        _, reward, term, trunc, info = env.step(action)
        recorder.record(action, reward, info)
        if term or trunc:
            return recorder.finish(terminated=term, truncated=trunc, extra={"player": "test"})


def test_a_saved_recording_loads_and_replays_to_the_same_rewards(tmp_path):
    rec = record_corridor()
    path = rec.save(tmp_path / "episode.npz")
    loaded = EpisodeRecording.load(path)
    assert loaded.env_kwargs == {"gust": 0.3} and loaded.seed == 3 and loaded.extra == {"player": "test"}
    np.testing.assert_array_equal(loaded.actions["agent"], rec.actions["agent"])
    assert loaded.infos == rec.infos and loaded.length == rec.length
    results = list(replay(loaded))
    assert len(results) == rec.length
    assert [r[1] for r in results] == pytest.approx(rec.rewards["agent"].tolist())
    assert results[-1][2] == rec.terminated


def test_a_replay_that_diverges_names_the_step():
    rec = record_corridor()
    rec.rewards["agent"][2] += 5.0
    with pytest.raises(ReplayDivergence, match="diverged at step 2"):
        list(replay(rec))


def test_dict_actions_round_trip_by_key_path(tmp_path):
    recorder = EpisodeRecorder(env_module="some.game", seed=0, api="pettingzoo")
    for t in range(3):
        recorder.record({"p0": {"n": t, "events": np.full((2, 7), t, np.float32)}, "p1": {"n": 0, "events":
                         np.zeros((2, 7), np.float32)}}, {"p0": 1.0, "p1": -1.0})
    recorder.record({"p0": {"n": 9, "events": np.ones((2, 7), np.float32)}}, {"p0": 2.0})  # p1 left
    rec = recorder.finish(terminated=True, truncated=False)
    loaded = EpisodeRecording.load(rec.save(tmp_path / "pz.npz"))
    assert loaded.actions["p0"]["n"].tolist() == [0, 1, 2, 9]
    assert loaded.actions["p0"]["events"].shape == (4, 2, 7)
    assert loaded.steps["p1"].tolist() == [0, 1, 2] and "p0" not in loaded.steps
    assert loaded.total_reward("p0") == 5.0


def test_corrupt_or_foreign_files_get_a_recording_error(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a zip file")
    with pytest.raises(RecordingError, match="corrupt"):
        EpisodeRecording.load(bad)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, x=np.zeros(3))
    with pytest.raises(RecordingError, match="no meta.json"):
        EpisodeRecording.load(foreign)
    with pytest.raises(RecordingError, match="does not exist"):
        EpisodeRecording.load(tmp_path / "missing.npz")
    path = record_corridor().save(tmp_path / "ok.npz")
    path.write_bytes(path.read_bytes()[:200])  # truncated mid-write by something else
    with pytest.raises(RecordingError):
        EpisodeRecording.load(path)


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path, monkeypatch):
    rec = record_corridor()
    path = rec.save(tmp_path / "episode.npz")
    original = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", fail)
    with pytest.raises(OSError, match="disk full"):
        rec.save(path)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["episode.npz"]


def _rewrite(path, change) -> None:
    """Load the arrays of a saved recording, let ``change(arrays, meta)`` edit them, and save them back."""
    import json

    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    meta = json.loads(arrays["meta.json"].tobytes())
    change(arrays, meta)
    arrays["meta.json"] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(path, **arrays)


def _gigantic_rewards_header(path) -> None:
    """Replace the rewards entry with one whose header claims 10**11 float64 (800 GB) over 24 stored bytes."""
    import io
    import zipfile

    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**11,)})
    entries["rewards/agent.npy"] = header.getvalue() + np.zeros(3).tobytes()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("damage,message", [
    (lambda p: _rewrite(p, lambda a, m: m.update(format_version=2)), "v2; this botarena reads 'botarena-episode' v1"),
    (lambda p: _rewrite(p, lambda a, m: m.pop("seed")), r"malformed meta.json: missing \['seed'\]"),
    (lambda p: _rewrite(p, lambda a, m: m.update(seed="3")), r"wrong types \['seed \(str, expected int\)'\]"),
    (lambda p: _rewrite(p, lambda a, m: a.pop("actions/agent")), "no actions for agent 'agent'"),
    (lambda p: _rewrite(p, lambda a, m: a.update({"actions/agent": np.array([{"a": 1}], dtype=object)})),
     "holds Python objects.*pickle is never run"),
    (lambda p: _rewrite(p, lambda a, m: a.update({"rewards/agent": np.array(["win"])})), "1-D numeric array"),
    (lambda p: _rewrite(p, lambda a, m: a.update({"actions/agent": np.int64(2)})), "got a scalar"),
    (_gigantic_rewards_header, r"declares shape \(100000000000,\).* but stores 24 bytes"),
], ids=["another-version", "missing-meta-entry", "mistyped-meta-entry", "missing-array", "object-array",
        "text-rewards", "scalar-actions", "gigantic-header"])
def test_a_damaged_or_foreign_recording_is_a_recording_error_naming_the_file(tmp_path, damage, message):
    path = record_corridor().save(tmp_path / "episode.npz")
    damage(path)
    with pytest.raises(RecordingError, match=message) as error:
        EpisodeRecording.load(path)
    assert str(path) in str(error.value)
