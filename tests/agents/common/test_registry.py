"""The agent registry: names, lazy entry points, clear errors."""

from __future__ import annotations

import re

import pytest

from botarena.agents.common import protocol, registry
from botarena.agents.common.protocol import Agent, BaseAgent


class Constant(BaseAgent):
    def __init__(self, value: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.value = value

    def act(self, obs):
        return self.value


def make_constant(**kwargs):
    return Constant(**kwargs)


@pytest.fixture
def clean_registry(monkeypatch):
    registry.list_agents()  # register the bundled agents first: the zoo module imports (registers) only once
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


def test_register_and_make_an_agent_by_name(clean_registry):
    registry.register_agent("testgame/constant", f"{__name__}:make_constant", description="always 1", value=3)
    agent = registry.make_agent("testgame/constant")
    assert isinstance(agent, Agent) and agent.name == "testgame/constant"
    assert agent.act(None) == 3
    assert registry.make_agent("testgame/constant", value=5).act(None) == 5
    assert [s.name for s in registry.list_agents("testgame")] == ["testgame/constant"]
    assert registry.agent_spec("testgame/constant").game == "testgame"


def test_bad_registrations_and_unknown_names_are_explained(clean_registry):
    with pytest.raises(ValueError, match="<game>/<agent>"):
        registry.register_agent("constant", f"{__name__}:make_constant")
    with pytest.raises(ValueError, match="package.module:factory"):
        registry.register_agent("g/a", "no_colon")
    with pytest.raises(ValueError, match="kind must be one of"):
        registry.register_agent("g/a", f"{__name__}:make_constant", kind="magic")
    registry.register_agent("g/a", f"{__name__}:make_constant")
    with pytest.raises(ValueError, match="already registered"):
        registry.register_agent("g/a", f"{__name__}:make_constant")
    with pytest.raises(KeyError, match="unknown agent 'g/zzz'"):
        registry.make_agent("g/zzz")
    registry.register_agent("g/broken", f"{__name__}:does_not_exist")
    with pytest.raises(ImportError, match="no attribute 'does_not_exist'"):
        registry.make_agent("g/broken")


def test_act_batch_loops_over_act_for_dict_observations():
    agent = Constant(value=2)
    agent.reset(seed=0)
    actions = agent.act_batch({"x": [[0], [1], [2]]})
    assert actions.tolist() == [2, 2, 2]
    assert protocol._stack([{"a": 1}, {"a": 2}])["a"].tolist() == [1, 2]


LEARNED = [spec.name for spec in registry.list_agents() if spec.kind == "learned"]


@pytest.mark.parametrize("name", LEARNED)
def test_every_shipped_checkpoint_is_small_and_carries_its_model_card(name):
    """What the developers' guide promises of a shipped checkpoint: under 8 MiB, made by our own training
    command (named on the card with its seed, data and git sha), with metrics measured on held-out seeds."""
    from botarena.agents.common.checkpoint import load_checkpoint
    from botarena.agents.leaderboard.seeds import TRAINING_SEED_LIMIT

    spec = registry.agent_spec(name)
    path = spec.checkpoint_path
    assert path is not None and path.is_file(), f"{name}: {path} is missing"
    assert path.stat().st_size < 8 * 2**20
    _, card, _ = load_checkpoint(path, expected_name=name)
    assert card.command.startswith(f"botarena train {spec.game} ")
    assert card.seed is not None and card.data and re.fullmatch("[0-9a-f]{40}", card.git_sha[:40])
    final = card.metrics["final"]
    first_held_out = int(final["held_out_seeds"].split("..")[0])
    assert first_held_out >= TRAINING_SEED_LIMIT
    assert "episodes" in final
    # Single-player tables score against references; free-for-alls (Territory) by wins and placements.
    assert {"normalised_score", "normalised_ci95"} <= set(final) or {"win_rate", "placement"} <= set(final)
    assert registry.make_agent(name).name == name
