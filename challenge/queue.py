"""The task queue between the upload and the run: huey, with its SQLite storage in the data folder.

Uploads return at once; huey's consumer runs the submissions in order, one at a time by default
(`--workers N` for more), in threads of the server process: each run's real work is a separate
process anyway (the archive's script), killed at the time limit, so a hanging script never holds a
worker past it. The consumer is started without its own signal handlers, since the web server owns
the process's signals and stops the queue when it stops.

The database is the record of what is owed, not the queue: at start the queue is emptied and every
submission still waiting, or interrupted mid-run, is queued again in submission order.
"""

from __future__ import annotations

import logging
import threading

from huey import SqliteHuey
from huey.consumer import Consumer

from sapsoup.challenge import worker
from sapsoup.challenge.settings import Settings
from sapsoup.challenge.store import Store

STOP_SECONDS = 10.0  # how long a stopping server waits for a worker to kill its script and return


class QuietConsumer(Consumer):
    """huey's consumer, minus the signal handlers: `start` may be called from any thread."""

    def _set_signal_handlers(self):
        pass


class SubmissionQueue:
    """A huey queue of submission ids and the consumer that runs them with `worker.run_submission`."""

    def __init__(self, settings: Settings, store: Store):
        self.settings, self.store = settings, store
        self.stopping = threading.Event()
        self.huey = SqliteHuey(name="sapsoup-challenge", filename=str(settings.data_dir / "queue.db"), results=False)
        self.task = self.huey.task(name="run_submission")(self._run)
        self.consumer: QuietConsumer | None = None

    def _run(self, submission_id: int) -> str:
        return worker.run_submission(self.store, self.settings, submission_id, self.stopping)

    def enqueue(self, submission_id: int) -> None:
        self.task(submission_id)

    def recover(self) -> list[int]:
        """Empty the queue and queue again everything the store says is owed; returns the ids."""
        self.store.requeue_interrupted()
        self.huey.flush()
        owed = self.store.pending_ids()
        for submission_id in owed:
            self.enqueue(submission_id)
        return owed

    def start(self) -> None:
        logging.getLogger("huey").setLevel(logging.WARNING)
        self.consumer = QuietConsumer(self.huey, workers=self.settings.workers, worker_type="thread",
                                      initial_delay=0.1, backoff=1.15, max_delay=1.0, periodic=False,
                                      check_worker_health=False, shutdown_timeout=STOP_SECONDS)
        self.consumer.start()

    def stop(self) -> None:
        """Ask running scripts to stop (they are killed and their submissions queued again at the next
        start), then wait for the workers."""
        self.stopping.set()
        if self.consumer is not None:
            self.consumer.stop(graceful=True)
            self.consumer = None
