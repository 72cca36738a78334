"""Write outputs so that a reader finds the old version or the complete new one, never a part.

Every file or folder sapsoup produces is built under a temporary name in the destination's own
folder (same file system, so the final rename is atomic) and renamed onto its name only once it is
complete. On any error, Ctrl-C included, the temporary is removed: an interrupted command leaves
nothing behind. The temporary gets the permissions a plain `open` or `mkdir` would have given
(mkstemp and mkdtemp create private ones).

A process killed outright (`kill -9`, a lost machine) runs no cleanup, and a multi-gigabyte hidden
partial would stay forever. So a temporary's name says whose it is: `.<target>.<host>-<pid>.<random>.partial`,
the target's own name, a short tag of the machine and the writing process's id. The next write to the same target
removes the partials (and `.old` folders) of that target whose process no longer runs on this machine;
those of other targets, of live processes and of other machines are never touched.
"""

import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = _umask()  # read once, at import: os.umask can only be read by setting it
HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]  # partials of other machines are not ours to judge
_OWNED = re.compile(r"^([0-9a-f]{6})-(\d+)\.[A-Za-z0-9_]+\.(partial|old)$")


def _owner_tag() -> str:
    return f"{HOST}-{os.getpid()}."  # read at each write: a forked process writes under its own id


@contextmanager
def atomic_path(path: "str | os.PathLike", folder: bool = False) -> Iterator[str]:
    """Yield a temporary path beside `path` to write a file (or, with `folder`, a folder) into;
    it replaces `path` when the block ends without error and is removed otherwise. Partials of
    `path` left by killed processes are removed first."""
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path))
    remove_stale_partials(path)
    prefix, suffix = f".{os.path.basename(path)}.{_owner_tag()}", ".partial"
    if folder:
        tmp = tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=parent)
    else:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=parent)
        os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, (0o777 if folder else 0o666) & ~UMASK)
        _replace(tmp, path)
    finally:
        _remove(tmp)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def _replace(tmp: str, path: str) -> None:
    """Rename `tmp` onto `path`. What a rename cannot replace (a folder, or anything when `tmp` is a
    folder) is first moved aside, then deleted once the new version has its name."""
    is_folder = os.path.isdir(path) and not os.path.islink(path)
    if is_folder or (os.path.isdir(tmp) and os.path.lexists(path)):
        parent = os.path.dirname(os.path.abspath(path))
        old = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.{_owner_tag()}", suffix=".old", dir=parent)
        os.replace(path, os.path.join(old, "previous"))
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, path)


def stale_partials(path: "str | os.PathLike") -> List[str]:
    """The temporaries of `path` (`.partial` files or folders, `.old` folders) whose writing process
    has ended on this machine, by full path."""
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path))
    lead = f".{os.path.basename(path)}."
    try:
        names = [n for n in os.listdir(parent) if n.startswith(lead)]
    except OSError:
        return []
    stale = []
    for name in names:
        match = _OWNED.match(name[len(lead):])
        if match is None or match.group(1) != HOST:
            continue
        full = os.path.join(parent, name)
        if not _owner_runs(int(match.group(2)), full):
            stale.append(full)
    return sorted(stale)


def remove_stale_partials(path: "str | os.PathLike") -> List[str]:
    """Remove what `stale_partials` finds and return it. An `.old` folder holds the version a
    killed process was replacing: if the target has no version now, that one gets its name back."""
    path = os.fspath(path)
    removed = []
    for stale in stale_partials(path):
        previous = os.path.join(stale, "previous")
        if stale.endswith(".old") and not os.path.lexists(path) and os.path.lexists(previous):
            try:
                os.replace(previous, path)
            except OSError:
                continue  # keep it: it is the only copy
        try:
            _remove(stale)
        except OSError:
            continue  # another process removed it first, or it cannot be removed: not worth failing a write
        removed.append(stale)
    return removed


def _owner_runs(pid: int, partial: str) -> bool:
    """Whether process `pid` may still be writing `partial`: it exists, and (where the kernel says
    when it started) it started before the partial was last changed, so a new process that reuses a
    dead writer's id is not taken for it. In doubt, the answer is yes."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's live process
        return True
    started = _process_start(pid)
    if started is None:
        return True
    try:
        changed = os.lstat(partial).st_mtime
    except OSError:
        return True
    return started <= changed + 1.0  # clock ticks are coarse: a second of slack


def _process_start(pid: int) -> Optional[float]:
    """When process `pid` started (seconds since the epoch), from Linux's /proc; None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22 of stat(5); the split drops the first two
        with open("/proc/stat", encoding="ascii") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith("btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def write_text(path: "str | os.PathLike", text: str) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)


def write_json(path: "str | os.PathLike", data: Any) -> None:
    """Indented UTF-8 JSON with a final newline, written atomically."""
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
