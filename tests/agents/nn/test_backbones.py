"""Every backbone behind one interface: step == forward, chunks == one pass, causality, state, errors."""

from __future__ import annotations

import re

import pytest
import torch

from botarena.agents.nn import BACKBONES, Backbone, Mamba, make_backbone
from botarena.agents.nn.backbones import JambaBackbone

D_IN, D_MODEL, LENGTH, WINDOW = 5, 16, 13, 5

# Small configurations; attention windows shorter than LENGTH so that the sliding window is exercised.
SMALL: dict[str, dict[str, object]] = {
    "mlp": {"window": 3},
    "lstm": {"num_layers": 2},
    "gru": {"num_layers": 2},
    "attention": {"num_layers": 2, "n_heads": 2, "max_window": WINDOW},
    "mamba": {"num_layers": 2, "d_state": 8},
    "jamba": {"num_layers": 3, "attn_every": 3, "n_heads": 2, "max_window": WINDOW, "d_state": 8},
}


def build(name: str, dtype: torch.dtype = torch.float64, seed: int = 0, **overrides) -> Backbone:
    torch.manual_seed(seed)
    return make_backbone(name, D_IN, D_MODEL, **{**SMALL[name], **overrides}).to(dtype)


def randn(*shape, seed: int = 1, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def assert_states_close(got, want, atol=1e-12):
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        if a.is_floating_point():
            torch.testing.assert_close(a, b, rtol=0, atol=atol)
        else:
            assert torch.equal(a, b)


def test_backbones_lists_the_six_names_and_exports():
    assert BACKBONES == ("mlp", "lstm", "gru", "attention", "mamba", "jamba")
    assert set(SMALL) == set(BACKBONES)
    assert callable(make_backbone) and issubclass(Mamba, torch.nn.Module)


def test_unknown_name_or_argument_says_what_is_allowed():
    with pytest.raises(
        ValueError, match="unknown backbone 'transformer'; allowed: mlp, lstm, gru, attention"
    ):
        make_backbone("transformer", D_IN, D_MODEL)
    with pytest.raises(TypeError, match=r"make_backbone\('lstm'\): unexpected argument\(s\) \['window'\]"):
        make_backbone("lstm", D_IN, D_MODEL, window=4)
    with pytest.raises(TypeError, match="'mlp' accepts: window, num_layers"):
        make_backbone("mlp", D_IN, D_MODEL, d_state=4)


@pytest.mark.parametrize("name", BACKBONES)
def test_shapes_parameter_count_and_defaults_build(name):
    net = build(name, dtype=torch.float32)
    y, state = net(randn(2, LENGTH, D_IN, dtype=torch.float32))
    assert y.shape == (2, LENGTH, D_MODEL) and y.dtype == torch.float32
    assert net.num_parameters == sum(p.numel() for p in net.parameters()) > 0
    assert [tuple(s.shape) for s in state] == [s.shape for s in net.state_spec(2)]
    default = make_backbone(name, D_IN, 32)  # default keyword arguments work too
    assert default(torch.zeros(1, 3, D_IN))[0].shape == (1, 3, 32)


@pytest.mark.parametrize("name", BACKBONES)
def test_step_equals_forward(name):
    net = build(name)
    x = randn(3, LENGTH, D_IN)
    y, final = net(x)
    state, ys = None, []
    for t in range(LENGTH):
        y_t, state = net.step(x[:, t], state)
        ys.append(y_t)
    torch.testing.assert_close(torch.stack(ys, 1), y, rtol=0, atol=1e-12)
    assert_states_close(state, final)


@pytest.mark.parametrize("name", BACKBONES)
def test_forward_in_chunks_with_carried_state_equals_one_forward(name):
    net = build(name)
    x = randn(2, LENGTH, D_IN)
    y, final = net(x)
    state, pieces = None, []
    for lo, hi in ((0, 4), (4, 5), (5, LENGTH)):  # a chunk longer than the attention window included
        y_chunk, state = net(x[:, lo:hi], state)
        pieces.append(y_chunk)
    torch.testing.assert_close(torch.cat(pieces, 1), y, rtol=0, atol=1e-12)
    assert_states_close(state, final)


@pytest.mark.parametrize("name", BACKBONES)
def test_outputs_are_causal(name):
    net = build(name)
    x = randn(2, LENGTH, D_IN)
    changed = x.clone()
    changed[:, 7] += 1.0
    y, y_changed = net(x)[0], net(changed)[0]
    torch.testing.assert_close(y_changed[:, :7], y[:, :7], rtol=0, atol=0)
    assert not torch.allclose(y_changed[:, 7], y[:, 7])


@pytest.mark.parametrize("name", BACKBONES)
def test_initial_state_is_what_none_means(name):
    net = build(name)
    x = randn(2, 6, D_IN)
    torch.testing.assert_close(net(x, net.initial_state(2))[0], net(x)[0], rtol=0, atol=1e-12)
    torch.testing.assert_close(
        net.step(x[:, 0], net.initial_state(2))[0], net.step(x[:, 0])[0], rtol=0, atol=0
    )


@pytest.mark.parametrize("name", BACKBONES)
def test_gradients_reach_every_parameter(name):
    net = build(name, dtype=torch.float32)
    y, _ = net(randn(2, 8, D_IN, dtype=torch.float32))
    y.pow(2).mean().backward()
    for param_name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), param_name
        assert p.grad.abs().sum() > 0, f"{name}: no gradient reaches {param_name}"


@pytest.mark.parametrize("name", BACKBONES)
def test_step_does_not_mutate_the_given_state(name):
    net = build(name)
    x = randn(2, 4, D_IN)
    _, state = net(x)
    kept = tuple(s.clone() for s in state)
    net.step(x[:, 0], state)
    net(x, state)
    assert_states_close(state, kept, atol=0)


@pytest.mark.parametrize("name", BACKBONES)
def test_reset_state_restarts_only_the_done_sequences(name):
    net = build(name)
    x = randn(3, 6, D_IN)
    _, state = net(x)
    done = torch.tensor([True, False, True])
    reset = net.reset_state(state, done)
    assert_states_close(net.reset_state(state, done.numpy()), reset, atol=0)  # a vector env's NumPy mask
    fresh = net.initial_state(3)
    for spec, before, after, zero in zip(net.state_spec(3), state, reset, fresh, strict=True):
        rows = (
            before.movedim(spec.batch_dim, 0),
            after.movedim(spec.batch_dim, 0),
            zero.movedim(spec.batch_dim, 0),
        )
        assert torch.equal(rows[1][1], rows[0][1]), f"{spec.name} of a running sequence changed"
        assert torch.equal(rows[1][0], rows[2][0]) and torch.equal(rows[1][2], rows[2][2]), spec.name
    # After the reset, a restarted row steps exactly like a fresh sequence.
    y_reset, _ = net.step(x[:, 0], reset)
    y_fresh, _ = net.step(x[:, 0])
    torch.testing.assert_close(y_reset[done], y_fresh[done], rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", BACKBONES)
def test_state_size_does_not_grow_with_the_sequence(name):
    net = build(name)
    shapes = [tuple(s.shape) for s in net.initial_state(2)]
    _, state = net(randn(2, 40, D_IN))
    assert [tuple(s.shape) for s in state] == shapes


def test_attention_window_bounds_what_each_output_sees():
    # One layer: output t depends on inputs t - max_window + 1 .. t only, in forward as in step.
    net = build("attention", num_layers=1)
    x = randn(1, LENGTH, D_IN)
    changed = x.clone()
    changed[:, 0] += 1.0
    y, y_changed = net(x)[0], net(changed)[0]
    assert not torch.allclose(y_changed[:, WINDOW - 1], y[:, WINDOW - 1])
    torch.testing.assert_close(y_changed[:, WINDOW:], y[:, WINDOW:], rtol=0, atol=1e-12)


def test_mlp_sees_exactly_its_window_of_frames():
    net = build("mlp", window=3)
    x = randn(1, 8, D_IN)
    changed = x.clone()
    changed[:, 2] += 1.0
    y, y_changed = net(x)[0], net(changed)[0]
    moved = (y_changed - y).abs().amax(-1)[0] > 0
    assert moved.tolist() == [False, False, True, True, True, False, False, False]


def test_bidirectional_attention_is_forward_only():
    net = build("attention", causal=False)
    x = randn(2, 6, D_IN)
    y, state = net(x)
    assert state == () and net.initial_state(2) == ()
    changed = x.clone()
    changed[:, 5] += 1.0
    assert not torch.allclose(net(changed)[0][:, 0], y[:, 0])  # the first output sees the last input
    with pytest.raises(RuntimeError, match="step needs causal=True"):
        net.step(x[:, 0])


def test_jamba_places_attention_as_jamba_does():
    assert make_backbone("jamba", D_IN, D_MODEL).layer_kinds == ("mamba", "attention")
    # Jamba's block: 8 layers, attention at offset 4 (attn_layer_period=8, attn_layer_offset=4).
    kinds = make_backbone("jamba", D_IN, D_MODEL, num_layers=8, attn_every=8, d_state=4).layer_kinds
    assert kinds == ("mamba",) * 4 + ("attention",) + ("mamba",) * 3
    only_mamba = make_backbone("jamba", D_IN, D_MODEL, num_layers=2, attn_every=4, attn_offset=3, d_state=4)
    assert isinstance(only_mamba, JambaBackbone) and only_mamba.layer_kinds == ("mamba", "mamba")
    assert [s.name for s in only_mamba.state_spec(1)][-1] == "layer1.ssm_state"  # no attention: no mask
    with pytest.raises(ValueError, match=r"attn_offset must be in \[0, attn_every=4\), got 4"):
        make_backbone("jamba", D_IN, D_MODEL, attn_every=4, attn_offset=4)


@pytest.mark.parametrize("name", ["mamba", "jamba"])
def test_parallel_and_sequential_scans_agree_inside_backbones(name):
    x = randn(2, LENGTH, D_IN)
    y_seq = build(name, scan="sequential")(x)[0]
    y_par = build(name, scan="parallel")(x)[0]
    torch.testing.assert_close(y_par, y_seq, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", BACKBONES)
def test_bad_input_gets_clear_errors(name):
    net = build(name, dtype=torch.float32)
    cls = type(net).__name__
    with pytest.raises(
        ValueError, match=rf"{cls}.forward: last dim of x must be d_in={D_IN}, got shape \(2, 4, 7\)"
    ):
        net(torch.zeros(2, 4, 7))
    with pytest.raises(ValueError, match=r"must have 3 dims \[batch, length, d_in\].*use step\(\)"):
        net(torch.zeros(2, D_IN))
    with pytest.raises(ValueError, match=rf"{cls}.step: x must have 2 dims \[batch, d_in\]"):
        net.step(torch.zeros(2, 1, D_IN))
    with pytest.raises(TypeError, match="floating point"):
        net(torch.zeros(2, 4, D_IN, dtype=torch.int64))
    state = net.initial_state(2)
    with pytest.raises(ValueError, match=rf"state must be the tuple of {len(state)} tensors"):
        net(torch.zeros(2, 4, D_IN), (*state, torch.zeros(1)))
    bad = list(state)
    bad[0] = torch.zeros(7, *state[0].shape)
    spec = net.state_spec(2)[0]
    expected = re.escape(f"state[0] ({spec.name}) has shape {(7, *state[0].shape)}, expected {spec.shape}")
    with pytest.raises(ValueError, match=expected):
        net.step(torch.zeros(2, D_IN), tuple(bad))
    with pytest.raises(ValueError, match="done must be a 1-D"):
        net.reset_state(state, torch.zeros(2, 1, dtype=torch.bool))
