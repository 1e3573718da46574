"""The ``botarena`` command.

    botarena envs                     list the registered Gymnasium ids with their spaces
    botarena agents [--game G]        list the registered agents
    botarena play GAME [...]          play a game in a pygame window (or --spectate bots)
    botarena replay FILE [...]        play back a recorded episode, checking it re-simulates exactly
    botarena datasets GAME [...]      write demonstration datasets of a game's scripted players
    botarena train GAME [...]         train a game's reference agent
    botarena eval AGENT GAME [...]    evaluate one agent
    botarena leaderboard [...]        rank every agent on every game
    botarena bench [NAME ...]         run the benchmarks in benchmarks/ and print their figures

Game-specific subcommands (play, datasets, train) hand their remaining arguments to the game's own entry
point (``botarena.envs.<game>.play:main``, ``botarena.envs.<game>.datasets:main``,
``botarena.agents.<game>.train:main``), so each game documents its options with ``botarena play <game> --help``.
Heavy modules (torch, numba kernels) load only when a subcommand needs them: ``botarena --help`` is instant.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from botarena.agents.common.threads import single_threaded_numpy_blas

__all__ = ["main", "build_parser"]

REPO_ROOT = Path(__file__).resolve().parent.parent


class CommandUnavailable(RuntimeError):
    """A subcommand whose implementation this installation does not (yet) have."""


def _entry(entry_point: str, what: str) -> Callable[..., int | None]:
    module_name, attr = entry_point.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name and module_name.startswith(err.name):
            raise CommandUnavailable(f"{what} is not available in this version of botarena "
                                     f"(no module {module_name})") from err
        raise
    return getattr(module, attr)


def _games() -> dict:
    from botarena.envs import GAMES

    return GAMES


def _check_game(game: str) -> None:
    games = _games()
    if game not in games:
        known = ", ".join(games) or "none registered yet"
        raise CommandUnavailable(f"unknown game {game!r}; games: {known}")


# ---------------------------------------------------------------------- subcommands
def cmd_envs(args: argparse.Namespace) -> int:
    import gymnasium as gym

    from botarena.envs.common.validation import describe_space

    games = _games()
    if not games:
        print("No games are registered yet.")
        return 0
    for spec in games.values():
        env = gym.make(spec.env_id)
        print(f"{spec.env_id}  (game '{spec.name}', max_episode_steps={spec.max_episode_steps})")
        print(f"  observation: {describe_space(env.observation_space)}")
        print(f"  action:      {describe_space(env.action_space)}")
        env.close()
    return 0


def cmd_agents(args: argparse.Namespace) -> int:
    from botarena.agents.common.registry import list_agents

    if args.game is not None:
        _check_game(args.game)
    specs = list_agents(args.game)
    if not specs:
        print("No agents are registered yet." if args.game is None else f"No agents for game {args.game!r}.")
        return 0
    width = max(len(s.name) for s in specs)
    for s in specs:
        checkpoint = f"  [{s.checkpoint}]" if s.checkpoint else ""
        print(f"{s.name:<{width}}  {s.kind:<8}  {s.description}{checkpoint}")
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    _check_game(args.game)
    main_fn = _entry(f"botarena.envs.{args.game}.play:main", f"`botarena play {args.game}`")
    return int(main_fn(args.rest) or 0)


def cmd_datasets(args: argparse.Namespace) -> int:
    _check_game(args.game)
    main_fn = _entry(f"botarena.envs.{args.game}.datasets:main", f"`botarena datasets {args.game}`")
    return int(main_fn(args.rest) or 0)


def cmd_train(args: argparse.Namespace) -> int:
    _check_game(args.game)
    main_fn = _entry(f"botarena.agents.{args.game}.train:main", f"`botarena train {args.game}`")
    return int(main_fn(args.rest) or 0)


def cmd_eval(args: argparse.Namespace) -> int:
    main_fn = _entry("botarena.agents.leaderboard.cli:eval_main", "`botarena eval`")
    return int(main_fn(args) or 0)


def cmd_leaderboard(args: argparse.Namespace) -> int:
    main_fn = _entry("botarena.agents.leaderboard.cli:leaderboard_main", "`botarena leaderboard`")
    return int(main_fn(args) or 0)


def cmd_replay(args: argparse.Namespace) -> int:
    from botarena.envs.common.recording import EpisodeRecording, replay

    recording = EpisodeRecording.load(args.file)
    steps = 0
    for _ in replay(recording, render_mode="human" if args.render else None):
        steps += 1
    totals = ", ".join(f"{agent}: {recording.total_reward(agent):.3f}" for agent in recording.agents)
    target = recording.env_id or recording.env_module
    print(f"replayed {steps} steps of {target} (seed {recording.seed}); rewards match the recording ({totals})")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    bench_dir = REPO_ROOT / "benchmarks"
    scripts = sorted(bench_dir.glob("bench_*.py"))
    if not scripts:
        raise CommandUnavailable(f"no benchmarks found in {bench_dir} (they ship with a source checkout)")
    if args.names:
        known = [s.stem.removeprefix("bench_") for s in scripts]
        scripts = [s for s in scripts if any(n in s.stem for n in args.names)]
        if not scripts:
            raise CommandUnavailable(f"no benchmark matches {args.names}; benchmarks: {', '.join(known)}")
    failed = 0
    for script in scripts:
        print(f"\n=== {script.stem} ===", flush=True)
        extra = ["--quick"] if args.quick else []
        failed += subprocess.call([sys.executable, str(script), *extra]) != 0
    return 1 if failed else 0


# ---------------------------------------------------------------------- parser
def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="botarena",
        description="Fast simulated games for bot research: play them, train agents, rank them.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("envs", help="list the registered Gymnasium ids with their spaces")
    p.set_defaults(func=cmd_envs)

    p = sub.add_parser("agents", help="list the registered agents")
    p.add_argument("--game", default=None, help="only this game's agents")
    p.set_defaults(func=cmd_agents)

    p = sub.add_parser("play", help="play a game in a window (see `botarena play GAME --help`)")
    p.add_argument("game", help="territory, click_arena or tick_duel")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="options for the game's player")
    p.set_defaults(func=cmd_play)

    p = sub.add_parser("replay", help="play back a recorded episode and check it re-simulates exactly")
    p.add_argument("file", type=Path, help="an episode recording (.npz)")
    p.add_argument("--render", action="store_true", help="show it in a pygame window")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("datasets", help="write demonstration datasets (see `botarena datasets GAME --help`)")
    p.add_argument("game")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="options for the game's dataset writer")
    p.set_defaults(func=cmd_datasets)

    p = sub.add_parser("train", help="train a game's reference agent (see `botarena train GAME --help`)")
    p.add_argument("game")
    p.add_argument("rest", nargs=argparse.REMAINDER, help="options for the game's trainer")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="evaluate one agent on one game, beside the game's scripted agents")
    p.add_argument("agent", help="a registered agent name, e.g. territory/expander")
    p.add_argument("game")
    p.add_argument("--episodes", type=_positive_int, default=20, help="seeds per table (default 20)")
    p.add_argument("--out", type=Path, default=None)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("leaderboard", help="rank every agent on every game")
    p.add_argument("--games", default=None, help="comma-separated games (default: all)")
    p.add_argument("--agents", default=None, help="comma-separated agent names (default: all)")
    p.add_argument("--episodes", type=_positive_int, default=None,
                   help="seeds per table (default: the table's own, see agents/leaderboard/cli.py)")
    p.add_argument("--quick", action="store_true", help="a small run that finishes in minutes")
    p.add_argument("--backend", choices=("serial", "process", "ray"), default="process")
    p.add_argument("--ray-address", default=None)
    p.add_argument("--out", type=Path, default=None)
    p.set_defaults(func=cmd_leaderboard)

    p = sub.add_parser("bench", help="run benchmarks/bench_*.py and print their figures")
    p.add_argument("names", nargs="*", help="only benchmarks whose name contains one of these")
    p.add_argument("--quick", action="store_true", help="tiny repeat counts (a smoke run)")
    p.set_defaults(func=cmd_bench)
    return parser


def _said_in_one_line(err: Exception) -> bool:
    """User errors (a bad file, an unknown name, a cluster that does not answer) and a leaderboard stopped by dying
    workers (every finished episode kept; the message says how to resume) get one clear line, not a traceback."""
    if isinstance(err, (ValueError, KeyError, FileNotFoundError, ConnectionError)):
        return True
    # A WorkerLost was raised by the runner, so the runner is loaded; importing it here could raise anew instead.
    runner = sys.modules.get("botarena.agents.leaderboard.runner")
    return runner is not None and isinstance(err, runner.WorkerLost)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    single_threaded_numpy_blas()
    try:
        return int(args.func(args) or 0)
    except CommandUnavailable as err:
        print(f"botarena {args.command}: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        if not _said_in_one_line(err):
            raise
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"botarena {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
