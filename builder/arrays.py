"""Weights as numpy arrays: dtypes by name, and the crossing to and from torch.

sapsoup reads, averages and writes weights as numpy arrays, so that a merge never imports torch:
on a 2-core machine `import torch` alone took 1.1-1.7 s, more than a whole merge of two base
checkpoints (benchmarks/RESULTS.md). torch is imported only where it is needed: legacy pickles
(before PyTorch 1.6), the encoder position table of CTranslate2 sources, and running a model. numpy has no bfloat16; ml_dtypes (the JAX team's numpy dtypes) provides it.
Crossing to torch and back shares memory: no copy.
"""

import mmap

import ml_dtypes
import numpy as np

BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
FLOAT8_E5M2 = np.dtype(ml_dtypes.float8_e5m2)
FLOAT8_E4M3FN = np.dtype(ml_dtypes.float8_e4m3fn)
FLOAT_DTYPES = frozenset({np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64), BFLOAT16, FLOAT8_E5M2, FLOAT8_E4M3FN})


def dtype_name(dtype) -> str:
    """"float16", "bfloat16", "int64"...: the same names torch uses, without "torch."."""
    return np.dtype(dtype).name


def is_float(array: np.ndarray) -> bool:
    return array.dtype in FLOAT_DTYPES


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

    if array.dtype == BFLOAT16:
        return torch.from_numpy(array.view(np.uint16)).view(torch.bfloat16)
    return torch.from_numpy(array)


def from_torch(tensor) -> np.ndarray:
    """The same memory as a numpy array (bfloat16 included); a CPU tensor is not copied."""
    import torch

    tensor = tensor.detach().cpu()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(BFLOAT16)
    return tensor.numpy()
