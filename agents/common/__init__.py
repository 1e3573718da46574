"""Shared agent machinery: the Agent protocol, the registry, checkpoint I/O with model cards, playing episodes."""

from .checkpoint import CheckpointError, ModelCard, load_checkpoint, load_weights_into, save_checkpoint
from .episode import EpisodeResult, bot_seats, play_episode, play_seated
from .protocol import Agent, BaseAgent
from .registry import AgentSpec, agent_spec, list_agents, make_agent, register_agent

__all__ = [
    "Agent",
    "AgentSpec",
    "BaseAgent",
    "CheckpointError",
    "EpisodeResult",
    "ModelCard",
    "agent_spec",
    "bot_seats",
    "list_agents",
    "load_checkpoint",
    "load_weights_into",
    "make_agent",
    "play_episode",
    "play_seated",
    "register_agent",
    "save_checkpoint",
]
