"""What one browser session of the app may use (issue 14): how many sessions the server serves at
once, how much simulation each may ask for, and whether its page is still there.

A *session* is one Solara virtual kernel (one browser tab). The server admits at most
``max_sessions`` with a connected page (``CRM_APP_MAX_SESSIONS``, ``run.py app --max-sessions``) and
keeps at most ``KERNELS_PER_SESSION`` times as many kernels in memory (tabs closed but not yet culled);
a tab beyond either limit gets a one-line message instead of a model. Solara culls a kernel whose page
has gone after ``CULL_AFTER`` (its own default is 24 hours). A model stops stepping -- Play ends --
as soon as its page has gone, and when its session has simulated ``SESSION_WORK`` customer-weeks.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

MAX_SESSIONS_ENV = "CRM_APP_MAX_SESSIONS"
DEFAULT_MAX_SESSIONS = 16  # a class's projector and a few students; ~11 MB + the model (<= ~40 MB) each
KERNELS_PER_SESSION = 4  # kernels kept (closed tabs waiting for the cull) per admitted session
CULL_AFTER = "2m"  # Solara closes a kernel this long after its page went away
# Customer-weeks one session may simulate: 250 runs of 104 weeks at the default 2,000 customers, 25
# at the 20,000-customer maximum (~1 CPU-hour), then a reload starts a new session.
SESSION_WORK = 50_000_000


def max_sessions() -> int:
    """The limit on sessions at once, from ``CRM_APP_MAX_SESSIONS`` (a whole number >= 1)."""
    try:
        return max(1, int(os.environ.get(MAX_SESSIONS_ENV, DEFAULT_MAX_SESSIONS)))
    except ValueError:
        return DEFAULT_MAX_SESSIONS


class Session:
    """One browser session's allowance: is its page still there, and how much work is left."""

    def __init__(self, connected: Callable[[], bool] = lambda: True, work_limit: int = SESSION_WORK):
        self.connected = connected
        self.work_limit = int(work_limit)
        self.work = 0  # customer-weeks simulated so far

    def stop_reason(self, customers: int) -> str | None:
        """Why the next week must not run (None: it may; its work is counted)."""
        if not self.connected():
            return "the page has gone"
        if self.work + customers > self.work_limit:
            return (
                f"this session has simulated {self.work:,} customer-weeks, its allowance of {self.work_limit:,};"
                " reload the page to start a new session"
            )
        self.work += int(customers)
        return None


class Sessions:
    """The sessions the server holds: ``admit`` a new one if there is room; a session with no connected
    page does not count toward ``limit`` but does toward ``limit * KERNELS_PER_SESSION``."""

    def __init__(self, limit: int | None = None):
        self.limit = limit
        self._live: dict[str, Callable[[], bool]] = {}  # kernel id -> is its page connected
        self._lock = threading.Lock()

    def admit(self, key: str, connected: Callable[[], bool]) -> str | None:
        """Take session ``key`` (idempotent); a one-line refusal when the server is full."""
        limit = self.limit or max_sessions()
        with self._lock:
            if key in self._live:
                return None
            active = sum(1 for alive in self._live.values() if alive())
            if active >= limit or len(self._live) >= limit * KERNELS_PER_SESSION:
                return (
                    f"The app is serving {active} sessions, its limit of {limit}: close another tab or try again "
                    f"in a few minutes (the server's --max-sessions sets the limit)"
                )
            self._live[key] = connected
            return None

    def release(self, key: str) -> None:
        with self._lock:
            self._live.pop(key, None)

    def __len__(self) -> int:
        return len(self._live)


SESSIONS = Sessions()


def current_session() -> tuple[str, Callable[[], bool], Callable[[Callable[[], None]], None] | None]:
    """This kernel's id, whether its page is connected, and how to run something when it closes
    (inside a Solara server); a single always-connected session elsewhere (tests, notebooks)."""
    try:
        from solara.server import kernel_context

        ctx = kernel_context.get_current_context()
    except Exception:  # noqa: BLE001 -- outside a server there is no kernel
        return "local", lambda: True, None

    def connected() -> bool:
        if ctx.closed_event.is_set():
            return False
        return kernel_context.PageStatus.CONNECTED in list(ctx.page_status.values())

    return ctx.id, connected, ctx.on_close


def open_session(sessions: Sessions = SESSIONS) -> tuple[Session, str | None]:
    """The session of the page being rendered, and a refusal if the server has no room for it. An
    admitted session is released when its kernel closes."""
    key, connected, on_close = current_session()
    refusal = sessions.admit(key, connected)
    if refusal is None and on_close is not None:
        on_close(lambda: sessions.release(key))
    return Session(connected), refusal
