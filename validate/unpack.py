"""Open a submission archive the way a careful server would, and check its layout for its target.

Everything that could write outside the extraction folder or fill the disk is refused before a single
byte is written: absolute names, `..` components, links and other special files, encrypted members,
duplicate names, and a declared uncompressed size over the limit. Extraction then counts the bytes
it really writes, because a ZIP's declared sizes can lie.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from sapsoup import editions
from sapsoup.editions import EditionError
from sapsoup.errors import SapsoupError

DEFAULT_MAX_UNPACKED_BYTES = 16 * 1024**3  # a large-v3 checkpoint in fp32 is about 6 GB


class ArchiveError(SapsoupError):
    """A refused or malformed submission archive; the message names the archive and the problem."""


@dataclasses.dataclass
class Layout:
    """What the layout check found at the unpacked root."""

    target: str  # the edition's name: "sapc1" or "sapc2"
    root: Path
    files: list[str]  # relative POSIX paths of regular files
    notes: list[str]  # things a team should know that do not stop the replay
    sapsoup_json: dict  # the archive's sapsoup.json, {} when absent

    @property
    def edition(self) -> editions.Edition:
        return editions.get(self.target)


def _entry_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a ZIP member must not be extracted, or None when it is safe."""
    name = info.filename
    if not name or "\x00" in name:
        return "empty or NUL in name"
    if "\\" in name:
        return "backslash in name (Windows path)"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if ".." in PurePosixPath(name).parts:
        return "'..' component"
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return "symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "special file (device, fifo or socket)"
    if info.flag_bits & 0x1:
        return "encrypted member"
    return None


def inspect_archive(archive: Path, max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES) -> list[zipfile.ZipInfo]:
    """The archive's members, after refusing everything unsafe (see the module docstring)."""
    archive = Path(archive)
    if not archive.is_file():
        raise ArchiveError(f"{archive}: no such file")
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = bundle.infolist()
    except zipfile.BadZipFile as error:
        raise ArchiveError(f"{archive}: not a ZIP archive ({error})") from error
    if not members:
        raise ArchiveError(f"{archive}: empty archive")
    seen: set[str] = set()
    total = 0
    for info in members:
        problem = _entry_problem(info)
        if problem:
            raise ArchiveError(f"{archive}: refused entry {info.filename!r}: {problem}")
        normal = str(PurePosixPath(info.filename))
        if normal in seen:
            raise ArchiveError(f"{archive}: refused entry {info.filename!r}: duplicate name")
        seen.add(normal)
        total += info.file_size
    if total > max_unpacked_bytes:
        raise ArchiveError(
            f"{archive}: refused: uncompressed size {total:,} bytes exceeds the limit of {max_unpacked_bytes:,} bytes"
        )
    return members


def safe_extract(archive: Path, destination: Path, max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES) -> Path:
    """Extract `archive` into `destination` (which must not exist yet) and return it.

    Extraction goes to a temporary sibling folder that is renamed at the end, so a refused or broken
    archive leaves nothing behind.
    """
    archive, destination = Path(archive), Path(destination)
    members = inspect_archive(archive, max_unpacked_bytes)
    if destination.exists():
        raise ArchiveError(f"{destination}: already exists; choose an empty work folder")
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}-", dir=destination.parent))
    try:
        written = 0
        with zipfile.ZipFile(archive) as bundle:
            for info in members:
                target = staging.joinpath(*PurePosixPath(info.filename).parts)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                member_bytes = 0
                with bundle.open(info) as source, open(target, "wb") as sink:
                    while chunk := source.read(1 << 20):
                        member_bytes += len(chunk)
                        written += len(chunk)
                        if member_bytes > info.file_size or written > max_unpacked_bytes:
                            raise ArchiveError(
                                f"{archive}: refused: {info.filename!r} unpacks to more than its declared size "
                                f"or the limit of {max_unpacked_bytes:,} bytes"
                            )
                        sink.write(chunk)
                mode = (info.external_attr >> 16) & 0o777
                if mode & 0o100:
                    os.chmod(target, 0o755)
        os.replace(staging, destination)
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ArchiveError(f"{archive}: extraction failed ({error})") from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination


def _regular_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def check_layout(root: Path, archive: Path | None = None) -> Layout:
    """Decide the archive's edition from its root files and check what that edition requires.

    Each edition names its entry points (SAPC1: run.sh and inference.py; SAPC2: model.py) and checks
    them. Files one folder down are the commonest mistake (zipping the folder instead of its content);
    the server would not find them, so neither do we. A `sapsoup.json` that names an edition must agree
    with the files.
    """
    root = Path(root)
    label = archive or root
    files = _regular_files(root)
    top = set(files)
    notes: list[str] = []

    sapsoup_json: dict = {}
    if "sapsoup.json" in top:
        try:
            sapsoup_json = json.loads((root / "sapsoup.json").read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ArchiveError(f"{label}: sapsoup.json is not valid JSON ({error})") from error
        if not isinstance(sapsoup_json, dict):
            raise ArchiveError(f"{label}: sapsoup.json is not a JSON object")

    known = editions.all_editions()
    matching = [edition for edition in known if all(name in top for name in edition.entry_points)]
    declared = str(sapsoup_json.get("target", "")).lower() or None  # cross-checked when it names an edition
    if declared not in editions.NAMES:
        declared = None
    if not matching:
        entry_points = {name for edition in known for name in edition.entry_points}
        nested = sorted({f.split("/", 1)[0] for f in files if "/" in f and f.rsplit("/", 1)[-1] in entry_points})
        where = f"; found them under {nested[0]}/ (zip the folder's content, not the folder)" if nested else ""
        expected = editions.get(declared or editions.DEFAULT)
        missing = [name for name in expected.entry_points if name not in top]
        raise ArchiveError(f"{label}: missing {', '.join(missing)} at the archive root{where}")
    if len(matching) > 1:
        chosen = editions.get(declared) if declared else matching[0]
        names = " and ".join(edition.title for edition in matching)
        notes.append(f"archive holds the entry points of {names}; replaying it as {chosen.name}")
    else:
        chosen = matching[0]
    if declared is not None and declared != chosen.name:
        raise ArchiveError(f"{label}: sapsoup.json says target {declared!r} but the files are a {chosen.name} layout")
    try:
        notes += chosen.check_entry_points(root, top, str(label))
    except EditionError as error:
        raise ArchiveError(str(error)) from None
    return Layout(target=chosen.name, root=root, files=files, notes=notes, sapsoup_json=sapsoup_json)
