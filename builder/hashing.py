"""sha256 of weight files, computed once per version of a file and in the background.

Provenance (`merge.json`) and the dev-score cache name checkpoints by the sha256 of their weight
files. Hashing a 6 GB large-v3 checkpoint costs seconds, more than averaging it, and soups re-read
the same checkpoints many times (a merge with other weights, a selection step, a second strategy).
So, as git's index and DVC do, a digest is remembered under the file's identity: its real path,
device, inode, size, and modification and change times in nanoseconds. Rewriting a file changes its
mtime and ctime (and ctime cannot be set back by hand), so a stale digest is never served; a damaged
cache entry is a miss. Set SAPSOUP_HASH_CACHE=off to hash every file every time.

This module imports nothing heavy: `sapsoup merge` starts hashing its inputs before it imports numpy.
"""

import hashlib
import json
import mmap
import os
import subprocess
import sys
import threading
from concurrent.futures import Future
from typing import Dict, Iterable, Optional

from .errors import CheckpointError

WINDOW_BYTES = 16 << 20


def sha256_file(path: str) -> str:
    """Hash a file through a read-only memory map, one 16 MB window at a time.

    No read copies the file into Python memory, and windows already hashed are dropped from this
    process's memory, so hashing a 6 GB checkpoint costs 16 MB.
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size == 0:
                return digest.hexdigest()
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapping:
                view = memoryview(mapping)
                try:
                    for start in range(0, size, WINDOW_BYTES):
                        length = min(WINDOW_BYTES, size - start)
                        digest.update(view[start : start + length])
                        if hasattr(mapping, "madvise"):
                            mapping.madvise(mmap.MADV_DONTNEED, start, length)
                finally:
                    view.release()
    except (OSError, ValueError) as error:
        raise CheckpointError(f"{path}: cannot read ({getattr(error, 'strerror', None) or error})") from None
    return digest.hexdigest()


def cache_root() -> str:
    """sapsoup's caches (digests, dev scores): $SAPSOUP_CACHE_DIR, else $XDG_CACHE_HOME/sapsoup."""
    if os.environ.get("SAPSOUP_CACHE_DIR"):
        return os.environ["SAPSOUP_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "sapsoup")


def default_cache_dir() -> Optional[str]:
    """Where digests are remembered, or None when SAPSOUP_HASH_CACHE=off."""
    if os.environ.get("SAPSOUP_HASH_CACHE", "").lower() in ("off", "0", "no", "false"):
        return None
    return os.path.join(cache_root(), "sha256")


def file_identity(path: str) -> str:
    """What must be unchanged for a remembered digest to be the file's digest."""
    stat = os.stat(path)
    return "\0".join(
        str(v) for v in (os.path.realpath(path), stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    )


def cached_sha256(path: str, cache_dir: Optional[str] = "default") -> str:
    """`sha256_file(path)`, remembered under the file's identity in `cache_dir`."""
    if cache_dir == "default":
        cache_dir = default_cache_dir()
    if cache_dir is None:
        return sha256_file(path)
    try:
        identity = file_identity(path)
    except OSError as error:
        raise CheckpointError(f"{path}: cannot read ({error.strerror or error})") from None
    entry = os.path.join(cache_dir, hashlib.sha256(identity.encode()).hexdigest())
    try:
        with open(entry, encoding="ascii") as handle:
            remembered = handle.read().strip()
        if len(remembered) == 64 and all(c in "0123456789abcdef" for c in remembered):
            return remembered
    except (OSError, UnicodeDecodeError):
        pass
    digest = sha256_file(path)
    try:
        if file_identity(path) == identity:  # not rewritten while we read it
            _remember(entry, digest)
    except OSError:
        pass  # a cache that cannot be written only costs time
    return digest


def _remember(entry: str, digest: str) -> None:
    from sapsoup.atomic import write_text

    os.makedirs(os.path.dirname(entry), exist_ok=True)
    write_text(entry, digest + "\n")


class FileHashes:
    """sha256 of files, computed by a helper process from the moment the files are known.

    `sapsoup merge` starts it as soon as it knows its inputs, and the merge reads the same files
    while the digests are computed. A process rather than a thread: on 2 cores a hashing thread lost
    0.5 s per 2.3 GB to the main thread's hold on the GIL (measured when the merge still imported
    torch: digests ready 2.2 s after the start with a thread, 1.6 s with a process). The helper takes one
    JSON line per file on stdin and answers one per file on stdout (`serve`); it looks in the digest
    cache first and remembers what it computes.
    """

    def __init__(self, files: Iterable[str] = (), cache_dir: Optional[str] = "default"):
        self._cache_dir = default_cache_dir() if cache_dir == "default" else cache_dir
        self._futures: Dict[str, Future] = {}
        self._lock = threading.Lock()
        self._helper: Optional[subprocess.Popen] = None
        self._ended: Optional[str] = None  # why the helper stopped answering, once it has
        self.add(files)

    def add(self, files: Iterable[str]) -> None:
        with self._lock:
            for file in files:
                key = os.path.abspath(file)
                if key in self._futures:
                    continue
                self._futures[key] = Future()
                if self._ended is not None:
                    self._futures[key].set_exception(CheckpointError(f"{key}: {self._ended}"))
                    continue
                helper = self._start()
                try:
                    helper.stdin.write(json.dumps([key, self._cache_dir]) + "\n")
                    helper.stdin.flush()
                except (OSError, ValueError):  # the helper has ended; `_collect` fails what it left
                    pass

    def _start(self) -> subprocess.Popen:
        if self._helper is None:
            # The helper imports this module as the caller does: the same sys.path.
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            self._helper = subprocess.Popen(
                [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                text=True, encoding="utf-8", env=env,
            )
            threading.Thread(target=self._collect, args=(self._helper,), daemon=True).start()
        return self._helper

    def _collect(self, helper: subprocess.Popen) -> None:
        """Hand each answer to its file's future; when the helper ends (or says something that is
        not an answer), every digest still awaited fails instead of being waited for forever."""
        problem = None
        try:
            for line in helper.stdout:
                path, digest, error = json.loads(line)
                future = self._futures[path]
                if error is None:
                    future.set_result(digest)
                else:
                    future.set_exception(CheckpointError(error))
        except Exception as error:  # a line that is no answer: stop trusting the helper
            problem = f"unexpected output from the hashing process ({type(error).__name__}: {error})"
            helper.kill()
        helper.wait()
        with self._lock:
            self._ended = problem or f"the hashing process ended (exit status {helper.returncode})"
            for path, future in self._futures.items():
                if not future.done():
                    future.set_exception(CheckpointError(f"{path}: {self._ended}"))

    def pending(self) -> bool:
        """Whether some digest is still being computed (or waits its turn)."""
        return not all(future.done() for future in self._futures.values())

    def sha256(self, file: str) -> str:
        self.add([file])
        return self._futures[os.path.abspath(file)].result()

    def close(self) -> None:
        """No more files: the helper ends once it has answered those it has."""
        if self._helper is not None and not self._helper.stdin.closed:
            self._helper.stdin.close()

    def cancel(self) -> None:
        """Stop hashing at once (after a failed merge): no process is left running."""
        if self._helper is not None:
            self._helper.kill()
            self._helper.wait()


def serve(requests=sys.stdin, answers=sys.stdout) -> None:
    """The helper process of `FileHashes`: one JSON [path, cache_dir] in, one [path, digest, error] out."""
    for line in requests:
        path, cache_dir = json.loads(line)
        try:
            answer = [path, cached_sha256(path, cache_dir), None]
        except CheckpointError as error:
            answer = [path, None, str(error)]
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    serve()
