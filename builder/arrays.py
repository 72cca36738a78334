"""Weights as numpy arrays: dtypes by name, and the crossing to and from torch.

sapsoup reads, averages and writes weights as numpy arrays, so that a merge never imports torch:
on a 2-core machine `import torch` alone took 1.1-1.7 s, more than a whole merge of two base
checkpoints (benchmarks/RESULTS.md). torch is imported only where it is needed: legacy pickles
(before PyTorch 1.6), the encoder position table of CTranslate2 sources, and running a model.

numpy has no bfloat16 or float8; ml_dtypes (the JAX team's numpy dtypes) provides them, and its
import costs about 0.5 s, a fixed cost as large as a small merge. So it is imported only when one
of its dtypes is met: callers name dtypes (`dtype_from_name`, `is_float` and the tables here go by
name), and `BFLOAT16`, `FLOAT8_E5M2`, `FLOAT8_E4M3FN` and `FLOAT_DTYPES` are still attributes of
this module for older callers, but resolved (and ml_dtypes imported) only when read.
Crossing to torch and back shares memory: no copy.
"""

import mmap

import numpy as np

ML_DTYPE_NAMES = ("bfloat16", "float8_e5m2", "float8_e4m3fn")  # the dtypes ml_dtypes adds to numpy
FLOAT_NAMES = frozenset({"float16", "float32", "float64", *ML_DTYPE_NAMES})
_LAZY = {"BFLOAT16": "bfloat16", "FLOAT8_E5M2": "float8_e5m2", "FLOAT8_E4M3FN": "float8_e4m3fn"}


def dtype_from_name(name: str) -> np.dtype:
    """The numpy dtype called `name` ("float16", "bfloat16", ...); ml_dtypes is imported for its own."""
    if name in ML_DTYPE_NAMES:
        import ml_dtypes

        return np.dtype(getattr(ml_dtypes, name))
    return np.dtype(name)


def __getattr__(name: str):
    """`arrays.BFLOAT16` and the like, resolved when first read (PEP 562), not when imported."""
    if name in _LAZY:
        value = dtype_from_name(_LAZY[name])
    elif name == "FLOAT_DTYPES":
        value = frozenset(dtype_from_name(n) for n in sorted(FLOAT_NAMES))
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def dtype_name(dtype) -> str:
    """"float16", "bfloat16", "int64"...: the same names torch uses, without "torch."."""
    return np.dtype(dtype).name


def is_float(array) -> bool:
    """Whether an array (or a dtype) holds floating-point numbers, bfloat16 and float8 included."""
    dtype = getattr(array, "dtype", array)
    return np.dtype(dtype).name in FLOAT_NAMES


def map_array(handle, start: int, dtype: np.dtype, count: int) -> np.ndarray:
    """`count` elements of `dtype` at byte `start` of an open file, memory-mapped copy-on-write.

    Only these bytes' pages are mapped, and the mapping lives exactly as long as the array, so a
    merge that adds and drops one tensor at a time keeps one tensor mapped; writing to the array
    changes a private copy, never the file. Raises OSError naming the byte range.
    """
    if count == 0:
        return np.empty(0, dtype=dtype)
    end = start + count * dtype.itemsize
    base = start - start % mmap.ALLOCATIONGRANULARITY
    try:
        mapping = mmap.mmap(handle.fileno(), end - base, access=mmap.ACCESS_COPY, offset=base)
    except (OSError, ValueError) as error:
        raise OSError(f"cannot map bytes {start}-{end} ({error})") from None
    return np.frombuffer(mapping, dtype=dtype, count=count, offset=start - base)


def to_torch(array: np.ndarray):
    """The same memory as a torch tensor (bfloat16 included)."""
    import torch

    if array.dtype.name == "bfloat16":
        return torch.from_numpy(array.view(np.uint16)).view(torch.bfloat16)
    return torch.from_numpy(array)


def from_torch(tensor) -> np.ndarray:
    """The same memory as a numpy array (bfloat16 included); a CPU tensor is not copied."""
    import torch

    tensor = tensor.detach().cpu()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(dtype_from_name("bfloat16"))
    return tensor.numpy()
