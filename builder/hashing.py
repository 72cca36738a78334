"""sha256 of weight files, computed once per version of a file and in the background.

Provenance (`merge.json`) and the dev-score cache name checkpoints by the sha256 of their weight
files. Hashing a 6 GB large-v3 checkpoint costs seconds, more than averaging it, and soups re-read
the same checkpoints many times (a merge with other weights, a selection step, a second strategy).
So, as git's index and DVC do, a digest is remembered under the file's identity: its real path,
device, inode, size, and modification and change times in nanoseconds. Rewriting a file changes its
mtime and ctime (and ctime cannot be set back by hand), so a stale digest is never served; a damaged
cache entry is a miss. Set SAPSOUP_HASH_CACHE=off to hash every file every time.

This module imports nothing heavy: `sapsoup merge` starts hashing its inputs while torch loads.
"""

import hashlib
import mmap
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Dict, Iterable, Optional

from .errors import CheckpointError

WINDOW_BYTES = 16 << 20


class HashCancelled(Exception):
    """Hashing was stopped because its result is no longer wanted (the merge failed)."""


def sha256_file(path: str, stop: Optional[threading.Event] = None) -> str:
    """Hash a file through a read-only memory map, one 16 MB window at a time.

    Each window is one `update` call, during which hashlib releases the GIL, so a hashing thread
    runs beside a busy main thread (importing torch, adding tensors) instead of queueing for the GIL
    at every small chunk; windows already hashed are dropped from this process's memory. `stop`
    ends the work between windows, so a failed command does not wait for a large file.
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
                        if stop is not None and stop.is_set():
                            raise HashCancelled(path)
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


def cached_sha256(path: str, cache_dir: Optional[str] = "default", stop: Optional[threading.Event] = None) -> str:
    """`sha256_file(path)`, remembered under the file's identity in `cache_dir`."""
    if cache_dir == "default":
        cache_dir = default_cache_dir()
    if cache_dir is None:
        return sha256_file(path, stop)
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
    digest = sha256_file(path, stop)
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
    """sha256 of files, started in background threads as soon as the files are known.

    `sapsoup merge` starts it before torch is imported and the merge reads the same files while the
    digests are computed, so hashing costs little wall time beyond the merge itself.
    """

    def __init__(self, files: Iterable[str] = (), workers: int = 1, cache_dir: Optional[str] = "default"):
        self.workers = max(1, workers)
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sapsoup-sha256")
        self._cache_dir = cache_dir
        self._stop = threading.Event()
        self._futures: Dict[str, Future] = {}
        self.add(files)

    def add(self, files: Iterable[str]) -> None:
        for file in files:
            key = os.path.abspath(file)
            if key not in self._futures:
                self._futures[key] = self._pool.submit(cached_sha256, file, self._cache_dir, self._stop)

    def pending(self) -> bool:
        """Whether some digest is still being computed (or waits its turn)."""
        return not all(future.done() for future in self._futures.values())

    def sha256(self, file: str) -> str:
        self.add([file])
        return self._futures[os.path.abspath(file)].result()

    def cancel(self) -> None:
        """Stop hashing (after a failed merge): nothing left running keeps the process alive."""
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
