"""Open a submission archive the way a careful server would, and check its layout for its target.

Everything that could write outside the extraction folder or fill the disk is refused before a single
byte is written: absolute names, `..` components, links and other special files, encrypted members,
duplicate names, and a declared uncompressed size over the limit. Extraction then counts the bytes
it really writes, because a ZIP's declared sizes can lie.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from sapsoup.errors import SapsoupError

DEFAULT_MAX_UNPACKED_BYTES = 16 * 1024**3  # a large-v3 checkpoint in fp32 is about 6 GB
SAPC1_REQUIRED = ("run.sh", "inference.py")
SAPC2_REQUIRED = ("model.py",)


class ArchiveError(SapsoupError):
    """A refused or malformed submission archive; the message names the archive and the problem."""


@dataclasses.dataclass
class Layout:
    """What the layout check found at the unpacked root."""

    target: str  # "sapc1" or "sapc2"
    root: Path
    files: list[str]  # relative POSIX paths of regular files
    notes: list[str]  # things a team should know that do not stop the replay
    sapsoup_json: dict  # the archive's sapsoup.json, {} when absent


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


def _defines_model_class(source: str) -> bool:
    """True when the module defines `class Model` with `__init__` and `predict` (SAPC2's contract)."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Model":
            methods = {item.name for item in node.body if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))}
            return "predict" in methods
    return False


def check_layout(root: Path, archive: Path | None = None) -> Layout:
    """Decide the archive's target from its root files and check what that target requires.

    SAPC1 needs run.sh and inference.py at the root (weights conventionally model.pt); SAPC2 needs
    model.py defining class Model with predict(). Files one folder down are the commonest mistake
    (zipping the folder instead of its content); the server would not find them, so neither do we.
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

    is_sapc1 = all(name in top for name in SAPC1_REQUIRED)
    is_sapc2 = all(name in top for name in SAPC2_REQUIRED)
    declared = str(sapsoup_json.get("target", "")).lower() or None  # cross-checked when it names a target
    if declared not in ("sapc1", "sapc2"):
        declared = None
    if not is_sapc1 and not is_sapc2:
        entry_points = SAPC1_REQUIRED + SAPC2_REQUIRED
        nested = sorted({f.split("/", 1)[0] for f in files if "/" in f and f.rsplit("/", 1)[-1] in entry_points})
        where = f"; found them under {nested[0]}/ (zip the folder's content, not the folder)" if nested else ""
        missing = [name for name in SAPC1_REQUIRED if name not in top]
        if declared == "sapc2":
            missing = [name for name in SAPC2_REQUIRED if name not in top]
        raise ArchiveError(f"{label}: missing {', '.join(missing)} at the archive root{where}")
    if is_sapc1 and is_sapc2:
        target = declared or "sapc1"
        notes.append(f"archive holds both SAPC1 and SAPC2 entry points; replaying it as {target}")
    else:
        target = "sapc1" if is_sapc1 else "sapc2"
    if declared is not None and declared != target:
        raise ArchiveError(f"{label}: sapsoup.json says target {declared!r} but the files are a {target} layout")

    if target == "sapc1":
        source = (root / "inference.py").read_text(encoding="utf-8", errors="replace")
        try:
            ast.parse(source)
        except SyntaxError as error:
            raise ArchiveError(f"{label}: inference.py line {error.lineno}: syntax error ({error.msg})") from None
        for option in ("--root", "--split", "--output-name", "--data-pth", "--manifest-pth"):
            if option not in source:
                notes.append(f"inference.py never mentions {option}; the organisers' command passes it")
        if "model.pt" not in top:
            notes.append("no model.pt at the root (the template loads ROOT/model.pt)")
        run_sh = (root / "run.sh").read_text(encoding="utf-8", errors="replace")
        version = re.search(r"python(?:_version)?\s*=\s*[\"']?([0-9][0-9.]*)", run_sh)
        if version:
            notes.append(f"run.sh asks for Python {version.group(1)}; the replay uses the local interpreter")
    else:
        source = (root / "model.py").read_text(encoding="utf-8", errors="replace")
        try:
            has_model = _defines_model_class(source)
        except SyntaxError as error:
            raise ArchiveError(f"{label}: model.py line {error.lineno}: syntax error ({error.msg})") from None
        if not has_model:
            raise ArchiveError(f"{label}: model.py does not define class Model with a predict method")
    return Layout(target=target, root=root, files=files, notes=notes, sapsoup_json=sapsoup_json)
