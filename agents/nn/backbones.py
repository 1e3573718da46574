"""Interchangeable temporal backbones: one argument swaps how an agent reads its observation sequence.

Every backbone maps ``x [batch, length, d_in]`` to ``y [batch, length, d_model]`` causally (output ``t`` sees
inputs ``<= t`` only; the one exception is ``attention`` with ``causal=False``) and carries what it remembers
in a *state*: a flat tuple of tensors, described by :meth:`Backbone.state_spec`. The same state drives

- ``forward(x, state)`` over a training segment, returning the state after its last step, so that a long
  sequence cut into chunks gives the same outputs as one pass (truncated backprop through time in RL);
- ``step(x_t, state)`` for rollouts, one observation at a time, so inference costs O(1) (recurrent models)
  or O(window) (attention) per step instead of re-reading the history.

``forward`` and ``step`` compute the same function: stepping token by token equals one forward, which the
tests check for every backbone. ``state=None`` means a fresh sequence (all zeros, see
:meth:`Backbone.initial_state`); :meth:`Backbone.reset_state` restarts the sequences whose episodes ended in a
vector env.

===============  =====================================================================================
name             what it is
===============  =====================================================================================
``mlp``          an MLP on the last frame, or on the last ``window`` frames flattened (frame stacking)
``lstm``         ``torch.nn.LSTM`` (Hochreiter & Schmidhuber 1997)
``gru``          ``torch.nn.GRU`` (Cho et al. 2014)
``attention``    pre-LN transformer encoder (Vaswani et al. 2017; Xiong et al. 2020 for pre-LN) with
                 sinusoidal positions and a sliding causal window of ``max_window`` steps
``mamba``        stacked Mamba blocks (Gu & Dao 2023) with pre-norm residuals, as mamba-ssm's MixerModel
``jamba``        Mamba layers interleaved with attention layers, each followed by an MLP (Lieber et al. 2024)
===============  =====================================================================================
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .mamba import Mamba

State = tuple[Tensor, ...]


class StateSpec(NamedTuple):
    """One tensor of a backbone's state."""

    name: str
    shape: tuple[int, ...]
    dtype: torch.dtype | None
    """None: the backbone's parameter dtype."""
    batch_dim: int
    """Which axis of ``shape`` is the batch (``torch.nn.LSTM`` puts it second)."""


class Backbone(nn.Module, ABC):
    """Base class: input and state checks, fresh and reset states, parameter count.

    Subclasses define :meth:`state_spec`, ``_forward`` and ``_step``; the public :meth:`forward` and
    :meth:`step` validate their arguments first so that a wrong shape fails here with a message naming it,
    not deep inside a matmul.
    """

    name: ClassVar[str] = ""

    def __init__(self, d_in: int, d_model: int) -> None:
        super().__init__()
        for arg, value in (("d_in", d_in), ("d_model", d_model)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{type(self).__name__}: {arg} must be a positive int, got {value!r}")
        self.d_in = d_in
        self.d_model = d_model

    # ------------------------------------------------------------------ state
    @abstractmethod
    def state_spec(self, batch_size: int) -> tuple[StateSpec, ...]:
        """Names, shapes, dtypes and batch axes of the state tensors for ``batch_size`` sequences."""

    @property
    def num_parameters(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def _param_dtype(self) -> torch.dtype:
        return next(self.parameters()).dtype

    def _param_device(self) -> torch.device:
        return next(self.parameters()).device

    def initial_state(self, batch_size: int, device: torch.device | str | None = None) -> State:
        """The state of ``batch_size`` fresh sequences (all zeros); what ``state=None`` means."""
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(
                f"{type(self).__name__}.initial_state: batch_size must be >= 1, got {batch_size!r}"
            )
        device = self._param_device() if device is None else device
        dtype = self._param_dtype()
        return tuple(
            torch.zeros(s.shape, dtype=dtype if s.dtype is None else s.dtype, device=device)
            for s in self.state_spec(batch_size)
        )

    def reset_state(self, state: State, done: Tensor | Sequence[bool]) -> State:
        """Return ``state`` with the sequences where ``done [batch]`` is true restarted (set to zeros).

        Use it after a vector-env step, before feeding the next observations: ``done`` may be the NumPy
        ``terminated | truncated`` array itself (anything ``torch.as_tensor`` takes).
        """
        done = torch.as_tensor(done, dtype=torch.bool)
        if done.ndim != 1:
            raise ValueError(
                f"{type(self).__name__}.reset_state: done must be a 1-D [batch] mask, got {tuple(done.shape)}"
            )
        state = self._check_state(state, done.shape[0], "reset_state")
        out = []
        for spec, tensor in zip(self.state_spec(done.shape[0]), state, strict=True):
            view = [1] * len(spec.shape)
            view[spec.batch_dim] = -1
            out.append(tensor.masked_fill(done.to(tensor.device).view(view), 0))
        return tuple(out)

    def _check_state(self, state: object, batch: int, where: str) -> State:
        specs = self.state_spec(batch)
        cls = type(self).__name__
        names = ", ".join(s.name for s in specs) or "empty"
        if not isinstance(state, (tuple, list)) or len(state) != len(specs):
            got = f"{len(state)} items" if isinstance(state, (tuple, list)) else type(state).__name__
            raise ValueError(
                f"{cls}.{where}: state must be the tuple of {len(specs)} tensors ({names}) returned by "
                f"initial_state/forward/step, or None; got {got}"
            )
        for i, (spec, tensor) in enumerate(zip(specs, state, strict=True)):
            if not isinstance(tensor, Tensor):
                raise ValueError(
                    f"{cls}.{where}: state[{i}] ({spec.name}) must be a tensor, got {type(tensor).__name__}"
                )
            if tuple(tensor.shape) != spec.shape:
                raise ValueError(
                    f"{cls}.{where}: state[{i}] ({spec.name}) has shape {tuple(tensor.shape)}, "
                    f"expected {spec.shape} for batch size {batch}"
                )
            ok = tensor.dtype == spec.dtype if spec.dtype is not None else tensor.is_floating_point()
            if not ok:
                raise ValueError(
                    f"{cls}.{where}: state[{i}] ({spec.name}) has dtype {tensor.dtype}, expected "
                    f"{spec.dtype or 'a floating-point dtype'}"
                )
        return tuple(state)

    def _check_input(self, x: object, ndim: int, where: str) -> Tensor:
        cls = type(self).__name__
        layout = "[batch, length, d_in]" if ndim == 3 else "[batch, d_in]"
        if not isinstance(x, Tensor):
            raise TypeError(f"{cls}.{where}: x must be a tensor {layout}, got {type(x).__name__}")
        if x.ndim != ndim:
            hint = " (use step() for a single time step)" if where == "forward" and x.ndim == 2 else ""
            raise ValueError(
                f"{cls}.{where}: x must have {ndim} dims {layout} with d_in={self.d_in}, got shape "
                f"{tuple(x.shape)}{hint}"
            )
        if x.shape[-1] != self.d_in:
            raise ValueError(
                f"{cls}.{where}: last dim of x must be d_in={self.d_in}, got shape {tuple(x.shape)}"
            )
        if x.shape[0] < 1 or (ndim == 3 and x.shape[1] < 1):
            raise ValueError(
                f"{cls}.{where}: batch and length must be at least 1, got shape {tuple(x.shape)}"
            )
        if not x.is_floating_point():
            raise TypeError(f"{cls}.{where}: x must be floating point, got dtype {x.dtype}")
        return x

    # ------------------------------------------------------------------ compute
    def forward(self, x: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """``x [batch, length, d_in]`` from ``state`` (None: fresh) -> ``(y [batch, length, d_model], state)``

        Feeding the returned state to the next call continues the sequence: chunks give one pass's outputs.
        """
        x = self._check_input(x, 3, "forward")
        if state is not None:
            state = self._check_state(state, x.shape[0], "forward")
        return self._forward(x, state)

    def step(self, x_t: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """One time step ``x_t [batch, d_in]`` -> ``(y_t [batch, d_model], new_state)``.

        The given state is not modified, so a caller may keep it (e.g. to store it with a rollout).
        """
        x_t = self._check_input(x_t, 2, "step")
        if state is None:
            state = self.initial_state(x_t.shape[0], x_t.device)
        else:
            state = self._check_state(state, x_t.shape[0], "step")
        return self._step(x_t, state)

    @abstractmethod
    def _forward(self, x: Tensor, state: State | None) -> tuple[Tensor, State]:
        """The whole-sequence pass over validated inputs."""

    def _step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        y, state = self._forward(x_t.unsqueeze(1), state)
        return y.squeeze(1), state


def _check_int(cls: str, arg: str, value: object, minimum: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{cls}: {arg} must be an int >= {minimum}, got {value!r}")
    return value


# ====================================================================== mlp
class MLPBackbone(Backbone):
    """An MLP on the last ``window`` frames, concatenated oldest first (``window=1``: the current frame only).

    The state holds the previous ``window - 1`` frames (zeros before the sequence start), so ``step`` and a
    chunked ``forward`` see exactly the windows one ``forward`` sees: frame stacking as in DQN (Mnih et al.
    2015), without recurrence.

    Args:
        window: number of frames the MLP sees.
        num_layers: number of Linear+GELU layers (the first maps ``window * d_in`` to ``d_model``).
    """

    name = "mlp"

    def __init__(self, d_in: int, d_model: int, window: int = 1, num_layers: int = 2) -> None:
        super().__init__(d_in, d_model)
        self.window = _check_int("MLPBackbone", "window", window)
        _check_int("MLPBackbone", "num_layers", num_layers)
        layers: list[nn.Module] = []
        width = window * d_in
        for _ in range(num_layers):
            layers += [nn.Linear(width, d_model), nn.GELU()]
            width = d_model
        self.net = nn.Sequential(*layers)

    def state_spec(self, batch_size: int) -> tuple[StateSpec, ...]:
        return (StateSpec("frames", (batch_size, self.window - 1, self.d_in), None, 0),)

    def _forward(self, x: Tensor, state: State | None) -> tuple[Tensor, State]:
        batch, length, _ = x.shape
        if state is None:
            frames = x.new_zeros(batch, self.window - 1, self.d_in)
        else:
            frames = state[0].to(x.dtype)
        seq = torch.cat([frames, x], dim=1)  # [B, window - 1 + L, d_in]
        # unfold gives [B, L, d_in, window]; frames go oldest first after the transpose.
        windows = seq.unfold(1, self.window, 1).transpose(-1, -2).reshape(batch, length, -1)
        # A copy of the last frames, so the returned state does not keep the whole segment alive.
        return self.net(windows), (seq[:, seq.shape[1] - (self.window - 1) :].contiguous(),)

    def _step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        seq = torch.cat([state[0].to(x_t.dtype), x_t.unsqueeze(1)], dim=1)  # [B, window, d_in]
        return self.net(seq.reshape(x_t.shape[0], -1)), (seq[:, 1:],)


# ====================================================================== lstm, gru
class _RNNBackbone(Backbone):
    rnn_cls: ClassVar[type[nn.RNNBase]]
    state_names: ClassVar[tuple[str, ...]]

    def __init__(self, d_in: int, d_model: int, num_layers: int = 1) -> None:
        super().__init__(d_in, d_model)
        self.num_layers = _check_int(type(self).__name__, "num_layers", num_layers)
        self.rnn = self.rnn_cls(d_in, d_model, num_layers=num_layers, batch_first=True)

    def state_spec(self, batch_size: int) -> tuple[StateSpec, ...]:
        # torch.nn.LSTM/GRU keep hidden states as [num_layers, batch, hidden] even with batch_first.
        return tuple(
            StateSpec(n, (self.num_layers, batch_size, self.d_model), None, 1) for n in self.state_names
        )

    def _forward(self, x: Tensor, state: State | None) -> tuple[Tensor, State]:
        hidden: Any = None
        if state is not None:
            hidden = state if len(state) > 1 else state[0]
        y, hidden = self.rnn(x, hidden)
        return y, (tuple(hidden) if isinstance(hidden, tuple) else (hidden,))


class LSTMBackbone(_RNNBackbone):
    """``torch.nn.LSTM`` (Hochreiter & Schmidhuber 1997); state ``(h, c)``, each ``[layers, B, d_model]``."""

    name = "lstm"
    rnn_cls = nn.LSTM
    state_names = ("h", "c")


class GRUBackbone(_RNNBackbone):
    """``torch.nn.GRU`` (Cho et al. 2014); state ``(h,)`` of shape ``[num_layers, B, d_model]``."""

    name = "gru"
    rnn_cls = nn.GRU
    state_names = ("h",)


# ====================================================================== attention
_fused_rms_norm = getattr(F, "rms_norm", None)  # torch >= 2.4


class RMSNorm(nn.Module):
    """Root-mean-square layer norm (Zhang & Sennrich 2019), as in Mamba and Jamba.

    Written out because ``torch.nn.RMSNorm`` only exists from torch 2.4 and the project supports 2.2.
    """

    def __init__(self, d_model: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))

    def forward(self, x: Tensor) -> Tensor:
        if _fused_rms_norm is not None:  # torch's kernel where it has one (fused on GPUs)
            return _fused_rms_norm(x, (x.shape[-1],), self.weight, self.eps)
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def _make_norm(kind: str, d_model: int, owner: str) -> nn.Module:
    if kind == "rms":
        return RMSNorm(d_model)
    if kind == "layer":
        return nn.LayerNorm(d_model)
    raise ValueError(f"{owner}: norm must be 'rms' or 'layer', got {kind!r}")


def _mlp(d_model: int, ratio: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_model, ratio * d_model), nn.GELU(), nn.Linear(ratio * d_model, d_model))


def _window_mask(
    length: int, window: int, valid: Tensor | None, device: torch.device
) -> tuple[Tensor | None, bool]:
    """Attention mask for ``length`` new queries over [``window`` cached keys,] then the new keys.

    Query ``i`` may see new key ``j`` when ``i - window < j <= i`` (a sliding causal window, so a forward over
    a long sequence sees what ``step`` with a bounded cache sees), and cached slot ``c`` (oldest first; slot
    ``window - 1`` is the previous step) when ``c > i`` and the slot holds a real step (``valid``). Every
    query sees at least itself, so no softmax row is empty. Returns ``(mask, is_causal)`` for
    ``scaled_dot_product_attention``; ``True`` in the mask means "may attend".
    """
    if valid is None and length <= window:
        return None, True  # the plain causal mask: SDPA's fast path
    i = torch.arange(length, device=device).unsqueeze(1)
    j = torch.arange(length, device=device).unsqueeze(0)
    band = (j <= i) & (i - j < window)
    if valid is None:
        return band, False
    cached = (torch.arange(window, device=device).unsqueeze(0) > i).unsqueeze(0) & valid.unsqueeze(1)
    mask = torch.cat([cached, band.unsqueeze(0).expand(valid.shape[0], -1, -1)], dim=-1)
    return mask.unsqueeze(1), False  # [B, 1, L, window + L]: broadcast over heads


def _roll_valid(valid: Tensor | None, batch: int, length: int, window: int, device: torch.device) -> Tensor:
    """Which of the ``window`` cache slots hold real steps after appending ``length`` steps."""
    if valid is None:
        valid = torch.zeros(batch, window, dtype=torch.bool, device=device)
    fresh = torch.ones(batch, length, dtype=torch.bool, device=device)
    return torch.cat([valid, fresh], dim=1)[:, -window:]


class SelfAttention(nn.Module):
    """Multi-head self-attention with a bounded key/value cache of ``window`` steps.

    Cache layout: keys and values ``[batch, n_heads, window, d_head]``, oldest slot first.
    """

    def __init__(self, d_model: int, n_heads: int, window: int) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"SelfAttention: d_model={d_model} must be divisible by n_heads={n_heads}")
        self.n_heads = n_heads
        self.d_head = d_model // n_heads
        self.window = window
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)

    def _heads(self, h: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        batch, length, _ = h.shape
        q, k, v = (
            self.qkv(h).view(batch, length, 3, self.n_heads, self.d_head).permute(2, 0, 3, 1, 4).unbind(0)
        )
        return q, k, v  # each [B, H, L, d_head]

    def _merge(self, o: Tensor) -> Tensor:
        batch, _, length, _ = o.shape
        return self.proj(o.transpose(1, 2).reshape(batch, length, -1))

    def forward(
        self, h: Tensor, cache: tuple[Tensor, Tensor] | None, mask: Tensor | None, is_causal: bool
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """Attend ``h [B, L, d]`` over ``cache`` (may be None) and itself; return output and the new cache."""
        q, k, v = self._heads(h)
        if cache is not None:
            k = torch.cat([cache[0].to(k.dtype), k], dim=2)
            v = torch.cat([cache[1].to(v.dtype), v], dim=2)
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal)
        return self._merge(o), (self._last_window(k), self._last_window(v))

    def _last_window(self, t: Tensor) -> Tensor:
        """The last ``window`` steps of ``t [B, H, L, d_head]``, zero-padded on the left (invalid slots) when
        fewer exist; a copy, so a returned state does not keep a whole training segment alive."""
        missing = self.window - t.shape[2]
        if missing > 0:
            return F.pad(t, (0, 0, missing, 0))
        return t[:, :, -self.window :].contiguous()

    def step(
        self, h_t: Tensor, cache: tuple[Tensor, Tensor], valid: Tensor
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """One query ``h_t [B, d]`` over the cache with the new step rolled in (``valid``: rolled mask)."""
        q, k, v = self._heads(h_t.unsqueeze(1))
        k = torch.cat([cache[0][:, :, 1:].to(k.dtype), k], dim=2)
        v = torch.cat([cache[1][:, :, 1:].to(v.dtype), v], dim=2)
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=valid[:, None, None, :])
        return self._merge(o).squeeze(1), (k, v)


def _sinusoid(positions: Tensor, inv_freq: Tensor) -> Tensor:
    """Sinusoidal position encoding of Vaswani et al. 2017, section 3.5: interleaved sin and cos."""
    angles = positions.unsqueeze(-1).to(inv_freq.dtype) * inv_freq
    return torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(-2)


class _TransformerLayer(nn.Module):
    """Pre-LN block (Xiong et al. 2020): ``h + attn(norm(h))`` then ``h + mlp(norm(h))``."""

    def __init__(self, d_model: int, n_heads: int, mlp_ratio: int, window: int, norm: str) -> None:
        super().__init__()
        self.norm1 = _make_norm(norm, d_model, "attention")
        self.attn = SelfAttention(d_model, n_heads, window)
        self.norm2 = _make_norm(norm, d_model, "attention")
        self.mlp = _mlp(d_model, mlp_ratio)


class AttentionBackbone(Backbone):
    """Pre-LN transformer encoder with sinusoidal positions over a sliding causal window.

    Query ``t`` attends to steps ``t - max_window + 1 .. t``, in ``forward`` as in ``step``; the state keeps,
    per layer, the keys and values of the last ``max_window`` steps, plus which cache slots are filled and
    each sequence's position (the sinusoidal encoding is absolute: Vaswani et al. 2017, section 3.5). So
    ``step`` costs O(max_window), and ``forward`` over chunks with the carried state equals one ``forward``.

    With ``causal=False`` every ``forward`` call is an independent bidirectional pass over its own window
    (e.g. to encode the last ``n`` frames at once); the state is then empty and ``step`` is not available.

    Args:
        num_layers: transformer blocks.
        n_heads: attention heads (``d_model`` must be divisible by it).
        mlp_ratio: hidden width of each block's MLP, in multiples of ``d_model`` (2 rather than the usual 4:
            at ``d_model=256`` a batch-1 step then stays under 2 ms on a small CPU, where reading the weights
            dominates).
        max_window: steps each query can see, and the key/value cache length.
        causal: see above.
    """

    name = "attention"

    def __init__(
        self,
        d_in: int,
        d_model: int,
        num_layers: int = 2,
        n_heads: int = 4,
        mlp_ratio: int = 2,
        max_window: int = 64,
        causal: bool = True,
    ) -> None:
        super().__init__(d_in, d_model)
        cls = "AttentionBackbone"
        _check_int(cls, "num_layers", num_layers)
        _check_int(cls, "n_heads", n_heads)
        _check_int(cls, "mlp_ratio", mlp_ratio)
        self.max_window = _check_int(cls, "max_window", max_window)
        if d_model % n_heads or d_model % 2:
            raise ValueError(f"{cls}: d_model={d_model} must be even and divisible by n_heads={n_heads}")
        self.causal = causal
        self.n_heads = n_heads
        self.in_proj = nn.Linear(d_in, d_model)
        self.layers = nn.ModuleList(
            _TransformerLayer(d_model, n_heads, mlp_ratio, max_window, "layer") for _ in range(num_layers)
        )
        self.norm_f = nn.LayerNorm(d_model)
        inv_freq = 1.0 / (10000.0 ** (torch.arange(0, d_model, 2, dtype=torch.float32) / d_model))
        self.register_buffer("inv_freq", inv_freq, persistent=False)  # derived: kept out of checkpoints

    def state_spec(self, batch_size: int) -> tuple[StateSpec, ...]:
        if not self.causal:
            return ()
        kv = (batch_size, self.n_heads, self.max_window, self.d_model // self.n_heads)
        specs = []
        for i in range(len(self.layers)):
            specs += [StateSpec(f"layer{i}.keys", kv, None, 0), StateSpec(f"layer{i}.values", kv, None, 0)]
        specs += [
            StateSpec("valid", (batch_size, self.max_window), torch.bool, 0),
            StateSpec("position", (batch_size,), torch.long, 0),
        ]
        return tuple(specs)

    def _forward(self, x: Tensor, state: State | None) -> tuple[Tensor, State]:
        batch, length, _ = x.shape
        if not self.causal:
            h = self.in_proj(x) + _sinusoid(torch.arange(length, device=x.device), self.inv_freq).to(x.dtype)
            for layer in self.layers:
                h = h + layer.attn(layer.norm1(h), None, None, False)[0]
                h = h + layer.mlp(layer.norm2(h))
            return self.norm_f(h), ()
        valid = position = None
        if state is not None:
            valid, position = state[-2], state[-1]
        start = position if position is not None else torch.zeros(batch, dtype=torch.long, device=x.device)
        positions = start.unsqueeze(1) + torch.arange(length, device=x.device)
        h = self.in_proj(x) + _sinusoid(positions, self.inv_freq).to(x.dtype)
        mask, is_causal = _window_mask(length, self.max_window, valid, x.device)
        caches: list[Tensor] = []
        for i, layer in enumerate(self.layers):
            cache = None if state is None else (state[2 * i], state[2 * i + 1])
            a, new_cache = layer.attn(layer.norm1(h), cache, mask, is_causal)
            h = h + a
            h = h + layer.mlp(layer.norm2(h))
            caches += new_cache
        new_valid = _roll_valid(valid, batch, length, self.max_window, x.device)
        return self.norm_f(h), (*caches, new_valid, start + length)

    def _step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        if not self.causal:
            raise RuntimeError(
                "AttentionBackbone.step needs causal=True: a bidirectional window has no step-by-step form; "
                "call forward on the whole window instead"
            )
        valid, position = state[-2], state[-1]
        valid = _roll_valid(valid, x_t.shape[0], 1, self.max_window, x_t.device)
        h = self.in_proj(x_t) + _sinusoid(position, self.inv_freq).to(x_t.dtype)
        caches: list[Tensor] = []
        for i, layer in enumerate(self.layers):
            a, new_cache = layer.attn.step(layer.norm1(h), (state[2 * i], state[2 * i + 1]), valid)
            h = h + a
            h = h + layer.mlp(layer.norm2(h))
            caches += new_cache
        return self.norm_f(h), (*caches, valid, position + 1)


# ====================================================================== mamba
class _MambaLayer(nn.Module):
    """``h + Mamba(norm(h))``: the residual block of mamba-ssm's MixerModel (no MLP: the Mamba block is the
    whole layer, Gu & Dao 2023, Figure 3)."""

    def __init__(self, d_model: int, norm: str, **mamba_kw: Any) -> None:
        super().__init__()
        self.norm = _make_norm(norm, d_model, "mamba")
        self.mixer = Mamba(d_model, **mamba_kw)


class MambaBackbone(Backbone):
    """Stacked Mamba blocks (Gu & Dao 2023) with pre-norm residuals and a final norm.

    The state is ``(conv_state, ssm_state)`` per layer, in mamba-ssm's inference-cache layout; ``step`` is
    O(1) in the sequence length.

    Args:
        num_layers: Mamba blocks.
        d_state, d_conv, expand: per block, see :class:`~botarena.agents.nn.mamba.Mamba`.
        norm: ``"rms"`` (RMSNorm, as mamba-ssm's default config) or ``"layer"``.
        scan: PyTorch scan algorithm, ``"auto"``, ``"sequential"`` or ``"parallel"``.
        use_cuda_kernels: use mamba-ssm's kernel for state-free forwards on CUDA when it is installed.
    """

    name = "mamba"

    def __init__(
        self,
        d_in: int,
        d_model: int,
        num_layers: int = 2,
        d_state: int = 16,
        d_conv: int = 4,
        expand: int = 2,
        norm: Literal["rms", "layer"] = "rms",
        scan: Literal["auto", "sequential", "parallel"] = "auto",
        use_cuda_kernels: bool = True,
    ) -> None:
        super().__init__(d_in, d_model)
        _check_int("MambaBackbone", "num_layers", num_layers)
        self.in_proj = nn.Linear(d_in, d_model)
        self.layers = nn.ModuleList(
            _MambaLayer(
                d_model,
                norm,
                d_state=d_state,
                d_conv=d_conv,
                expand=expand,
                scan=scan,
                use_cuda_kernels=use_cuda_kernels,
            )
            for _ in range(num_layers)
        )
        self.norm_f = _make_norm(norm, d_model, "MambaBackbone")

    def state_spec(self, batch_size: int) -> tuple[StateSpec, ...]:
        specs = []
        for i, layer in enumerate(self.layers):
            m: Mamba = layer.mixer
            specs += [
                StateSpec(f"layer{i}.conv_state", (batch_size, m.d_inner, m.d_conv), None, 0),
                StateSpec(f"layer{i}.ssm_state", (batch_size, m.d_inner, m.d_state), None, 0),
            ]
        return tuple(specs)

    def _forward(self, x: Tensor, state: State | None) -> tuple[Tensor, State]:
        h = self.in_proj(x)
        new_state: list[Tensor] = []
        for i, layer in enumerate(self.layers):
            layer_state = None if state is None else (state[2 * i], state[2 * i + 1])
            y, layer_state = layer.mixer(layer.norm(h), layer_state)
            h = h + y
            new_state += layer_state
        return self.norm_f(h), tuple(new_state)

    def _step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        h = self.in_proj(x_t)
        new_state: list[Tensor] = []
        for i, layer in enumerate(self.layers):
            y, layer_state = layer.mixer.step(layer.norm(h), (state[2 * i], state[2 * i + 1]))
            h = h + y
            new_state += layer_state
        return self.norm_f(h), tuple(new_state)


# ====================================================================== jamba
class _JambaLayer(nn.Module):
    """``h + mixer(norm(h))`` then ``h + mlp(norm(h))``; the mixer is Mamba or attention (Jamba, Figure 1)."""

    def __init__(self, mixer: nn.Module, d_model: int, mlp_ratio: int) -> None:
        super().__init__()
        self.norm1 = RMSNorm(d_model)
        self.mixer = mixer
        self.norm2 = RMSNorm(d_model)
        self.mlp = _mlp(d_model, mlp_ratio)


class JambaBackbone(Backbone):
    """Mamba layers interleaved with attention layers, after AI21's Jamba.

    Lieber et al. 2024, "Jamba: A Hybrid Transformer-Mamba Language Model", arXiv:2403.19887.

    Layer ``i`` is attention when ``i % attn_every == attn_offset`` and Mamba otherwise; Jamba uses one
    attention layer in eight, at offset 4 (``attn_layer_period=8, attn_layer_offset=4``), and an MLP after
    every mixer (replaced by a mixture of experts every other layer at scale; plain MLPs here). As in Jamba,
    attention gets no positional encoding: the Mamba layers before it already encode order (the paper's
    ablation "Jamba does not require explicit positional information"). The attention layers use the same
    sliding causal window and bounded key/value cache as ``attention``.

    The defaults (two layers: Mamba then attention) keep a batch-1 ``step`` under 2 ms at ``d_model=256`` on
    a small CPU; ``num_layers=8, attn_every=8`` is Jamba's own 1:7 block (attention at offset 4).

    Args:
        num_layers: total layers, Mamba and attention.
        attn_every: period of attention layers.
        attn_offset: index of the attention layer within each period (default ``attn_every // 2``).
        n_heads, max_window: of the attention layers, see :class:`AttentionBackbone`.
        mlp_ratio: hidden width of each layer's MLP, in multiples of ``d_model``.
        d_state, d_conv, expand, scan, use_cuda_kernels: of the Mamba layers, see :class:`MambaBackbone`.
    """

    name = "jamba"

    def __init__(
        self,
        d_in: int,
        d_model: int,
        num_layers: int = 2,
        attn_every: int = 2,
        attn_offset: int | None = None,
        n_heads: int = 4,
        max_window: int = 64,
        mlp_ratio: int = 2,
        d_state: int = 16,
        d_conv: int = 4,
        expand: int = 2,
        scan: Literal["auto", "sequential", "parallel"] = "auto",
        use_cuda_kernels: bool = True,
    ) -> None:
        super().__init__(d_in, d_model)
        cls = "JambaBackbone"
        _check_int(cls, "num_layers", num_layers)
        _check_int(cls, "attn_every", attn_every)
        _check_int(cls, "mlp_ratio", mlp_ratio)
        self.max_window = _check_int(cls, "max_window", max_window)
        attn_offset = attn_every // 2 if attn_offset is None else attn_offset
        if not isinstance(attn_offset, int) or not 0 <= attn_offset < attn_every:
            raise ValueError(
                f"{cls}: attn_offset must be in [0, attn_every={attn_every}), got {attn_offset!r}"
            )
        self.attn_every = attn_every
        self.attn_offset = attn_offset
        self.in_proj = nn.Linear(d_in, d_model)
        layers = []
        for i in range(num_layers):
            mixer: nn.Module
            if i % attn_every == attn_offset:
                mixer = SelfAttention(d_model, n_heads, max_window)
            else:
                mixer = Mamba(
                    d_model,
                    d_state=d_state,
                    d_conv=d_conv,
                    expand=expand,
                    scan=scan,
                    use_cuda_kernels=use_cuda_kernels,
                )
            layers.append(_JambaLayer(mixer, d_model, mlp_ratio))
        self.layers = nn.ModuleList(layers)
        self.norm_f = RMSNorm(d_model)
        self._has_attention = any(isinstance(layer.mixer, SelfAttention) for layer in self.layers)

    @property
    def layer_kinds(self) -> tuple[str, ...]:
        """``"mamba"`` or ``"attention"`` per layer, bottom first."""
        return tuple(
            "attention" if isinstance(layer.mixer, SelfAttention) else "mamba" for layer in self.layers
        )

    def state_spec(self, batch_size: int) -> tuple[StateSpec, ...]:
        specs = []
        for i, layer in enumerate(self.layers):
            mixer = layer.mixer
            if isinstance(mixer, SelfAttention):
                kv = (batch_size, mixer.n_heads, mixer.window, mixer.d_head)
                specs += [
                    StateSpec(f"layer{i}.keys", kv, None, 0),
                    StateSpec(f"layer{i}.values", kv, None, 0),
                ]
            else:
                specs += [
                    StateSpec(f"layer{i}.conv_state", (batch_size, mixer.d_inner, mixer.d_conv), None, 0),
                    StateSpec(f"layer{i}.ssm_state", (batch_size, mixer.d_inner, mixer.d_state), None, 0),
                ]
        if self._has_attention:
            specs.append(StateSpec("valid", (batch_size, self.max_window), torch.bool, 0))
        return tuple(specs)

    def _forward(self, x: Tensor, state: State | None) -> tuple[Tensor, State]:
        batch, length, _ = x.shape
        valid = state[-1] if (state is not None and self._has_attention) else None
        mask, is_causal = _window_mask(length, self.max_window, valid, x.device)
        h = self.in_proj(x)
        new_state: list[Tensor] = []
        for i, layer in enumerate(self.layers):
            layer_state = None if state is None else (state[2 * i], state[2 * i + 1])
            if isinstance(layer.mixer, SelfAttention):
                y, layer_state = layer.mixer(layer.norm1(h), layer_state, mask, is_causal)
            else:
                y, layer_state = layer.mixer(layer.norm1(h), layer_state)
            h = h + y
            h = h + layer.mlp(layer.norm2(h))
            new_state += layer_state
        if self._has_attention:
            new_state.append(_roll_valid(valid, batch, length, self.max_window, x.device))
        return self.norm_f(h), tuple(new_state)

    def _step(self, x_t: Tensor, state: State) -> tuple[Tensor, State]:
        valid = None
        if self._has_attention:
            valid = _roll_valid(state[-1], x_t.shape[0], 1, self.max_window, x_t.device)
        h = self.in_proj(x_t)
        new_state: list[Tensor] = []
        for i, layer in enumerate(self.layers):
            layer_state = (state[2 * i], state[2 * i + 1])
            if isinstance(layer.mixer, SelfAttention):
                assert valid is not None
                y, layer_state = layer.mixer.step(layer.norm1(h), layer_state, valid)
            else:
                y, layer_state = layer.mixer.step(layer.norm1(h), layer_state)
            h = h + y
            h = h + layer.mlp(layer.norm2(h))
            new_state += layer_state
        if valid is not None:
            new_state.append(valid)
        return self.norm_f(h), tuple(new_state)


# ====================================================================== factory
_BACKBONE_CLASSES: dict[str, type[Backbone]] = {
    cls.name: cls
    for cls in (MLPBackbone, LSTMBackbone, GRUBackbone, AttentionBackbone, MambaBackbone, JambaBackbone)
}
BACKBONES: tuple[str, ...] = tuple(_BACKBONE_CLASSES)
"""Names accepted by :func:`make_backbone`."""


def make_backbone(name: str, d_in: int, d_model: int, **kw: Any) -> Backbone:
    """Build the backbone ``name`` (one of :data:`BACKBONES`) mapping ``d_in`` features to ``d_model``.

    Keyword arguments go to that backbone's class (e.g. ``window=4`` for ``mlp``, ``max_window=128`` for
    ``attention``, ``d_state=16`` for ``mamba``); an argument the backbone does not take raises a TypeError
    listing the ones it does.

    Example:
        >>> import torch
        >>> net = make_backbone("gru", d_in=8, d_model=32)
        >>> y, state = net(torch.zeros(4, 10, 8))
        >>> y_t, state = net.step(torch.zeros(4, 8), state)
        >>> tuple(y.shape), tuple(y_t.shape)
        ((4, 10, 32), (4, 32))
    """
    cls = _BACKBONE_CLASSES.get(name)
    if cls is None:
        raise ValueError(f"make_backbone: unknown backbone {name!r}; allowed: {', '.join(BACKBONES)}")
    params = list(inspect.signature(cls.__init__).parameters)[3:]  # after self, d_in, d_model
    unknown = sorted(set(kw) - set(params))
    if unknown:
        accepted = ", ".join(params)
        raise TypeError(
            f"make_backbone({name!r}): unexpected argument(s) {unknown}; {name!r} accepts: {accepted}"
        )
    return cls(d_in, d_model, **kw)


__all__ = [
    "BACKBONES",
    "AttentionBackbone",
    "Backbone",
    "GRUBackbone",
    "JambaBackbone",
    "LSTMBackbone",
    "MLPBackbone",
    "MambaBackbone",
    "RMSNorm",
    "SelfAttention",
    "State",
    "StateSpec",
    "make_backbone",
]
