"""The dice game: rounds played exactly once, the action in the last arrival, faults
recovered by replaying the round, no player left waiting, the same seed the same game."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from app.engine.budget import RestartPolicy
from app.engine.clock import SimClock
from app.engine.faults import FaultPlan
from app.scenes import registry
from app.scenes.dice.model import FAULT_KINDS, DiceConfig, DiceGame
from app.scenes.dice.view import DiceView
from app.trace.recorder import TraceRecorder
from tests.helpers import stopping, wait_for

ROOT = Path(__file__).resolve().parents[1]


def make_game(speed: float | None = None, faults: str = "", **config: object) -> DiceGame:
    rec = TraceRecorder(capacity=1_000_000)
    cfg = DiceConfig(faults=FaultPlan.parse(faults, FAULT_KINDS), **config)  # type: ignore[arg-type]
    return DiceGame(cfg, clock=SimClock(speed, recorder=rec), recorder=rec)


@pytest.fixture
def games():
    yield from stopping(make_game)


def play(game: DiceGame, timeout: float = 20.0) -> dict:
    game.start()
    wait_for(game.finished, timeout)
    alive = game.stop(game.end_reason)
    assert alive == []
    return game.summary()


def kinds(game: DiceGame, *names: str) -> list[dict]:
    return game.recorder.of_kind(*names)


def assert_exactly_once(game: DiceGame) -> None:
    s = game.summary()
    assert s["placed"] == s["served"] + s["cancelled"] and s["open"] == 0
    assert s["violations"] == [] and s["errors"] == []
    closed = Counter(r["round"] for r in kinds(game, "round.closed"))
    assert sorted(closed) == list(range(1, s["served"] + 1))
    assert set(closed.values()) <= {1}, closed
    # The window's view, folded from the same records, agrees with the game's own count.
    view = DiceView.for_players(game.config.players)
    for r in game.recorder.snapshot():
        view.apply(r)
    assert view.totals() == {k: s[k] for k in ("placed", "served", "cancelled")}


def test_a_game_plays_every_round_once_and_names_the_winner(games):
    game = games(players=4, rounds=5, seed=7)
    s = play(game)
    assert s["placed"] == s["served"] == s["rounds_played"] == 5 and s["cancelled"] == 0
    assert_exactly_once(game)
    last = kinds(game, "round.closed")[-1]
    best = max(last["scores"].values())
    assert s["winners"] == [n for n, v in last["scores"].items() if v == best]
    assert s["scores"] == last["scores"]
    rolled = Counter()
    for r in kinds(game, "player.rolled"):
        rolled[r["player"]] += r["value"]
    assert dict(rolled) == s["scores"]  # no fault: every roll counts once
    assert [r["winners"] for r in kinds(game, "game.over")] == [s["winners"]]


def test_game_start_releases_every_player_at_once(games):
    game = games(players=5, rounds=1)
    play(game)
    records = game.recorder.snapshot()
    start = next(i for i, r in enumerate(records) if r["kind"] == "event.set" and r["event"] == "game_start")
    assert records[start]["thread"] == "host"
    countdown = [r["remaining"] for r in kinds(game, "game.countdown")]  # "3, 2, 1", then go
    assert countdown == [3, 2, 1]
    first_roll = next(i for i, r in enumerate(records) if r["kind"] == "player.rolling")
    assert start < first_roll  # nobody rolls before the start


@pytest.mark.parametrize(("players", "rounds"), [(2, 10), (8, 30)])
def test_the_action_runs_once_per_round_in_the_last_arrival(games, players, rounds):
    game = games(players=players, rounds=rounds)
    play(game)
    last_arrival: dict[str, dict] = {}
    passed: set[tuple[str, int]] = set()
    closed = 0
    for r in game.recorder.snapshot():
        kind = r["kind"]
        if kind == "barrier.arrive" and r["index"] == r["parties"] - 1:
            last_arrival[r["barrier"]] = r
        elif kind == "barrier.pass":
            passed.add((r["barrier"], r["gen"]))
        elif kind == "round.closed":
            closed += 1
            arrival = next(a for a in last_arrival.values() if a["thread"] == r["thread"])
            assert (arrival["barrier"], arrival["gen"]) not in passed  # before anyone is released
            assert arrival["index"] == arrival["parties"] - 1  # the last to arrive, not index 0
            del last_arrival[arrival["barrier"]]
    assert closed == rounds


def test_a_disconnect_breaks_the_round_by_timeout_and_replays_it_with_one_party_fewer(games):
    game = games(players=4, rounds=3)
    assert game.inject("disconnect", "Basil") == "Basil"  # hits Basil's first roll
    s = play(game)
    assert_exactly_once(game)
    assert s["disconnects"] == 1 and s["disconnected"] == ["Basil"]
    assert s["rounds_broken"] == s["replays"] == s["restarts"] == 1
    broken = kinds(game, "barrier.broken")
    assert [b["cause"] for b in broken if b["breaker"]] == ["timeout"]  # no abort: the timeout finds it
    (rb,) = kinds(game, "round.broken")
    assert (rb["round"], rb["dropped"], rb["scores"]) == (1, ["Basil"], dict.fromkeys(s["players"], 0))
    opened = [
        (r["round"], r["attempt"], r["parties"], tuple(r["players"])) for r in kinds(game, "round.opened")
    ]
    assert opened[:2] == [(1, 1, 4, ("Ada", "Basil", "Cleo", "Dara")), (1, 2, 3, ("Ada", "Cleo", "Dara"))]
    # The broken round's rolls were taken back: each counted score is the closed rounds' rolls.
    counted = Counter()
    for r in kinds(game, "round.closed"):
        counted.update(r["rolls"])
    assert dict(counted) == {n: v for n, v in s["scores"].items() if n != "Basil"}
    assert s["scores"]["Basil"] == 0
    assert any(r["attempt"] == 1 and r["round"] == 1 for r in kinds(game, "player.rolled"))


def test_a_short_lag_holds_the_round_and_a_long_one_breaks_it(games):
    short = games(players=3, rounds=2, lag_x=(0.5,))
    short.inject("lag", "Cleo")
    s = play(short)
    assert s["rounds_broken"] == 0 and s["faults_by_kind"] == {"lag": 1}
    assert [r["player"] for r in kinds(short, "player.lagging")] == ["Cleo"]
    long = games(players=3, rounds=2, lag_x=(2.0,))
    long.inject("lag", "Cleo")
    s = play(long)
    assert_exactly_once(long)
    assert s["rounds_broken"] == s["replays"] == 1 and s["disconnects"] == 0
    (rb,) = kinds(long, "round.broken")
    assert rb["late"] == ["Cleo"] and rb["dropped"] == []
    opened = [(r["round"], r["attempt"], r["parties"]) for r in kinds(long, "round.opened")]
    assert opened[:2] == [(1, 1, 3), (1, 2, 3)]


def test_a_rejoin_between_rounds_brings_the_party_count_back(games):
    game = games(players=3, rounds=3)
    game.inject("disconnect", "Ada")

    def pause_after_round_one(r: dict) -> None:
        if r["kind"] == "round.closed" and r["round"] == 1:
            game.clock.pause()  # inside the action: nobody can open round 2 before we rejoin

    game.recorder.subscribe(pause_after_round_one)
    game.start()
    wait_for(lambda: game.clock.paused)
    assert game.inject("rejoin") == "Ada"
    game.clock.resume()
    wait_for(game.finished)
    assert game.stop() == []
    s = game.summary()
    assert_exactly_once(game)
    assert (s["disconnects"], s["rejoins"]) == (1, 1)
    rejoined = kinds(game, "player.rejoined")
    assert [(r["player"], r["worker"]) for r in rejoined] == [("Ada", "player-Ada#2")]
    opened = [(r["round"], r["attempt"], r["parties"], r["barrier"]) for r in kinds(game, "round.opened")]
    assert [o[:3] for o in opened] == [(1, 1, 3), (1, 2, 2), (2, 1, 3), (3, 1, 3)]
    assert opened[1][3] != opened[2][3]  # a new party count is a new barrier
    ada = sum(r["rolls"].get("Ada", 0) for r in kinds(game, "round.closed"))
    assert s["scores"]["Ada"] == ada > 0


def test_no_player_is_left_waiting_when_the_game_ends(games):
    game = games(players=6, rounds=8, faults="disconnect=0.2,lag=0.2,rejoin=0.2", seed=3)
    game.start()
    wait_for(game.finished)
    wait_for(lambda: game.alive_workers() == [], 5)  # every thread ends by itself, no shutdown
    assert not game.shutting_down
    assert game.stop(game.end_reason) == []
    assert_exactly_once(game)
    s = game.summary()
    best = max(s["scores"].values())  # the top score wins, also if its player has left
    assert s["winners"] == [n for n, v in s["scores"].items() if v == best]


@pytest.mark.parametrize("when", ["countdown", "rolling", "at barrier", "paused"])
def test_a_forced_shutdown_stops_every_player_and_cancels_the_rest(games, when):
    game = games(
        speed=1.0, players=4, rounds=50, countdown_s=0 if when != "countdown" else 3.0, roll_s=(0.5, 3.0)
    )
    game.start()
    if when == "rolling":
        wait_for(lambda: bool(kinds(game, "player.rolling")))
    elif when == "at barrier":
        wait_for(lambda: bool(kinds(game, "barrier.arrive")))
    elif when == "paused":
        wait_for(lambda: bool(kinds(game, "round.closed")), 10)
        game.clock.pause()
    t0 = time.monotonic()
    assert game.stop("forced shutdown") == []
    assert time.monotonic() - t0 < 0.5
    s = game.summary()
    assert_exactly_once(game)
    assert s["cancelled"] == 50 - s["served"] > 0 and s["cancel_reasons"] == {
        "forced shutdown": s["cancelled"]
    }
    assert s["winners"] == [] and not s["game_over"]


def test_the_same_seed_plays_the_same_game(games):
    faults = "disconnect=0.15,lag=0.2,rejoin=0.15"
    keys = ("scores", "winners", "disconnected", "rejoined", "rounds_played")
    first = play(games(players=5, rounds=12, seed=42, faults=faults))
    again = play(games(players=5, rounds=12, seed=42, faults=faults))
    other = play(games(players=5, rounds=12, seed=43, faults=faults))
    assert {k: first[k] for k in keys} == {k: again[k] for k in keys}
    assert first["scores"] != other["scores"]


def test_a_roll_depends_on_seed_round_and_player_only(games):
    """A replayed round throws the same dice, so faults that keep everyone at the table
    (lag, however it times out) leave the scores exactly as in a game without faults."""
    calm = play(games(players=4, rounds=10, seed=9))
    lagged = games(players=4, rounds=10, seed=9, faults="lag=0.6", lag_x=(0.5, 2.0))
    s = play(lagged)
    assert s["rounds_broken"] > 0 and s["scores"] == calm["scores"]
    values: dict[tuple[int, str], set[int]] = {}
    for r in kinds(lagged, "player.rolled"):
        values.setdefault((r["round"], r["player"]), set()).add(r["value"])
    assert all(len(v) == 1 for v in values.values())


def test_game_over_is_decided_in_the_action_so_a_late_round_extends_the_game_for_all(games):
    """The classic bug checks a game-over flag before the barrier: a round added while the
    last one is under way then strands the players who already decided to leave. Here the
    action decides, once, for everyone at the barrier."""
    game = games(players=4, rounds=3)
    fed: list[int] = []

    def feed_during_the_last_round(r: dict) -> None:
        if r["kind"] == "player.rolled" and r["round"] == 3 and not fed:
            fed.append(1)
            game.feed(1)

    game.recorder.subscribe(feed_during_the_last_round)
    s = play(game)
    assert_exactly_once(game)
    assert s["placed"] == s["served"] == 4 and s["cancelled"] == 0
    records = game.recorder.snapshot()
    (over_at,) = [i for i, r in enumerate(records) if r["kind"] == "game.over"]
    over = records[over_at]
    assert over["rounds"] == 4
    last_closed = max(i for i, r in enumerate(records) if r["kind"] == "round.closed")
    assert records[last_closed]["thread"] == over["thread"]  # decided in the action
    assert not [r for r in records[over_at:] if r["kind"] == "barrier.arrive"]
    passes = [r["thread"] for r in records[over_at:] if r["kind"] == "barrier.pass"]
    assert sorted(passes) == sorted(f"player-{n}" for n in s["players"])  # all leave together


def test_a_round_fed_after_game_over_is_cancelled_not_lost(games):
    game = games(players=2, rounds=1)
    play(game)
    game.feed(2)
    s = game.summary()
    assert (s["placed"], s["served"], s["cancelled"]) == (3, 1, 2)
    assert_exactly_once(game)


def test_a_spent_restart_budget_escalates_to_a_shutdown(games):
    game = games(players=3, rounds=4, restart=RestartPolicy(max_restarts=0))
    game.inject("disconnect", "Cleo")
    game.start()
    wait_for(game.finished)
    assert game.stop() == []
    s = game.summary()
    assert s["escalated"] and "broke once too often" in s["escalated"]
    assert s["served"] == 0 and s["cancelled"] == 4
    assert game.failures() and game.failures()[0].startswith("escalated")
    assert_exactly_once(game)


def test_injecting_what_cannot_happen_says_why(games):
    game = games(players=2, rounds=1)
    with pytest.raises(ValueError, match="unknown fault kind"):
        game.inject("crash")
    with pytest.raises(ValueError, match="no player named"):
        game.inject("lag", "Zed")
    with pytest.raises(ValueError, match="nobody is waiting to rejoin"):
        game.inject("rejoin")
    assert game.inject("disconnect", "2") == "Basil"  # a seat number works too
    with pytest.raises(ValueError, match="Ada is the last player at the table"):
        game.inject("disconnect", "Ada")
    play(game)
    with pytest.raises(ValueError, match=r"stopped|over"):
        game.inject("lag")


def test_the_view_shows_what_the_game_says(games):
    game = games(players=3, rounds=4, faults="disconnect=0.3,rejoin=0.3", seed=5)
    s = play(game)
    view = DiceView.for_players(3)
    for r in game.recorder.snapshot():
        view.apply(r)
    assert {n: p.score for n, p in view.players.items()} == s["scores"]
    assert view.winners == tuple(s["winners"]) and view.status == "over"
    assert view.broken == s["rounds_broken"] and view.disconnects == s["disconnects"]
    assert [e.round for e in view.history if e.ok] == list(range(1, 5))
    assert view.winner_text().startswith(s["winners"][0] if len(s["winners"]) == 1 else "Tie: ")


def test_a_tie_names_every_winner():
    view = DiceView.for_players(3)
    view.apply(
        {
            "ts": 1.0,
            "thread": "p",
            "kind": "game.over",
            "winners": ["Ada", "Cleo"],
            "scores": {"Ada": 9, "Basil": 4, "Cleo": 9},
        }
    )
    assert view.winner_text() == "Tie: Ada and Cleo with 9 each"
    assert view.leaders == ("Ada", "Cleo")


def test_the_scene_is_registered_with_its_flags():
    spec = registry.get("dice")
    assert spec.view == "app.gui.scenes.dice:DiceScene"
    config = spec.configure(spec.default_config(), {"players": 6, "rounds": 9})
    assert (config.players, config.rounds) == (6, 9)
    assert hasattr(config, "seed") and hasattr(config, "faults") and hasattr(config, "restart")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=60, cwd=ROOT
    )


def test_the_headless_run_reports_rounds_scores_and_winners(tmp_path):
    trace = tmp_path / "t.jsonl"
    proc = run_cli(
        "run", "dice", "--players", "4", "--rounds", "5", "--seed", "7",
        "--faults", "disconnect=0.05,lag=0.1", "--json", "--trace", str(trace),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert s["scenario"] == "dice" and s["placed"] == s["served"] == 5 and s["open"] == 0
    for key in ("rounds_played", "rounds_broken", "replays", "scores", "winners", "disconnects", "rejoins"):
        assert key in s
    kinds_seen = {json.loads(line)["kind"] for line in trace.read_text().splitlines()}
    assert {"game.started", "player.rolled", "round.closed", "game.over", "barrier.arrive"} <= kinds_seen
    human = run_cli("run", "dice", "--rounds", "3", "--seed", "7")
    assert human.returncode == 0, human.stderr
    assert "winner: " in human.stdout or "tie: " in human.stdout
    assert "{" not in human.stdout and "[" not in human.stdout  # sentences, not dict reprs


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--players", "1"], "--players must be from 2 to 8"),
        (["--rounds", "2000000"], "--rounds must be at most 1000000"),
        (["--faults", "crash=0.1"], "unknown fault kind 'crash'"),
        (["--stations", "3"], "--stations does not apply to the dice scene"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, words):
    proc = run_cli("run", "dice", *args)
    assert proc.returncode == 2 and words in proc.stderr and proc.stderr.count("\n") == 1


# -- the window -----------------------------------------------------------------------------


@pytest.fixture
def dice_scene(qtbot):
    """The dice scene on its own, at 16x; at teardown no QThread or QTimer may be left running."""
    from PySide6.QtCore import QTimer

    from app.gui.qthreads import RoleThread
    from app.gui.scenes.dice import DiceScene

    scene = DiceScene(speed=1.0)
    qtbot.addWidget(scene, before_close_func=lambda w: w.close_scene())
    scene.resize(1200, 800)
    scene.show()
    scene.speed_slider.setValue(6)  # 16x keeps tests short
    yield scene
    scene.close_scene()
    running = [t.objectName() for t in list(RoleThread.instances) if t.isRunning()]
    timers = [t.objectName() or repr(t) for t in scene.findChildren(QTimer) if t.isActive()]
    assert not running, f"QThreads left running: {running}"
    assert not timers, f"QTimers left running: {timers}"


def widget(scene, kind, name: str):
    found = scene.findChild(kind, name)
    assert found is not None, name
    return found


def click(scene, name: str) -> None:
    from PySide6.QtWidgets import QPushButton

    button = widget(scene, QPushButton, name)
    assert button.isEnabled(), f"{name} is disabled"
    button.click()


def test_the_window_plays_a_game_to_its_winner(qtbot, dice_scene):
    from PySide6.QtWidgets import QLabel, QProgressBar, QSpinBox

    scene = dice_scene
    assert scene.objectName() == "diceScene" and scene.hint()
    widget(scene, QSpinBox, "playersSpin").setValue(4)
    widget(scene, QSpinBox, "roundsSpin").setValue(5)
    click(scene, "startGameButton")
    winner = widget(scene, QLabel, "winnerLabel")

    def won() -> None:
        assert winner.text(), scene.view.status

    qtbot.waitUntil(won, timeout=20000)
    game = scene.game
    qtbot.waitUntil(lambda: game.stopped, timeout=5000)  # the players left; their threads are joined
    s = game.summary()
    assert not scene.host.running() and s["served"] == 5 and s["open"] == 0
    assert winner.text() == scene.view.winner_text() and s["winners"][0] in winner.text()
    assert widget(scene, QLabel, "roundLabel").text() == "Game over after 5 rounds"
    bars = [widget(scene, QProgressBar, f"scoreBar_{n}") for n in range(1, 5)]
    assert [b.value() for b in bars] == list(s["scores"].values())
    assert widget(scene, QLabel, "roundsPlayedCount").text() == "5"
    assert scene.history.rowCount() == 5
    assert widget(scene, QLabel, "winnerLabel").isVisible()
    start = widget(scene, type(scene.start_button), "startGameButton")
    assert start.isEnabled() and "New game" in start.text()


def test_disconnect_and_rejoin_from_the_window(qtbot, dice_scene):
    from PySide6.QtWidgets import QSpinBox

    scene = dice_scene
    widget(scene, QSpinBox, "playersSpin").setValue(3)
    widget(scene, QSpinBox, "roundsSpin").setValue(12)
    click(scene, "startGameButton")
    scene.player_combo.setCurrentIndex(scene.player_combo.findData("Basil"))
    click(scene, "disconnectPlayerButton")  # during the countdown: hits Basil's first roll
    qtbot.waitUntil(lambda: scene.view.broken >= 1 and scene.view.players["Basil"].state == "disconnected")
    click(scene, "pauseButton")  # no new round until we are done
    click(scene, "rejoinPlayerButton")
    click(scene, "pauseButton")
    qtbot.waitUntil(lambda: scene.view.rejoins == 1, timeout=10000)
    qtbot.waitUntil(lambda: bool(scene.winner_label.text()), timeout=20000)
    assert scene.view.players["Basil"].thread == "player-Basil#2"
    assert scene.game.summary()["rejoins"] == 1
    broken_rows = [r for r in range(scene.history.rowCount()) if "✕" in scene.history.item(r, 0).text()]
    assert broken_rows and "Basil disconnected" in scene.history.item(broken_rows[0], 1).text()


def test_force_shutdown_mid_game_joins_every_player_and_cancels_the_rest(qtbot, dice_scene):
    from PySide6.QtWidgets import QLabel

    scene = dice_scene
    scene.speed_slider.setValue(2)  # 1x: the game is surely under way, not over
    click(scene, "startGameButton")
    qtbot.waitUntil(lambda: scene.view.barrier.waiting >= 1, timeout=15000)
    t0 = time.monotonic()
    with qtbot.waitSignal(scene.simulationStopped, timeout=2000) as blocker:
        click(scene, "forceShutdownButton")
    assert time.monotonic() - t0 < 0.5 and blocker.args == [[]]
    s = scene.game.summary()
    assert s["cancelled"] == s["placed"] - s["served"] > 0
    assert widget(scene, QLabel, "cancelledCount").text() == str(s["cancelled"])
    assert not widget(scene, QLabel, "winnerLabel").text()
    assert scene.start_button.isEnabled() and not scene.disconnect_button.isEnabled()


def test_a_loaded_config_sets_the_controls_and_the_seats(qtbot, dice_scene):
    from PySide6.QtWidgets import QProgressBar, QWidget

    scene = dice_scene
    scene.load(DiceConfig(players=7, rounds=2, seed=3))
    assert (scene.players_spin.value(), scene.rounds_spin.value(), scene.seed_spin.value()) == (7, 2, 3)
    assert widget(scene, QProgressBar, "scoreBar_7").maximum() == 12
    assert scene.findChild(QProgressBar, "scoreBar_8") is None
    assert widget(scene, QWidget, "seat_7") is not None
    assert not scene.game.started and scene.round_label.text() == "2 rounds, not started"
    click(scene, "startGameButton")
    qtbot.waitUntil(lambda: bool(scene.winner_label.text()), timeout=20000)
    assert scene.game.config.seed == 3 and scene.game.config.players == 7


def test_the_scene_selftest_holds(qtbot, dice_scene):
    results: list[tuple[str, bool]] = []

    def wait(predicate, timeout_s: float) -> bool:
        try:
            qtbot.waitUntil(lambda: bool(predicate()), timeout=int(timeout_s * 1000))
        except qtbot.TimeoutError:
            return bool(predicate())
        return True

    dice_scene.selftest(lambda name, ok: results.append((name, ok)), wait)
    assert results and all(ok for _, ok in results), results


def test_the_gate_draws_every_state(qtbot):
    from PySide6.QtWidgets import QWidget

    from app.engine.barrier_view import BarrierView
    from app.gui.widgets.gate import BarrierGate

    gate = BarrierGate()
    qtbot.addWidget(gate)
    gate.resize(gate.sizeHint())
    view = BarrierView()
    records = [
        {
            "ts": 0.0,
            "thread": f"t{i}",
            "kind": "barrier.arrive",
            "barrier": "b",
            "gen": 0,
            "parties": 32,
            "index": i,
        }
        for i in range(31)
    ]
    for r in records:
        view.apply(r)
    for now in (0.0, 5.0):
        gate.show_view(view, now)
        assert not gate.grab().isNull()
    view.apply(
        {
            "ts": 1.0,
            "thread": "t0",
            "kind": "barrier.broken",
            "barrier": "b",
            "gen": 0,
            "parties": 32,
            "cause": "timeout",
            "breaker": True,
        }
    )
    view.apply({"ts": 1.1, "thread": "t0", "kind": "barrier.reset", "barrier": "b", "gen": 1, "parties": 32})
    gate.show_view(view, 1.2, label=str.upper)
    assert not gate.grab().isNull()
    assert gate.sizeHint().height() > gate.fontMetrics().height() * 4
    assert isinstance(gate, QWidget) and gate.objectName() == "barrierGate"


def test_counter_panel_and_control_row(qtbot):
    from PySide6.QtWidgets import QLabel, QPushButton

    from app.gui.scene_base import SceneBase
    from app.gui.widgets.controls import ControlRow
    from app.gui.widgets.counters import CounterPanel

    panel = CounterPanel((("servedCount", "Served"), ("queuedCount", "Queued")))
    qtbot.addWidget(panel)
    panel.set_values({"servedCount": 3, "queuedCount": 1})
    assert panel.findChild(QLabel, "servedCount").text() == "3" and panel.value("queuedCount") == 1

    class Bare(SceneBase):
        scene = registry.get("dice")

    scene = Bare()
    qtbot.addWidget(scene, before_close_func=lambda w: w.close_scene())
    pressed: list[str] = []
    start = scene.button("startButton", "&Start", "Start it", None, lambda: pressed.append("start"))
    row = ControlRow(scene, start, lambda: pressed.append("shutdown"))
    scene.setLayout(row)
    widget(scene, QPushButton, "startButton").click()
    widget(scene, QPushButton, "forceShutdownButton").click()
    assert pressed == ["start", "shutdown"]
    assert row.pause_button is widget(scene, QPushButton, "pauseButton")
    assert widget(scene, QPushButton, "forceShutdownButton").property("role") == "danger"


def test_a_scenario_file_configures_the_game(tmp_path):
    from app.engine.faults import SpecError
    from app.scenes.scenario import load_scenario

    path = tmp_path / "game-night.toml"
    path.write_text(
        'scene = "dice"\n[game]\nplayers = 6\nrounds = 7\nseed = 11\nbarrier_timeout_s = 2.0\n'
        "[faults]\ndisconnect = 0.1\nrejoin = 0.1\n[restart]\nmax_restarts = 3\n"
    )
    config = load_scenario(path).config
    assert (config.players, config.rounds, config.seed, config.barrier_timeout_s) == (6, 7, 11, 2.0)
    assert dict(config.faults.rates) == {"disconnect": 0.1, "rejoin": 0.1}
    assert config.restart.max_restarts == 3
    proc = run_cli("run", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["served"] == 7
    path.write_text('scene = "dice"\n[game]\nplayers = 12\n')
    with pytest.raises(SpecError, match="players: must be from 2 to 8"):
        load_scenario(path)
