"""Write a safetensors file one tensor at a time, hashing the bytes as they are written.

`safetensors.torch.save_file` takes a finished dict of tensors and writes it in one call; the merge
then had to hold the whole averaged model and read the file back to hash it for `merge.json`
(0.17 s per 290 MB, after everything else). The format is simple (an 8-byte header length, a JSON
header, the tensors' bytes), so this module writes the same bytes itself: each averaged tensor goes
to a writer thread as soon as it is final, which writes and hashes it while the merge sums the next
one, and the averaged model never has to be in memory at once. The files are byte for byte those
that `save_file` writes for the same tensors and metadata (tested): same header, same tensor order
(by dtype, widest first, then by name), same padding. Reading stays with the safetensors library.
"""

import collections.abc
import hashlib
import json
import queue
import struct
import sys
import threading
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .arrays import dtype_from_name
from .errors import CheckpointError

# The library's dtype names by numpy dtype name, in the order of its `Dtype` enum (it writes the
# largest first). Keyed by name so that ml_dtypes is imported only when one of its dtypes is met.
DTYPE_NAMES = {
    "bool": "BOOL",
    "uint8": "U8",
    "int8": "I8",
    "float8_e5m2": "F8_E5M2",
    "float8_e4m3fn": "F8_E4M3",
    "int16": "I16",
    "uint16": "U16",
    "float16": "F16",
    "bfloat16": "BF16",
    "int32": "I32",
    "uint32": "U32",
    "float32": "F32",
    "float64": "F64",
    "int64": "I64",
    "uint64": "U64",
}


class _DtypesByName(collections.abc.Mapping):
    """The library's dtype name ("BF16") to the numpy dtype, resolved when looked up."""

    def __init__(self, names: Dict[str, str]):
        self._names = names

    def __getitem__(self, name: str) -> np.dtype:
        return dtype_from_name(self._names[name])

    def __contains__(self, name) -> bool:
        return name in self._names

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


DTYPES_BY_NAME = _DtypesByName({name: numpy_name for numpy_name, name in DTYPE_NAMES.items()})
_DTYPE_RANK = {numpy_name: rank for rank, numpy_name in enumerate(DTYPE_NAMES)}


def _key(dtype) -> str:
    """A dtype's name for the tables above; a byte-swapped dtype matches none of them."""
    dtype = np.dtype(dtype)
    return dtype.name if dtype.isnative else dtype.str


@dataclass(frozen=True)
class TensorSpec:
    """What the header says about one tensor, known before its values are."""

    name: str
    dtype: np.dtype
    shape: Tuple[int, ...]

    @property
    def nbytes(self) -> int:
        count = 1
        for size in self.shape:
            count *= size
        return count * np.dtype(self.dtype).itemsize


def file_order(specs: Iterable[TensorSpec]) -> List[TensorSpec]:
    """The order in which safetensors lays tensors out: widest dtype first, then by name, which
    keeps every tensor aligned to its element size."""
    return sorted(specs, key=lambda s: (-_DTYPE_RANK[_key(s.dtype)], s.name))


def header_bytes(ordered: Sequence[TensorSpec], metadata: Optional[Dict[str, str]] = None) -> bytes:
    """The length prefix and JSON header for tensors laid out in `ordered`, padded with spaces so
    that the data starts at a multiple of 8 bytes."""
    header: Dict[str, object] = {}
    if metadata:
        header["__metadata__"] = metadata
    offset = 0
    for spec in ordered:
        header[spec.name] = {"dtype": DTYPE_NAMES[_key(spec.dtype)], "shape": list(spec.shape), "data_offsets": [offset, offset + spec.nbytes]}
        offset += spec.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text


class StreamingWriter:
    """Write `specs` to `path` in `file_order`, one tensor per `write` call, with its sha256.

    Use as a context manager; `finish()` returns the file's sha256 once every tensor is written.
    One thread writes and another hashes (both release the GIL, and hashing is the slower: 0.17 s
    against 0.06 s per 290 MB here), so both keep pace with the caller. At most `depth` tensors
    wait for each, so memory stays bounded; 8 rather than 2 lets the caller run ahead while a
    large tensor (the embedding) is hashed (merging 2 base checkpoints: 0.28 s against 0.33 s).
    Any error (a tensor out of order or of the wrong shape, a failed write) is raised in the
    caller's thread.
    """

    def __init__(self, path: str, specs: Iterable[TensorSpec], metadata: Optional[Dict[str, str]] = None, depth: int = 8):
        if sys.byteorder != "little":
            raise CheckpointError(f"{path}: safetensors files are little-endian; this machine is not")
        self.path = path
        self.ordered = file_order(specs)
        self.metadata = metadata
        self.depth = depth
        self.next_index = 0
        self.digest: Optional[str] = None
        self._error: Optional[BaseException] = None
        self._abandon = threading.Event()
        self._workers: List[Tuple[threading.Thread, "queue.Queue"]] = []
        self._handle = None
        self._hash = hashlib.sha256()

    @property
    def names(self) -> List[str]:
        """Tensor names in the order `write` expects them."""
        return [spec.name for spec in self.ordered]

    def __enter__(self) -> "StreamingWriter":
        self._handle = open(self.path, "wb")
        header = header_bytes(self.ordered, self.metadata)
        self._handle.write(header)
        self._hash.update(header)
        for name, consume in (("write", lambda data: self._handle.write(data)), ("sha256", lambda data: self._hash.update(data))):
            waiting: "queue.Queue" = queue.Queue(maxsize=self.depth)
            thread = threading.Thread(target=self._drain, args=(waiting, consume), name=f"safetensors-{name}", daemon=True)
            thread.start()
            self._workers.append((thread, waiting))
        return self

    def write(self, name: str, array: np.ndarray) -> None:
        self._raise_thread_error()
        if self.next_index >= len(self.ordered):
            raise CheckpointError(f"{self.path}: tensor {name} is one more than the header lists")
        spec = self.ordered[self.next_index]
        if name != spec.name:
            raise CheckpointError(f"{self.path}: expected tensor {spec.name} next, got {name}")
        if array.dtype != spec.dtype or tuple(array.shape) != spec.shape:
            raise CheckpointError(
                f"{self.path}: tensor {name} is {array.dtype} {tuple(array.shape)}, the header says {np.dtype(spec.dtype)} {spec.shape}"
            )
        self.next_index += 1
        data = memoryview(np.ascontiguousarray(array).reshape(-1).view(np.uint8))
        for _, waiting in self._workers:
            self._put(waiting, data)

    def finish(self) -> str:
        """Wait for the last bytes; return the file's sha256 (hex)."""
        if self.next_index != len(self.ordered):
            raise CheckpointError(f"{self.path}: {len(self.ordered) - self.next_index} tensors were never written")
        for thread, waiting in self._workers:
            self._put(waiting, None)
        for thread, _ in self._workers:
            thread.join()
        self._raise_thread_error()
        self._handle.close()
        self.digest = self._hash.hexdigest()
        return self.digest

    def __exit__(self, kind, error, trace) -> bool:
        """On an error in the caller, stop the threads without writing what they still hold."""
        self._abandon.set()
        for thread, waiting in self._workers:
            while thread.is_alive():
                try:
                    waiting.put_nowait(None)
                except queue.Full:
                    try:
                        waiting.get_nowait()
                    except queue.Empty:
                        pass
                thread.join(timeout=0.05)
        if self._handle is not None:
            self._handle.close()
        return False

    def _put(self, waiting: "queue.Queue", item) -> None:
        """Queue an item, raising a worker's error instead of waiting on a stopped worker."""
        while True:
            try:
                waiting.put(item, timeout=0.1)
                return
            except queue.Full:
                self._raise_thread_error()

    def _drain(self, waiting: "queue.Queue", consume) -> None:
        """A worker thread: takes tensors' bytes in order until told to stop."""
        while True:
            data = waiting.get()
            if data is None or self._abandon.is_set():
                return
            try:
                consume(data)
            except BaseException as error:  # handed to the caller's thread
                self._error = error
                self._abandon.set()
                return

    def _raise_thread_error(self) -> None:
        if self._error is not None:
            raise CheckpointError(f"{self.path}: could not write: {self._error}") from self._error
