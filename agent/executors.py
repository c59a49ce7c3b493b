"""Where many runs go at once: a thread, local worker processes, or a Ray cluster.

The batch and the evals hand an executor keyed calls of one picklable function and collect what
finished; the executor decides where each call runs:
- `ThreadExecutor` (`--executor local --workers 1`): a thread of this process, so backends
  registered in code (tests, notebooks) are there and a loaded model stays loaded.
- `ProcessExecutor` (`--executor local --workers N`): N spawned worker processes, each loading
  its backends once and serving many calls.
- `RayExecutor` (`--executor ray`): Ray tasks asking for the resources the backends declare
  (`tools.base.Resources`); when a backend holds a model, N Ray actors instead, so each loads
  its pipeline once and serves many items. Without an address a local Ray is started for the
  executor's life and stopped after; with one (`auto`, `ray://host:10001`) it joins that cluster.

A call whose worker died (killed, out of memory, node lost) comes back as `WorkerLost`; other
exceptions come back as raised. `abort()` stops what is running now; the batch relies on run
checkpoints, not on the executor, to lose nothing.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from tools.errors import BackendUnavailable, BadInputError

ExecutorKind = Literal["local", "ray"]
RAY_HINT = "pip install 'kinema[ray]'"
# (key, value, error): what one finished call gave back.
Finished = tuple[str, Any, BaseException | None]
Setup = Callable[[], None]


class WorkerLost(Exception):  # the machine's fault, not the user's: the call can run again
    """The worker running a call died before the call finished."""


@dataclass(frozen=True)
class Placement:
    """What each call needs where it runs.

    Attributes:
        cpus: CPU cores a call keeps busy (the judge and the studio render on the CPU).
        gpus: accelerators a call needs (1 for a diffusers pipeline).
        stateful: the backends hold a model: keep workers alive between calls (Ray actors).
    """

    cpus: float = 1.0
    gpus: float = 0.0
    stateful: bool = False


class Executor(Protocol):
    """Runs keyed calls of picklable functions and hands back the finished ones."""

    slots: int

    @property
    def running(self) -> int: ...

    def submit(self, key: str, fn: Callable[[Any], Any], arg: Any) -> None: ...

    def wait(self, timeout: float) -> list[Finished]: ...

    def abort(self) -> None: ...

    def close(self) -> None: ...


def open_executor(kind: ExecutorKind = "local", workers: int | None = None, *,
                  placement: Placement | None = None, setup: Setup | None = None,
                  ray_address: str | None = None) -> Executor:
    """The executor for `kind`; `setup` runs once in every worker before its first call.

    Raises:
        BadInputError: workers below 1, an unknown kind, or a Ray address with the local kind.
        BackendUnavailable: Ray is not installed, or the cluster cannot hold one call.
    """
    where = placement or Placement()
    if workers is not None and workers < 1:
        raise BadInputError(f"--workers must be at least 1 (got {workers})")
    if kind == "local":
        if ray_address:
            raise BadInputError("--ray-address needs --executor ray")
        if (workers or 1) == 1:
            return ThreadExecutor(setup)
        return ProcessExecutor(workers or 1, setup)
    if kind == "ray":
        return RayExecutor(workers, where, setup, ray_address)
    raise BadInputError(f"unknown executor {kind!r}: choose local or ray")


def run_all(fn: Callable[[Any], Any], args: Sequence[Any], *, kind: ExecutorKind = "local",
            workers: int | None = None, placement: Placement | None = None,
            setup: Setup | None = None, ray_address: str | None = None) -> list[Any]:
    """`[fn(a) for a in args]` on an executor, in the order of `args`; a call's error is raised."""
    pool = open_executor(kind, workers, placement=placement, setup=setup, ray_address=ray_address)
    results: dict[int, Any] = {}
    waiting = list(enumerate(args))
    try:
        while waiting or pool.running:
            while waiting and pool.running < pool.slots:
                index, arg = waiting.pop(0)
                pool.submit(str(index), fn, arg)
            for key, value, error in pool.wait(1.0):
                if error is not None:
                    raise error
                results[int(key)] = value
    except BaseException:
        pool.abort()
        raise
    finally:
        pool.close()
    return [results[i] for i in range(len(args))]


# -- in this process -------------------------------------------------------------------------


class ThreadExecutor:
    """One call at a time on a daemon thread, so Ctrl-C in the main thread is always heard."""

    slots = 1

    def __init__(self, setup: Setup | None = None) -> None:
        if setup is not None:
            setup()
        self._done: queue.Queue[Finished] = queue.Queue()
        self._keys: set[str] = set()

    @property
    def running(self) -> int:
        return len(self._keys)

    def submit(self, key: str, fn: Callable[[Any], Any], arg: Any) -> None:
        self._keys.add(key)
        threading.Thread(target=self._call, args=(key, fn, arg), name=f"kinema-{key}",
                         daemon=True).start()

    def _call(self, key: str, fn: Callable[[Any], Any], arg: Any) -> None:
        try:
            self._done.put((key, fn(arg), None))
        except BaseException as exc:  # handed to the caller's thread
            self._done.put((key, None, exc))

    def wait(self, timeout: float) -> list[Finished]:
        try:
            finished = [self._done.get(timeout=timeout)]
        except queue.Empty:
            return []
        while not self._done.empty():
            finished.append(self._done.get_nowait())
        self._keys.difference_update(key for key, _, _ in finished)
        return finished

    def abort(self) -> None:
        """A thread cannot be stopped from outside; it ends with the process (it is a daemon)."""

    def close(self) -> None:
        """Nothing to release."""


# -- local worker processes ------------------------------------------------------------------

_driver_pid: int | None = None
_busy = threading.Event()  # set while a worker process runs a call


def driver_gone() -> bool:
    """True in a local worker process whose driver died (a SIGKILL leaves workers orphaned)."""
    return _driver_pid is not None and os.getppid() != _driver_pid


def _init_process_worker(setup: Setup | None, driver_pid: int) -> None:
    global _driver_pid
    _driver_pid = driver_pid
    # Ctrl-C reaches the whole process group; the driver alone decides how calls stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_driver, name="kinema-orphan-watch", daemon=True).start()
    if setup is not None:
        setup()


def _exit_with_driver() -> None:
    """An orphaned worker lets its call stop at a step boundary (the batch's hook sees
    `driver_gone`), then exits instead of waiting for work that will never come."""
    while not (driver_gone() and not _busy.is_set()):
        time.sleep(1.0)
    os._exit(0)


def _tracked(fn: Callable[[Any], Any], arg: Any) -> Any:
    _busy.set()
    try:
        return fn(arg)
    finally:
        _busy.clear()


class ProcessExecutor:
    """N spawned worker processes (spawned, not forked: the driver may hold threads and locks)."""

    def __init__(self, slots: int, setup: Setup | None = None) -> None:
        self.slots, self._setup = slots, setup
        self._futures: dict[Future[Any], str] = {}
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.slots, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_process_worker,
                                   initargs=(self._setup, os.getpid()))

    @property
    def running(self) -> int:
        return len(self._futures)

    def submit(self, key: str, fn: Callable[[Any], Any], arg: Any) -> None:
        self._futures[self._pool.submit(_tracked, fn, arg)] = key

    def wait(self, timeout: float) -> list[Finished]:
        done, _ = wait_futures(list(self._futures), timeout, FIRST_COMPLETED)
        finished: list[Finished] = []
        broken = False
        for future in done:
            key = self._futures.pop(future)
            error = future.exception()
            if isinstance(error, BrokenProcessPool):
                broken = True
                error = WorkerLost(f"a worker process died ({error})")
            finished.append((key, None if error else future.result(), error))
        if broken:  # every call still in the broken pool is lost with it
            finished += [(key, None, WorkerLost("a worker process died"))
                         for key in self._futures.values()]
            self._futures.clear()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._start()
        return finished

    def abort(self) -> None:
        kill = getattr(self._pool, "kill_workers", None)  # Python 3.14+
        if kill is not None:
            kill()
        else:
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.kill()
        self._futures.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


# -- Ray -------------------------------------------------------------------------------------

_setups_done: set[str] = set()


def _ray_call(setup: Setup | None, fn: Callable[[Any], Any], arg: Any) -> Any:
    """A Ray task: the worker process's one-time setup, then the call."""
    name = f"{getattr(setup, '__module__', '')}.{getattr(setup, '__qualname__', '')}"
    if setup is not None and name not in _setups_done:
        setup()
        _setups_done.add(name)
    return fn(arg)


class _ActorWorker:
    """A Ray actor that keeps its process, and so its loaded backends, across calls."""

    def __init__(self, setup: Setup | None) -> None:
        if setup is not None:
            setup()

    def call(self, fn: Callable[[Any], Any], arg: Any) -> Any:
        return fn(arg)

    def pid(self) -> int:
        return os.getpid()


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise BackendUnavailable(f"--executor ray needs Ray: {RAY_HINT}") from exc
    return ray


class RayExecutor:
    """Ray tasks, or a fixed set of actors when the backends hold a model."""

    def __init__(self, workers: int | None, placement: Placement, setup: Setup | None,
                 address: str | None) -> None:
        self.ray = ray = _import_ray()
        self._placement, self._setup = placement, setup
        self._started = False
        if not ray.is_initialized():
            on_term = signal.getsignal(signal.SIGTERM)
            ray.init(address=address, include_dashboard=False, log_to_driver=False,
                     logging_level=logging.ERROR)
            self._started = address is None
            if callable(on_term) and threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, on_term)  # Ray's own handler would exit at once
        capacity = self._capacity()  # fails fast when the cluster cannot hold one call
        self.slots = workers or capacity
        self._calls: dict[Any, tuple[str, Any]] = {}  # ObjectRef -> (key, actor or None)
        options = {"num_cpus": placement.cpus, "num_gpus": placement.gpus}
        self._idle: list[Any] = []
        if placement.stateful:
            self._actor_class = ray.remote(_ActorWorker).options(max_restarts=0, **options)
            self._idle = [self._actor_class.remote(setup) for _ in range(self.slots)]
        else:
            self._task = ray.remote(_ray_call).options(max_retries=0, **options)

    def _capacity(self) -> int:
        """How many calls the cluster can hold at once, from its CPUs and GPUs."""
        total = self.ray.cluster_resources()
        fits = [int(total.get("CPU", 0) // self._placement.cpus)] if self._placement.cpus else []
        if self._placement.gpus:
            fits.append(int(total.get("GPU", 0) // self._placement.gpus))
        if min(fits, default=1) < 1:
            raise BackendUnavailable(
                f"each item needs {self._placement.gpus:g} GPU and {self._placement.cpus:g} CPU "
                f"but the Ray cluster has {total.get('GPU', 0):g} GPU and "
                f"{total.get('CPU', 0):g} CPU: add GPU nodes, or run on CPU with "
                "--executor local")
        return max(1, min(fits, default=1))

    @property
    def running(self) -> int:
        return len(self._calls)

    def submit(self, key: str, fn: Callable[[Any], Any], arg: Any) -> None:
        if self._placement.stateful:
            actor = self._idle.pop()
            self._calls[actor.call.remote(fn, arg)] = (key, actor)
        else:
            self._calls[self._task.remote(self._setup, fn, arg)] = (key, None)

    def wait(self, timeout: float) -> list[Finished]:
        if not self._calls:
            return []
        refs = list(self._calls)
        ready, _ = self.ray.wait(refs, num_returns=1, timeout=timeout)
        if ready:
            ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=0)
        return [self._collect(ref) for ref in ready]

    def _collect(self, ref: Any) -> Finished:
        exceptions = self.ray.exceptions
        key, actor = self._calls.pop(ref)
        try:
            value = self.ray.get(ref)
        except exceptions.RayTaskError as exc:  # raised by the call itself
            self._release(actor)
            cause = exc.cause if isinstance(exc.cause, BaseException) else exc
            return key, None, cause
        except exceptions.RayError as exc:  # the worker, its node or the task was lost
            if actor is not None:
                self.ray.kill(actor)
                self._idle.append(self._actor_class.remote(self._setup))
            return key, None, WorkerLost(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
        self._release(actor)
        return key, value, None

    def _release(self, actor: Any) -> None:
        if actor is not None:
            self._idle.append(actor)

    def abort(self) -> None:
        for ref, (_, actor) in list(self._calls.items()):
            if actor is None:
                self.ray.cancel(ref, force=True)
            else:
                self.ray.kill(actor)
        self._calls.clear()

    def close(self) -> None:
        for actor in self._idle:
            self.ray.kill(actor)
        self._idle.clear()
        if self._started:
            self.ray.shutdown()
