"""The TickDuel event decoder: a tick's input events, generated one at a time from the game and the recent input.

A TickDuel action is the input a player makes in one 600 ms tick: a variable-length sequence of timed events
``(time_ms, type, x, y, button, key_id, scroll)``. The decoder imitates it event by event.

Context (one vector per decision, ``CONTEXT``-wide)
    * the tick encoder embeds every event of the last ``history`` ticks (``action_history``) and pools each tick
      with a learned attention query, masked by ``history_len`` (an empty tick pools to zeros), adding the tick's
      event count;
    * a temporal backbone from ``botarena.agents.nn`` (mlp / lstm / gru / attention / mamba / jamba, ``backbone``)
      runs over those ticks, oldest first, and its last output summarises the recent input;
    * the 152 ``gamestate`` features go through their own MLP; the motor style of the demonstrator (fast,
      average, sloppy, or unknown) is a learned embedding (the build is already one-hot in ``gamestate``);
    * a fusion layer mixes the three.

Decoders (``decoder``)
    ``sequential`` (the default): a GRU runs over the tick's events: its input at step ``k`` is the embedding of
    event ``k - 1`` (a learned start vector at ``k = 0``) beside the context, its hidden state starts from the
    context. ``attention``: a causal transformer decoder (2 layers, 4 heads) over the same step inputs, its
    cross-attention reading the context as ``CONTEXT_TOKENS`` learned tokens. At every step the heads (the
    same for both) predict whether the tick's input *stops* here, and otherwise the next event:

    * the time gap since the previous event (from the tick start for the first): a mixture of ``time_components``
      (3) log-normals over ``gap + 1`` ms, so fast (< 100 ms), medium and slow (> 300 ms) gaps each get a
      component, mixed by a learned selector (the multi-scale timing head; 1 is a single log-normal);
    * the event type (6): categorical; the button follows from it (left click 1, right click 2, else 0);
    * the key (16) of a key event: categorical, trained on key events only, so "no key" (what every other
      event carries) does not drown F1-F5;
    * where a left click lands: a categorical over the UI elements of ``targets`` (the tab buttons, the orb and
      bar, inventory slots, prayers, spells, arena tiles, or "elsewhere") and a 2-D Gaussian offset inside the
      chosen element, so a click is a *choice* the game understands and lands inside what was chosen;
    * the position of every other event (mouse moves, key events, clicks "elsewhere"): a mixture of
      ``XY_MIXTURE`` 2-D Gaussians over the screen scaled to [0, 1];
    * the scroll notches are not modelled: the game gives them no effect, and they are generated as 0.

    The step input is the previous event (its features and gap, as the tick encoder sees events) plus an
    embedding of the element it clicked (``targets``; "elsewhere" for anything else), so the decoder knows
    exactly what it has clicked so far: a prayer clicked once is switched, clicked twice is flicked.

    Generation accumulates the gaps from the tick start and stops at a stop decision, at ``max_events``, or when
    the next time would reach 600 ms, so every generated time lies in [0, 600) and the events are in time
    order. Training is teacher forced: the step network runs over the true sequence in one call, and
    ``free_running`` runs it one step at a time as generation does (a test checks they agree on a fixed
    sequence).

Losses (``loss``): per event, class-weighted cross-entropy of the type, the gap's negative log-likelihood and the
position mixture's (events not on an element), all averaged over events; per key event, the key's cross-entropy;
per left click, the target's cross-entropy and the offset's negative log-likelihood, averaged over clicks (the
few events that decide the game weigh as much as the many moves); the stop decision's binary cross-entropy at
every step (the step after the last event is the one that stops); and a timing term that penalises the
probability mass the gap mixture puts beyond the tick's end.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from numba import njit
from torch import Tensor, nn
from torch.nn import functional as F

from botarena.agents.nn import BACKBONES, make_backbone
from botarena.envs.tick_duel import core

from . import targets

NUM_TYPES, NUM_BUTTONS, NUM_KEYS = core.NUM_EVENT_TYPES, core.NUM_BUTTONS, core.NUM_KEYS
# Motor styles a demonstration can carry (the datasets' players); UNKNOWN_STYLE for anyone else (a human).
STYLES = ("nh_expert:fast", "nh_expert", "nh_expert:sloppy", "tick_perfect")
UNKNOWN_STYLE = len(STYLES)
EVENT_FEATURES = 4 + NUM_TYPES + NUM_BUTTONS + NUM_KEYS  # time, x, y, scroll, then one-hots
XY_MIXTURE = 8
DECODERS = ("sequential", "attention")
STYLE_ENCODINGS = ("embedding", "onehot")  # how the context sees the demonstrator's motor style
CONTEXT_TOKENS = 4  # the attention decoder's cross-attention reads the context as this many tokens
TICK_MS = float(core.TICK_MS)
BUTTON_OF_TYPE = np.array([0, 1, 2, 0, 0, 0], np.float32)  # MOVE, LEFT_CLICK, RIGHT_CLICK, KEY_DOWN, KEY_UP, SCROLL
LOG_GAP_SCALE = math.log(TICK_MS + 1.0)  # log(gap + 1) / this lies in [0, 1]


@dataclass(frozen=True)
class DecoderConfig:
    """The architecture (stored in every checkpoint)."""

    backbone: str = "gru"
    decoder: str = "sequential"
    history: int = 10
    time_components: int = 3
    gamestate: int = 152
    event_dim: int = 64
    tick_dim: int = 128
    context: int = 256
    hidden: int = 256
    max_events: int = 64
    style_encoding: str = "embedding"

    def __post_init__(self) -> None:
        if self.backbone not in BACKBONES:
            raise ValueError(f"backbone must be one of {list(BACKBONES)}, got {self.backbone!r}")
        if self.decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {list(DECODERS)}, got {self.decoder!r}")
        if self.style_encoding not in STYLE_ENCODINGS:
            raise ValueError(f"style_encoding must be one of {list(STYLE_ENCODINGS)}, got {self.style_encoding!r}")
        for name in ("history", "time_components", "gamestate", "event_dim", "tick_dim", "context", "hidden",
                     "max_events"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")

    def as_dict(self) -> dict:
        return asdict(self)


def event_features(events: Tensor) -> Tensor:
    """[..., 7] raw event rows -> [..., EVENT_FEATURES]: scaled time, position and scroll, then one-hots."""
    t = events[..., core.F_TIME] / TICK_MS
    x = events[..., core.F_X] / core.SCREEN_W
    y = events[..., core.F_Y] / core.SCREEN_H
    scroll = events[..., core.F_SCROLL] / core.MAX_SCROLL
    etype = F.one_hot(events[..., core.F_TYPE].round().long().clamp(0, NUM_TYPES - 1), NUM_TYPES)
    button = F.one_hot(events[..., core.F_BUTTON].round().long().clamp(0, NUM_BUTTONS - 1), NUM_BUTTONS)
    key = F.one_hot(events[..., core.F_KEY].round().long().clamp(0, NUM_KEYS - 1), NUM_KEYS)
    return torch.cat([torch.stack([t, x, y, scroll], -1), etype.float(), button.float(), key.float()], -1)


class ContextEncoder(nn.Module):
    """``gamestate`` [B, G], ``action_history`` [B, H, E, 7], ``history_len`` [B, H], ``style`` [B] -> [B, C]."""

    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        self.event = nn.Sequential(nn.Linear(EVENT_FEATURES, cfg.event_dim), nn.GELU(),
                                   nn.Linear(cfg.event_dim, cfg.event_dim))
        self.query = nn.Parameter(torch.randn(cfg.event_dim) / math.sqrt(cfg.event_dim))
        self.tick = nn.Linear(cfg.event_dim + 1, cfg.tick_dim)
        self.backbone = make_backbone(cfg.backbone, cfg.tick_dim, cfg.tick_dim)
        self.state = nn.Sequential(nn.Linear(cfg.gamestate, cfg.context), nn.GELU(),
                                   nn.Linear(cfg.context, cfg.context))
        # The style as a learned 16-d embedding, or as its one-hot (the ablation's other arm; the fusion layer's
        # weights on a one-hot are an embedding too, of full width and without the 16-d bottleneck).
        self.style = nn.Embedding(UNKNOWN_STYLE + 1, 16) if cfg.style_encoding == "embedding" else None
        style_width = 16 if self.style is not None else UNKNOWN_STYLE + 1
        self.fuse = nn.Sequential(nn.Linear(cfg.context + cfg.tick_dim + style_width, cfg.context), nn.GELU(),
                                  nn.Linear(cfg.context, cfg.context))
        self.max_events = cfg.max_events

    def forward(self, gamestate: Tensor, history: Tensor, history_len: Tensor, style: Tensor) -> Tensor:
        b, h, e, _ = history.shape
        emb = self.event(event_features(history))  # [B, H, E, D]
        valid = torch.arange(e, device=history.device) < history_len[..., None]  # [B, H, E]
        scores = (emb @ self.query) / math.sqrt(emb.shape[-1])
        weights = torch.softmax(scores.masked_fill(~valid, -1e9), -1) * valid  # an empty tick pools to zeros
        pooled = (weights[..., None] * emb).sum(-2)
        count = history_len.float()[..., None] / self.max_events
        ticks = self.tick(torch.cat([pooled, count], -1))  # [B, H, T]
        summary, _ = self.backbone(ticks)
        styled = self.style(style) if self.style is not None else F.one_hot(style, UNKNOWN_STYLE + 1).float()
        return self.fuse(torch.cat([self.state(gamestate), summary[:, -1], styled], -1))


class AttentionSteps(nn.Module):
    """The ``attention`` decoder's step network: a causal transformer decoder whose self-attention sees the
    steps so far and whose cross-attention reads the context as ``CONTEXT_TOKENS`` learned tokens."""

    def __init__(self, cfg: DecoderConfig, layers: int = 2, heads: int = 4) -> None:
        super().__init__()
        d = cfg.hidden
        self.inp = nn.Linear(cfg.event_dim, d)
        self.pos = nn.Embedding(cfg.max_events + 1, d)
        self.memory = nn.Linear(cfg.context, CONTEXT_TOKENS * d)
        layer = nn.TransformerDecoderLayer(d, heads, dim_feedforward=2 * d, dropout=0.0, batch_first=True,
                                           norm_first=True)
        self.layers = nn.TransformerDecoder(layer, layers)

    def forward(self, inputs: Tensor, context: Tensor) -> Tensor:
        """[B, L, event_dim] step inputs and the [B, C] context -> [B, L, hidden], step k seeing steps <= k."""
        b, steps, _ = inputs.shape
        x = self.inp(inputs) + self.pos(torch.arange(steps, device=inputs.device))
        memory = self.memory(context).view(b, CONTEXT_TOKENS, -1)
        mask = nn.Transformer.generate_square_subsequent_mask(steps, device=inputs.device)
        return self.layers(x, memory, tgt_mask=mask, tgt_is_causal=True)


class EventDecoder(nn.Module):
    """The context encoder and the event decoder (see the module docstring)."""

    def __init__(self, cfg: DecoderConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.context = ContextEncoder(cfg)
        self.event = nn.Sequential(nn.Linear(EVENT_FEATURES + 1, cfg.event_dim), nn.GELU())
        self.start = nn.Parameter(torch.zeros(cfg.event_dim))
        self.clicked = nn.Embedding(targets.NUM_TARGETS, cfg.event_dim)  # the element the previous event clicked
        if cfg.decoder == "sequential":
            self.init = nn.Linear(cfg.context, cfg.hidden)
            self.gru = nn.GRU(cfg.event_dim + cfg.context, cfg.hidden, batch_first=True)
        else:
            self.steps = AttentionSteps(cfg)
        out = cfg.hidden + cfg.context
        self.stop = nn.Linear(out, 1)
        # Logits, means and log-scales of log(gap + 1) / LOG_GAP_SCALE.
        self.gap = nn.Linear(out, 3 * cfg.time_components)
        self.etype = nn.Linear(out, NUM_TYPES)  # not `type`: nn.Module has a method of that name
        self.key = nn.Linear(out, NUM_KEYS)
        self.xy = nn.Linear(out, 5 * XY_MIXTURE)  # logits, x / y means, x / y log-scales
        self.target = nn.Linear(out, targets.NUM_TARGETS)
        self.offset = nn.Linear(out, 4)  # x / y means and log-scales of the offset inside the target

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    # ------------------------------------------------------------------ the GRU's input
    def _step_inputs(self, events: Tensor, target: Tensor) -> Tensor:
        """[B, L, 7] events (the tick's, in order) and their click targets [B, L] -> [B, L, D] inputs of steps
        1..L (step 0 takes ``start``)."""
        gap = torch.diff(events[..., core.F_TIME], dim=1, prepend=torch.zeros_like(events[:, :1, core.F_TIME]))
        feats = torch.cat([event_features(events), (gap / TICK_MS)[..., None]], -1)
        return self.event(feats) + self.clicked(target)

    def _heads(self, out: Tensor) -> dict[str, Tensor]:
        return {"stop": self.stop(out)[..., 0], "gap": self.gap(out), "type": self.etype(out),
                "key": self.key(out), "xy": self.xy(out),
                "target": self.target(out), "offset": self.offset(out)}

    def teacher_forced(self, context: Tensor, events: Tensor, target: Tensor) -> dict[str, Tensor]:
        """Head outputs at steps 0..L for the true events [B, L, 7] and their click targets [B, L] (step k
        predicts event k, or the stop)."""
        b = context.shape[0]
        inputs = torch.cat([self.start.expand(b, 1, -1), self._step_inputs(events, target)], 1)  # [B, L + 1, D]
        ctx = context[:, None].expand(-1, inputs.shape[1], -1)
        if self.cfg.decoder == "attention":
            out = self.steps(inputs, context)
        else:
            out, _ = self.gru(torch.cat([inputs, ctx], -1), torch.tanh(self.init(context))[None])
        return self._heads(torch.cat([out, ctx], -1))

    # ------------------------------------------------------------------ losses
    def loss(self, context: Tensor, events: Tensor, count: Tensor, target: Tensor, offset: Tensor,
             type_weights: Tensor | None = None) -> tuple[Tensor, dict[str, float]]:
        """Training loss of the true tick inputs ``events`` [B, L, 7] with ``count`` [B] events each, their
        click ``target`` [B, L] and ``offset`` [B, L, 2] (``targets.label_clicks`` and ``targets.offsets``)."""
        heads = self.teacher_forced(context, events, target)
        b, steps = heads["stop"].shape
        k = torch.arange(steps, device=events.device)
        is_event = k[None] < count[:, None]  # [B, L + 1]: steps that predict an event
        in_tick = k[None] <= count[:, None]  # ... and the one that stops
        stop_target = (k[None] == count[:, None]).float()
        stop = F.binary_cross_entropy_with_logits(heads["stop"], stop_target, reduction="none")
        stop = (stop * in_tick).sum() / in_tick.sum()
        n_ev = is_event.sum().clamp(min=1)
        ev = events
        if ev.shape[1] < steps:  # pad a step so the targets line up with the heads
            ev = torch.cat([ev, torch.zeros_like(ev[:, :1])], 1)
            target = torch.cat([target, torch.zeros_like(target[:, :1])], 1)
            offset = torch.cat([offset, torch.zeros_like(offset[:, :1])], 1)
        gap_ms = torch.diff(ev[..., core.F_TIME], dim=1, prepend=torch.zeros_like(ev[:, :1, core.F_TIME]))
        gap_nll = -_gap_log_prob(heads["gap"], gap_ms.clamp(min=0.0))
        beyond = _gap_beyond(heads["gap"], TICK_MS - (ev[..., core.F_TIME] - gap_ms))  # mass past the tick's end
        etype = ev[..., core.F_TYPE].round().long().clamp(0, NUM_TYPES - 1)
        type_ce = F.cross_entropy(heads["type"].transpose(1, 2), etype, weight=type_weights, reduction="none")
        key_ce = F.cross_entropy(heads["key"].transpose(1, 2),
                                 ev[..., core.F_KEY].round().long().clamp(0, NUM_KEYS - 1), reduction="none")
        is_key = is_event & ((etype == core.EV_KEY_DOWN) | (etype == core.EV_KEY_UP))
        click = is_event & (etype == core.EV_LEFT_CLICK)
        on_target = click & (target > targets.ELSEWHERE)
        xy = torch.stack([ev[..., core.F_X] / core.SCREEN_W, ev[..., core.F_Y] / core.SCREEN_H], -1)
        xy_nll = -_xy_log_prob(heads["xy"], xy) * ~on_target
        target_ce = F.cross_entropy(heads["target"].transpose(1, 2), target, reduction="none")
        offset_nll = -_gaussian_log_prob(heads["offset"], offset)
        parts = {"stop": stop}
        for name, value in (("type", type_ce), ("gap", gap_nll), ("xy", xy_nll), ("beyond", beyond)):
            parts[name] = (value * is_event).sum() / n_ev
        parts["key"] = (key_ce * is_key).sum() / is_key.sum().clamp(min=1)
        n_click = click.sum().clamp(min=1)
        parts["target"] = (target_ce * click).sum() / n_click
        parts["offset"] = (offset_nll * on_target).sum() / n_click
        total = parts["stop"] + parts["type"] + parts["gap"] + parts["key"] + 0.5 * parts["xy"] \
            + parts["beyond"] + parts["target"] + 0.1 * parts["offset"]
        return total, {name: float(value.detach()) for name, value in parts.items()}

    # ------------------------------------------------------------------ generation
    @torch.no_grad()
    def free_running(self, context: Tensor, events: Tensor, target: Tensor) -> dict[str, Tensor]:
        """The same head outputs as ``teacher_forced``, computed one step at a time as generation does (the GRU
        carrying its state; the attention decoder rerun over the steps so far) (for the agreement test)."""
        b = context.shape[0]
        outs = []
        inputs = torch.cat([self.start.expand(b, 1, -1), self._step_inputs(events, target)], 1)
        if self.cfg.decoder == "attention":
            outs = [self.steps(inputs[:, :k + 1], context)[:, -1:] for k in range(inputs.shape[1])]
        else:
            h = torch.tanh(self.init(context))[None]
            for k in range(inputs.shape[1]):
                out, h = self.gru(torch.cat([inputs[:, k:k + 1], context[:, None]], -1), h)
                outs.append(out)
        return self._heads(torch.cat([torch.cat(outs, 1), context[:, None].expand(-1, len(outs), -1)], -1))

    @torch.no_grad()
    def generate(self, context: Tensor, rng: np.random.Generator | None = None, sample: bool = True,
                 with_targets: bool = False) -> tuple[np.ndarray, ...]:
        """A tick's events for each context: float32 [B, max_events, 7] (zero padded) and counts [B]; with
        ``with_targets`` also each event's click target int64 [B, max_events] (``targets.ELSEWHERE`` if none).

        ``sample`` draws every choice from its distribution with ``rng``; otherwise the most likely one (the
        heaviest mixture component's median for times and positions). Times are accumulated from the tick start
        and the tick's input ends before a time would reach 600 ms.

        Built for latency at batch 1: the decoders' steps run in numpy on the module's weights (a dozen small
        torch calls an event cost more in dispatch than the arithmetic; numpy does a step in tens of
        microseconds), one matrix product for all the heads, the context's share of it computed once a tick;
        the attention decoder keeps its keys and values (``_NumpyAttentionSteps``).
        """
        if sample and rng is None:
            raise ValueError("generate(sample=True) needs an rng (numpy.random.Generator)")
        b = context.shape[0]
        limit = self.cfg.max_events
        weights = self._numpy_weights()
        ctx = context.detach().numpy()
        # The heads read [h, context]: the context's part is the same at every step, so it is computed once.
        from_context = ctx @ weights.heads_context + weights.heads_bias
        w_hidden, parts = weights.heads_hidden, weights.head_parts
        steps = (_NumpyAttentionSteps if self.cfg.decoder == "attention" else _NumpyGRUSteps)(weights, ctx)
        events = np.zeros((b, limit, core.EVENT_FIELDS), np.float32)
        counts = np.zeros(b, np.int64)
        chosen = np.zeros((b, limit), np.int64)
        alive = np.ones(b, np.bool_)
        t = np.zeros(b)
        x_in = steps.first_input(b)
        feats = np.zeros((b, EVENT_FEATURES + 1), np.float32)
        rows = np.arange(b)
        for k in range(limit):
            out = (steps.step(x_in) @ w_hidden + from_context).astype(np.float64)
            stop_logit, gap, etype, key, xy, target, offset = (out[:, part] for part in parts)
            p_stop = 1.0 / (1.0 + np.exp(-stop_logit[:, 0]))
            stop = rng.random(b) < p_stop if sample else p_stop > 0.5
            gap_ms = _gap_draw(gap, rng, sample)
            alive &= ~stop & (t + gap_ms < TICK_MS)
            if not alive.any():
                break
            t = np.where(alive, t + gap_ms, t)
            etype = _categorical(etype, rng, sample)
            target = _categorical(target, rng, sample)
            pos = _xy_draw(xy, rng, sample) * (core.SCREEN_W, core.SCREEN_H)
            on_target = (etype == core.EV_LEFT_CLICK) & (target > targets.ELSEWHERE)
            if on_target.any():
                mean, log_scale = offset[:, :2], np.clip(offset[:, 2:], -6.0, 1.0)
                off = mean + np.exp(log_scale) * rng.standard_normal(mean.shape) if sample else mean
                pos = np.where(on_target[:, None], targets.position(target, off), pos)
            row = events[:, k]
            row[:, core.F_TIME] = t
            row[:, core.F_TYPE] = etype
            row[:, core.F_X] = np.clip(pos[:, 0], 0.0, core.SCREEN_W - 1.0)
            row[:, core.F_Y] = np.clip(pos[:, 1], 0.0, core.SCREEN_H - 1.0)
            row[:, core.F_BUTTON] = BUTTON_OF_TYPE[etype]
            is_key = (etype == core.EV_KEY_DOWN) | (etype == core.EV_KEY_UP)
            row[:, core.F_KEY] = np.where(is_key, _categorical(key, rng, sample), 0)
            row[~alive] = 0.0
            chosen[:, k] = np.where(alive & on_target, target, targets.ELSEWHERE)
            counts += alive
            # The next step's input: this event's features (as event_features computes them) and its gap.
            feats[:] = 0.0
            feats[:, :4] = row[:, [core.F_TIME, core.F_X, core.F_Y, core.F_SCROLL]] \
                / (TICK_MS, core.SCREEN_W, core.SCREEN_H, core.MAX_SCROLL)
            feats[rows, 4 + row[:, core.F_TYPE].astype(np.int64)] = 1.0
            feats[rows, 4 + NUM_TYPES + row[:, core.F_BUTTON].astype(np.int64)] = 1.0
            feats[rows, 4 + NUM_TYPES + NUM_BUTTONS + row[:, core.F_KEY].astype(np.int64)] = 1.0
            previous = events[:, k - 1, core.F_TIME] if k > 0 else 0.0
            feats[:, -1] = (row[:, core.F_TIME] - previous) / TICK_MS
            x_in = steps.next_input(feats, chosen[:, k])
        # Times are strictly inside the tick; float32 rounding must not carry one to 600.
        np.minimum(events[..., core.F_TIME], np.nextafter(np.float32(TICK_MS), np.float32(0)),
                   out=events[..., core.F_TIME])
        return (events, counts, chosen) if with_targets else (events, counts)

    def forward(self, gamestate: Tensor, history: Tensor, history_len: Tensor, style: Tensor) -> Tensor:
        """The context of each decision (``generate`` and ``loss`` take it)."""
        return self.context(gamestate, history, history_len, style)

    def _numpy_weights(self) -> _NumpyWeights:
        """``generate``'s weights in numpy, prepared once and prepared again whenever a parameter has changed (a
        training step, ``load_state_dict``): a parameter's storage and in-place version identify its values. The
        parameter list itself is kept too (walking the modules for it costs half a millisecond); ``_apply``
        (``.to``, ``.float``, ...) and ``load_state_dict``, which may replace parameters, drop it."""
        if getattr(self, "_generation_params", None) is None:
            self._generation_params = list(self.parameters())  # plain attributes: not in the state dict
        key = tuple((p.data_ptr(), p._version) for p in self._generation_params)
        cached = getattr(self, "_numpy_cache", None)
        if cached is None or cached[0] != key:
            cached = self._numpy_cache = (key, _NumpyWeights(self))
        return cached[1]

    def _apply(self, fn: Callable[[Tensor], Tensor], recurse: bool = True) -> EventDecoder:
        self._generation_params = None
        return super()._apply(fn, recurse)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False) -> Any:
        self._generation_params = None
        return super().load_state_dict(state_dict, strict=strict, assign=assign)


# ---------------------------------------------------------------------------------------------- generation steps
# Both decoders' steps run in numpy on the module's weights (float32 views, or arrays derived from them once per
# change of the weights: ``_NumpyWeights``): a dozen small torch calls an event cost more in dispatch than the
# arithmetic. Tests check them against the torch path.
def _weights(t: Tensor) -> np.ndarray:
    return t.detach().numpy()


class _NumpyWeights:
    """What ``generate`` reads of a model, as numpy arrays: the heads as one matrix (split into the hidden state's
    and the context's rows) and each decoder's step weights, the attention decoder's layer norms folded into the
    linear maps after them: (c / sigma * g + beta) @ W + b = (c / sigma) @ (g W) + (beta @ W + b)."""

    def __init__(self, model: EventDecoder) -> None:
        heads = [model.stop, model.gap, model.etype, model.key, model.xy, model.target, model.offset]
        w_heads = torch.cat([m.weight for m in heads]).detach().numpy()
        hidden = model.cfg.hidden
        self.heads_hidden = np.ascontiguousarray(w_heads[:, :hidden].T)
        self.heads_context = np.ascontiguousarray(w_heads[:, hidden:].T)
        self.heads_bias = torch.cat([m.bias for m in heads]).detach().numpy()
        ends = np.cumsum([m.out_features for m in heads])
        self.head_parts = [slice(lo, hi) for lo, hi in zip([0, *ends[:-1]], ends, strict=True)]
        self.max_events = model.cfg.max_events
        self.event = _linear(model.event[0])
        self.clicked, self.start = _weights(model.clicked.weight), _weights(model.start)
        if model.cfg.decoder == "attention":
            steps = model.steps
            self.width = hidden
            self.inp, self.pos = _linear(steps.inp), _weights(steps.pos.weight)
            self.memory = _linear(steps.memory)
            self.layers = [_attention_layer(layer, hidden) for layer in steps.layers.layers]
        else:
            gru, width = model.gru, model.cfg.event_dim
            w_ih = _weights(gru.weight_ih_l0)
            self.gru_x, self.gru_context = w_ih[:, :width].T, w_ih[:, width:].T
            self.gru_bias_ih = _weights(gru.bias_ih_l0)
            self.gru_hh = (_weights(gru.weight_hh_l0).T, _weights(gru.bias_hh_l0))
            self.init = _linear(model.init)


def _attention_layer(layer: nn.TransformerDecoderLayer, d: int) -> dict[str, Any]:
    """One pre-LN decoder layer's weights, each layer norm folded into the map after it (``_NumpyWeights``)."""
    def folded(norm: nn.LayerNorm, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        g, beta = _weights(norm.weight), _weights(norm.bias)
        return np.ascontiguousarray(g[:, None] * w), beta @ w + b

    w_self, b_self = _weights(layer.self_attn.in_proj_weight).T, _weights(layer.self_attn.in_proj_bias)
    w_cross, b_cross = _weights(layer.multihead_attn.in_proj_weight).T, _weights(layer.multihead_attn.in_proj_bias)
    return {"heads": layer.self_attn.num_heads, "eps": (layer.norm1.eps, layer.norm2.eps, layer.norm3.eps),
            "self_in": folded(layer.norm1, w_self, b_self), "self_out": _linear(layer.self_attn.out_proj),
            "cross_q": folded(layer.norm2, w_cross[:, :d], b_cross[:d]),
            "cross_kv": (w_cross[:, d:], b_cross[d:]), "cross_out": _linear(layer.multihead_attn.out_proj),
            "ff1": folded(layer.norm3, *_linear(layer.linear1)), "ff2": _linear(layer.linear2)}


class _NumpyStepInputs:
    """The step inputs both decoders share: ``start``, then ``EventDecoder.event`` (Linear, exact GELU) of the
    previous event plus ``clicked``."""

    def __init__(self, weights: _NumpyWeights) -> None:
        self.w_event, self.b_event = weights.event
        self.clicked, self.start = weights.clicked, weights.start

    def first_input(self, b: int) -> np.ndarray:
        return np.broadcast_to(self.start, (b, len(self.start)))

    def next_input(self, feats: np.ndarray, clicked: np.ndarray) -> np.ndarray:
        return _gelu(feats @ self.w_event + self.b_event) + self.clicked[clicked]


class _NumpyGRUSteps(_NumpyStepInputs):
    """The sequential decoder's step network: the same arithmetic as ``nn.GRU`` (gates r, z, n)."""

    def __init__(self, weights: _NumpyWeights, context: np.ndarray) -> None:
        super().__init__(weights)
        self.w_x = weights.gru_x
        self.gi_context = context @ weights.gru_context + weights.gru_bias_ih  # the context's share, once a tick
        self.w_hh, self.b_hh = weights.gru_hh
        self.h = np.tanh(_apply(weights.init, context))

    def step(self, x: np.ndarray) -> np.ndarray:
        gi, gh = x @ self.w_x + self.gi_context, self.h @ self.w_hh + self.b_hh
        n = self.h.shape[1]
        r = 1.0 / (1.0 + np.exp(-(gi[:, :n] + gh[:, :n])))
        z = 1.0 / (1.0 + np.exp(-(gi[:, n:2 * n] + gh[:, n:2 * n])))
        cand = np.tanh(gi[:, 2 * n:] + r * gh[:, 2 * n:])
        self.h = (1.0 - z) * cand + z * self.h
        return self.h


class _NumpyAttentionSteps(_NumpyStepInputs):
    """The attention decoder's step network with a key / value cache: the arithmetic of ``AttentionSteps`` (pre-LN
    ``nn.TransformerDecoderLayer``s: self-attention, cross-attention, ReLU feed-forward), one new step at a time.
    Each step's keys and values are kept, and the context tokens' keys and values are computed once a tick, so
    an event costs one position's work instead of a rerun over the whole prefix."""

    def __init__(self, weights: _NumpyWeights, context: np.ndarray) -> None:
        super().__init__(weights)
        b, d = context.shape[0], weights.width
        self.w_inp, self.b_inp = weights.inp
        self.pos = weights.pos
        memory = _apply(weights.memory, context).reshape(b, -1, d)
        self.layers = []
        for layer in weights.layers:
            heads = layer["heads"]
            cross_kv = _apply(layer["cross_kv"], memory)
            self.layers.append({
                **layer, "cross_k": _per_head(cross_kv[..., :d], heads), "cross_v": _per_head(cross_kv[..., d:], heads),
                "keys": np.zeros((b, heads, weights.max_events + 1, d // heads), np.float32),
                "values": np.zeros((b, heads, weights.max_events + 1, d // heads), np.float32),
            })
        self.k = 0  # steps taken

    def step(self, x: np.ndarray) -> np.ndarray:
        k, b = self.k, x.shape[0]
        h = x @ self.w_inp + self.b_inp + self.pos[k]
        for layer in self.layers:
            eps1, eps2, eps3 = layer["eps"]
            keys, values = layer["keys"], layer["values"]
            heads, width = keys.shape[1], keys.shape[3]
            qkv = _apply(layer["self_in"], _standardize(h, eps1))
            d = qkv.shape[1] // 3
            keys[:, :, k] = qkv[:, d:2 * d].reshape(b, heads, width)
            values[:, :, k] = qkv[:, 2 * d:].reshape(b, heads, width)
            h = h + _apply(layer["self_out"], _attend(np.ascontiguousarray(qkv[:, :d]), keys, values, k + 1))
            q = _apply(layer["cross_q"], _standardize(h, eps2))
            cross_k = layer["cross_k"]
            h = h + _apply(layer["cross_out"], _attend(q, cross_k, layer["cross_v"], cross_k.shape[2]))
            h = h + _apply(layer["ff2"], np.maximum(_apply(layer["ff1"], _standardize(h, eps3)), 0.0))
        self.k += 1
        return h


def _per_head(x: np.ndarray, heads: int) -> np.ndarray:
    """[B, positions, d] -> [B, heads, positions, d / heads]."""
    b, positions, d = x.shape
    return np.ascontiguousarray(x.reshape(b, positions, heads, d // heads).transpose(0, 2, 1, 3))


def _linear(module: nn.Linear) -> tuple[np.ndarray, np.ndarray]:
    return _weights(module.weight).T, _weights(module.bias)


def _apply(linear: tuple[np.ndarray, np.ndarray], x: np.ndarray) -> np.ndarray:
    return x @ linear[0] + linear[1]


# The elementwise parts of a step are numba kernels: at batch 1 each numpy call costs a microsecond or two of
# dispatch, a layer norm took 7 of them and an attention 10; a kernel is one call.
@njit(cache=True)
def _standardize(x: np.ndarray, eps: float) -> np.ndarray:
    """A layer norm of the rows of ``x`` [B, D] without its gain and bias (``_NumpyWeights`` folds those into the
    next map); statistics in float64."""
    out = np.empty_like(x)
    rows, width = x.shape
    for i in range(rows):
        mean = 0.0
        for j in range(width):
            mean += x[i, j]
        mean /= width
        variance = 0.0
        for j in range(width):
            variance += (x[i, j] - mean) ** 2
        scale = 1.0 / math.sqrt(variance / width + eps)
        for j in range(width):
            out[i, j] = (x[i, j] - mean) * scale
    return out


@njit(cache=True)
def _attend(q: np.ndarray, keys: np.ndarray, values: np.ndarray, length: int) -> np.ndarray:
    """Scaled dot-product attention of one query per head, ``q`` [B, heads * w], over the first ``length``
    positions of ``keys`` and ``values`` [B, heads, positions, w] -> [B, heads * w]."""
    batch, heads, _, w = keys.shape
    out = np.zeros((batch, heads * w), np.float32)
    weights = np.empty(length)
    scale = 1.0 / math.sqrt(w)
    for i in range(batch):
        for head in range(heads):
            base = head * w
            top = -np.inf
            for p in range(length):
                score = 0.0
                for j in range(w):
                    score += q[i, base + j] * keys[i, head, p, j]
                weights[p] = score * scale
                top = max(top, weights[p])
            total = 0.0
            for p in range(length):
                weights[p] = math.exp(weights[p] - top)
                total += weights[p]
            for p in range(length):
                share = weights[p] / total
                for j in range(w):
                    out[i, base + j] += share * values[i, head, p, j]
    return out


@njit(cache=True)
def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU with the exact erf (as ``nn.GELU()``) of ``x`` [B, D]."""
    out = np.empty_like(x)
    rows, width = x.shape
    for i in range(rows):
        for j in range(width):
            out[i, j] = 0.5 * x[i, j] * (1.0 + math.erf(x[i, j] / math.sqrt(2.0)))
    return out


# ---------------------------------------------------------------------------------------------- distributions
def _mixture(params: Tensor, size: int) -> tuple[Tensor, Tensor, Tensor]:
    logits, mean, log_scale = params.split(size, -1)
    return torch.log_softmax(logits, -1), mean, log_scale.clamp(-6.0, 2.0)


def _gap_log_prob(params: Tensor, gap_ms: Tensor) -> Tensor:
    """log p(gap) under the log-normal mixture (density of the scaled log(gap + 1), the same up to a constant
    per event for every model, so the losses compare)."""
    log_w, mean, log_scale = _mixture(params, params.shape[-1] // 3)
    z = torch.log1p(gap_ms)[..., None] / LOG_GAP_SCALE
    comp = -0.5 * ((z - mean) / log_scale.exp()) ** 2 - log_scale - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(log_w + comp, -1)


def _gap_beyond(params: Tensor, room_ms: Tensor) -> Tensor:
    """The probability the gap mixture gives to a gap past ``room_ms`` (the rest of the tick)."""
    log_w, mean, log_scale = _mixture(params, params.shape[-1] // 3)
    z = torch.log1p(room_ms.clamp(min=0.0))[..., None] / LOG_GAP_SCALE
    tail = 0.5 * torch.erfc((z - mean) / (log_scale.exp() * math.sqrt(2.0)))
    return (log_w.exp() * tail).sum(-1)


def _xy_log_prob(params: Tensor, xy: Tensor) -> Tensor:
    logits, mean, log_scale = params.split([XY_MIXTURE, 2 * XY_MIXTURE, 2 * XY_MIXTURE], -1)
    log_w = torch.log_softmax(logits, -1)
    mean = mean.unflatten(-1, (XY_MIXTURE, 2))
    log_scale = log_scale.unflatten(-1, (XY_MIXTURE, 2)).clamp(-7.0, 1.0)
    comp = (-0.5 * ((xy[..., None, :] - mean) / log_scale.exp()) ** 2 - log_scale
            - 0.5 * math.log(2 * math.pi)).sum(-1)
    return torch.logsumexp(log_w + comp, -1)


def _gaussian_log_prob(params: Tensor, value: Tensor) -> Tensor:
    """log N(value; mean, scale) summed over the last axis (``params``: means then log-scales)."""
    mean, log_scale = params.chunk(2, -1)
    log_scale = log_scale.clamp(-6.0, 1.0)
    return (-0.5 * ((value - mean) / log_scale.exp()) ** 2 - log_scale - 0.5 * math.log(2 * math.pi)).sum(-1)


def _categorical(logits: np.ndarray, rng: np.random.Generator | None, sample: bool) -> np.ndarray:
    """One draw per row of ``logits`` [B, K] (Gumbel-max), or the most likely class."""
    if sample:
        logits = logits - np.log(-np.log(rng.random(logits.shape)))
    return logits.argmax(-1)


def _gap_draw(params: np.ndarray, rng: np.random.Generator | None, sample: bool) -> np.ndarray:
    """A gap in ms from the log-normal mixture [B, 3 * components] (or the heaviest component's median)."""
    m = params.shape[-1] // 3
    logits, mean, log_scale = params[:, :m], params[:, m:2 * m], params[:, 2 * m:]
    rows, comp = np.arange(len(params)), _categorical(logits, rng, sample)
    mu = mean[rows, comp]
    if sample:
        mu = mu + np.exp(np.clip(log_scale[rows, comp], -6.0, 2.0)) * rng.standard_normal(len(mu))
    return np.maximum(np.expm1(mu * LOG_GAP_SCALE), 0.0)


def _xy_draw(params: np.ndarray, rng: np.random.Generator | None, sample: bool) -> np.ndarray:
    """A position in screen fractions [B, 2] from the Gaussian mixture [B, 5 * XY_MIXTURE] (or the heaviest
    component's mean)."""
    logits = params[:, :XY_MIXTURE]
    mean = params[:, XY_MIXTURE:3 * XY_MIXTURE].reshape(-1, XY_MIXTURE, 2)
    rows, comp = np.arange(len(params)), _categorical(logits, rng, sample)
    mu = mean[rows, comp]
    if sample:
        log_scale = params[:, 3 * XY_MIXTURE:].reshape(-1, XY_MIXTURE, 2)[rows, comp]
        mu = mu + np.exp(np.clip(log_scale, -7.0, 1.0)) * rng.standard_normal(mu.shape)
    return np.clip(mu, 0.0, 1.0)


def most_likely_click(xy_params: Tensor, target_logits: Tensor, offset_params: Tensor) -> np.ndarray:
    """Screen pixels [B, 2] of the most likely click: on the most likely target at its mean offset, or at the
    position mixture's heaviest component when that target is "elsewhere"."""
    target = target_logits.argmax(-1).numpy()
    pos = _xy_draw(xy_params.double().numpy(), None, False) * (core.SCREEN_W, core.SCREEN_H)
    on_target = (target > targets.ELSEWHERE)[:, None]
    return np.where(on_target, targets.position(target, offset_params[:, :2].double().numpy()), pos)


__all__ = ["DecoderConfig", "EventDecoder", "STYLES", "UNKNOWN_STYLE", "event_features"]
