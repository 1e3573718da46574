"""A Mamba block that runs everywhere and moves weights to and from ``mamba_ssm.Mamba`` unchanged.

Mamba (Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", arXiv:2312.00752)
is a selective state-space layer: per channel ``d`` and state index ``n``,

    h[t] = exp(delta[t] * A) * h[t-1] + delta[t] * B[t] * x[t]      (discretised as in eq. 4 and Algorithm 2)
    y[t] = C[t] . h[t] + D * x[t]

with ``delta``, ``B`` and ``C`` computed from the input (the "selection" mechanism), after a short causal
depthwise convolution and before a SiLU gate (Figure 3). Agents need two things mamba-ssm does not give on a
CPU: a forward pass over a training segment that starts from a carried state and returns the final state,
and an O(1) recurrent ``step`` for rollouts. This module provides both with mamba-ssm's parameter names,
shapes and initialisation (``mamba_ssm/modules/mamba_simple.py``), and its inference-cache layout for the
state.

Backends, reported after each call in :attr:`Mamba.last_backend`:

- ``"cuda"``: mamba-ssm's selective-scan kernel, when the input is on a GPU, ``pip install botarena[cuda]``
  is installed, ``use_cuda_kernels=True`` and no initial state is given (see ``_mamba_cuda.py``);
- ``"torch-parallel"``: a Blelloch scan over time inside each chunk of the fused scan (``scan.py``), the
  default on GPUs without mamba-ssm, where fewer kernel launches matter;
- ``"torch-sequential"``: one fused multiply-add per time step, the default on CPUs, where it is the faster
  of the two for training because it touches the data once (``benchmarks/bench_backbones.py`` prints both);
  ``step`` always reports this one.

Both PyTorch scans run inside one autograd function that recomputes each time chunk in the backward pass, as
mamba-ssm's kernel does, so training memory does not grow with ``batch * length * d_inner * d_state``.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .scan import selective_scan

MambaState = tuple[Tensor, Tensor]
"""``(conv_state [B, d_inner, d_conv], ssm_state [B, d_inner, d_state])``: mamba-ssm's inference cache."""

ScanChoice = Literal["auto", "sequential", "parallel"]
SCAN_CHOICES: tuple[str, ...] = ("auto", "sequential", "parallel")


class Mamba(nn.Module):
    """Mamba mixer over ``[batch, length, d_model]`` with a carried state; weights compatible with mamba-ssm.

    Args:
        d_model: width of the input and output.
        d_state: SSM state size per channel (``N`` in the paper; 16 in mamba-ssm).
        d_conv: width of the causal depthwise convolution.
        expand: ``d_inner = int(expand * d_model)`` (a float is allowed, as in mamba-ssm).
        dt_rank: rank of the ``delta`` projection; ``"auto"`` is ``ceil(d_model / 16)`` as in mamba-ssm.
        dt_min, dt_max: range of the initial step sizes (log-uniform), Section 3.6 of the paper.
        dt_init: ``"random"`` or ``"constant"`` initialisation of ``dt_proj.weight``.
        dt_scale: scale of that initialisation.
        dt_init_floor: lower clamp of the initial step sizes.
        conv_bias: whether the convolution has a bias.
        bias: whether ``in_proj`` and ``out_proj`` have biases.
        scan: ``"auto"`` (sequential on CPU, parallel on GPU), ``"sequential"`` or ``"parallel"`` for the
            PyTorch forward; ``step`` is always the recurrence.
        use_cuda_kernels: allow mamba-ssm's kernel for state-free forwards on CUDA when it is installed.
        device, dtype: factory arguments, as in mamba-ssm (``A_log`` and ``D`` stay float32 there too).

    Example:
        >>> import torch
        >>> m = Mamba(d_model=16, d_state=8)
        >>> y, state = m(torch.randn(2, 5, 16))
        >>> y_next, state = m.step(torch.randn(2, 16), state)
        >>> y.shape, y_next.shape, [tuple(s.shape) for s in state]
        (torch.Size([2, 5, 16]), torch.Size([2, 16]), [(2, 32, 4), (2, 32, 8)])
    """

    def __init__(
        self,
        d_model: int,
        d_state: int = 16,
        d_conv: int = 4,
        expand: float = 2,
        dt_rank: int | Literal["auto"] = "auto",
        dt_min: float = 0.001,
        dt_max: float = 0.1,
        dt_init: Literal["random", "constant"] = "random",
        dt_scale: float = 1.0,
        dt_init_floor: float = 1e-4,
        conv_bias: bool = True,
        bias: bool = False,
        scan: ScanChoice = "auto",
        use_cuda_kernels: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        for arg, value in (("d_model", d_model), ("d_state", d_state), ("d_conv", d_conv)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Mamba: {arg} must be a positive int, got {value!r}")
        if not isinstance(expand, (int, float)) or int(expand * d_model) < 1:
            raise ValueError(f"Mamba: expand must make d_inner = int(expand * d_model) >= 1, got {expand!r}")
        if dt_rank != "auto" and (not isinstance(dt_rank, int) or dt_rank < 1):
            raise ValueError(f"Mamba: dt_rank must be 'auto' or a positive int, got {dt_rank!r}")
        if scan not in SCAN_CHOICES:
            raise ValueError(f"Mamba: scan must be one of {SCAN_CHOICES}, got {scan!r}")
        if dt_init not in ("random", "constant"):
            raise ValueError(f"Mamba: dt_init must be 'random' or 'constant', got {dt_init!r}")
        if not 0 < dt_min <= dt_max:
            raise ValueError(f"Mamba: need 0 < dt_min <= dt_max, got dt_min={dt_min}, dt_max={dt_max}")
        factory = {"device": device, "dtype": dtype}
        self.d_model = d_model
        self.d_state = d_state
        self.d_conv = d_conv
        self.expand = expand
        self.d_inner = int(expand * d_model)
        self.dt_rank = math.ceil(d_model / 16) if dt_rank == "auto" else int(dt_rank)
        self.scan = scan
        self.use_cuda_kernels = use_cuda_kernels
        self._A_cache: tuple[tuple[object, ...], Tensor] | None = None
        self.last_backend: str | None = None
        """Which backend the last ``forward``/``step`` used: ``"cuda"``, ``"torch-parallel"`` or
        ``"torch-sequential"`` (None before the first call)."""

        # Parameters are created in mamba-ssm's order, so even the state-dict key order matches.
        self.in_proj = nn.Linear(d_model, self.d_inner * 2, bias=bias, **factory)
        self.conv1d = nn.Conv1d(
            self.d_inner,
            self.d_inner,
            kernel_size=d_conv,
            groups=self.d_inner,
            padding=d_conv - 1,
            bias=conv_bias,
            **factory,
        )
        self.x_proj = nn.Linear(self.d_inner, self.dt_rank + 2 * d_state, bias=False, **factory)
        self.dt_proj = nn.Linear(self.dt_rank, self.d_inner, bias=True, **factory)

        # dt_proj initialisation of mamba-ssm: weights keep the variance of the low-rank projection, and the
        # bias is the inverse softplus of step sizes drawn log-uniformly in [dt_min, dt_max] (paper, 3.6).
        dt_init_std = self.dt_rank**-0.5 * dt_scale
        with torch.no_grad():
            if dt_init == "constant":
                nn.init.constant_(self.dt_proj.weight, dt_init_std)
            else:
                nn.init.uniform_(self.dt_proj.weight, -dt_init_std, dt_init_std)
            dt = torch.exp(
                torch.rand(self.d_inner, **factory) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
            ).clamp(min=dt_init_floor)
            # softplus^-1(dt) = dt + log(1 - exp(-dt)), written with expm1 for accuracy at small dt.
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))
        self.dt_proj.bias._no_reinit = True  # type: ignore[attr-defined]  # same marker as mamba-ssm

        # S4D-Real initialisation A[d, n] = -(n + 1) (Gu et al. 2022, "On the Parameterization and
        # Initialization of Diagonal State Space Models"), stored as log(-A) in float32 as mamba-ssm does.
        a = torch.arange(1, d_state + 1, dtype=torch.float32, device=device).repeat(self.d_inner, 1)
        self.A_log = nn.Parameter(torch.log(a))
        self.A_log._no_weight_decay = True  # type: ignore[attr-defined]
        self.D = nn.Parameter(torch.ones(self.d_inner, device=device))
        self.D._no_weight_decay = True  # type: ignore[attr-defined]
        self.out_proj = nn.Linear(self.d_inner, d_model, bias=bias, **factory)

    def extra_repr(self) -> str:
        return (
            f"d_model={self.d_model}, d_state={self.d_state}, d_conv={self.d_conv}, expand={self.expand}, "
            f"dt_rank={self.dt_rank}, scan={self.scan!r}"
        )

    # ------------------------------------------------------------------ state
    def initial_state(
        self, batch_size: int, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> MambaState:
        """Zero ``(conv_state, ssm_state)`` for ``batch_size`` sequences: what ``state=None`` means."""
        device = self.out_proj.weight.device if device is None else device
        dtype = self.conv1d.weight.dtype if dtype is None else dtype
        return (
            torch.zeros(batch_size, self.d_inner, self.d_conv, device=device, dtype=dtype),
            torch.zeros(batch_size, self.d_inner, self.d_state, device=device, dtype=dtype),
        )

    def _check_state(self, state: object, batch: int, where: str) -> MambaState:
        expected = (
            f"(conv_state [batch={batch}, d_inner={self.d_inner}, d_conv={self.d_conv}], "
            f"ssm_state [batch={batch}, d_inner={self.d_inner}, d_state={self.d_state}])"
        )
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            got = f"{len(state)} items" if isinstance(state, (tuple, list)) else type(state).__name__
            raise ValueError(f"Mamba.{where}: state must be None or the pair {expected}, got {got}")
        conv_state, ssm_state = state
        for name, tensor, shape in (
            ("conv_state", conv_state, (batch, self.d_inner, self.d_conv)),
            ("ssm_state", ssm_state, (batch, self.d_inner, self.d_state)),
        ):
            if not isinstance(tensor, Tensor) or not tensor.is_floating_point():
                got = f"dtype {tensor.dtype}" if isinstance(tensor, Tensor) else type(tensor).__name__
                raise ValueError(f"Mamba.{where}: {name} must be a floating-point tensor, got {got}")
            if tuple(tensor.shape) != shape:
                raise ValueError(
                    f"Mamba.{where}: {name} has shape {tuple(tensor.shape)}, expected {shape}; "
                    f"state must be {expected}"
                )
        return conv_state, ssm_state

    def _check_input(self, x: object, ndim: int, where: str) -> Tensor:
        layout = "[batch, length, d_model]" if ndim == 3 else "[batch, d_model]"
        if not isinstance(x, Tensor):
            raise TypeError(f"Mamba.{where}: x must be a tensor {layout}, got {type(x).__name__}")
        if x.ndim != ndim:
            raise ValueError(
                f"Mamba.{where}: x must have {ndim} dims {layout} with d_model={self.d_model}, "
                f"got shape {tuple(x.shape)}"
                + (" (use step() for one time step)" if where == "forward" and x.ndim == 2 else "")
            )
        if x.shape[-1] != self.d_model:
            raise ValueError(
                f"Mamba.{where}: last dim of x must be d_model={self.d_model}, got shape {tuple(x.shape)}"
            )
        if ndim == 3 and x.shape[1] < 1:
            raise ValueError(f"Mamba.forward: sequence length must be at least 1, got shape {tuple(x.shape)}")
        if not x.is_floating_point():
            raise TypeError(f"Mamba.{where}: x must be floating point, got dtype {x.dtype}")
        return x

    # ------------------------------------------------------------------ compute
    def _algorithm(self, x: Tensor) -> Literal["sequential", "parallel"]:
        if self.scan == "auto":
            return "sequential" if x.device.type == "cpu" else "parallel"
        return self.scan  # type: ignore[return-value]

    def forward(self, x: Tensor, state: MambaState | None = None) -> tuple[Tensor, MambaState]:
        """Run over ``x [batch, length, d_model]`` from ``state`` (None: zeros).

        Returns ``(y [batch, length, d_model], final_state)``; feeding ``final_state`` to the next call gives
        the same result as one call over the concatenated sequence. Gradients flow through the state on the
        PyTorch backends.
        """
        x = self._check_input(x, 3, "forward")
        if state is not None:
            state = self._check_state(state, x.shape[0], "forward")
        elif self.use_cuda_kernels and x.is_cuda:
            from ._mamba_cuda import cuda_forward

            result = cuda_forward(self, x)
            if result is not None:
                self.last_backend = "cuda"
                return result

        batch, length, _ = x.shape
        x_in, z = self.in_proj(x).chunk(2, dim=-1)
        x_in = x_in.transpose(1, 2)  # [B, d_inner, L] for the convolution
        if state is None:
            conv_state = x_in.new_zeros(batch, self.d_inner, self.d_conv)
            ssm_state = None
        else:
            conv_state, ssm_state = state
        # The convolution sees the d_conv - 1 inputs before this segment; the first of the d_conv cached
        # inputs is out of reach (mamba-ssm's cache keeps d_conv so that step can roll it in place).
        history = torch.cat([conv_state.to(x_in.dtype), x_in], dim=-1)
        u = F.conv1d(history[..., 1:], self.conv1d.weight, self.conv1d.bias, groups=self.d_inner)
        u = F.silu(u).transpose(1, 2)  # [B, L, d_inner]
        dt, b, c = self.x_proj(u).split([self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.softplus(self.dt_proj(dt))
        a = -torch.exp(self.A_log)
        algorithm = self._algorithm(x)
        y, ssm_last = selective_scan(u, delta, a, b, c, ssm_state, algorithm)
        y = (y + u * self.D.to(u.dtype)) * F.silu(z)
        self.last_backend = f"torch-{algorithm}"
        # The SSM state stays in the accumulation dtype (float32 for half inputs), as mamba-ssm's kernel
        # returns it: a long rollout should not round it to bfloat16 at every step.
        return self.out_proj(y), (history[..., -self.d_conv :].contiguous(), ssm_last)

    def _A(self, dtype: torch.dtype) -> Tensor:
        """``A = -exp(A_log)`` in ``dtype``; cached while autograd is off, as in rollouts.

        At batch 1 a step is a few dozen tiny ops, so two of them saved is worth a cache. The key changes
        whenever ``A_log`` does: in-place updates (optimizer steps, ``load_state_dict``) bump its version, and
        ``.to()`` moves it to new memory.
        """
        if torch.is_grad_enabled():
            return -torch.exp(self.A_log.to(dtype))
        p = self.A_log
        key = (id(p), p._version, p.data_ptr(), p.device, p.dtype, dtype)
        if self._A_cache is None or self._A_cache[0] != key:
            self._A_cache = (key, -torch.exp(p.detach().to(dtype)))
        return self._A_cache[1]

    def step(self, x_t: Tensor, state: MambaState | None = None) -> tuple[Tensor, MambaState]:
        """One time step ``x_t [batch, d_model]`` -> ``(y_t [batch, d_model], new_state)`` in O(1).

        The state is not modified in place, so a caller may keep the old one (e.g. to replay a segment).
        """
        x_t = self._check_input(x_t, 2, "step")
        conv_state, ssm_state = (
            self.initial_state(x_t.shape[0], x_t.device, x_t.dtype)
            if state is None
            else self._check_state(state, x_t.shape[0], "step")
        )
        # Written for few tensor ops: at batch 1 each op costs microseconds of overhead, more than its maths.
        dtype = x_t.dtype
        acc = torch.promote_types(dtype, torch.float32)  # the SSM state accumulates in at least float32

        def cast(t: Tensor) -> Tensor:
            return t if t.dtype == acc else t.to(acc)

        x_in, z = self.in_proj(x_t).chunk(2, dim=-1)
        conv_state = torch.cat([conv_state[..., 1:], x_in.unsqueeze(-1).to(conv_state.dtype)], dim=-1)
        u = (conv_state * self.conv1d.weight[:, 0]).sum(-1)
        if self.conv1d.bias is not None:
            u = u + self.conv1d.bias
        u = F.silu(u).to(dtype)
        dt, b, c = self.x_proj(u).split([self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = cast(F.softplus(self.dt_proj(dt)))
        # One step of the discretised SSM (Gu & Dao 2023, eq. 4): A by zero-order hold, exp(delta * A); B by
        # the simplification delta * B that mamba-ssm's kernels use too.
        decay = torch.exp(delta.unsqueeze(-1) * self._A(acc))
        drive = (delta * cast(u)).unsqueeze(-1) * cast(b).unsqueeze(1)
        ssm_state = torch.addcmul(drive, decay, cast(ssm_state))
        y = torch.bmm(ssm_state, cast(c).unsqueeze(-1)).squeeze(-1).to(dtype)
        y = torch.addcmul(y, u, self.D.to(dtype)) * F.silu(z)
        self.last_backend = "torch-sequential"
        return self.out_proj(y), (conv_state, ssm_state)
