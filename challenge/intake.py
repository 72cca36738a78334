"""Receiving an upload: refuse a bad archive at the door, keep a good one under the data folder.

A refusal must cost nothing: the upload is written to a staging file inside the data folder, checked
with the same safe unpacking and layout check that the run uses (`validate.unpack`), and removed,
together with its trial extraction, whatever the outcome. Only an archive that passed is moved to
DATA/archives/<sha256>.zip, named by its content so that the same bytes are recognised later.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from sapsoup.errors import SapsoupError
from sapsoup.validate import unpack

CHUNK = 1 << 20
TEAM_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}")


class UploadError(SapsoupError):
    """An upload refused before it was stored; the message names the file and the problem."""


@dataclasses.dataclass
class CheckedUpload:
    """A staged upload that passed every check; `keep` moves it into the archive folder."""

    staged: Path
    filename: str
    sha256: str
    size: int
    edition: str
    notes: list[str]


def check_team(team: str | None) -> str:
    team = (team or "").strip()
    if not TEAM_PATTERN.fullmatch(team):
        raise UploadError(f"team name {team!r}: use 1 to 64 letters, digits, spaces, '.', '_' or '-', "
                          "starting with a letter or digit")
    return team


def clean_filename(name: str | None) -> str:
    """The uploaded file's own name, without any folder a browser or client put in front."""
    base = re.split(r"[\\/]", name or "")[-1].strip()
    return base[:255] or "submission.zip"


def staging_dir(data_dir: Path) -> Path:
    folder = Path(data_dir) / "incoming"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def receive(source: BinaryIO, filename: str, data_dir: Path, max_bytes: int) -> CheckedUpload:
    """Copy SOURCE into a staging file, refusing more than MAX_BYTES, and check it (see `check`)."""
    handle, name = tempfile.mkstemp(prefix="upload-", suffix=".zip", dir=staging_dir(data_dir))
    staged = Path(name)
    digest, size = hashlib.sha256(), 0
    try:
        with os.fdopen(handle, "wb") as sink:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadError(f"{filename}: refused: the upload exceeds the limit of {max_bytes:,} bytes")
                digest.update(chunk)
                sink.write(chunk)
        if size == 0:
            raise UploadError(f"{filename}: the upload is empty")
        edition, notes = check(staged, filename, data_dir, max_bytes)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return CheckedUpload(staged, filename, digest.hexdigest(), size, edition, notes)


def check(staged: Path, filename: str, data_dir: Path, max_bytes: int) -> tuple[str, list[str]]:
    """The archive's edition and layout notes, after the entry checks and a trial extraction.

    Errors name the uploaded file, not the staging path, since that is what the team knows.
    """
    trial = Path(tempfile.mkdtemp(prefix="trial-", dir=staging_dir(data_dir)))
    try:
        unpack.inspect_archive(staged, max_bytes)
        root = unpack.safe_extract(staged, trial / "root", max_bytes)
        layout = unpack.check_layout(root)
    except unpack.ArchiveError as error:
        message = str(error).replace(str(trial / "root"), filename).replace(str(staged), filename)
        raise UploadError(message) from None
    finally:
        shutil.rmtree(trial, ignore_errors=True)
    return layout.target, layout.notes


def keep(upload: CheckedUpload, data_dir: Path) -> Path:
    """Move the checked upload to DATA/archives/<sha256>.zip and return that path."""
    folder = Path(data_dir) / "archives"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{upload.sha256}.zip"
    os.replace(upload.staged, target)
    return target


def discard(upload: CheckedUpload) -> None:
    upload.staged.unlink(missing_ok=True)
