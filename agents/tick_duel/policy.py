"""The event decoder as an agent: TickDuel observations in, one tick's input events out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from botarena.agents.common.protocol import BaseAgent

from .decoder import STYLES, UNKNOWN_STYLE, EventDecoder
from .train import AGENT_NAME, load_decoder


class DecoderAgent(BaseAgent):
    """Plays TickDuel-v1 with a trained :class:`EventDecoder`, one tick at a time.

    Args:
        checkpoint: a ``decoder.pt`` of ``botarena train tick_duel`` (or a shipped checkpoint); or pass ``model``.
        model: a decoder to act with.
        style: the motor style to imitate (one of ``decoder.STYLES``, or ``None`` for "unknown"); default the
            fast hands, the strongest demonstrator.
        deterministic: take every most likely choice (the default, and the leaderboard's: it wins about twice as
            often as sampling, see the README); otherwise sample times, positions and choices from the agent's
            generator, reseeded by ``reset(seed)``, for a less predictable opponent.
    """

    name = AGENT_NAME

    def __init__(self, checkpoint: str | Path | None = None, *, model: EventDecoder | None = None,
                 style: str | None = "nh_expert:fast", deterministic: bool = True) -> None:
        super().__init__(deterministic=deterministic)
        if (checkpoint is None) == (model is None):
            raise ValueError("DecoderAgent needs exactly one of checkpoint= or model=")
        if style is not None and style not in STYLES:
            raise ValueError(f"style must be one of {list(STYLES)} or None, got {style!r}")
        self.card = None
        if model is None:
            model, self.card = load_decoder(checkpoint)
        self.model = model.eval()
        self.style = UNKNOWN_STYLE if style is None else STYLES.index(style)
        self.generator = np.random.default_rng(0)

    def reset(self, seed: int | None = None) -> None:
        super().reset(seed)
        self.generator = np.random.default_rng(int(self.rng.integers(2**62)))

    def act(self, obs: Any) -> dict[str, Any]:
        batch = {k: np.asarray(v)[None] for k, v in obs.items()}
        return {k: v[0] for k, v in self.act_batch(batch).items()}

    @torch.no_grad()
    def act_batch(self, obs: Any) -> dict[str, Any]:
        h = self.model.cfg.history
        gamestate = torch.as_tensor(np.asarray(obs["gamestate"], np.float32))
        history = np.asarray(obs["action_history"], np.float32)[:, -h:]
        history_len = np.asarray(obs["history_len"], np.int64)[:, -h:]
        if history.shape[1] < h:  # a model of a longer window than the env keeps: the older ticks are empty
            missing = h - history.shape[1]
            history = np.concatenate([np.zeros((len(history), missing, *history.shape[2:]), np.float32), history], 1)
            history_len = np.concatenate([np.zeros((len(history_len), missing), np.int64), history_len], 1)
        history, history_len = torch.from_numpy(history), torch.from_numpy(history_len)
        style = torch.full((gamestate.shape[0],), self.style, dtype=torch.long)
        context = self.model(gamestate, history, history_len, style)
        events, counts = self.model.generate(context, self.generator, sample=not self.deterministic)
        limit = history.shape[2]  # the env's max_events
        padded = np.zeros((len(counts), limit, events.shape[2]), np.float32)
        keep = min(limit, events.shape[1])
        padded[:, :keep] = events[:, :keep]
        return {"n": np.minimum(counts, limit).astype(np.int64), "events": padded}


__all__ = ["DecoderAgent"]
