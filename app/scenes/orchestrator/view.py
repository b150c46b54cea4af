"""What the orchestrator window draws, folded from trace records (no Qt)."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.engine.states import INITIALIZING, STATES
from app.scenes.orchestrator.model import FAILED, RESTARTING, STARTING, STOPPED, WAITING, WORKING
from app.scenes.orchestrator.model import READY_C as READY
from app.trace.recorder import Record

NOT_STARTED = "not started"  # a light of the view only: the core has no component yet


@dataclass
class ComponentView:
    name: str
    depends_on: tuple[str, ...] = ()
    status: str = NOT_STARTED
    worker: str = ""
    since: float = 0.0
    restart_at: float = 0.0
    reason: str = ""
    ticks: int = 0
    restarts: int = 0


@dataclass
class SystemView:
    components: dict[str, ComponentView] = field(default_factory=dict)
    state: str = INITIALIZING
    state_since: float = 0.0
    started: bool = False
    processed: int = 0
    restarts: int = 0
    faults: int = 0
    last_reason: str = ""
    history: list[str] = field(default_factory=list)
    requests: int | None = None  # work units the run is for (None: until stopped)
    stopped: bool = False

    @classmethod
    def for_components(cls, specs: list[tuple[str, tuple[str, ...]]]) -> SystemView:
        return cls({name: ComponentView(name, deps) for name, deps in specs})

    def apply(self, rec: Record) -> None:
        kind = rec["kind"]
        comp = self.components.get(rec.get("component", ""))
        ts = rec["ts"]
        if kind == "system.started":
            self.started = True
            self.requests = rec.get("requests")
        elif kind == "system.fed":
            self.requests = rec["requests"]
        elif kind == "shutdown.completed":
            self.stopped = True
        elif kind == "state.changed":
            self.state, self.state_since = rec["to"], ts
            self.history.append(rec["to"])
            if rec.get("reason"):
                self.last_reason = rec["reason"]
        elif kind == "supervisor.restarting":
            for name in rec["components"]:
                c = self.components[name]
                c.status, c.restart_at, c.since = RESTARTING, ts + rec.get("wall_s", 0.0), ts
        elif kind == "worker.restarted":
            self.restarts += 1
            if comp is not None:
                comp.restarts += 1
        elif kind == "fault.injected":
            self.faults += 1
        elif kind == "component.done":
            self.processed = rec.get("processed", self.processed + 1)
        if comp is None:
            return
        if kind == "worker.started":
            comp.status, comp.worker, comp.since, comp.reason = WAITING, rec["thread"], ts, ""
            return
        if rec["thread"] != comp.worker and kind != "component.timeout":
            return  # an old incarnation on its way out
        if kind == "component.init":
            comp.status, comp.since = STARTING, ts
        elif kind == "component.ready":
            comp.status, comp.since = READY, ts
        elif kind == "component.work":
            comp.status, comp.since = WORKING, ts
        elif kind == "component.done":
            comp.status, comp.ticks = READY, comp.ticks + 1
        elif kind == "worker.crashed":
            comp.status, comp.since, comp.reason = FAILED, ts, rec.get("error", "")
        elif kind == "component.timeout":
            comp.status, comp.since, comp.reason = FAILED, ts, f"{rec.get('timeout')} timeout"
        elif kind == "component.stopped" and comp.status not in (FAILED, RESTARTING):
            comp.status, comp.since = STOPPED, ts

    def totals(self) -> dict[str, int]:
        """Work units as the summary counts them: those not processed by the end are cancelled."""
        placed = self.processed if self.requests is None else self.requests
        served = min(self.processed, placed)
        return {"placed": placed, "served": served, "cancelled": placed - served if self.stopped else 0}

    @property
    def lit(self) -> dict[str, bool]:
        return {s: self.started and s == self.state for s in STATES}
