"""Latency of the TickDuel event decoder on one CPU thread at batch 1 (a live tick is 600 ms; the aim is 5 ms).

Prints (never asserts):

* the shipped agent (``tick_duel/decoder``, when its checkpoint is present) deciding real ticks of a duel against
  ``nh_expert``: ``act`` per tick, median and 99th percentile, and the events it made per tick;
* the two parts of a decision, context (the tick encoder and the temporal backbone over the history) and the
  generation of a tick's events, for each decoder (sequential, attention at widths 256 and 128) and a fixed
  number of events (the shipped agent's mean; untrained weights with the stop decision switched off, so both
  decoders generate exactly as many events: the cost does not depend on the weights' values).

    python benchmarks/bench_tick_duel_decoder.py            # ~30 s
    python benchmarks/bench_tick_duel_decoder.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from harness import pin_one_core, times_ms


def shipped(ticks: int) -> float | None:
    """The shipped agent on ``ticks`` real ticks; returns its mean events per tick."""
    from botarena.agents import make_agent
    from botarena.agents.common.registry import agent_spec
    from botarena.envs.tick_duel import TickDuelVectorEnv

    try:
        present = agent_spec("tick_duel/decoder").checkpoint_path.is_file()
    except KeyError:  # not registered in this checkout
        present = False
    if not present:
        print("tick_duel/decoder: no shipped checkpoint here; skipped")
        return None
    agent = make_agent("tick_duel/decoder")
    env = TickDuelVectorEnv(1, opponent="nh_expert")
    obs, _ = env.reset(seed=2**32 + 9)
    agent.reset(2**32 + 9)
    times, events = [], []
    for _ in range(ticks):
        start = time.perf_counter()
        action = agent.act_batch(obs)
        times.append((time.perf_counter() - start) * 1e3)
        events.append(int(action["n"][0]))
        obs, _, terminated, truncated, _ = env.step(action)
        if terminated[0] or truncated[0]:
            obs, _ = env.reset(seed=2**32 + 10 + len(times))
    times = np.array(times)
    print(f"tick_duel/decoder (shipped), {ticks} ticks of duels against nh_expert: act {np.median(times):.2f} ms "
          f"median, {np.percentile(times, 99):.2f} ms p99; {np.mean(events):.1f} events per tick")
    return float(np.mean(events))


def parts(decoder: str, hidden: int, events: int, repeats: int) -> None:
    from botarena.agents.tick_duel.decoder import UNKNOWN_STYLE, DecoderConfig, EventDecoder
    from botarena.envs.tick_duel import TickDuelVectorEnv

    torch.manual_seed(0)
    model = EventDecoder(DecoderConfig(decoder=decoder, hidden=hidden, max_events=events)).eval()
    with torch.no_grad():
        model.stop.bias[:] = -30.0  # never stop: exactly ``events`` events
        means = slice(model.cfg.time_components, 2 * model.cfg.time_components)
        model.gap.weight[means] = 0.0  # every gap 0 ms, whatever the state: the tick's 600 ms never run out
        model.gap.bias[means] = 0.0
    env = TickDuelVectorEnv(1, opponent="nh_expert")
    obs, _ = env.reset(seed=0)
    for _ in range(20):
        obs, *_ = env.step(env.expert_events("nh_expert"))
    inputs = [torch.as_tensor(np.asarray(obs[k])) for k in ("gamestate", "action_history", "history_len")]
    style = torch.full((1,), UNKNOWN_STYLE)
    with torch.inference_mode():
        context = model(*inputs, style)
        t_context = times_ms(lambda: model(*inputs, style), repeats)
        made = model.generate(context, sample=False)[1][0]
        t_generate = times_ms(lambda: model.generate(context, sample=False), repeats)
    print(f"  {decoder:<10} width {hidden:<3} context {np.median(t_context):.2f} ms, "
          f"{made} events {np.median(t_generate):.2f} ms "
          f"({np.median(t_generate) / max(made, 1):.3f} ms an event); {model.num_parameters():,} parameters")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true")
    args = p.parse_args(argv)
    print(f"TickDuel event decoder latency, one thread, {pin_one_core()}")
    torch.set_num_threads(1)
    mean_events = shipped(20 if args.quick else 400)
    events = int(round(mean_events)) if mean_events else 12
    print(f"Parts of one decision at batch 1, {events} events (median of {5 if args.quick else 200}):")
    for decoder, hidden in (("sequential", 256), ("attention", 256), ("attention", 128)):
        parts(decoder, hidden, events, 5 if args.quick else 200)
    return 0


if __name__ == "__main__":
    sys.exit(main())
