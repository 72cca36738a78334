"""How one platform is set up: where its data lives, which dev set it scores on, and its limits."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sapsoup.errors import SapsoupError
from sapsoup.validate import devset, server, unpack

DEFAULT_DAILY_QUOTA = 3  # SAPC allowed a few scored submissions per team and day


class ChallengeError(SapsoupError):
    """The platform cannot start or refuses a request; the message says which and why."""


@dataclasses.dataclass
class Settings:
    data_dir: Path  # everything the platform writes lives here
    dev_dir: Path
    splits: list[str]
    database_url: str
    workers: int = 1
    timeout: float = server.DEFAULT_TIMEOUT_SECONDS
    daily_quota: int = DEFAULT_DAILY_QUOTA
    max_unpacked_bytes: int = unpack.DEFAULT_MAX_UNPACKED_BYTES
    semantic_options: dict | None = None  # None: SEM is not computed (no models given)

    @property
    def archives_dir(self) -> Path:
        return self.data_dir / "archives"

    @property
    def runs_dir(self) -> Path:
        return self.data_dir / "runs"

    @property
    def plots_dir(self) -> Path:
        return self.data_dir / "plots"


def make_settings(data_dir: Path, dev_dir: Path, database_url: str | None = None, **options) -> Settings:
    """Settings with the dev set checked now, so that a broken dev folder stops the server at start."""
    from sapsoup.challenge.store import default_url

    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server.check_workdir(data_dir / "runs")  # the replay refuses to run inside the repository
    try:
        splits = devset.list_splits(dev_dir)
        for name in splits:
            devset.load_dev_split(dev_dir, name)
    except devset.DevSetError as error:
        raise ChallengeError(f"--dev {dev_dir}: {error}") from None
    return Settings(data_dir, Path(dev_dir).resolve(), splits, database_url or default_url(data_dir), **options)


def load_splits(settings: Settings) -> list[devset.DevSplit]:
    try:
        return [devset.load_dev_split(settings.dev_dir, name) for name in settings.splits]
    except devset.DevSetError as error:
        raise ChallengeError(f"--dev {settings.dev_dir}: {error}") from None
