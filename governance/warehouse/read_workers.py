"""Governed reads run in worker processes, under limits the operating system enforces.

DuckDB's ``memory_limit`` bounds its buffer pool (hash tables, sorts, aggregate states), not the
values a single function call builds: ``repeat('x', 10**9)`` or ``generate_series(1, 10**9)``
allocate outside it, and such a call cannot be interrupted. In the serving process one read could
exhaust the host and outlive its time limit (an attacker did both). So the SQL a reader sends runs
in a worker process (``python -m governance.warehouse.read_workers``):

- its address space is capped for the length of each read (``RLIMIT_AS``: what the worker
  already maps, plus the read's memory limit, plus 256 MiB), so an oversized value fails inside
  DuckDB as an ordinary out-of-memory error, and DuckDB's own limit and the cap together keep a
  read within about its memory limit;
- the worker interrupts the statement at the time limit, and the parent kills the worker if it
  has not answered shortly after, whatever it is doing;
- a worker that was killed, ran out of memory or died is replaced; the others keep serving.

Only SQL the compiler accepted is sent here, with the snapshot to read and its key, over the
worker's standard input. The worker first checks it with DuckDB's own parser (``duckdb_read_guard``:
that parse, too, can be made to take time and memory, so it runs under the same limits), then
runs it; the answer (rows, or a refusal or failure with a
message the reader may see and a detail for the audit trail) comes back on its standard output,
each message a length-prefixed pickle. Results are capped by rows (cut) and by bytes (refused).
"""

import atexit
import os
import pickle
import resource
import select
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import orjson

from governance.rls.context import QueryRefused
from governance.warehouse.duckdb_files import (
    READ_MEMORY_LIMIT,
    Attachment,
    attach_encrypted,
    lock_down,
    new_connection,
)
from governance.warehouse.duckdb_read_guard import check_read

_HEADER = 8
_FETCH_BATCH = 1_000
_ALLOWANCE = 256 * 1024**2  # DuckDB's untracked structures, the result being built


@dataclass(frozen=True)
class ReadLimits:
    """What one governed read may take: rows returned, result bytes, seconds, engine memory."""

    row_cap: int = 10_000
    byte_cap: int = 32 * 1024**2
    timeout_s: float = 30.0
    memory_limit: int = READ_MEMORY_LIMIT


@dataclass(frozen=True)
class ReadGuard:
    """What ``duckdb_read_guard`` checks the SQL against before it runs (see ``check_read``)."""

    schema: str
    tables: tuple[str, ...]
    wrappers: tuple[str, ...] | None


@dataclass(frozen=True)
class ReadRequest:
    """Check ``sql`` against ``guard``, then run it on the snapshot ``source`` names."""

    source: Attachment
    sql: str
    guard: ReadGuard
    limits: ReadLimits


@dataclass(frozen=True)
class ReadOutcome:
    """``kind`` is ok, refused or failed; ``message`` may be shown, ``detail`` only audited.

    ``spent``: the worker must not serve again (it ran out of memory, overran or died).
    """

    kind: str
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    truncated: bool = False
    nbytes: int = 0
    message: str = ""
    detail: str = ""
    spent: bool = False


def size(nbytes: int) -> str:
    """``nbytes`` for people: 32 MiB, 1 GiB."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if nbytes >= factor:
            return f"{nbytes / factor:g} {unit}"
    return f"{nbytes} bytes"


# ---------------------------------------------------------------- the parent side


class _Worker:
    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self.process = subprocess.Popen(
            [sys.executable, "-m", "governance.warehouse.read_workers"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )

    def ask(self, request: ReadRequest) -> ReadOutcome | None:
        """The worker's answer, or None if it did not give one in time (or died)."""
        deadline = time.monotonic() + request.limits.timeout_s + self.grace_s
        try:
            _send(self.process.stdin, request)
            body = _receive(self.process.stdout, deadline)
        except (BrokenPipeError, EOFError, TimeoutError):
            return None
        return pickle.loads(body)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class ReadWorkers:
    """Up to ``size`` worker processes, started when first needed and replaced when lost.

    A worker that has not answered ``grace_s`` after a read's time limit is killed.
    """

    def __init__(self, size: int = 2, grace_s: float = 2.0) -> None:
        self.size = size
        self.grace_s = grace_s
        self._idle: list[_Worker] = []
        self._started = 0
        self._available = threading.Condition()

    def run(self, request: ReadRequest) -> ReadOutcome:
        worker = self._take()
        try:
            answer = worker.ask(request)
        except BaseException:
            worker.stop()
            self._lost()
            raise
        outcome = answer or ReadOutcome(
            "failed",
            message=f"query exceeded the {request.limits.timeout_s:g}s time limit",
            detail="the worker did not answer in time and was stopped",
            spent=True,
        )
        if outcome.spent:
            worker.stop()
            self._lost()
        else:
            self._give_back(worker)
        return outcome

    def idle_pids(self) -> set[int]:
        """The process ids of the workers waiting for a read."""
        with self._available:
            return {worker.process.pid for worker in self._idle}

    def close(self) -> None:
        with self._available:
            for worker in self._idle:
                worker.stop()
            self._started -= len(self._idle)
            self._idle.clear()

    def _take(self) -> _Worker:
        with self._available:
            while not self._idle and self._started >= self.size:
                self._available.wait()
            if self._idle:
                return self._idle.pop()
            self._started += 1
        return _Worker(self.grace_s)

    def _give_back(self, worker: _Worker) -> None:
        with self._available:
            self._idle.append(worker)
            self._available.notify()

    def _lost(self) -> None:
        with self._available:
            self._started -= 1
            self._available.notify()


_DEFAULT: ReadWorkers | None = None
_DEFAULT_LOCK = threading.Lock()


def default_read_workers() -> ReadWorkers:
    """The process's shared pool (closed when the process exits)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = ReadWorkers()
            atexit.register(_DEFAULT.close)
        return _DEFAULT


def _send(stream: BinaryIO | None, message: object) -> None:
    assert stream is not None
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(body).to_bytes(_HEADER, "big") + body)
    stream.flush()


def _receive(stream: BinaryIO | None, deadline: float | None = None) -> bytes:
    assert stream is not None
    length = int.from_bytes(_read_exactly(stream, _HEADER, deadline), "big")
    return _read_exactly(stream, length, deadline)


def _read_exactly(stream: BinaryIO, count: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    fd = stream.fileno()
    while count:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(count, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        count -= len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------- the worker side

_ROW_ALIAS = "__rls"  # the RLS compiler's row alias: an error naming it quotes compiled SQL


def _serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer requests until the parent closes the pipe.

    The next read's connection is made while waiting (loading the crypto module takes ~80 ms).
    """
    while True:
        spare = new_connection()
        try:
            request: ReadRequest = pickle.loads(_receive(requests))
        except EOFError:
            return
        with _address_space(request.limits.memory_limit):
            outcome = _read(spare, request)
        _send(answers, outcome)


@contextmanager
def _address_space(memory_limit: int) -> Iterator[None]:
    """Cap the process's address space for one read, then lift the cap again."""
    previous = resource.getrlimit(resource.RLIMIT_AS)
    cap = _mapped_bytes() + memory_limit + _ALLOWANCE
    resource.setrlimit(resource.RLIMIT_AS, (cap, previous[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, previous)


def _mapped_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _read(connection: duckdb.DuckDBPyConnection, request: ReadRequest) -> ReadOutcome:
    """One read on a fresh ``connection`` (closed afterwards)."""
    limits, guard = request.limits, request.guard
    try:
        check_read(request.sql, schema=guard.schema, tables=guard.tables, wrappers=guard.wrappers)
        attach_encrypted(connection, request.source.path, request.source.key, read_only=True)
        lock_down(connection, limits.memory_limit)
        return _execute(connection, request.sql, limits)
    except QueryRefused as refused:
        return ReadOutcome("refused", message=str(refused), detail=refused.detail)
    except (MemoryError, duckdb.OutOfMemoryException):
        return _too_much_memory(limits)
    finally:
        connection.close()


def _execute(connection: duckdb.DuckDBPyConnection, sql: str, limits: ReadLimits) -> ReadOutcome:
    timer = threading.Timer(limits.timeout_s, connection.interrupt)
    timer.start()
    try:
        cursor = connection.execute(sql)
        rows: list[tuple[Any, ...]] = []
        nbytes = 0
        while len(rows) <= limits.row_cap:
            batch = cursor.fetchmany(min(_FETCH_BATCH, limits.row_cap + 1 - len(rows)))
            if not batch:
                break
            nbytes += len(orjson.dumps(batch, default=str, option=orjson.OPT_NON_STR_KEYS))
            if nbytes > limits.byte_cap:
                return ReadOutcome(
                    "refused",
                    message=f"the result is larger than the {size(limits.byte_cap)} a read may"
                    " return: select fewer columns or rows",
                )
            rows.extend(batch)
    except duckdb.InterruptException:
        return ReadOutcome("failed", message=f"query exceeded the {limits.timeout_s:g}s time limit")
    except duckdb.OutOfMemoryException:
        return _too_much_memory(limits)
    except duckdb.Error as error:
        return ReadOutcome("failed", message=_for_reader(error), detail=str(error))
    finally:
        timer.cancel()
    columns = [column[0] for column in cursor.description]
    truncated = len(rows) > limits.row_cap
    return ReadOutcome("ok", columns, rows[: limits.row_cap], truncated, nbytes)


def _too_much_memory(limits: ReadLimits) -> ReadOutcome:
    return ReadOutcome(
        "refused",
        message=f"the query needs more than the {size(limits.memory_limit)} of memory a read may"
        " use: filter or aggregate more",
        spent=True,
    )


def _for_reader(error: duckdb.Error) -> str:
    """The engine's message as a reader may see it: its first line, never the compiled SQL."""
    first_line = str(error).split("\n", 1)[0].strip()
    if _ROW_ALIAS in first_line or not first_line:
        return "query failed: the warehouse could not run it (the details are in the audit trail)"
    return f"query failed: {first_line}"


def _main() -> None:
    """Serve on a private copy of stdout; anything else printing to stdout goes to stderr."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, answers)


if __name__ == "__main__":  # run as a module, so pickles name this module by its import path
    from governance.warehouse import read_workers

    read_workers._main()
