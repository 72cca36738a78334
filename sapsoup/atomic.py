"""Write outputs so that a reader finds the old version or the complete new one, never a part.

Every file or folder sapsoup produces is built under a temporary name in the destination's own
folder (same file system, so the final rename is atomic) and renamed onto its name only once it is
complete. On any error, Ctrl-C included, the temporary is removed: an interrupted command leaves
nothing behind. The temporary gets the permissions a plain `open` or `mkdir` would have given
(mkstemp and mkdtemp create private ones).
"""

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from typing import Any, Iterator


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


UMASK = _umask()  # read once, at import: os.umask can only be read by setting it


@contextmanager
def atomic_path(path: "str | os.PathLike", folder: bool = False) -> Iterator[str]:
    """Yield a temporary path beside `path` to write a file (or, with `folder`, a folder) into;
    it replaces `path` when the block ends without error and is removed otherwise."""
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path))
    prefix, suffix = f".{os.path.basename(path)}.", ".partial"
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
        if os.path.isdir(tmp) and not os.path.islink(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
        elif os.path.lexists(tmp):
            os.remove(tmp)


def _replace(tmp: str, path: str) -> None:
    """Rename `tmp` onto `path`. What a rename cannot replace (a folder, or anything when `tmp` is a
    folder) is first moved aside, then deleted once the new version has its name."""
    is_folder = os.path.isdir(path) and not os.path.islink(path)
    if is_folder or (os.path.isdir(tmp) and os.path.lexists(path)):
        old = tempfile.mkdtemp(prefix=f".{os.path.basename(path)}.", suffix=".old", dir=os.path.dirname(os.path.abspath(path)))
        os.replace(path, os.path.join(old, "previous"))
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, path)


def write_text(path: "str | os.PathLike", text: str) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)


def write_json(path: "str | os.PathLike", data: Any) -> None:
    """Indented UTF-8 JSON with a final newline, written atomically."""
    write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
