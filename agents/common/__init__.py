"""Shared agent machinery: the Agent protocol, the registry, checkpoint I/O with model cards."""

from .checkpoint import CheckpointError, ModelCard, load_checkpoint, load_weights_into, save_checkpoint
from .protocol import Agent, BaseAgent
from .registry import AgentSpec, agent_spec, list_agents, make_agent, register_agent

__all__ = [
    "Agent",
    "AgentSpec",
    "BaseAgent",
    "CheckpointError",
    "ModelCard",
    "agent_spec",
    "list_agents",
    "load_checkpoint",
    "load_weights_into",
    "make_agent",
    "register_agent",
    "save_checkpoint",
]
