"""Checkpoints: weights + model card round trip, weights_only loading, clear errors, atomic writes."""

from __future__ import annotations

import json
import threading

import pytest
import torch
from crafted_files import CreatesFileWhenUnpickled

from botarena.agents.common.checkpoint import (
    CheckpointError,
    ModelCard,
    card_path,
    load_checkpoint,
    load_weights_into,
    save_checkpoint,
)


def make_card() -> ModelCard:
    return ModelCard(name="test/tiny", config={"hidden": 4}, command="botarena train test --seed 1", seed=1,
                     data="corridor", metrics={"return_mean": 0.9})


def test_weights_and_card_round_trip(tmp_path):
    model = torch.nn.Linear(3, 4)
    path = save_checkpoint(tmp_path / "tiny.pt", model.state_dict(), make_card(), extra={"step": 7})
    state, card, extra = load_checkpoint(path, expected_name="test/tiny")
    clone = torch.nn.Linear(3, 4)
    load_weights_into(clone, state)
    assert torch.equal(clone.weight, model.weight)
    assert card.command == "botarena train test --seed 1" and card.metrics == {"return_mean": 0.9}
    assert card.git_sha and card.created and "torch" in card.versions
    assert extra == {"step": 7}
    sidecar = json.loads(card_path(path).read_text())
    assert sidecar["name"] == "test/tiny" and sidecar["seed"] == 1


def test_checkpoints_load_with_weights_only(tmp_path):
    path = save_checkpoint(tmp_path / "tiny.pt", torch.nn.Linear(2, 2).state_dict(), make_card())
    payload = torch.load(path, weights_only=True)
    assert payload["format"] == "botarena-checkpoint"


def test_a_corrupt_file_gets_a_clear_error(tmp_path):
    path = save_checkpoint(tmp_path / "tiny.pt", torch.nn.Linear(2, 2).state_dict(), make_card())
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.pt")


def test_a_foreign_torch_file_or_wrong_name_is_rejected(tmp_path):
    foreign = tmp_path / "foreign.pt"
    torch.save({"weight": torch.zeros(2)}, foreign)
    with pytest.raises(CheckpointError, match="not a botarena checkpoint"):
        load_checkpoint(foreign)
    path = save_checkpoint(tmp_path / "tiny.pt", torch.nn.Linear(2, 2).state_dict(), make_card())
    with pytest.raises(CheckpointError, match="holds 'test/tiny', expected 'other/agent'"):
        load_checkpoint(path, expected_name="other/agent")


def test_pickled_code_is_refused(tmp_path):
    evil = tmp_path / "evil.pt"
    torch.save({"format": "botarena-checkpoint", "obj": make_card()}, evil)  # a dataclass needs pickle
    with pytest.raises(CheckpointError, match="weights_only"):
        load_checkpoint(evil)


def test_a_checkpoint_that_does_not_fit_the_model_lists_what_differs(tmp_path):
    path = save_checkpoint(tmp_path / "tiny.pt", torch.nn.Linear(3, 4).state_dict(), make_card())
    state, _, _ = load_checkpoint(path)
    with pytest.raises(CheckpointError, match=r"weight: \(4, 3\) in checkpoint, \(5, 3\) in model"):
        load_weights_into(torch.nn.Linear(3, 5), state)
    with pytest.raises(CheckpointError, match=r"missing \['0.bias', '0.weight'\]"):
        load_weights_into(torch.nn.Sequential(torch.nn.Linear(3, 4)), state)


def test_a_failed_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "tiny.pt", torch.nn.Linear(2, 2).state_dict(), make_card())
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("killed")

    monkeypatch.setattr("os.replace", fail)
    with pytest.raises(OSError):
        save_checkpoint(path, torch.nn.Linear(2, 2).state_dict(), make_card())
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.card.json", "tiny.pt"]


def test_a_checkpoint_whose_unpickling_would_run_code_is_refused_and_runs_nothing(tmp_path):
    import pickle

    marker = tmp_path / "code-ran"
    as_torch_file, as_plain_pickle = tmp_path / "torch.pt", tmp_path / "pickle.pt"
    torch.save({"format": "botarena-checkpoint", "format_version": 1, "state_dict": {},
                "card": make_card().to_json(), "extra": {"x": CreatesFileWhenUnpickled(marker)}}, as_torch_file)
    as_plain_pickle.write_bytes(pickle.dumps(CreatesFileWhenUnpickled(marker), protocol=2))
    for path in (as_torch_file, as_plain_pickle):
        with pytest.raises(CheckpointError, match=f"checkpoint {path} .*never does that") as error:
            load_checkpoint(path)
        assert "weights_only=False" not in str(error.value)  # torch's advice to turn the protection off is dropped
    assert not marker.exists()


def _save_payload(path, payload) -> None:
    torch.save(payload, path)


@pytest.mark.parametrize("write,message", [
    (lambda p: p.write_bytes(b""), "is empty"),
    (lambda p: p.write_bytes(bytes(range(256)) * 40), "is corrupt"),
    (lambda p: _save_payload(p, {"format": "botarena-checkpoint", "format_version": 2, "state_dict": {},
                                 "card": "{}", "extra": {}}), "has format_version 2; this botarena reads 1"),
    (lambda p: _save_payload(p, {"format": "botarena-checkpoint", "format_version": 1, "state_dict": [1],
                                 "card": make_card().to_json(), "extra": {}}), "state_dict must be a dict"),
    (lambda p: _save_payload(p, {"format": "botarena-checkpoint", "format_version": 1, "state_dict": {},
                                 "card": "[1, 2]", "extra": {}}), "no readable model card"),
], ids=["empty", "random-bytes", "another-version", "state-dict-not-a-dict", "card-not-an-object"])
def test_a_broken_or_foreign_checkpoint_is_a_checkpoint_error_naming_it(tmp_path, write, message):
    path = tmp_path / "x.pt"
    write(path)
    with pytest.raises(CheckpointError, match=message) as error:
        load_checkpoint(path)
    assert str(path) in str(error.value)


# The writer saves a good checkpoint, then a second one whose data reaches the temporary file but stops before the
# rename (os.fsync stalls), where the test SIGKILLs it.
KILLED_WRITER = """
import os, sys, time
import torch
from botarena.agents.common.checkpoint import ModelCard, save_checkpoint
save_checkpoint(sys.argv[1], {"w": torch.zeros(3)}, ModelCard(name="test/tiny"))

def stall(fd):
    print("written, not yet renamed", flush=True)
    time.sleep(600)

os.fsync = stall
save_checkpoint(sys.argv[1], {"w": torch.ones(3)}, ModelCard(name="test/tiny"))
"""


def test_a_writer_killed_inside_a_checkpoint_write_leaves_the_last_good_one(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "tiny.pt"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    watchdog = threading.Timer(120, proc.kill)  # a wedged writer fails the test instead of hanging CI
    watchdog.start()
    assert proc.stdout.readline().strip() == "written, not yet renamed"
    watchdog.cancel()
    proc.kill()
    proc.wait()
    proc.stdout.close()
    strays = [p.name for p in tmp_path.iterdir() if p.name.startswith(".tiny.pt.") and p.name.endswith(".tmp")]
    assert len(strays) == 1  # the killed writer's complete but never renamed file
    state, card, _ = load_checkpoint(path)  # loads the target only: the last good checkpoint
    assert torch.equal(state["w"], torch.zeros(3)) and card.name == "test/tiny"
    save_checkpoint(path, {"w": torch.full((3,), 2.0)}, make_card())  # the next write deletes the dead one's file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.card.json", "tiny.pt"]


def test_a_resumed_runs_card_names_both_commits_when_they_differ():
    from botarena.agents.common.checkpoint import resumed_git_sha

    assert resumed_git_sha("aaa111", "bbb222") == "aaa111, resumed at bbb222"
    assert resumed_git_sha("aaa111", "aaa111") == "aaa111"
    assert resumed_git_sha("aaa111-dirty", "aaa111") == "aaa111-dirty"  # the same commit
    assert resumed_git_sha("", "bbb222") == "bbb222"  # a card from before shas were recorded
