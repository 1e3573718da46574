"""Checkpoints: weights + model card round trip, weights_only loading, clear errors, atomic writes."""

from __future__ import annotations

import json

import pytest
import torch

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
