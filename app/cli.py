"""Command line: the window by default, ``run`` for headless runs, ``selftest``."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from app.engine.clock import parse_speed
from app.engine.faults import SpecError

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


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be a whole number, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kitchen-sync",
        description="Thread synchronisation made visible. With no command, opens the window.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    run = sub.add_parser("run", help="run a scene without a window and report")
    run.add_argument("scenario", help="restaurant, orchestrator, or a scenario FILE.toml")
    run.add_argument(
        "--orders",
        type=_positive_int,
        default=None,
        help="restaurant: orders to place (default 20); orchestrator: work units (default 30)",
    )
    run.add_argument("--seed", type=_seed, default=None, help="seed for durations and faults (default 0)")
    run.add_argument("--speed", type=_speed, default=None, help="0.25 to 16, or max (default max)")
    run.add_argument(
        "--faults",
        default="",
        help="rates, e.g. crash=0.05,burn=0.02; restaurant: crash/burn/stall/walkout, "
        "orchestrator: init/crash/hang",
    )
    run.add_argument(
        "--stations", type=_positive_int, default=None, help="restaurant only: stations, 1 to 16 (default 3)"
    )
    run.add_argument("--trace", metavar="FILE.jsonl", help="write every trace record as JSON lines")
    run.add_argument("--chrome-trace", metavar="FILE.json", help="write a Chrome trace (opens in Perfetto)")
    run.add_argument("--json", action="store_true", help="print one JSON summary object, nothing else")
    sub.add_parser("selftest", help="drive the real window offscreen and check it holds")
    return parser


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    try:
        args = parser.parse_args(args_in)
    except SystemExit as exc:  # argparse exits on --help and errors; hand back the code
        return int(exc.code or 0)
    if args.command == "run":
        from app.headless import run

        try:
            return run(args)
        except SpecError as exc:
            print(f"kitchen-sync: error: {one_line(str(exc))}", file=sys.stderr)
            return EXIT_USAGE
    if args.command == "selftest":
        from app.gui.selftest import selftest

        return selftest()
    from app.gui.application import run_gui

    return run_gui()
