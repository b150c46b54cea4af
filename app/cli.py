"""Command line: the window by default, ``run`` for headless runs, ``selftest``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from app.engine.clock import parse_speed
from app.engine.contract import Flag, flag_uses, read_late
from app.engine.faults import SpecError
from app.sync.control import STRATEGIES

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def one_line(message: str) -> str:
    """User input echoed in a message must not break it over lines (or hide characters)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the problem, then exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {one_line(message)}\n")


def _speed(text: str) -> float | None:
    try:
        return parse_speed(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def _window(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a whole number, got {text!r}") from None


def _flag_type(flag: Flag) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            return flag.read(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = flag.name
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kitchen-sync",
        description="Thread synchronisation made visible. With no command, opens the window; "
        "kitchen-sync FILE.jsonl opens it playing that trace back.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    from app.scenes import registry

    scenes = registry.SCENES
    listing = "; ".join(f"{spec.name}: {spec.summary.lower()}" for spec in scenes)
    run = sub.add_parser(
        "run",
        help="run a scene without a window and report",
        description=f"Run a scene without a window and report. Scenes: {listing}.",
    )
    run.add_argument(
        "scenario", metavar="SCENE", help=f"{', '.join(registry.names())}, or a scenario FILE.toml"
    )
    run.add_argument("--seed", type=_seed, default=None, help="seed for durations and faults (default 0)")
    run.add_argument("--speed", type=_speed, default=None, help="0.25 to 16, or max (default max)")
    kinds = "; ".join(f"{spec.name}: {'/'.join(spec.fault_kinds)}" for spec in scenes)
    run.add_argument("--faults", default="", help=f"rates adding up to at most 1, e.g. crash=0.05; {kinds}")
    run.add_argument(
        "--max-restarts",
        type=_positive_int,
        default=None,
        metavar="N",
        help="restarts allowed within the restart window before the run escalates to a shutdown "
        "(default 5); raise it for long soaks with faults",
    )
    run.add_argument(
        "--restart-window",
        type=_window,
        default=None,
        metavar="S",
        help="the restart window, in simulated seconds (default 30)",
    )
    for name, uses in flag_uses(scenes).items():
        first = uses[0][1]
        if first.prints is not None:
            help_text = "; ".join(f"{scene}: {flag.help}" for scene, flag in uses)
            run.add_argument(f"--{name}", action="store_true", default=None, help=help_text)
            continue
        late = read_late(uses)  # read by the scene's own flag once the scene is known
        run.add_argument(
            f"--{name}",
            type=str if late else _flag_type(first),
            default=None,
            metavar="|".join(dict.fromkeys(flag.metavar for _, flag in uses)) if late else first.metavar,
            help="; ".join(f"{scene}: {flag.help}" for scene, flag in uses),
        )
    run.add_argument(
        "--schedule",
        choices=STRATEGIES,
        default=None,
        help="controlled mode: threads take turns and this strategy (seeded by --seed) picks "
        "who is next, so a run repeats exactly; without it the operating system schedules",
    )
    run.add_argument(
        "--pct-depth",
        type=_positive_int,
        default=None,
        metavar="D",
        help="pct: bug depth to aim at (default 3)",
    )
    run.add_argument(
        "--replay",
        metavar="TRACE.jsonl",
        help="re-run the schedule recorded in a controlled run's trace, choice for choice",
    )
    run.add_argument("--trace", metavar="FILE.jsonl", help="write every trace record as JSON lines")
    run.add_argument("--chrome-trace", metavar="FILE.json", help="write a Chrome trace (opens in Perfetto)")
    run.add_argument("--json", action="store_true", help="print one JSON summary object, nothing else")
    sub.add_parser("selftest", help="drive the real window offscreen and check it holds")
    _add_explore(sub, registry.names())
    return parser


def _add_explore(sub: Any, scenes: list[str]) -> None:
    ex = sub.add_parser(
        "explore",
        help="run a scene under many schedules, check each run, shrink the first failure",
        description="Run a scene (or lab:EXPERIMENT) in controlled mode under N schedules and check "
        "every run: exactly-once, the scene's invariants, no deadlock, no thread left alive, and "
        "a lab experiment's assertion. The first failure is shrunk and written as a trace that "
        "run --replay re-executes. Exit 1 when a failure was found, 0 when none.",
    )
    ex.add_argument("target", metavar="SCENE|lab:EXPERIMENT", help=f"{', '.join(scenes)}; lab:NAME")
    ex.add_argument("--strategy", choices=STRATEGIES, default="pos", help="default pos")
    ex.add_argument("--schedules", type=_positive_int, default=100, metavar="N", help="default 100")
    ex.add_argument("--seed", type=_seed, default=0, help="schedule i uses seed S+i, scene and strategy")
    ex.add_argument("--variant", choices=("wrong", "right"), default=None, help="lab: default right")
    ex.add_argument("--faults", default="", help="the scene's fault rates, as run takes them")
    ex.add_argument("--pct-depth", type=_positive_int, default=None, metavar="D", help="pct: default 3")
    ex.add_argument(
        "--shrink-budget", type=_positive_int, default=300, metavar="RUNS", help=argparse.SUPPRESS
    )
    ex.add_argument(
        "--out", metavar="FILE.jsonl", help="the shrunk failure's trace (default explore-TARGET.jsonl)"
    )
    ex.add_argument("--json", action="store_true", help="print one JSON object, nothing else")


def _check_run(args: argparse.Namespace) -> str | None:
    if args.schedule and args.replay:
        return "give --schedule or --replay, not both (a replay uses the trace's schedule)"
    if args.pct_depth and args.schedule != "pct":
        return "--pct-depth goes with --schedule pct"
    return None


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in and args_in[0].endswith(".jsonl"):  # kitchen-sync FILE.jsonl: play it back
        from app.gui.application import run_gui_with_trace

        return run_gui_with_trace(args_in)
    parser = build_parser()
    try:
        args = parser.parse_args(args_in)
    except SystemExit as exc:  # argparse exits on --help and errors; hand back the code
        return int(exc.code or 0)
    if args.command == "run":
        from app.headless import run

        problem = _check_run(args)
        if problem:
            print(f"kitchen-sync: error: {problem}", file=sys.stderr)
            return EXIT_USAGE
        try:
            return run(args)
        except SpecError as exc:
            print(f"kitchen-sync: error: {one_line(str(exc))}", file=sys.stderr)
            return EXIT_USAGE
    if args.command == "explore":
        from app.explore import explore

        try:
            return explore(args)
        except SpecError as exc:
            print(f"kitchen-sync: error: {one_line(str(exc))}", file=sys.stderr)
            return EXIT_USAGE
    if args.command == "selftest":
        from app.gui.selftest import selftest

        return selftest()
    from app.gui.application import run_gui

    return run_gui()
