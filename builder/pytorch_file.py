"""Read and write PyTorch `.pt` files (the zip format of `torch.save`) as numpy arrays, without torch.

An openai-whisper checkpoint is `torch.save({"dims": {...}, "model_state_dict": {name: tensor}})`,
and Hugging Face's `pytorch_model.bin` is a `torch.save`d state dict. Importing torch just to read or
write one took 1.1-1.7 s on a 2-core machine, more than the whole merge of two base checkpoints
(benchmarks/RESULTS.md), so sapsoup handles the format itself, as torch 2.x writes it (tests load
every written file back with `torch.load` and `whisper.load_model`, and read files torch wrote):

    <name>/data.pkl                  the payload, pickled (protocol 2); each tensor is pickled as a
                                     call to `torch._utils._rebuild_tensor_v2` on a storage given
                                     by a persistent id ("storage", torch.<Type>Storage, key, "cpu", numel)
    <name>/.format_version           "1"
    <name>/.storage_alignment        "64"
    <name>/byteorder                 "little"
    <name>/data/<key>                each storage's bytes, starting at a multiple of 64 in the file
                                     (so that `torch.load(mmap=True)` maps them aligned)
    <name>/version                   "3"
    <name>/.data/serialization_id    40 digits; torch draws them at random, here they come from the
                                     content, so one payload always gives the same file

The archive is a plain zip, uncompressed; `<name>` is the file's name without its extension. Files
that go into a submission are re-saved by torch itself (`archive.save_model`).

Reading (`load`) unpickles `data.pkl` with an allow-list, as `torch.load(weights_only=True)` does:
only torch's tensor-rebuilding function, its storage types and `collections.OrderedDict` may be
named; anything else raises `Unsupported` (the caller then hands the file to torch itself). Tensors
come back as `TensorRef`s, which say where a tensor's bytes lie; `TensorRef.read` maps just those
bytes, so a merge can read a pickled checkpoint one tensor at a time, as it reads safetensors.
"""

import collections
import hashlib
import io
import pickle
import struct
import sys
import zipfile
from dataclasses import dataclass
from typing import BinaryIO, Dict, Tuple

import numpy as np

from .arrays import dtype_from_name, map_array
from .errors import CheckpointError

ALIGNMENT = 64
STORAGE_TYPES = {  # by numpy dtype name, so that ml_dtypes is imported only for a bfloat16 tensor
    "float16": "HalfStorage",
    "float32": "FloatStorage",
    "float64": "DoubleStorage",
    "bfloat16": "BFloat16Storage",
    "int64": "LongStorage",
    "int32": "IntStorage",
    "int16": "ShortStorage",
    "int8": "CharStorage",
    "uint8": "ByteStorage",
    "bool": "BoolStorage",
}
_PADDING_FIELD = 0x4653  # an extra-field id of no meaning to zip readers: room before a record's data


class _Global:
    """A `module.name` that the pickle refers to (torch's), without importing it."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle insists that a reduce function be callable
        raise TypeError(f"{self.module}.{self.name} stands for torch's and cannot be called here")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_STORAGE_GLOBALS = {dtype_name: _Global("torch", name) for dtype_name, name in STORAGE_TYPES.items()}


class _Storage:
    """One tensor's bytes, pickled as a persistent id and written as record data/<key>."""

    def __init__(self, key: str, array: np.ndarray):
        self.key, self.array = key, array


class _Tensor:
    """A contiguous array, pickled as torch pickles a tensor."""

    def __init__(self, storage: _Storage):
        self.storage = storage

    def __reduce_ex__(self, protocol):
        array = self.storage.array
        stride = tuple(s // array.itemsize for s in array.strides)
        args = (self.storage, 0, tuple(array.shape), stride, False, collections.OrderedDict())
        return _REBUILD_TENSOR, args


class _Pickler(pickle._Pickler):
    """The pure-Python pickler (its `dispatch` table can be extended), writing torch's globals by
    name and storages as persistent ids."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_torch_global(self, obj: _Global) -> None:
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
        self.memoize(obj)

    dispatch[_Global] = save_torch_global

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            array = obj.array
            return ("storage", _STORAGE_GLOBALS[array.dtype.name], obj.key, "cpu", array.size)
        return None


def _with_tensors(value, storages: list):
    """`value` with every numpy array replaced by a `_Tensor` (dicts, lists and tuples walked)."""
    if isinstance(value, np.ndarray):
        if value.dtype.name not in STORAGE_TYPES or not value.dtype.isnative:
            raise ValueError(f"a {value.dtype} tensor cannot be written in a .pt file")
        storage = _Storage(str(len(storages)), np.ascontiguousarray(value))
        storages.append(storage)
        return _Tensor(storage)
    if isinstance(value, dict):
        return {key: _with_tensors(item, storages) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_with_tensors(item, storages) for item in value)
    return value


def _padding(offset: int, name: str, zip64: bool) -> bytes:
    """An extra field that makes a record's data start at a multiple of `ALIGNMENT`."""
    data_start = offset + 30 + len(name.encode()) + 4  # local header, name, the field's own header
    data_start += 20 if zip64 else 0  # zipfile adds its zip64 field after ours
    room = -data_start % ALIGNMENT
    return struct.pack("<HH", _PADDING_FIELD, room) + b"Z" * room


def save(payload: Dict, path: str, archive_name: str) -> None:
    """Write `payload` (dicts, lists, numbers, strings and numpy arrays) to `path` as `torch.save`
    would, with its records under `archive_name/`."""
    if sys.byteorder != "little":
        raise CheckpointError(f"{path}: .pt files are written little-endian; this machine is not")
    storages: list = []
    try:
        payload = _with_tensors(payload, storages)
    except ValueError as error:
        raise CheckpointError(f"{path}: {error}") from None
    pickled = io.BytesIO()
    _Pickler(pickled, protocol=2).dump(payload)
    data_pkl = pickled.getvalue()
    digest = hashlib.sha256(data_pkl)
    for storage in storages:
        digest.update(struct.pack("<Q", storage.array.nbytes))
    serialization_id = str(int.from_bytes(digest.digest(), "big"))[:40].zfill(40)

    records = [("data.pkl", data_pkl), (".format_version", b"1"), (".storage_alignment", str(ALIGNMENT).encode()),
               ("byteorder", b"little")]
    records += [(f"data/{s.key}", s.array) for s in storages]
    records += [("version", b"3\n"), (".data/serialization_id", serialization_id.encode())]
    with open(path, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
        for name, data in records:
            full_name = f"{archive_name}/{name}"
            info = zipfile.ZipInfo(full_name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = data.nbytes if isinstance(data, np.ndarray) else len(data)
            zip64 = info.file_size >= 1 << 31
            info.extra = _padding(handle.tell(), full_name, zip64)
            with archive.open(info, "w", force_zip64=zip64) as record:
                record.write(memoryview(data.reshape(-1).view(np.uint8)) if isinstance(data, np.ndarray) else data)


# ----------------------------------------------------------------------------- reading


class Unsupported(Exception):
    """A PyTorch file this reader does not handle (legacy format, other globals, big-endian)."""


@dataclass(frozen=True)
class TensorRef:
    """Where one tensor of a `.pt` file lies: its dtype, shape and strides over a stored record."""

    dtype: np.dtype
    shape: Tuple[int, ...]
    strides: Tuple[int, ...]  # in elements
    start: int  # absolute byte offset in the file of the tensor's first element
    count: int  # elements from `start` to the last one the tensor reaches

    def read(self, handle: BinaryIO) -> np.ndarray:
        """The tensor, mapping only its bytes, copy-on-write: the file is never changed."""
        if self.count == 0:
            return np.empty(self.shape, dtype=self.dtype)
        flat = map_array(handle, self.start, self.dtype, self.count)
        strides = tuple(s * self.dtype.itemsize for s in self.strides)
        return np.lib.stride_tricks.as_strided(flat, shape=self.shape, strides=strides)


@dataclass(frozen=True)
class _StorageType:
    dtype_name: str

    @property
    def dtype(self) -> np.dtype:
        return dtype_from_name(self.dtype_name)


@dataclass(frozen=True)
class _Record:
    """One `data/<key>` record: where its bytes start in the file and how many elements it holds."""

    dtype: np.dtype
    start: int
    numel: int


_STORAGE_TYPES_BY_NAME = {name: _StorageType(dtype_name) for dtype_name, name in STORAGE_TYPES.items()}


def _rebuild_tensor(record, storage_offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    """torch._utils._rebuild_tensor_v2, giving a `TensorRef` checked to lie inside its record."""
    if not isinstance(record, _Record):
        raise Unsupported("a tensor whose storage is not a stored record")
    size, stride = tuple(int(d) for d in size), tuple(int(s) for s in stride)
    if len(size) != len(stride) or storage_offset < 0 or any(d < 0 for d in size) or any(s < 0 for s in stride):
        raise ValueError("a tensor with an invalid size, stride or offset")
    if 0 in size:
        return TensorRef(record.dtype, size, stride, record.start, 0)
    count = 1 + sum((d - 1) * s for d, s in zip(size, stride))
    if storage_offset + count > record.numel:
        raise ValueError("a tensor that reaches beyond its storage")
    return TensorRef(record.dtype, size, stride, record.start + storage_offset * record.dtype.itemsize, count)


def _rebuild_parameter(data, requires_grad=False, hooks=None):
    return data


_ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("collections", "OrderedDict"): collections.OrderedDict,
    **{("torch", name): storage_type for name, storage_type in _STORAGE_TYPES_BY_NAME.items()},
}


def record_data_start(handle: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Where a stored zip record's bytes begin: after its local header, name and extra field."""
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise ValueError(f"record {info.filename} has no local header")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    return info.header_offset + 30 + name_length + extra_length


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, archive: zipfile.ZipFile, handle: BinaryIO, prefix: str):
        super().__init__(io.BytesIO(data))
        self.archive, self.handle, self.prefix, self.records = archive, handle, prefix, {}

    def find_class(self, module, name):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise Unsupported(f"the pickle names {module}.{name}") from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], _StorageType)):
            raise Unsupported(f"a persistent id {pid!r:.80}")
        _, storage_type, key, _location, numel = pid
        if key not in self.records:
            try:
                info = self.archive.getinfo(f"{self.prefix}data/{key}")
            except KeyError:
                raise ValueError(f"storage {key} has no record") from None
            if info.compress_type != zipfile.ZIP_STORED:
                raise Unsupported(f"storage {key} is compressed")
            if info.file_size != int(numel) * storage_type.dtype.itemsize:
                raise ValueError(f"storage {key} holds {info.file_size} bytes, not {numel} elements")
            self.records[key] = _Record(storage_type.dtype, record_data_start(self.handle, info), int(numel))
        return self.records[key]


def load(path: str):
    """The payload of a zip-format PyTorch file, each tensor as a `TensorRef`.

    Raises `Unsupported` for a file this reader does not handle (torch.load may), and ValueError
    or zipfile.BadZipFile for a damaged one.
    """
    with open(path, "rb") as handle:
        if not zipfile.is_zipfile(handle):
            raise Unsupported("not a zip archive (a legacy PyTorch pickle?)")
        with zipfile.ZipFile(handle) as archive:
            pickles = [name for name in archive.namelist() if name.endswith("data.pkl") and name.count("/") == 1]
            if len(pickles) != 1:
                raise ValueError("no single <name>/data.pkl record: not a PyTorch file")
            prefix = pickles[0][: -len("data.pkl")]
            if f"{prefix}byteorder" in archive.namelist() and archive.read(f"{prefix}byteorder") != b"little":
                raise Unsupported("big-endian tensors")
            if sys.byteorder != "little":
                raise Unsupported("this machine is big-endian")
            return _Unpickler(archive.read(pickles[0]), archive, handle, prefix).load()
