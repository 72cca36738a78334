"""Write a PyTorch `.pt` file (the zip format of `torch.save`) from numpy arrays, without torch.

An openai-whisper checkpoint is `torch.save({"dims": {...}, "model_state_dict": {name: tensor}})`.
Importing torch just to call `torch.save` took 1.1-1.7 s on a 2-core machine, more than the whole
merge of two base checkpoints (benchmarks/RESULTS.md), so sapsoup writes the format itself, the way
torch 2.x writes it (tests load every file back with `torch.load` and `whisper.load_model`):

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
"""

import collections
import hashlib
import io
import pickle
import struct
import sys
import zipfile
from typing import Dict

import numpy as np

from .arrays import BFLOAT16
from .errors import CheckpointError

ALIGNMENT = 64
STORAGE_TYPES = {
    np.dtype(np.float16): "HalfStorage",
    np.dtype(np.float32): "FloatStorage",
    np.dtype(np.float64): "DoubleStorage",
    BFLOAT16: "BFloat16Storage",
    np.dtype(np.int64): "LongStorage",
    np.dtype(np.int32): "IntStorage",
    np.dtype(np.int16): "ShortStorage",
    np.dtype(np.int8): "CharStorage",
    np.dtype(np.uint8): "ByteStorage",
    np.dtype(np.bool_): "BoolStorage",
}
_PADDING_FIELD = 0x4653  # an extra-field id of no meaning to zip readers: room before a record's data


class _Global:
    """A `module.name` that the pickle refers to (torch's), without importing it."""

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle insists that a reduce function be callable
        raise TypeError(f"{self.module}.{self.name} stands for torch's and cannot be called here")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_STORAGE_GLOBALS = {dtype: _Global("torch", name) for dtype, name in STORAGE_TYPES.items()}


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
            return ("storage", _STORAGE_GLOBALS[array.dtype], obj.key, "cpu", array.size)
        return None


def _with_tensors(value, storages: list):
    """`value` with every numpy array replaced by a `_Tensor` (dicts, lists and tuples walked)."""
    if isinstance(value, np.ndarray):
        if value.dtype not in STORAGE_TYPES:
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
