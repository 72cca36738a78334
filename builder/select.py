"""Selective merging: SMAcT and greedy soups over one running sum, with a trace that can resume.

SMAcT (the paper's Algorithm 1) scans the candidates in the order given: it starts from the first
one and keeps each next candidate only if the dev WER of the merge with it strictly drops. A greedy
soup (Wortsman et al.) first scores every candidate alone, sorts them by that WER (best first, ties
in the given order) and runs the same scan. A uniform soup merges them all and scores once.

Memory: the kept ensemble is one float32 running sum (`merge.RunningSum`, weight 1 per member, so the
merge is the sum over the count). Trying a candidate reads it tensor by tensor into one trial mean,
which becomes the model that is scored: one extra model in memory, however many are kept. On
acceptance the candidate is added to the sum (read again from disk, which is cheaper than keeping it).

Every step is appended to a JSON trace written atomically, so an interrupted selection run again
with the same candidates, dev set and options skips the steps already done. The trace records each
candidate's sha256 (the digest cache of `hashing.py` makes this cheap on a resume): a candidate
whose file changed since (retrained, overwritten, copied over) has its scores recomputed, and so
does every step that merged it, since a score is only true of the weights it was measured on.

The scorer is any object with `evaluate(shape, tensors, label) -> result` and
`evaluate_single(checkpoint) -> result` whose results have `wer` and `wer_long`
(`sapsoup.validate.devscore.DevEvaluator` in practice).
"""

import os
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from sapsoup.atomic import atomic_path, write_json

from . import layout
from .arrays import is_float
from .checkpoints import Checkpoint, open_checkpoint, read_arrays, stored_name
from .errors import CheckpointError
from .hashing import cached_sha256
from .merge import RunningSum, check_compatible, check_finite

STRATEGIES = ("smact", "greedy", "uniform")
TRACE_VERSION = 2  # 2: candidates' digests recorded


@dataclass
class Step:
    """One scored merge: which candidate was tried, the ensemble scored, its WER, what was decided.

    `decision` is "start" (the first ensemble), "keep" (WER strictly dropped), "drop", or "uniform".
    `own_wer` is the candidate's WER alone, when it was scored (always for greedy).
    """

    candidate: Optional[str]
    ensemble: List[str]
    wer: float
    wer_long: Optional[float]
    decision: str
    own_wer: Optional[float] = None
    seconds: float = 0.0


@dataclass
class Trace:
    """The whole selection: what went in, every step, and what came out."""

    strategy: str
    candidates: List[str]
    order: List[str]  # the scan order (candidates sorted by own WER for greedy)
    settings: Dict  # dev fingerprint and scoring options: a trace resumes only under the same ones
    singles: Dict[str, Dict] = field(default_factory=dict)  # candidate -> {"wer", "wer_long"}
    steps: List[Step] = field(default_factory=list)
    selected: List[str] = field(default_factory=list)
    wer: Optional[float] = None
    finished: bool = False
    digests: Dict[str, List[str]] = field(default_factory=dict)  # candidate -> sha256 of each weight file
    version: int = TRACE_VERSION

    def to_dict(self) -> Dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Dict) -> "Trace":
        data = dict(data)
        data["steps"] = [Step(**s) for s in data.get("steps", [])]
        return cls(**data)


class SelectionError(CheckpointError):
    """Selection cannot run as asked; the message names the file or option and the problem."""


# ----------------------------------------------------------------------------- ensemble maths


def trial_mean(running: RunningSum, checkpoint: Checkpoint) -> Dict[str, np.ndarray]:
    """The mean of the ensemble in `running` plus `checkpoint`, without changing `running`.

    Computed as (sum + candidate) / (count + 1) in the sum's dtype, the same operations as adding the
    candidate to the sum and dividing by the count afterwards, so the scored model and the written
    model are bit for bit the same.
    """
    count = running.count + 1
    divisor = np.dtype(running.accumulate).type(count)
    trial = {}
    with read_arrays(checkpoint) as get:
        for name in layout.canonical_names(running.shape):
            tensor = get(name)
            check_finite(stored_name(checkpoint, name), tensor, checkpoint.label)
            if not is_float(tensor):
                trial[name] = tensor.copy()
            elif running.count == 0:
                trial[name] = tensor.astype(running.accumulate) / divisor
            else:
                trial[name] = np.add(running.sums[name], tensor, dtype=running.accumulate) / divisor
            del tensor
    return trial


def ensemble_mean(running: RunningSum) -> Dict[str, np.ndarray]:
    """The kept ensemble's merge: the sum over the number of members (weight 1 each)."""
    return running.result(divide_by_total=True)


# ----------------------------------------------------------------------------- the trace


def read_trace(path: str) -> Optional[Trace]:
    """The trace at `path`, or None when there is none; a damaged trace is an error, not a restart."""
    import json

    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            return Trace.from_dict(json.load(handle))
    except (OSError, ValueError, TypeError) as error:
        raise SelectionError(f"{path}: cannot read the selection trace ({error}); delete it to start over") from None


def resumable(previous: Optional[Trace], strategy: str, candidates: List[str], settings: Dict, path: str) -> Optional[Trace]:
    """The previous trace if it was made by the same selection; an error if it belongs to another.

    Resuming a different selection would mix scores of different models or dev sets, and silently
    starting over would throw away hours of decoding, so neither happens without the user deciding.
    """
    if previous is None:
        return None
    if previous.strategy != strategy or previous.candidates != candidates or previous.settings != settings:
        raise SelectionError(
            f"{path}: this trace records another selection (different strategy, candidates, dev set or "
            "options); pass another --trace or delete it"
        )
    return previous


def candidate_digests(checkpoints: Sequence[Checkpoint]) -> Dict[str, List[str]]:
    """The sha256 of each candidate's weight files, as the trace records them."""
    return {c.path: [cached_sha256(f) for f in c.weight_files] for c in checkpoints}


def forget_changed(trace: Trace, digests: Dict[str, List[str]]) -> List[str]:
    """Drop what `trace` measured on candidates whose weights are not the ones it recorded; return them.

    A changed candidate loses its own score and every step from the first one whose ensemble holds
    it (later decisions depend on that step's outcome). A trace without digests (an older version)
    cannot vouch for any candidate, so all its scores are dropped.
    """
    changed = [label for label in trace.candidates if trace.digests.get(label) != digests.get(label)]
    if changed:
        for label in changed:
            trace.singles.pop(label, None)
        first = next((i for i, s in enumerate(trace.steps) if set(s.ensemble) & set(changed)), len(trace.steps))
        del trace.steps[first:]
        trace.selected, trace.wer, trace.finished = [], None, False
    trace.digests = dict(digests)
    trace.version = TRACE_VERSION
    return changed


def keep_steps_in_order(trace: Trace) -> None:
    """Keep only the steps that tried the candidates in `trace.order`'s order: a greedy order can
    change once a changed candidate is scored again, and steps after the change no longer apply."""
    for position, step in enumerate(trace.steps):
        if position >= len(trace.order) or step.candidate != trace.order[position]:
            del trace.steps[position:]
            return


# ----------------------------------------------------------------------------- the strategies


def _own(trace: Trace, label: str) -> Optional[float]:
    single = trace.singles.get(label)
    return None if single is None else single["wer"]


def score_singles(trace: Trace, checkpoints: Sequence[Checkpoint], evaluator, save: Callable[[], None],
                  on_step: Optional[Callable[[str], None]] = None) -> None:
    """Score every candidate alone (cached by the evaluator), recording each in the trace."""
    for checkpoint in checkpoints:
        if checkpoint.path in trace.singles:
            continue
        if on_step:
            on_step(f"alone: {checkpoint.label}")
        result = evaluator.evaluate_single(checkpoint)
        trace.singles[checkpoint.path] = {"wer": result.wer, "wer_long": result.wer_long, "seconds": getattr(result, "seconds", 0.0)}
        save()


def scan(trace: Trace, by_path: Dict[str, Checkpoint], evaluator, save: Callable[[], None],
         on_step: Optional[Callable[[str], None]] = None) -> RunningSum:
    """Algorithm 1 over `trace.order`: keep a candidate only if the merge's WER strictly drops.

    Steps already in the trace are replayed (their members re-added to the sum, nothing decoded).
    """
    first = by_path[trace.order[0]]
    running = RunningSum(first.shape)
    done = len(trace.steps)
    best = None
    for position, label in enumerate(trace.order):
        checkpoint = by_path[label]
        if position < done:
            step = trace.steps[position]
            if step.candidate != label:
                raise SelectionError(f"trace step {position + 1} tried {step.candidate}, expected {label}")
            if step.decision in ("start", "keep"):
                running.add(checkpoint, 1.0)
                best = step.wer
            continue
        if on_step:
            on_step(f"step {position + 1}/{len(trace.order)}: {checkpoint.label}")
        members = [*_members(trace), label]  # the ensemble scored at this step
        if position == 0:
            # The first ensemble is the first candidate alone: its own score, if already known.
            if label not in trace.singles:
                single = evaluator.evaluate_single(checkpoint)
                trace.singles[label] = {"wer": single.wer, "wer_long": single.wer_long, "seconds": getattr(single, "seconds", 0.0)}
            result = _Scored(**trace.singles[label])
            decision, seconds = "start", result.seconds
        else:
            trial = trial_mean(running, checkpoint)
            result = evaluator.evaluate(first.shape, trial, f"merge of {len(members)}")
            del trial
            decision, seconds = ("keep" if result.wer < best else "drop"), getattr(result, "seconds", 0.0)
        trace.steps.append(Step(label, members, result.wer, result.wer_long, decision, _own(trace, label), seconds))
        if decision in ("start", "keep"):
            running.add(checkpoint, 1.0)
            best = result.wer
        save()
    return running


@dataclass
class _Scored:
    wer: float
    wer_long: Optional[float]
    seconds: float = 0.0


def _members(trace: Trace) -> List[str]:
    return [s.candidate for s in trace.steps if s.decision in ("start", "keep")]


def select(
    paths: Sequence[str],
    strategy: str,
    evaluator,
    settings: Dict,
    trace_path: str,
    with_singles: bool = False,
    on_step: Optional[Callable[[str], None]] = None,
    on_notice: Optional[Callable[[str], None]] = None,
) -> tuple:
    """Run `strategy` over the candidate checkpoints at `paths` (already expanded from run folders).

    Returns (trace, merged tensors). The trace is written to `trace_path` after every step; a trace
    already there from the same selection is resumed. `with_singles` scores every candidate alone
    for SMAcT too (greedy always does), which the plot draws as crosses. `on_notice` hears what the
    user must know (a candidate changed since the trace was written), `on_step` the progress.
    """
    if strategy not in STRATEGIES:
        raise SelectionError(f"unknown strategy {strategy!r} (known: {', '.join(STRATEGIES)})")
    paths = list(paths)
    if strategy != "uniform" and len(paths) < 2:
        raise SelectionError(f"{strategy} needs at least two candidates, got {len(paths)}")
    if not paths:
        raise SelectionError("select: no candidate given")
    if len(set(paths)) != len(paths):
        duplicate = next(p for p in paths if paths.count(p) > 1)
        raise SelectionError(f"{duplicate}: given twice; each candidate may appear once")
    checkpoints = [open_checkpoint(p) for p in paths]
    check_compatible(checkpoints)
    by_path = {c.path: c for c in checkpoints}
    labels = [c.path for c in checkpoints]

    digests = candidate_digests(checkpoints)
    trace = resumable(read_trace(trace_path), strategy, labels, settings, trace_path)
    if trace is None:
        trace = Trace(strategy=strategy, candidates=labels, order=list(labels), settings=settings, digests=digests)
    else:
        notice = on_notice or on_step
        for label in forget_changed(trace, digests):
            if notice:
                notice(f"{label}: its weights changed since {trace_path} was written; its scores are recomputed")
    if trace.finished:
        running = RunningSum(checkpoints[0].shape)
        for label in trace.selected:
            running.add(by_path[label], 1.0)
        return trace, ensemble_mean(running)

    def save() -> None:
        write_json(trace_path, trace.to_dict())

    if strategy == "uniform":
        if with_singles:
            score_singles(trace, checkpoints, evaluator, save, on_step)
        running = RunningSum(checkpoints[0].shape)
        for checkpoint in checkpoints:
            running.add(checkpoint, 1.0)
        merged = ensemble_mean(running)
        if on_step:
            on_step(f"uniform merge of {len(checkpoints)}")
        result = evaluator.evaluate(checkpoints[0].shape, merged, f"merge of {len(checkpoints)}")
        trace.steps = [Step(None, list(labels), result.wer, result.wer_long, "uniform", None, getattr(result, "seconds", 0.0))]
    else:
        if strategy == "greedy" or with_singles:
            score_singles(trace, checkpoints, evaluator, save, on_step)
        if strategy == "greedy":
            # sorted() is stable: candidates with equal WER keep the order they were given in.
            trace.order = sorted(labels, key=lambda label: trace.singles[label]["wer"])
            keep_steps_in_order(trace)
            save()
        running = scan(trace, by_path, evaluator, save, on_step)
        merged = ensemble_mean(running)
    kept = [s for s in trace.steps if s.decision in ("start", "keep", "uniform")]
    trace.selected = list(kept[-1].ensemble)
    trace.wer = kept[-1].wer
    trace.finished = True
    save()
    return trace, merged


# ----------------------------------------------------------------------------- the plot


def plot_trace(trace: Trace, path: str) -> None:
    """WER against the number of merged models (the paper's Figure 2), written atomically.

    Each scored merge is a dot at its ensemble size (filled when kept), the kept ensemble's WER a
    line, and each candidate's own WER a cross at the step where it was tried.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(6.4, 4.2))
    xs = [len(s.ensemble) for s in trace.steps]
    ys = [s.wer for s in trace.steps]
    kept = [s.decision in ("start", "keep", "uniform") for s in trace.steps]
    axes.scatter([x for x, k in zip(xs, kept) if k], [y for y, k in zip(ys, kept) if k], color="C0", label="merge kept", zorder=3)
    axes.scatter([x for x, k in zip(xs, kept) if not k], [y for y, k in zip(ys, kept) if not k],
                 facecolors="none", edgecolors="C0", label="merge dropped", zorder=3)
    best_x, best_y, best = [], [], None
    for x, y, k in zip(xs, ys, kept):
        if k:
            best = y
        best_x.append(x)
        best_y.append(best)
    axes.step(best_x, best_y, where="post", color="C0", alpha=0.6)
    own = [(len(s.ensemble), s.own_wer) for s in trace.steps if s.own_wer is not None]
    if own:
        axes.scatter([x for x, _ in own], [y for _, y in own], marker="x", color="C3", label="candidate alone")
    axes.set_xlabel("number of merged models")
    axes.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes.set_ylabel("dev WER (%)")
    axes.set_title(f"{trace.strategy}: {len(trace.selected)} of {len(trace.candidates)} kept, WER {trace.wer:.2f}%")
    axes.legend()
    figure.tight_layout()
    try:
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format="png", dpi=100)
    finally:
        pyplot.close(figure)


# ----------------------------------------------------------------------------- the output


def default_trace_path(out: str) -> str:
    """Beside OUT: `soup.pt` -> `soup.select-trace.json`, folder `soup` -> `soup.select-trace.json`."""
    base = os.path.normpath(out)
    if base.endswith((".pt", ".pth")):
        base = os.path.splitext(base)[0]
    return base + ".select-trace.json"


def write_selection(out: str, to: str, dtype: str, merged: Dict[str, np.ndarray], trace: Trace) -> Dict:
    """Write the selected merge to OUT with the usual `merge.json` provenance plus the trace.

    `merged` is the very mean that was scored, so the file holds the model whose WER the trace reports.
    """
    from .merge import write_merged

    checkpoints = [open_checkpoint(p) for p in trace.selected]
    weights = [1.0 / len(checkpoints)] * len(checkpoints)
    provenance = {"method": trace.strategy, "normalized": True, "selection": trace.to_dict()}
    provenance = write_merged(out, to, dtype, merged, checkpoints, weights, provenance)
    return provenance
