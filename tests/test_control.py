"""The controlled scheduler on its own: one task at a time, simulated time, same seed same run."""

from __future__ import annotations

import threading

import pytest

from app.sync import control
from app.sync.control import PCTStrategy, POSStrategy, RandomStrategy, ReplayStrategy, Scheduler
from app.trace.recorder import TraceRecorder

pytestmark = pytest.mark.timeout(20)


def _run(strategy, n_threads=3, rounds=20, recorder=None):
    """n threads append (name, i) to a shared list under a controlled lock; returns the list."""
    sched = Scheduler(strategy, recorder=recorder)
    lock = control.CLock(sched, "lock:log")
    log: list[tuple[str, int]] = []
    threads = []

    def body(name: str) -> None:
        for i in range(rounds):
            with lock:
                log.append((name, i))
            control.step(f"after {i}")

    with sched.attach("main"):
        for k in range(n_threads):
            name = f"t{k}"
            task = sched.register(name)
            th = threading.Thread(target=sched.run_task, args=(task, lambda n=name: body(n)), name=name)
            th.start()
            threads.append((th, task))
        for _th, task in threads:
            assert sched.wait_until(lambda t=task: t.state == control.DONE, 100.0, "join")
    for th, _ in threads:
        th.join(5)
        assert not th.is_alive()
    return log, sched


@pytest.mark.parametrize(
    "make", [lambda s: RandomStrategy(s), lambda s: PCTStrategy(s), lambda s: POSStrategy(s)]
)
def test_same_seed_same_interleaving(make) -> None:
    a, _ = _run(make(7))
    b, _ = _run(make(7))
    assert a == b
    assert len(a) == 60


def test_different_seeds_interleave_differently() -> None:
    runs = {tuple(_run(RandomStrategy(seed))[0]) for seed in range(6)}
    assert len(runs) > 1


def test_only_one_task_runs_at_a_time() -> None:
    sched = Scheduler(RandomStrategy(3))
    inside = []
    overlaps = []
    lock = threading.Lock()

    def body() -> None:
        for i in range(30):
            with lock:
                inside.append(1)
                if len(inside) > 1:
                    overlaps.append(i)
            sum(range(200))  # some work while "inside"
            with lock:
                inside.pop()
            control.step("spin")

    with sched.attach("main"):
        tasks = []
        for k in range(3):
            task = sched.register(f"w{k}")
            threading.Thread(target=sched.run_task, args=(task, body)).start()
            tasks.append(task)
        for task in tasks:
            sched.wait_until(lambda t=task: t.state == control.DONE, None, "join")
    assert overlaps == []


def test_time_moves_only_when_everyone_waits_and_timeouts_fire_in_simulated_time() -> None:
    sched = Scheduler(RandomStrategy(1))
    flag = control.CFlag(sched, "event:never")
    seen = {}
    with sched.attach("main"):
        assert sched.now == 0.0
        seen["timed_out"] = not flag.wait(30.0)
        seen["now"] = sched.now
        sched.sleep(2.5)
    assert seen == {"timed_out": True, "now": 30.0}
    assert sched.now == 32.5


def test_condition_wait_and_notify() -> None:
    sched = Scheduler(PCTStrategy(5))
    cond = control.CCondition(sched, name="cond:q")
    items: list[int] = []
    got: list[int] = []

    def consumer() -> None:
        for _ in range(5):
            with cond:
                assert cond.wait_for(lambda: items, timeout=100)
                got.append(items.pop(0))

    with sched.attach("main"):
        task = sched.register("consumer")
        threading.Thread(target=sched.run_task, args=(task, consumer)).start()
        for i in range(5):
            with cond:
                items.append(i)
                cond.notify()
            sched.sleep(1.0)
        assert sched.wait_until(lambda: task.state == control.DONE, 100, "join")
    assert got == [0, 1, 2, 3, 4]


def test_choices_are_recorded_and_replay_reproduces_them() -> None:
    rec = TraceRecorder()
    a, _ = _run(RandomStrategy(11), recorder=rec)
    choices = [r for r in rec.snapshot() if r["kind"] == "sched.choice"]
    assert choices
    b, sched = _run(ReplayStrategy(choices))
    assert a == b and sched.diverged is None


def test_replay_names_where_it_diverged() -> None:
    rec = TraceRecorder()
    _run(RandomStrategy(11), recorder=rec)
    choices = [r for r in rec.snapshot() if r["kind"] == "sched.choice"]
    _, sched = _run(ReplayStrategy(choices), n_threads=2)
    assert sched.diverged is not None and "diverged at step" in sched.diverged


def test_guest_thread_enters_for_one_operation() -> None:
    sched = Scheduler(RandomStrategy(2))
    flag = control.CFlag(sched, "event:go")
    result = {}

    def waiter() -> None:
        result["ok"] = flag.wait()

    task = sched.register("waiter")
    th = threading.Thread(target=sched.run_task, args=(task, waiter))
    th.start()
    flag.set()  # this test's thread is no task: it enters as a guest
    th.join(5)
    assert result == {"ok": True}


def test_a_held_run_lets_a_guest_through_and_steps_one_choice_at_a_time() -> None:
    sched = Scheduler(RandomStrategy(4))
    sched.hold()
    lock = control.CLock(sched, "lock:log")
    log: list[str] = []

    def body(name: str) -> None:
        for _ in range(3):
            with lock:
                log.append(name)

    tasks = {name: sched.register(name) for name in ("a", "b")}
    threads = [
        threading.Thread(target=sched.run_task, args=(task, lambda n=name: body(n)))
        for name, task in tasks.items()
    ]
    for th in threads:
        th.start()
    # Held at the first choice: nothing moves, and a guest (this thread) is not kept out.
    assert _eventually(lambda: sched.held == ["a", "b"])
    with lock:
        log.append("guest")
    assert log == ["guest"] and sched.held == ["a", "b"]
    # One step is one choice: the run moves to the next choice and is held again.
    assert sched.step_once(pick="b") == "b"
    assert _eventually(lambda: bool(sched.held))
    assert sched.choices == 1
    sched.release()
    for th in threads:
        th.join(5)
    assert sorted(log) == ["a"] * 3 + ["b"] * 3 + ["guest"]


def _eventually(cond, timeout: float = 5.0) -> bool:
    tick = threading.Event()
    for _ in range(int(timeout / 0.005)):
        if cond():
            return True
        tick.wait(0.005)
    return cond()


def test_a_guest_waiting_for_a_lock_a_held_task_has_is_not_kept_waiting_for_a_step() -> None:
    sched = Scheduler(RandomStrategy(5))
    sched.hold()
    lock = control.CLock(sched, "lock:scene")

    def body() -> None:
        for _ in range(2):
            with lock:
                control.step("inside")

    tasks = [sched.register(n) for n in ("a", "b")]
    threads = [threading.Thread(target=sched.run_task, args=(t, body)) for t in tasks]
    for th in threads:
        th.start()
    assert _eventually(lambda: sched.held == ["a", "b"])
    assert sched.step_once(pick="a") == "a"  # a takes the lock, then is held inside it
    assert _eventually(lambda: bool(sched.held) and lock.locked())
    got = threading.Event()

    def guest() -> None:
        with lock:  # the window's thread: never waits for a step
            got.set()

    threading.Thread(target=guest, daemon=True).start()
    assert got.wait(5), "a guest waited for a step"
    sched.release()
    for th in threads:
        th.join(5)
        assert not th.is_alive()


def test_paced_time_passes_in_wall_time_and_a_guest_never_waits_for_it() -> None:
    import time

    sched = Scheduler(RandomStrategy(1))
    sched.pace = lambda: 20.0  # 20 simulated seconds per wall second
    flag = control.CFlag(sched, "event:poke")
    woke = {}

    def sleeper() -> None:
        woke["poked"] = flag.wait(4.0)  # 0.2 s of wall time, paced
        woke["at"] = sched.now

    task = sched.register("sleeper")
    th = threading.Thread(target=sched.run_task, args=(task, sleeper))
    t0 = time.monotonic()
    th.start()
    assert _eventually(lambda: task.state == control.BLOCKED)
    g0 = time.monotonic()
    with control.CLock(sched, "lock:any"):  # a guest, while the time is being paced
        pass
    assert time.monotonic() - g0 < 0.1
    th.join(5)
    assert woke == {"poked": False, "at": 4.0}
    assert time.monotonic() - t0 >= 0.15  # the simulated seconds took wall time


def test_a_held_callback_that_raises_does_not_stop_the_run() -> None:
    sched = Scheduler(RandomStrategy(2))
    sched.hold()

    def gone(_names: list[str]) -> None:
        raise RuntimeError("Internal C++ object already deleted")  # a window that is gone

    sched.on_held = gone
    lock = control.CLock(sched, "lock:log")
    done = []

    def body(name: str) -> None:
        with lock:
            done.append(name)

    tasks = {n: sched.register(n) for n in ("a", "b")}
    threads = [
        threading.Thread(target=sched.run_task, args=(t, lambda n=n: body(n))) for n, t in tasks.items()
    ]
    for th in threads:
        th.start()
    assert _eventually(lambda: bool(sched.held))
    sched.release()
    for th in threads:
        th.join(5)
        assert not th.is_alive()
    assert sorted(done) == ["a", "b"]
