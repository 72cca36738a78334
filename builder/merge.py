"""The merge maths: a weighted mean of Whisper checkpoints, one running sum, exact in float32.

Model soups (MAST: checkpoints along one run; MAcT: the best checkpoint of several runs) are a
weighted mean of weights. Three properties matter to users and are tested:

* exact: every input tensor is cast to float32 (or wider) *before* it is scaled and added, whatever
  the stored dtype, so fp16 inputs are not averaged in fp16; one input comes back unchanged and N
  copies of one input come back as that input;
* bounded memory: inputs are read tensor by tensor and never held whole. When every input reads
  one tensor at a time from its file (safetensors, CTranslate2, PyTorch's zip format),
  `weighted_mean` sums one tensor over all inputs, hands the result to the writer and goes on to
  the next: memory holds a few tensors, not a model, and the output is written and hashed while
  the next tensors are summed. Legacy PyTorch pickles (before PyTorch 1.6) load whole, so they are
  added one input after the other into one running sum (`RunningSum`): one accumulator plus one
  input. Either way, peak memory does not grow with the number of inputs, and both orders give the
  same bits (tested);
* checked: names, shapes, vocabulary sizes, weights and where the output goes (never onto or into
  an input) are verified before anything is written, and nothing takes the output's name until the
  whole result exists and is finite. NaN and Inf propagate through a weighted sum (even with weight
  0), so each result tensor is tested once, as it will be stored (after the cast to the output's
  dtype, which can overflow or round to zero), and the inputs are searched for the culprit only
  when it fails, instead of a pass over every input.

The maths runs on numpy arrays (`arrays.py`): merging safetensors or CTranslate2 checkpoints into
a Hugging Face folder never imports torch, whose import alone cost more than the whole merge of
two base checkpoints here. numpy's arithmetic is single-threaded, which suits this work: the sum is
bound by memory bandwidth and shares the machine with the threads that write and hash.
"""

import os
import platform
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from sapsoup.atomic import write_json

from . import layout
from .arrays import is_float
from .checkpoints import Checkpoint, open_checkpoint, read_arrays, reads_tensor_by_tensor, stored_name
from .errors import CheckpointError
from .hashing import FileHashes
from .sources import expand_sources


def normalize_weights(
    weights: Optional[Sequence[float]],
    n_inputs: int,
    normalize: bool = True,
    source: str = "--weights",
    allow_negative: bool = False,
    labels: Optional[Sequence[str]] = None,
) -> List[float]:
    """Uniform weights by default; given weights must match the inputs, be finite and not sum to 0.

    A negative weight subtracts a model: task arithmetic does that on purpose, a typo does it by
    accident, so it needs `allow_negative`. Weights that sum to 0 are refused with or without
    normalisation: normalising divides by 0, and without it the result is a difference of models
    (all zeros for equal inputs), not a model.
    """
    if weights is None:
        weights = [1.0] * n_inputs
    weights = [float(w) for w in weights]
    if len(weights) != n_inputs:
        raise CheckpointError(f"{source}: {len(weights)} weights for {n_inputs} inputs")
    if any(w != w or w in (float("inf"), float("-inf")) for w in weights):
        raise CheckpointError(f"{source}: weights must be finite numbers")
    negative = [i for i, w in enumerate(weights) if w < 0]
    if negative and not allow_negative:
        i = negative[0]
        which = f" ({labels[i]})" if labels else ""
        raise CheckpointError(
            f"{source}: weight {weights[i]:g} of input {i + 1}{which} is negative; "
            "pass --allow-negative to subtract models (task arithmetic)"
        )
    total = sum(weights)
    if total == 0:
        reason = "cannot normalise" if normalize else "the result would be a difference of models, not a model"
        raise CheckpointError(f"{source}: weights sum to 0; {reason}")
    if not normalize:
        return weights
    return [w / total for w in weights]


VOCABULARIES = {
    51864: "the English-only vocabulary of the .en models",
    51865: "the multilingual vocabulary of tiny to large-v2",
    51866: "large-v3's vocabulary",
}
SIZE_FIELDS = ("d_model", "encoder_layers", "decoder_layers", "encoder_heads", "decoder_heads",
               "encoder_ffn", "decoder_ffn", "n_mels", "n_audio_ctx", "n_text_ctx")


def describe_size(shape: layout.WhisperShape) -> str:
    """A model's size in words: `384-wide, 4+4 layers, 80 mels`."""
    return f"{shape.d_model}-wide, {shape.encoder_layers}+{shape.decoder_layers} layers, {shape.n_mels} mels"


def check_compatible(checkpoints: Sequence[Checkpoint]) -> None:
    """All inputs must hold the same tensors with the same shapes: no silent truncation or padding.

    Models of different sizes are told apart by their dimensions first, and vocabularies by what
    each size is known as, so the message says what the user actually mixed up.
    """
    first = checkpoints[0]
    for other in checkpoints[1:]:
        differing = [f for f in SIZE_FIELDS if getattr(other.shape, f) != getattr(first.shape, f)]
        if differing:
            field_name = differing[0]
            sizes = (describe_size(other.shape), describe_size(first.shape))
            sizes = f" ({sizes[0]} against {sizes[1]})" if sizes[0] != sizes[1] else ""
            raise CheckpointError(
                f"{other.label}: {field_name} {getattr(other.shape, field_name)} differs from {first.label}'s "
                f"{getattr(first.shape, field_name)}{sizes}; cannot merge models of different sizes"
            )
        if other.shape.n_vocab != first.shape.n_vocab:
            hint = ""
            if other.shape.n_vocab in VOCABULARIES and first.shape.n_vocab in VOCABULARIES:
                hint = f" ({VOCABULARIES[other.shape.n_vocab]} against {VOCABULARIES[first.shape.n_vocab]})"
            raise CheckpointError(
                f"{other.label}: vocabulary size {other.shape.n_vocab} differs from "
                f"{first.label}'s {first.shape.n_vocab}{hint}; cannot merge"
            )
        for name in layout.canonical_names(first.shape):
            shape = first.tensor_shapes[name]
            other_shape = other.tensor_shapes.get(name)
            if other_shape is None:
                raise CheckpointError(f"{other.label}: tensor {stored_name(other, name)} is missing (present in {first.label})")
            if tuple(other_shape) != tuple(shape):
                raise CheckpointError(
                    f"{other.label}: tensor {stored_name(other, name)} has shape {tuple(other_shape)}, "
                    f"{first.label} has {tuple(shape)}"
                )


def check_merged(
    merged: Iterable[Tuple[str, np.ndarray]],
    checkpoints: Sequence[Checkpoint],
    where: str,
    to: str = "hf",
    dtype: str = "fp32",
) -> Iterator[Tuple[str, np.ndarray]]:
    """Cast each result tensor to the output's dtype and pass it on, refusing one that holds NaN or
    Inf or that is all zero while some input's is not, and a result that is zero throughout.

    The test runs on the tensor as it will be stored: a float32 sum can be finite and still
    overflow fp16 (weights 1e6 and 1e6 do), and tiny weights can round every value of an fp16
    tensor to zero. The writers' own cast then has nothing left to do. When a tensor fails, the
    inputs are searched for the cause, so the message names it.
    """
    from .convert import cast

    names = dict(layout.hf_openai_pairs(checkpoints[0].shape)) if to == "openai" else {}  # as the file names them
    nonzero = False
    for name, tensor in merged:
        with np.errstate(over="ignore"):  # an overflowing cast is reported below, in one line
            stored = cast(name, tensor, dtype)
        problem = tensor_problem(stored)
        label = names.get(name, name)
        if problem == "nonfinite":
            _explain_nonfinite(name, tensor, stored, checkpoints, where, label, dtype)
        if problem == "zero":
            for checkpoint in checkpoints:
                with read_arrays(checkpoint) as get:
                    if get(name).any():
                        raise CheckpointError(
                            f"{where}: tensor {label} is all zero in {dtype}, though {checkpoint.label} holds "
                            "non-zero values (the weights cancel out or are too small)"
                        )
        else:
            nonzero = True
        del tensor
        yield name, stored
    if not nonzero:
        raise CheckpointError(f"{where}: every tensor of the result is zero; not a model")


def _explain_nonfinite(name, tensor, stored, checkpoints, where, label, dtype) -> None:
    """Raise the error for a result tensor with NaN or Inf: an input's, or the sum's, or the cast's."""
    for checkpoint in checkpoints:
        with read_arrays(checkpoint) as get:
            check_finite(stored_name(checkpoint, name), get(name), checkpoint.label)
    with np.errstate(over="ignore", invalid="ignore"):
        finite_before_cast = bool(np.isfinite(tensor).all())
    if finite_before_cast:
        largest = float(np.abs(tensor).max())
        limit = float(np.finfo(stored.dtype).max) if stored.dtype.kind == "f" else float("nan")
        raise CheckpointError(
            f"{where}: tensor {label} overflows {dtype} (largest value {largest:.3g}, {dtype} holds up to "
            f"{limit:.5g}); lower the weights or write another --dtype"
        )
    raise CheckpointError(
        f"{where}: tensor {label} holds NaN or Inf (the float32 sum overflows; every input is finite)"
    )


_HALF_EXPONENT = {"float16": 0x7C00, "bfloat16": 0x7F80}  # by dtype name: the bits of Inf; above them, NaN


def tensor_problem(array: np.ndarray) -> Optional[str]:
    """"nonfinite" when `array` holds NaN or Inf, "zero" when every value is zero, else None.

    Cheap on purpose, since every output tensor goes through it: a float32 tensor costs one sum (a
    finite non-zero sum settles both questions; the element-wise tests run only when it does not),
    a 16-bit one two integer maxima over its bits (summing fp16 in numpy is 20 times slower):
    an Inf or NaN has every exponent bit set, a zero only the sign bit at most.
    """
    if not is_float(array) or array.size == 0:
        return None
    inf_bits = _HALF_EXPONENT.get(array.dtype.name) if array.dtype.isnative else None
    if inf_bits is not None and array.flags.c_contiguous:
        signed, unsigned = int(array.view(np.int16).max()), int(array.view(np.uint16).max())
        if signed >= inf_bits or unsigned >= 0x8000 | inf_bits:
            return "nonfinite"
        return "zero" if signed <= 0 and unsigned <= 0x8000 else None
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is what this looks for
        total = array.sum(dtype=np.float64 if array.dtype == np.float64 else np.float32)
        if np.isfinite(total):
            return None if total != 0 or array.any() else "zero"
        return None if np.isfinite(array).all() else "nonfinite"


def check_finite(name: str, array: np.ndarray, where: str) -> None:
    """Refuse NaN or Inf in an input's tensor, named as the input names it."""
    if tensor_problem(array) == "nonfinite":
        raise CheckpointError(f"{where}: tensor {name} holds NaN or Inf")


CHUNK = 1 << 20  # elements per step of `add_weighted`: its temporary stays in the CPU's cache


def add_weighted(
    total: Optional[np.ndarray], array: np.ndarray, weight: float, accumulate, name: str, checkpoint: Checkpoint
) -> np.ndarray:
    """`total + weight * array`, computed in `accumulate` (float32 or wider) whatever `array`'s dtype.

    The product is rounded to `accumulate`, then added (two roundings, as torch's `add_(alpha=)`
    does on CPU: the results are the same bits). The first term makes a new array, never an
    in-place change: `array` may map the input file. Large tensors go through in chunks, so the
    product's temporary stays in cache. Integer buffers are not averaged: every input must hold
    the same values.
    """
    if not is_float(array):
        if total is None:
            return array.copy()
        if not np.array_equal(total, array):
            raise CheckpointError(f"{checkpoint.label}: integer tensor {name} differs from the first input's")
        return total
    factor = np.dtype(accumulate).type(weight)
    with np.errstate(over="ignore", invalid="ignore"):  # NaN and Inf are refused by `check_finite`
        if total is None:
            return np.multiply(array, factor, dtype=accumulate, order="C")  # `reshape(-1)` below is then a view
        flat_total, flat = total.reshape(-1), array.reshape(-1)
        product = np.empty(min(CHUNK, flat.size), dtype=accumulate)
        for start in range(0, flat.size, CHUNK):
            stop = min(start + CHUNK, flat.size)
            part = product[: stop - start]
            np.multiply(flat[start:stop], factor, out=part, dtype=accumulate)
            np.add(flat_total[start:stop], part, out=flat_total[start:stop])
    return total


def weighted_mean(
    checkpoints: Sequence[Checkpoint],
    weights: Sequence[float],
    names: Sequence[str],
    advance: Optional[Callable[[], None]] = None,
    accumulate=np.float32,
) -> Iterator[Tuple[str, np.ndarray]]:
    """Yield `(name, sum of weight x tensor)` for each of `names`, in that order, each one final.

    Inputs that read tensor by tensor are summed one tensor at a time over all inputs (the
    result streams out while memory holds a few tensors); otherwise the inputs are added one
    after the other into a `RunningSum` whose tensors are then handed out (and dropped) in order.
    Each element sees the same operations in the same order either way, so the bits are equal.
    """
    if not all(reads_tensor_by_tensor(c) for c in checkpoints):
        running = RunningSum(checkpoints[0].shape, accumulate)
        for checkpoint, weight in zip(checkpoints, weights):
            running.add(checkpoint, weight, advance)
        for name in names:
            yield name, running.sums.pop(name)
        return
    with ExitStack() as stack:
        readers = [stack.enter_context(read_arrays(c)) for c in checkpoints]
        for name in names:
            total = None
            for checkpoint, get, weight in zip(checkpoints, readers, weights):
                total = add_weighted(total, get(name), weight, accumulate, name, checkpoint)
                if advance:
                    advance()
            yield name, total
            del total


@dataclass
class RunningSum:
    """A weighted sum of checkpoints kept in float32 (or wider), one tensor per canonical name."""

    shape: layout.WhisperShape
    accumulate: type = np.float32
    sums: Dict[str, np.ndarray] = field(default_factory=dict)
    total_weight: float = 0.0
    count: int = 0

    def add(self, checkpoint: Checkpoint, weight: float, advance: Optional[Callable[[], None]] = None) -> None:
        """Read `checkpoint` tensor by tensor and add `weight` x each tensor to the sum.

        Finiteness is not tested here: NaN and Inf reach the sum, which `check_merged` tests.
        """
        with read_arrays(checkpoint) as get:
            for name in layout.canonical_names(self.shape):
                tensor = get(name)
                self.sums[name] = add_weighted(self.sums.get(name), tensor, weight, self.accumulate, name, checkpoint)
                del tensor
                if advance:
                    advance()
        self.total_weight += weight
        self.count += 1

    def result(self, divide_by_total: bool = False) -> Dict[str, np.ndarray]:
        """The sum (already a mean when the weights sum to 1), or the sum divided by the total weight."""
        if divide_by_total:
            if self.total_weight == 0:
                raise CheckpointError("merge: total weight is 0")
            divisor = np.dtype(self.accumulate).type(self.total_weight)
            return {n: t / divisor if is_float(t) else t for n, t in self.sums.items()}
        return self.sums


def provenance_path(out: str) -> str:
    """Where `merge.json` goes: inside an output folder, or beside an output file (`X.pt` -> `X.merge.json`)."""
    if os.path.isdir(out) or not out.endswith((".pt", ".pth")):
        return os.path.join(out, "merge.json")
    return os.path.splitext(out)[0] + ".merge.json"


def versions() -> Dict[str, str]:
    """Versions for provenance, read from package metadata (importing transformers costs seconds)."""
    from importlib.metadata import version

    from sapsoup import __version__

    return {
        "sapsoup": __version__,
        "torch": version("torch"),
        "transformers": version("transformers"),
        "python": platform.python_version(),
    }


def describe_input(checkpoint: Checkpoint, weight: float, hashes: FileHashes) -> Dict:
    """One input as merge.json lists it: where, what format and step, its weight, dtypes and hashes."""
    return {
        "path": checkpoint.path,
        "format": checkpoint.format,
        "step": checkpoint.step,
        "weight": weight,
        "dtypes": checkpoint.stored_dtypes,
        "files": [
            {"path": f, "sha256": hashes.sha256(f), "bytes": os.path.getsize(f)} for f in checkpoint.weight_files
        ],
    }


def write_merged(
    out: str,
    to: str,
    dtype: str,
    merged: "Dict[str, np.ndarray] | Iterable[Tuple[str, np.ndarray]]",
    checkpoints: Sequence[Checkpoint],
    weights: Sequence[float],
    provenance: Dict,
    hashes: Optional[FileHashes] = None,
) -> Dict:
    """Write OUT, checking each result tensor on its way, with its `merge.json` (inputs, weights,
    versions, output hashes) completed from `provenance`; return the full provenance.

    `merged` is a dict or (name, tensor) pairs in the writer's order (`weighted_mean`'s stream).
    """
    from .convert import in_order, tensor_order, write

    shape = checkpoints[0].shape
    merged = check_merged(in_order(merged, tensor_order(to, shape, dtype)), checkpoints, f"{out} (merge result)", to, dtype)
    own_hashes = hashes is None
    hashes = hashes or FileHashes(f for c in checkpoints for f in c.weight_files)
    provenance = {
        **provenance,
        "inputs": None,  # filled in once the output is written: the inputs are hashed meanwhile
        "output": {"path": out, "format": to, "dtype": dtype, "accumulate_dtype": "float32", **provenance.get("output", {})},
        "shape": shape.as_dict(),
        "versions": versions(),
    }

    def publish_provenance(tmp: str, digests: Dict[str, str]) -> None:
        """Write merge.json, with the inputs' and output's hashes, before the output takes its name."""
        provenance["inputs"] = [describe_input(c, w, hashes) for c, w in zip(checkpoints, weights)]
        provenance["output"]["files"] = [{"name": name, "sha256": digest} for name, digest in digests.items()]
        target = os.path.join(tmp, "merge.json") if os.path.isdir(tmp) else provenance_path(out)
        write_json(target, provenance)

    try:
        write(out, to, shape, merged, dtype, checkpoints[0], before_publish=publish_provenance)
    finally:
        if own_hashes:
            hashes.close()
    return provenance


@dataclass
class MergeSummary:
    inputs: int
    bytes_read: int
    seconds: float
    out: str
    provenance: Dict


def merge_checkpoints(
    sources: Sequence[str],
    out: str,
    weights: Optional[Sequence[float]] = None,
    normalize: bool = True,
    to: Optional[str] = None,
    dtype: Optional[str] = None,
    force: bool = False,
    last: Optional[int] = None,
    steps=None,
    method: str = "uniform",
    show_progress: bool = False,
    extra_provenance: Optional[Dict] = None,
    hashes: Optional[FileHashes] = None,
    allow_negative: bool = False,
) -> MergeSummary:
    """Merge `sources` (any formats, run folders expanded) into `out`; write `merge.json` beside it.

    `hashes` may already be hashing the inputs (the command line starts it before importing torch).
    Everything that can be checked before writing is (inputs, weights, where the output goes); the
    result's tensors are checked as they are written, and a refused one leaves nothing behind.
    """
    from .convert import default_dtype, default_target, prepare_output, tensor_order

    started = time.perf_counter()
    to = to or default_target(out)
    dtype = dtype or default_dtype(to)
    if not sources:
        raise CheckpointError("merge: no input checkpoint given")
    paths = expand_sources(sources, last=last, steps=steps)
    checkpoints = [open_checkpoint(p) for p in paths]
    weights = normalize_weights(weights, len(checkpoints), normalize, allow_negative=allow_negative, labels=paths)
    if weights is not None and method == "uniform" and len(set(weights)) > 1:
        method = "weighted"
    check_compatible(checkpoints)
    shape = checkpoints[0].shape
    if to == "openai":
        shape.openai_dims(out)
    prepare_output(out, force, [*sources, *paths, *(f for c in checkpoints for f in c.weight_files)])

    names = tensor_order(to, shape, dtype)
    hashes = hashes or FileHashes()
    hashes.add(f for c in checkpoints for f in c.weight_files)
    provenance = {"method": method, "normalized": normalize, **(extra_provenance or {})}
    try:
        with _progress(show_progress, len(checkpoints) * len(names)) as advance:
            means = weighted_mean(checkpoints, weights, names, advance)
            provenance = write_merged(out, to, dtype, means, checkpoints, weights, provenance, hashes)
    except BaseException:
        hashes.cancel()
        raise
    hashes.close()
    bytes_read = sum(os.path.getsize(f) for c in checkpoints for f in c.weight_files)
    return MergeSummary(len(checkpoints), bytes_read, time.perf_counter() - started, out, provenance)


class _progress:
    """A rich progress bar over tensors on stderr, or nothing."""

    def __init__(self, show: bool, total: int):
        self.show, self.total, self.bar = show, total, None

    def __enter__(self):
        if not self.show:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.bar = Progress("merging", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task("merge", total=self.total)
        return lambda: self.bar.advance(task)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False
