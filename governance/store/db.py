"""Engine and sessions for the control plane, and its schema revision (Alembic).

A new, empty control plane is created at the current revision on first use. One at an older
revision is refused with a line naming ``atspark db upgrade``: starting a process only reads the
revision, and migrating is an operator's deliberate step (``make run`` takes it).

SQLite (the embedded default) runs in WAL mode, so readers never wait for a writer, and every
transaction begins ``IMMEDIATE``: writers queue for the database lock at the start of a unit of
work instead of failing halfway through it when two of them read and then both write.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from governance.errors import AtsparkError
from governance.store.migrations import HEAD_REVISION

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str, *, writes: bool = True) -> Engine:
    """An engine for ``url``; a SQLite file is created owner-only, with foreign keys on.

    On SQLite, an engine for ``writes`` begins every transaction ``IMMEDIATE``; one for reads
    only begins them deferred, so they never wait for (or deadlock with) a writer.
    """
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_immediate if writes else _begin_deferred)
    return engine


@contextmanager
def _explained(url: str) -> Iterator[None]:
    """A control plane that cannot be opened as one clear line, its password never shown."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        raise AtsparkError("ATSPARK_DATABASE_URL is not a database URL atspark can use") from None
    try:
        yield
    except (ArgumentError, NoSuchModuleError, ImportError):
        raise AtsparkError(
            f"ATSPARK_DATABASE_URL {shown} is not a database URL atspark can use"
        ) from None
    except OSError as error:
        raise AtsparkError(f"cannot create the control plane {shown}: {error.strerror}") from None
    except OperationalError:
        raise AtsparkError(f"cannot open the control plane {shown}") from None


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA secure_delete=ON")  # a deleted row (a shredded key) is overwritten
    cursor.close()


def _begin_immediate(connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _begin_deferred(connection) -> None:
    connection.exec_driver_sql("BEGIN")


def head_revision() -> str:
    """The revision this code's schema is at (Alembic's head; a test keeps the two equal)."""
    return HEAD_REVISION


def current_revision(engine: Engine) -> str | None:
    """The revision the database behind ``engine`` is at (None: never migrated).

    Read with one query, so starting a process does not load Alembic.
    """
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DatabaseError:
            return None


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration the database behind ``engine`` lacks."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class ControlPlane:
    """The control-plane database: an engine at the current revision and a session factory."""

    def __init__(self, url: str) -> None:
        with _explained(url):
            self.engine = make_engine(url)
            self._read_engine = (
                make_engine(url, writes=False)
                if self.engine.dialect.name == "sqlite"
                else self.engine
            )
            # read on the reading engine: a command that only reads never opens a writer
            revision, head = current_revision(self._read_engine), head_revision()
        if revision is None and not inspect(self.engine).get_table_names():
            migrate(self.engine)  # a new control plane starts at the current revision
        elif revision != head:
            self.dispose()
            raise AtsparkError(
                f"the control plane ({make_url(url).render_as_string(hide_password=True)}) is "
                f"at revision {revision or 'none'}, this atspark needs {head}: run "
                "`atspark db upgrade`"
            )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)

    @classmethod
    def upgrade(cls, url: str) -> tuple[str | None, str]:
        """Bring the control plane at ``url`` to the current revision: (before, after)."""
        with _explained(url):
            engine = make_engine(url)
        try:
            before = current_revision(engine)
            migrate(engine)
            return before, head_revision()
        finally:
            engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction, committed on success and rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session that only reads: it never waits for a unit of work holding the write lock
        (a data key unwrapped in the middle of one, say)."""
        with self._read_sessions() as session, session.begin():
            yield session

    def forget_deleted(self) -> None:
        """Leave no copy of deleted rows in the database's files: SQLite's write-ahead log is
        checkpointed and emptied (``secure_delete`` has zeroed the pages themselves).
        PostgreSQL keeps dead rows until its vacuum."""
        if self.engine.dialect.name == "sqlite":
            raw = self.engine.raw_connection()  # outside any transaction, as a checkpoint must be
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()

    def dispose(self) -> None:
        self.engine.dispose()
        self._read_engine.dispose()
