"""Shared machinery for every game: counter RNG, batched VectorEnv base, single-env view, SB3 adapter,
action validation, recordings and atomic writes. Games only write their rules on top of these."""

from .multiagent import GameParallelEnv
from .recording import EpisodeRecorder, EpisodeRecording, RecordingError, ReplayDivergence, replay
from .single import SingleEnvView
from .validation import validate_action, validate_batch_action
from .vector import BatchedVectorEnv

__all__ = [
    "BatchedVectorEnv",
    "EpisodeRecorder",
    "EpisodeRecording",
    "GameParallelEnv",
    "RecordingError",
    "ReplayDivergence",
    "SingleEnvView",
    "replay",
    "validate_action",
    "validate_batch_action",
]
