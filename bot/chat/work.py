"""Work too heavy for the event loop (checking an uploaded scan: images, OCR), and the one way the
adapters carry out a ProcessFile once they have fetched its file, or failed to.

One pool of worker threads for the process (`shared_pool()`): two workers (the machine has two cores;
Tesseract, PDFium and NumPy release Python's GIL while they work), each at a lower scheduling
priority than the event loop's thread (on Linux a thread's nice value is its own), so that taps are
answered first when the cores are busy. At most `max_waiting` more wait for a worker; beyond that the
work is refused at once as busy, so that files never hold the adapter's update slots for long. The
time limit counts from the moment a worker takes the work, not while it waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from bot.chat.actions import Action, Fetched, ProcessFile

T = TypeVar("T")
WORKERS = 2
MAX_WAITING = 30
WORKER_NICE = 10  # CFS gives a thread of nice 10 about a tenth of the share of one of nice 0


class Busy(Exception):
    """Too many jobs are already waiting for a worker."""


class WorkPool:
    def __init__(self, workers: int = WORKERS, max_waiting: int = MAX_WAITING, nice: int = WORKER_NICE) -> None:
        self.workers = workers
        self.max_waiting = max_waiting
        self.nice = nice
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._admitted = 0  # jobs submitted and not finished: running or waiting

    @property
    def admitted(self) -> int:
        return self._admitted

    def _executor_now(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    self.workers, thread_name_prefix="zhicheng-work", initializer=self._lower_priority
                )
            return self._executor

    def _lower_priority(self) -> None:
        if self.nice > 0:
            with contextlib.suppress(AttributeError, OSError):  # Linux: this thread only; elsewhere: as it is
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.nice)

    def _release(self, _: Future[Any]) -> None:
        with self._lock:
            self._admitted -= 1

    async def run(self, job: Callable[[], T], timeout: float) -> T:
        """`job()` in a worker thread. Busy when `max_waiting` jobs already wait; TimeoutError when it
        runs longer than `timeout` seconds (it goes on in its thread, holding its worker, and its result
        is dropped)."""
        executor = self._executor_now()
        with self._lock:
            if self._admitted >= self.workers + self.max_waiting:
                raise Busy()
            self._admitted += 1
        loop = asyncio.get_running_loop()
        started = asyncio.Event()

        def run_job() -> T:
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits for the result
                loop.call_soon_threadsafe(started.set)
            return job()

        try:
            submitted = executor.submit(run_job)
        except RuntimeError:  # the pool was shut down
            with self._lock:
                self._admitted -= 1
            raise Busy() from None
        submitted.add_done_callback(self._release)
        result = asyncio.wrap_future(submitted)
        waiting: asyncio.Future[Any] = asyncio.ensure_future(started.wait())
        try:
            await asyncio.wait([result, waiting], return_when=asyncio.FIRST_COMPLETED)
            return await asyncio.wait_for(asyncio.shield(result), timeout)
        except asyncio.CancelledError:
            submitted.cancel()  # still waiting for a worker: it never runs
            raise
        finally:
            waiting.cancel()

    def shutdown(self) -> None:
        """Jobs still waiting are dropped; running ones finish in their threads."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


_shared: WorkPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> WorkPool:
    """The process's pool, made on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = WorkPool()
        return _shared


def too_large(action: ProcessFile, size: int | None) -> bool:
    return size is not None and size > action.max_bytes


async def carry_out(action: ProcessFile, fetched: Fetched, pool: WorkPool | None = None) -> list[Action]:
    """The actions answering `action` once the adapter has fetched its file (or not): its work on the
    bytes in a worker; a problem (the adapter's, a full pool, a timeout) is told by the same work, run
    off the event loop too (it renders messages)."""
    if fetched.problem is None:
        try:
            return await (pool or shared_pool()).run(lambda: action.work(fetched), action.timeout)
        except Busy:
            fetched = Fetched(size=fetched.size, problem="busy")
        except TimeoutError:
            fetched = Fetched(size=fetched.size, problem="timeout")
    return await asyncio.to_thread(action.work, fetched)
