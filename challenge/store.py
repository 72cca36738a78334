"""The platform's memory: submissions, their scores per split and their logs, in a SQL database.

SQLAlchemy keeps the code the same for the default SQLite file in the data folder and for a shared
PostgreSQL a team may point several machines at. The database, not the task queue, is the record of
what is owed: a submission's status says whether it still has to run, so a server that stopped
mid-run finds the interrupted runs here on its next start and queues them again.

A submission's status moves submitted -> running -> scoring -> finished, or to failed from any
step before finished. Only `claim` moves a submission to running, and only from submitted, so two
workers never run the same archive.
"""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text, create_engine, event, func, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker

from sapsoup.errors import SapsoupError

STATUSES = ("submitted", "running", "scoring", "finished", "failed")
PENDING = ("submitted", "running", "scoring")  # still owed a result


class StoreError(SapsoupError):
    """The database cannot be opened or refused a change; the message names it."""


class Base(DeclarativeBase):
    pass


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Submission(Base):
    """One uploaded archive and what became of it (times are UTC)."""

    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team: Mapped[str] = mapped_column(String(100), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    edition: Mapped[str] = mapped_column(String(16), index=True)
    archive_path: Mapped[str] = mapped_column(Text)  # under the data folder
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)
    finished_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # runs started, interrupted ones included
    stage: Mapped[str] = mapped_column(String(200), default="")  # what the running worker is doing
    progress: Mapped[list | None] = mapped_column(JSON, nullable=True)  # [done, total] from the script's counter
    reason: Mapped[str] = mapped_column(Text, default="")  # why it failed, one line
    details: Mapped[str] = mapped_column(Text, default="")  # the failing script's stderr tail
    logs: Mapped[dict] = mapped_column(JSON, default=dict)  # log file name -> its tail
    timings: Mapped[list] = mapped_column(JSON, default=list)  # [{"stage", "seconds", "note"}]
    notes: Mapped[list] = mapped_column(JSON, default=list)
    unreadable: Mapped[dict] = mapped_column(JSON, default=dict)
    scores: Mapped[list[SplitScore]] = relationship(back_populates="submission", order_by="SplitScore.split",
                                                    cascade="all, delete-orphan", lazy="selectin")

    def headline(self) -> dict[str, dict[str, float | None]]:
        """split -> metric -> value, the edition's metrics in its order."""
        return {score.split: dict(score.headline) for score in self.scores}

    def as_dict(self) -> dict:
        return {
            "id": self.id, "team": self.team, "filename": self.filename, "sha256": self.sha256, "size": self.size,
            "edition": self.edition, "status": self.status, "stage": self.stage, "progress": self.progress,
            "created_at": _iso(self.created_at), "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at), "attempts": self.attempts, "reason": self.reason,
            "scores": self.headline(),
        }  # fmt: skip


class SplitScore(Base):
    """A finished submission's result on one dev split: the headline and the whole split report."""

    __tablename__ = "split_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    split: Mapped[str] = mapped_column(String(100))
    headline: Mapped[dict] = mapped_column(JSON)  # metric -> value, primary first
    report: Mapped[dict] = mapped_column(JSON)  # validate.report.split_json: buckets, worst, utterances
    submission: Mapped[Submission] = relationship(back_populates="scores")


def _iso(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


@dataclasses.dataclass
class NewSubmission:
    team: str
    filename: str
    sha256: str
    size: int
    edition: str
    archive_path: str


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{(Path(data_dir) / 'platform.db').resolve()}"


class Store:
    """Every read and write of the platform's state; each call is one short transaction."""

    def __init__(self, url: str):
        try:
            if url.startswith("sqlite"):
                self.engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
                event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = create_engine(url, pool_pre_ping=True)
            Base.metadata.create_all(self.engine)
        except Exception as error:  # sqlalchemy.exc.* and the driver's own: the URL is the user's input
            raise StoreError(f"database {url}: cannot open ({str(error).splitlines()[0]})") from None
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    # --- reading

    def get(self, submission_id: int) -> Submission | None:
        with self.sessions() as session:
            return session.get(Submission, submission_id)

    def by_sha256(self, sha256: str) -> Submission | None:
        with self.sessions() as session:
            return session.scalars(select(Submission).where(Submission.sha256 == sha256)).first()

    def all(self, edition: str | None = None) -> list[Submission]:
        with self.sessions() as session:
            query = select(Submission).order_by(Submission.id)
            if edition is not None:
                query = query.where(Submission.edition == edition)
            return list(session.scalars(query))

    def pending_ids(self) -> list[int]:
        with self.sessions() as session:
            return list(session.scalars(select(Submission.id).where(Submission.status.in_(PENDING))
                                        .order_by(Submission.id)))

    def queue_position(self, submission_id: int) -> int | None:
        """1 for the next to run; None when it is not waiting."""
        with self.sessions() as session:
            row = session.get(Submission, submission_id)
            if row is None or row.status != "submitted":
                return None
            ahead = session.scalar(select(func.count()).select_from(Submission)
                                   .where(Submission.status == "submitted", Submission.id < submission_id))
            return int(ahead) + 1

    def counted_today(self, team: str, now: datetime.datetime | None = None) -> int:
        """The team's submissions since midnight UTC that count against the quota (all but failed)."""
        now = now or utcnow()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(Submission).where(
                Submission.team == team, Submission.created_at >= midnight, Submission.status != "failed")))

    # --- writing

    def add(self, new: NewSubmission) -> Submission:
        with self.sessions() as session, session.begin():
            row = Submission(**dataclasses.asdict(new), status="submitted", logs={}, timings=[], notes=[],
                             unreadable={})
            session.add(row)
        return self.get(row.id)

    def claim(self, submission_id: int) -> bool:
        """Move a submitted run to running; False when another worker has it or it is not waiting."""
        with self.sessions() as session, session.begin():
            result = session.execute(
                update(Submission).where(Submission.id == submission_id, Submission.status == "submitted")
                .values(status="running", started_at=utcnow(), attempts=Submission.attempts + 1, stage="unpacking",
                        progress=None, reason="", details="")
            )  # fmt: skip
            return result.rowcount == 1

    def set_stage(self, submission_id: int, stage: str, progress: tuple[int, int] | None = None,
                  status: str | None = None) -> None:
        values: dict = {"stage": stage, "progress": None if progress is None else list(progress)}
        if status is not None:
            values["status"] = status
        with self.sessions() as session, session.begin():
            session.execute(update(Submission).where(Submission.id == submission_id).values(**values))

    def finish(self, submission_id: int, scores: list[tuple[str, dict, dict]], timings: list[dict], notes: list[str],
               unreadable: dict, logs: dict[str, str]) -> None:
        """Record a scored run: (split, headline, report) per split."""
        with self.sessions() as session, session.begin():
            row = session.get(Submission, submission_id)
            row.scores = [SplitScore(split=split, headline=headline, report=data) for split, headline, data in scores]
            row.status, row.stage, row.finished_at = "finished", "", utcnow()
            row.timings, row.notes, row.unreadable, row.logs = timings, notes, unreadable, logs

    def fail(self, submission_id: int, reason: str, details: str, timings: list[dict], logs: dict[str, str]) -> None:
        with self.sessions() as session, session.begin():
            row = session.get(Submission, submission_id)
            row.status, row.stage, row.finished_at = "failed", "", utcnow()
            row.reason, row.details, row.timings, row.logs = reason, details, timings, logs

    def requeue_interrupted(self) -> list[int]:
        """Runs a stopped server left running or scoring go back to submitted; returns their ids."""
        with self.sessions() as session, session.begin():
            ids = list(session.scalars(select(Submission.id).where(Submission.status.in_(("running", "scoring")))))
            if ids:
                session.execute(update(Submission).where(Submission.id.in_(ids))
                                .values(status="submitted", stage="interrupted by a server stop; queued again",
                                        progress=None))
            return ids


def _sqlite_pragmas(connection, _record) -> None:
    """WAL lets the web server read while a worker writes; foreign keys are off by default in SQLite."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
