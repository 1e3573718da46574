"""Linear recurrences over time in plain PyTorch: the scan inside Mamba, for CPUs and GPUs without mamba-ssm.

Two public functions:

:func:`selective_scan`
    Mamba's selective SSM (Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
    Algorithm 2): ``h[t] = exp(delta[t] A) h[t-1] + delta[t] B[t] u[t]``, ``y[t] = C[t] . h[t]``. One custom
    autograd function walks time in chunks; the forward keeps only its inputs and the state at each chunk
    start, and the backward recomputes one chunk at a time, as mamba-ssm's CUDA kernel recomputes from its
    inputs. The ``[L, B, d_inner, d_state]`` tensors of the recurrence therefore never exist in full. Letting
    autograd differentiate the same maths op by op was 3-5x slower on a 2-core CPU (batch 64, 60 steps,
    d_model 256): its broadcast products and their reductions over 126 MB tensors dominated.
:func:`linear_scan`
    the generic ``h[t] = a[t] * h[t-1] + b[t]`` (a linear RNN, an exponential moving average), also
    differentiable.

Both offer two algorithms for the recurrence itself:

``"sequential"``
    one fused ``addcmul`` per time step. Work-optimal (one pass over the data), ``L`` small kernel calls.
``"parallel"``
    the Blelloch work-efficient scan (Blelloch 1990, "Prefix sums and their applications") over time: an
    up-sweep and a down-sweep of ``log2(L)`` levels each, in place on strided views. About three passes over
    the data but only ``~2 log2(L)`` kernel calls, which wins when launch overhead dominates (GPUs).

The backward pass of either is the adjoint recurrence run backwards in time,
``g_b[t] = g_h[t] + a[t+1] * g_b[t+1]``. Only products of decays (each in ``(0, 1]`` for Mamba) are formed, so
nothing can overflow; a log-space cumulative-sum scan would need ``exp(-cumsum(delta * A))``, which overflows
float32 once ``sum(delta * |A|)`` over a chunk exceeds ~88. Tensors are time-major inside (``[L, ...]``), so
each time step is one contiguous block.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor
from torch.autograd.function import FunctionCtx, once_differentiable

ScanAlgorithm = Literal["sequential", "parallel"]
SCAN_ALGORITHMS: tuple[str, ...] = ("sequential", "parallel")


def _sequential_(a: Tensor, h: Tensor, reverse: bool) -> None:
    """In place: turn ``h`` (holding ``b``) into the scan of ``a`` over dim 0, one step at a time.

    ``reverse`` runs the adjoint recurrence ``h[t] = a[t+1] * h[t+1] + b[t]`` (note the shifted decay), which
    is what the backward pass needs; reading ``a[t+1]`` here saves a shifted copy of ``a``.
    """
    length = h.shape[0]
    if reverse:
        for t in range(length - 2, -1, -1):
            h[t].addcmul_(a[t + 1], h[t + 1])
    else:
        for t in range(1, length):
            h[t].addcmul_(a[t], h[t - 1])


def _blelloch_slices(length: int, stride: int, first: int, reverse: bool) -> tuple[slice, slice] | None:
    """Targets and sources of one Blelloch level over ``length`` steps.

    Forward targets are ``first, first + 2*stride, ...`` (``first`` is ``2s-1`` in the up-sweep and ``3s-1``
    in the down-sweep) and each combines with the element ``stride`` before it; the reverse scan mirrors the
    indices (``i -> length - 1 - i``) so that each target combines with the element ``stride`` after it.
    """
    if first >= length:
        return None
    step = 2 * stride
    if not reverse:
        targets = slice(first, length, step)
        sources = slice(first - stride, length - stride, step)
    else:
        last = length - 1 - first  # mirror of the first forward target: the largest reverse target
        start = last % step
        targets = slice(start, last + 1, step)
        sources = slice(start + stride, last + 1 + stride, step)
    return targets, sources


def _blelloch_(a: Tensor, h: Tensor, reverse: bool) -> None:
    """In place: turn ``h`` (holding ``b``) into the scan of ``a`` over dim 0; ``a`` is overwritten.

    ``reverse`` computes ``h[t] = a[t] * h[t+1] + b[t]`` (unshifted: the caller shifts the decays).

    Up-sweep: after level ``s`` every target holds the reduction of the block of ``2s`` steps that ends at it
    (``h`` = combined offset, ``a`` = product of decays). Down-sweep: going back down the levels, each element
    whose block does not start at the sequence start is completed from the finished prefix just before it.
    """
    length = h.shape[0]
    stride = 1
    while 2 * stride <= length:
        pair = _blelloch_slices(length, stride, 2 * stride - 1, reverse)
        assert pair is not None
        tgt, src = pair
        h[tgt].addcmul_(a[tgt], h[src])  # uses a[tgt] before it is combined below: order matters
        a[tgt].mul_(a[src])
        stride *= 2
    stride //= 2
    while stride >= 1:
        pair = _blelloch_slices(length, stride, 3 * stride - 1, reverse)
        if pair is not None:
            tgt, src = pair
            h[tgt].addcmul_(a[tgt], h[src])
        stride //= 2


class _LinearScan(torch.autograd.Function):
    @staticmethod
    def forward(ctx: FunctionCtx, a: Tensor, b: Tensor, h0: Tensor, algorithm: str) -> Tensor:  # type: ignore[override]
        h = b.clone(memory_format=torch.contiguous_format)
        h[0].addcmul_(a[0], h0)
        if algorithm == "sequential":
            _sequential_(a, h, reverse=False)
        else:
            # The Blelloch sweeps overwrite their decays, and ``a`` must survive for the backward pass.
            _blelloch_(a.clone(), h, reverse=False)
        ctx.save_for_backward(a, h, h0)
        ctx.algorithm = algorithm  # type: ignore[attr-defined]
        return h

    @staticmethod
    @once_differentiable
    def backward(ctx: FunctionCtx, grad_h: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        a, h, h0 = ctx.saved_tensors  # type: ignore[attr-defined]
        algorithm: str = ctx.algorithm  # type: ignore[attr-defined]
        # dLoss/db[t] = g[t] + a[t+1] * dLoss/db[t+1]: the same recurrence, backwards in time, with the decays
        # shifted by one step.
        grad_b = grad_h.clone(memory_format=torch.contiguous_format)
        if algorithm == "sequential":
            _sequential_(a, grad_b, reverse=True)
        else:
            shifted = torch.empty_like(a)
            shifted[:-1].copy_(a[1:])
            shifted[-1].zero_()  # only ever multiplies into blocks that end past the last step: unused
            _blelloch_(shifted, grad_b, reverse=True)
        grad_a = grad_h_prev = None
        if ctx.needs_input_grad[0]:  # type: ignore[attr-defined]
            grad_a = torch.empty_like(a)
            torch.mul(grad_b[1:], h[:-1], out=grad_a[1:])
            torch.mul(grad_b[0], h0, out=grad_a[0])
        if ctx.needs_input_grad[2]:  # type: ignore[attr-defined]
            grad_h_prev = grad_b[0] * a[0]
        return grad_a, grad_b, grad_h_prev, None


def linear_scan(
    a: Tensor, b: Tensor, h0: Tensor | None = None, algorithm: ScanAlgorithm = "sequential"
) -> Tensor:
    """All states of ``h[t] = a[t] * h[t-1] + b[t]`` (``h[-1] = h0``, zeros by default), time on dim 0.

    Args:
        a: decays, shape ``[L, *S]``.
        b: inputs, same shape as ``a``.
        h0: state before the first step, shape ``S`` (``None``: zeros).
        algorithm: ``"sequential"`` or ``"parallel"`` (Blelloch); both give the same result up to rounding.

    Returns:
        ``h`` of shape ``[L, *S]``; ``h[-1]`` is the state to carry into the next segment. Differentiable with
        respect to ``a``, ``b`` and ``h0``.
    """
    if algorithm not in SCAN_ALGORITHMS:
        raise ValueError(f"linear_scan: algorithm must be one of {SCAN_ALGORITHMS}, got {algorithm!r}")
    if a.shape != b.shape or a.ndim < 1 or a.shape[0] < 1:
        raise ValueError(
            "linear_scan: a and b must have the same shape [L >= 1, ...], "
            f"got {tuple(a.shape)} and {tuple(b.shape)}"
        )
    if h0 is None:
        h0 = b.new_zeros(b.shape[1:])
    elif h0.shape != b.shape[1:]:
        raise ValueError(f"linear_scan: h0 must have shape {tuple(b.shape[1:])}, got {tuple(h0.shape)}")
    return _LinearScan.apply(a.contiguous(), b.contiguous(), h0.contiguous(), algorithm)


# ------------------------------------------------------------------------------------------------------------
# The selective scan of Mamba, fused and chunked over time.
# ------------------------------------------------------------------------------------------------------------

DEFAULT_CHUNK_BYTES = {"cpu": 4 << 20, "cuda": 256 << 20}
"""Size of one chunk's [T, B, D, N] working tensors: small enough on CPU to stay in cache (measured fastest at
1-8 MiB on a 2-core EPYC), large on GPUs where fewer, bigger kernels win."""


def _chunk_len(
    length: int, per_step: int, element_size: int, device: torch.device, chunk_bytes: int | None
) -> int:
    budget = (
        DEFAULT_CHUNK_BYTES.get(device.type, DEFAULT_CHUNK_BYTES["cuda"])
        if chunk_bytes is None
        else chunk_bytes
    )
    return max(1, min(length, budget // max(1, per_step * element_size)))


def _chunk_states(
    u: Tensor, delta: Tensor, A: Tensor, B: Tensor, h_prev: Tensor, algorithm: str, keep_decay: bool
) -> tuple[Tensor, Tensor]:
    """Decays ``exp(delta * A)`` and states ``h`` of one chunk, ``[T, batch, d_inner, d_state]`` each.

    The Blelloch sweeps overwrite the decays they are given: with ``keep_decay`` they get a copy (the backward
    pass needs the decays afterwards), without it the returned decays are not meaningful.
    """
    decay = torch.mul(delta.unsqueeze(-1), A).exp_()
    h = torch.mul((delta * u).unsqueeze(-1), B.unsqueeze(-2))  # the drive delta * B * u, scanned in place
    h[0].addcmul_(decay[0], h_prev)
    if algorithm == "sequential":
        _sequential_(decay, h, reverse=False)
    else:
        _blelloch_(decay.clone() if keep_decay else decay, h, reverse=False)
    return decay, h


class _SelectiveScan(torch.autograd.Function):
    """``y[t] = C[t] . h[t]``, ``h[t] = exp(delta[t] A) h[t-1] + delta[t] B[t] u[t]``; time-major inputs.

    Memory is O(chunk), and each chunk's passes stay in cache (see the module docstring).
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: FunctionCtx,
        u: Tensor,
        delta: Tensor,
        A: Tensor,
        B: Tensor,
        C: Tensor,
        h0: Tensor,
        algorithm: str,
        chunk: int,
    ) -> tuple[Tensor, Tensor]:
        length = u.shape[0]
        y = torch.empty_like(u)
        h_prev = h0
        starts = []
        for c0 in range(0, length, chunk):
            sl = slice(c0, min(c0 + chunk, length))
            starts.append(h_prev)
            _, h = _chunk_states(u[sl], delta[sl], A, B[sl], h_prev, algorithm, keep_decay=False)
            h_prev = h[-1].clone()  # a copy: h's buffer is reused just below, then freed
            torch.sum(h.mul_(C[sl].unsqueeze(-2)), dim=-1, out=y[sl])
        ctx.save_for_backward(u, delta, A, B, C, torch.stack(starts))
        ctx.algorithm = algorithm  # type: ignore[attr-defined]
        ctx.chunk = chunk  # type: ignore[attr-defined]
        ctx.set_materialize_grads(False)
        return y, h_prev

    @staticmethod
    @once_differentiable
    def backward(
        ctx: FunctionCtx, grad_y: Tensor | None, grad_last: Tensor | None
    ) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        u, delta, A, B, C, starts = ctx.saved_tensors  # type: ignore[attr-defined]
        algorithm: str = ctx.algorithm  # type: ignore[attr-defined]
        chunk: int = ctx.chunk  # type: ignore[attr-defined]
        length = u.shape[0]
        grad_y = torch.zeros_like(u) if grad_y is None else grad_y.contiguous()
        # dLoss/dh at the end of the current chunk, from the final-state output and from all later chunks.
        carry = torch.zeros_like(starts[0]) if grad_last is None else grad_last.contiguous()
        g_u, g_delta = torch.empty_like(u), torch.empty_like(delta)
        g_B, g_C = torch.empty_like(B), torch.empty_like(C)
        g_A = torch.zeros_like(A)
        for index in reversed(range(len(starts))):
            c0 = index * chunk
            sl = slice(c0, min(c0 + chunk, length))
            u_c, d_c, B_c, C_c, gy_c, h_prev = u[sl], delta[sl], B[sl], C[sl], grad_y[sl], starts[index]
            decay, h = _chunk_states(u_c, d_c, A, B_c, h_prev, algorithm, keep_decay=True)
            torch.matmul(gy_c.unsqueeze(-2), h, out=g_C[sl].unsqueeze(-2))  # sum over d of gy * h
            # g_h: dLoss/dh[t] in total, i.e. dLoss/d(drive[t]); the adjoint recurrence runs backwards.
            g_h = torch.mul(gy_c.unsqueeze(-1), C_c.unsqueeze(-2))
            g_h[-1].add_(carry)
            if algorithm == "sequential":
                _sequential_(decay, g_h, reverse=True)
            else:
                shifted = torch.empty_like(decay)
                shifted[:-1].copy_(decay[1:])
                shifted[-1].zero_()
                _blelloch_(shifted, g_h, reverse=True)
            carry = g_h[0] * decay[0]
            # dLoss/d(delta * A)[t] = g_h[t] * h[t-1] * decay[t]  (d exp(x)/dx = exp(x)), built in decay's
            # buffer, which is no longer needed; the big buffers are reused so a chunk allocates three.
            g_x = decay.mul_(g_h)
            g_x[1:].mul_(h[:-1])
            g_x[0].mul_(h_prev)
            # Reductions are written as multiply-then-sum or as a row-vector matmul, whichever measured faster
            # on CPU for these shapes (einsum picked a permute-and-copy path that was 10x slower).
            g_A += torch.mul(g_x, d_c.unsqueeze(-1), out=h).sum((0, 1))
            g_delta_c = g_x.mul_(A).sum(-1)
            # drive = (delta * u) * B: split dLoss/d(drive) between delta * u and B.
            torch.matmul((d_c * u_c).unsqueeze(-2), g_h, out=g_B[sl].unsqueeze(-2))
            g_du = g_h.mul_(B_c.unsqueeze(-2)).sum(-1)  # g_h is done with: reuse its buffer
            g_delta[sl] = g_delta_c + g_du * u_c
            g_u[sl] = g_du * d_c
        return g_u, g_delta, g_A, g_B, g_C, carry, None, None


def selective_scan(
    u: Tensor,
    delta: Tensor,
    A: Tensor,
    B: Tensor,
    C: Tensor,
    h0: Tensor | None = None,
    algorithm: ScanAlgorithm = "sequential",
    chunk_bytes: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The selective SSM of Gu & Dao 2023 (Algorithm 2) without the ``D`` skip and the gate.

    ``h[t] = exp(delta[t] * A) * h[t-1] + delta[t] * B[t] * u[t]`` and ``y[t] = C[t] . h[t]``, per channel
    ``d`` and state index ``n``, accumulated in at least float32 as in mamba-ssm's kernel.

    Args:
        u: inputs ``[batch, L, d_inner]``.
        delta: step sizes after softplus ``[batch, L, d_inner]``.
        A: continuous-time state matrix (negative) ``[d_inner, d_state]``.
        B, C: input-dependent projections ``[batch, L, d_state]``.
        h0: state before the first step ``[batch, d_inner, d_state]`` (None: zeros).
        algorithm: ``"sequential"`` or ``"parallel"`` scan inside each chunk (see :func:`linear_scan`).
        chunk_bytes: working-set size of one time chunk; None picks a per-device default.

    Returns:
        ``y [batch, L, d_inner]`` in ``u``'s dtype, and the final state ``[batch, d_inner, d_state]`` in the
        accumulation dtype. Differentiable with respect to every input, ``h0`` included.
    """
    if algorithm not in SCAN_ALGORITHMS:
        raise ValueError(f"selective_scan: algorithm must be one of {SCAN_ALGORITHMS}, got {algorithm!r}")
    batch, length, d_inner = u.shape
    d_state = A.shape[-1]
    acc = torch.promote_types(u.dtype, torch.float32)

    def time_major(t: Tensor) -> Tensor:
        return t.transpose(0, 1).to(acc).contiguous()

    h0 = u.new_zeros(batch, d_inner, d_state, dtype=acc) if h0 is None else h0.to(acc).contiguous()
    element_size = torch.empty((), dtype=acc).element_size()
    chunk = _chunk_len(length, batch * d_inner * d_state, element_size, u.device, chunk_bytes)
    y, h_last = _SelectiveScan.apply(
        time_major(u),
        time_major(delta),
        A.to(acc).contiguous(),
        time_major(B),
        time_major(C),
        h0,
        algorithm,
        chunk,
    )
    return y.transpose(0, 1).to(u.dtype), h_last
