"""The decision log and stored policy versions, through SQLAlchemy (edge: database I/O).

SQLite (WAL, synchronous=FULL, so an acknowledged decision survives a crash) is the embedded
default; PostgreSQL is used when the URL says so. The schema is created and upgraded by Alembic.

Decisions are written by **group commit** (:class:`GroupWriter`): one writer thread per process takes
every decision waiting at that moment and inserts them in one transaction, so one fsync makes a whole
group durable. A caller is answered only when the commit of its group has returned; a crash before
that loses only decisions nobody was told about.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, DateTime, Engine, String, Text, create_engine, event, insert, select
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from engine.json_values import JsonValue

__all__ = ["Decision", "GroupWriter", "PolicyVersion", "Review", "ReviewRecord", "Store", "default_url", "utc"]

GROUP_LIMIT = 256  # decisions in one transaction at most (a burst beyond waits for the next commit)


class Base(DeclarativeBase):
    """Declarative base of the service's tables."""


class Decision(Base):
    """One scoring decision: who scored what, under which policy, with which facts, and the result."""

    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200))
    policy_id: Mapped[str] = mapped_column(String(100), index=True)
    policy_version: Mapped[str] = mapped_column(String(50))
    policy_digest: Mapped[str] = mapped_column(String(64))
    facts_digest: Mapped[str] = mapped_column(String(64), index=True)
    result_digest: Mapped[str] = mapped_column(String(64))
    total: Mapped[str] = mapped_column(String(40))
    facts: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text)


class Review(Base):
    """One review (复核), in the decision log beside the scores.

    Who reviewed which claimed scores, under which policy, with which facts and reviewer's
    adjustments, and the whole review.
    """

    __tablename__ = "reviews"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200))
    policy_id: Mapped[str] = mapped_column(String(100), index=True)
    policy_version: Mapped[str] = mapped_column(String(50))
    policy_digest: Mapped[str] = mapped_column(String(64))
    facts_digest: Mapped[str] = mapped_column(String(64), index=True)
    review_digest: Mapped[str] = mapped_column(String(64))
    agrees: Mapped[bool] = mapped_column(Boolean)
    verdict: Mapped[str] = mapped_column(String(200))
    difference: Mapped[str | None] = mapped_column(String(40), nullable=True)
    computed_total: Mapped[str] = mapped_column(String(40))
    adjusted_total: Mapped[str] = mapped_column(String(40))
    facts: Mapped[str] = mapped_column(Text)
    adjustments: Mapped[str | None] = mapped_column(Text, nullable=True)
    review: Mapped[str] = mapped_column(Text)


class PolicyVersion(Base):
    """A policy version added through the API (bundled policies are read from disk)."""

    __tablename__ = "policy_versions"

    policy_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[str] = mapped_column(String(50), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))


def default_url(directory: Path) -> str:
    """The embedded default: an SQLite file in ``directory``."""
    return f"sqlite:///{directory / 'jixiao-decisions.sqlite3'}"


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A decision as the API returns it."""

    id: str
    created_at: datetime
    actor: str
    department: str
    policy_id: str
    policy_version: str
    policy_digest: str
    facts_digest: str
    result_digest: str
    total: str
    facts: str
    result: str


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    """A review as the API returns it."""

    id: str
    created_at: datetime
    actor: str
    department: str
    policy_id: str
    policy_version: str
    policy_digest: str
    facts_digest: str
    review_digest: str
    agrees: bool
    verdict: str
    difference: str | None
    computed_total: str
    adjusted_total: str
    facts: str
    adjustments: str | None
    review: str


class Store:
    """Database access for the service; one instance per process."""

    def __init__(self, url: str) -> None:
        """Connect and bring the schema to the newest migration."""
        self.url = url
        self.engine = _engine(url)
        migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.writer = GroupWriter(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error."""
        with self._sessions() as session, session.begin():
            yield session

    def record(self, **fields: str) -> DecisionRecord:
        """Store a decision and return it once the commit of its group is durable."""
        return self.submit(**fields).result()

    def submit(self, **fields: str) -> Future[DecisionRecord]:
        """Queue a decision for the next group commit; the future holds it once that commit is durable.

        The future's exception is the database's error when the decision could not be stored.
        """
        record = DecisionRecord(id=uuid.uuid4().hex, created_at=datetime.now(UTC), **fields)
        return self.writer.submit(record)

    def decision(self, decision_id: str) -> DecisionRecord | None:
        """A stored decision by id."""
        with self.session() as session:
            row = session.get(Decision, decision_id)
            return _record(row) if row else None

    def decisions(self, policy_id: str | None, limit: int, offset: int = 0) -> list[DecisionRecord]:
        """The newest decisions, optionally of one policy, skipping the ``offset`` newest."""
        query = select(Decision).order_by(Decision.created_at.desc(), Decision.id).offset(offset).limit(limit)
        if policy_id:
            query = query.where(Decision.policy_id == policy_id)
        with self.session() as session:
            return [_record(row) for row in session.scalars(query)]

    def record_review(self, **fields: JsonValue) -> ReviewRecord:  # the review's fields, as its JSON has them
        """Store a review and return it once the commit is durable."""
        row = Review(id=uuid.uuid4().hex, created_at=datetime.now(UTC), **fields)
        with self.session() as session:
            session.add(row)
        return _review(row)

    def review(self, review_id: str) -> ReviewRecord | None:
        """A stored review by id."""
        with self.session() as session:
            row = session.get(Review, review_id)
            return _review(row) if row else None

    def reviews(self, policy_id: str | None, limit: int, offset: int = 0) -> list[ReviewRecord]:
        """The newest reviews, optionally of one policy, skipping the ``offset`` newest."""
        query = select(Review).order_by(Review.created_at.desc(), Review.id).offset(offset).limit(limit)
        if policy_id:
            query = query.where(Review.policy_id == policy_id)
        with self.session() as session:
            return [_review(row) for row in session.scalars(query)]

    def add_policy(self, policy_id: str, version: str, digest: str, name: str, text: str, actor: str) -> None:
        """Store a policy version added through the API."""
        with self.session() as session:
            session.add(PolicyVersion(policy_id=policy_id, version=version, digest=digest, name=name, text=text,
                                      created_at=datetime.now(UTC), actor=actor))

    def policy_texts(self) -> list[tuple[str, str, str]]:
        """``(policy id, version, text)`` of every stored policy version, oldest first."""
        with self.session() as session:
            rows = session.scalars(select(PolicyVersion).order_by(PolicyVersion.created_at))
            return [(row.policy_id, row.version, row.text) for row in rows]

    def close(self) -> None:
        """Write what is queued, stop the writer and close every pooled connection (the application's shutdown)."""
        self.writer.stop()
        self.engine.dispose()

    def ping(self) -> bool:
        """Whether the database answers."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        return True


class GroupWriter:
    """One thread that inserts every queued decision in one transaction per group (group commit).

    The thread starts with the first decision and stops with :meth:`stop` (it starts again when
    another decision comes). When a group's transaction fails, each of its decisions is tried
    alone, so one decision the database refuses does not fail the others.
    """

    def __init__(self, engine: Engine) -> None:
        """A writer for ``engine``; nothing runs until the first :meth:`submit`."""
        self.engine = engine
        self._queue: queue.SimpleQueue[tuple[DecisionRecord, Future[DecisionRecord]] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, record: DecisionRecord) -> Future[DecisionRecord]:
        """Queue ``record``; its future is resolved after the commit of its group."""
        future: Future[DecisionRecord] = Future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="jixiao-decision-log", daemon=True)
                self._thread.start()
            self._queue.put((record, future))
        return future

    def stop(self) -> None:
        """Write every queued decision, then end the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._queue.put(None)
        thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            group = [item]
            stop = False
            while len(group) < GROUP_LIMIT:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                group.append(more)
            self._write(group)
            if stop:
                return

    def _write(self, group: list[tuple[DecisionRecord, Future[DecisionRecord]]]) -> None:
        try:
            self._insert([record for record, _ in group])
        except Exception as err:  # retried one by one below, so each caller gets its own decision's error
            if len(group) == 1:
                _settle(group[0][1], error=err)
                return
            for one in group:
                self._write([one])
            return
        for record, future in group:
            _settle(future, record)

    def _insert(self, records: list[DecisionRecord]) -> None:
        rows: list[dict[str, Any]] = [{name: getattr(r, name) for name in DecisionRecord.__slots__} for r in records]
        with self.engine.begin() as connection:
            connection.execute(insert(Decision), rows)


def _settle(future: Future[DecisionRecord], record: DecisionRecord | None = None, *,
            error: Exception | None = None) -> None:
    if future.set_running_or_notify_cancel():
        if error is not None:
            future.set_exception(error)
        else:
            assert record is not None
            future.set_result(record)


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def utc(moment: datetime) -> datetime:
    """A timestamp in UTC: SQLite gives back naive datetimes (stored in UTC), PostgreSQL the session's zone.

    >>> utc(datetime(2021, 12, 31, 8, 0)).isoformat()
    '2021-12-31T08:00:00+00:00'
    """
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _record(row: Decision) -> DecisionRecord:
    return DecisionRecord(row.id, utc(row.created_at), row.actor, row.department, row.policy_id, row.policy_version,
                          row.policy_digest, row.facts_digest, row.result_digest, row.total, row.facts, row.result)


def _review(row: Review) -> ReviewRecord:
    return ReviewRecord(row.id, utc(row.created_at), row.actor, row.department, row.policy_id, row.policy_version,
                        row.policy_digest, row.facts_digest, row.review_digest, row.agrees, row.verdict,
                        row.difference, row.computed_total, row.adjusted_total, row.facts, row.adjustments,
                        row.review)
