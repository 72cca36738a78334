"""Selective merging: SMAcT and greedy soups over one running sum, with a trace that can resume.

SMAcT (the paper's Algorithm 1) scans the candidates in the order given: it starts from the first
one and keeps each next candidate only if the dev rate of the merge with it strictly drops. The
rate is the target challenge edition's primary metric (SAPC1: WER; SAPC2: CER); the others are
recorded beside it. A greedy soup (Wortsman et al.) first scores every candidate alone, sorts them
by that rate (best first, ties in the given order) and runs the same scan. A uniform soup merges
them all and scores once.

Early rejection: a trial merge only has to beat the kept ensemble's rate, so its dev pass is given
that rate (`must_beat`) and stops as soon as the merge cannot beat it (the scorer's lower bound
reaches it). A stopped trial is dropped, as its full pass would have dropped it: decisions, kept
models and the kept merges' rates are those of full passes (`early_stop=False`).

Memory: the kept ensemble is one float32 running sum (`merge.RunningSum`, weight 1 per member, so the
merge is the sum over the count). Trying a candidate reads it tensor by tensor into one trial mean,
which becomes the model that is scored: one extra model in memory, however many are kept. On
acceptance the candidate is added to the sum (read again from disk, which is cheaper than keeping it).

Every step is appended to a JSON trace written atomically, so an interrupted selection run again
with the same candidates, dev set and options skips the steps already done. The trace records each
candidate's sha256 (the digest cache of `hashing.py` makes this cheap on a resume): a candidate
whose file changed since (retrained, overwritten, copied over) has its scores recomputed, and so
does every step that merged it, since a score is only true of the weights it was measured on.

The scorer is any object with `evaluate(shape, tensors, label, must_beat=None, guide=None) -> result`
and `evaluate_single(checkpoint) -> result`, whose results have `rate` (the primary metric, None
when the pass was stopped), `rates` (every metric) and `rate_long`, and may have `rejected_after`,
`bound`, `utterances_decoded`, `audio_seconds` and `seconds`
(`sapsoup.validate.devscore.DevEvaluator` in practice). Its `metric` and `metrics` name them. When
several processes run one selection in step, the scorer's `agree(make)` gives every process rank
0's value of `make()` and `is_writer` is true on rank 0 only, which alone writes the trace.
"""

import os
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from sapsoup.atomic import atomic_path, write_json

from . import layout
from .arrays import is_float
from .checkpoints import Checkpoint, open_checkpoint, read_arrays, stored_name
from .errors import CheckpointError
from .hashing import cached_sha256
from .merge import RunningSum, check_compatible, check_finite

STRATEGIES = ("smact", "greedy", "uniform")
TRACE_VERSION = 3  # 2: candidates' digests recorded; 3: the edition's metrics, early rejection, work decoded


@dataclass
class Step:
    """One scored merge: which candidate was tried, the ensemble scored, its rates, what was decided.

    `decision` is "start" (the first ensemble), "keep" (the primary rate strictly dropped), "drop",
    or "uniform". `rate` is the primary metric's rate, `rates` every metric's; both are empty when
    early rejection stopped the pass after `rejected_after` of `utterances` utterances, once the
    lower bound `bound` on its rate reached the best so far. `own_rate` is the candidate's rate
    alone, when it was scored (always for greedy).
    """

    candidate: Optional[str]
    ensemble: List[str]
    rate: Optional[float]
    rates: Dict[str, float]
    rate_long: Optional[float]
    decision: str
    own_rate: Optional[float] = None
    seconds: float = 0.0
    utterances: int = 0
    utterances_decoded: int = 0
    audio_seconds: float = 0.0
    rejected_after: Optional[int] = None
    bound: Optional[float] = None

    @property
    def wer(self) -> Optional[float]:
        return self.rates.get("WER")


@dataclass
class Trace:
    """The whole selection: what went in, every step, and what came out."""

    strategy: str
    candidates: List[str]
    order: List[str]  # the scan order (candidates sorted by own rate for greedy)
    settings: Dict  # dev fingerprint, edition and scoring options: a trace resumes only under the same ones
    metric: str = "WER"  # the primary metric, the one selection optimises
    metrics: List[str] = field(default_factory=lambda: ["WER"])
    singles: Dict[str, Dict] = field(default_factory=dict)  # candidate -> its evaluation alone (see `_record`)
    steps: List[Step] = field(default_factory=list)
    selected: List[str] = field(default_factory=list)
    rate: Optional[float] = None
    rates: Dict[str, float] = field(default_factory=dict)
    finished: bool = False
    digests: Dict[str, List[str]] = field(default_factory=dict)  # candidate -> sha256 of each weight file
    version: int = TRACE_VERSION

    @property
    def wer(self) -> Optional[float]:
        return self.rates.get("WER")

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
            data = json.load(handle)
    except (OSError, ValueError) as error:
        raise SelectionError(f"{path}: cannot read the selection trace ({error}); delete it to start over") from None
    if isinstance(data, dict) and data.get("version", 1) < TRACE_VERSION:
        raise SelectionError(
            f"{path}: a selection trace of an older sapsoup (version {data.get('version', 1)}, this one writes "
            f"{TRACE_VERSION}); pass another --trace or delete it"
        )
    try:
        return Trace.from_dict(data)
    except (TypeError, ValueError, AttributeError) as error:
        raise SelectionError(f"{path}: cannot read the selection trace ({error}); delete it to start over") from None


def resumable(previous: Optional[Trace], strategy: str, candidates: List[str], settings: Dict, path: str) -> Optional[Trace]:
    """The previous trace if it was made by the same selection; an error if it belongs to another.

    Resuming a different selection would mix scores of different models, dev sets or editions, and
    silently starting over would throw away hours of decoding, so neither happens without the user
    deciding.
    """
    if previous is None:
        return None
    if previous.strategy != strategy or previous.candidates != candidates or previous.settings != settings:
        raise SelectionError(
            f"{path}: this trace records another selection (different strategy, candidates, dev set, target or "
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
        trace.selected, trace.rate, trace.rates, trace.finished = [], None, {}, False
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


def _record(result) -> Dict:
    """What the trace keeps of one evaluation (the scorer's optional fields default to a full pass)."""
    return {
        "rate": result.rate,
        "rates": dict(getattr(result, "rates", {}) or {}),
        "rate_long": getattr(result, "rate_long", None),
        "seconds": getattr(result, "seconds", 0.0),
        "utterances": getattr(result, "n_utterances", 0),
        "utterances_decoded": getattr(result, "utterances_decoded", 0),
        "audio_seconds": getattr(result, "audio_seconds", 0.0),
        "rejected_after": getattr(result, "rejected_after", None),
        "bound": getattr(result, "bound", None),
    }


def _step(candidate, members, record: Dict, decision: str, own: Optional[float]) -> Step:
    return Step(candidate, list(members), record["rate"], record["rates"], record["rate_long"], decision, own,
                record["seconds"], record["utterances"], record["utterances_decoded"], record["audio_seconds"],
                record["rejected_after"], record["bound"])


def _own(trace: Trace, label: str) -> Optional[float]:
    single = trace.singles.get(label)
    return None if single is None else single["rate"]


def score_singles(trace: Trace, checkpoints: Sequence[Checkpoint], evaluator, save: Callable[[], None],
                  on_step: Optional[Callable[[str], None]] = None) -> Dict[str, object]:
    """Score every candidate alone (cached by the evaluator, never stopped early), recording each in
    the trace; returns the results scored in this run, by candidate."""
    results = {}
    for checkpoint in checkpoints:
        if checkpoint.path in trace.singles:
            continue
        if on_step:
            on_step(f"alone: {checkpoint.label}")
        results[checkpoint.path] = evaluator.evaluate_single(checkpoint)
        trace.singles[checkpoint.path] = _record(results[checkpoint.path])
        save()
    return results


def scan(trace: Trace, by_path: Dict[str, Checkpoint], evaluator, save: Callable[[], None],
         on_step: Optional[Callable[[str], None]] = None, early_stop: bool = True,
         known: Optional[Dict[str, object]] = None) -> RunningSum:
    """Algorithm 1 over `trace.order`: keep a candidate only if the merge's primary rate strictly drops.

    Steps already in the trace are replayed (their members re-added to the sum, nothing decoded).
    With `early_stop`, each trial's pass stops once it cannot beat the best rate so far; the kept
    ensemble's result (when scored in this run, or `known` from it) orders the utterances.
    """
    first = by_path[trace.order[0]]
    running = RunningSum(first.shape)
    done = len(trace.steps)
    best, guide = None, None
    known = known or {}
    for position, label in enumerate(trace.order):
        checkpoint = by_path[label]
        if position < done:
            step = trace.steps[position]
            if step.candidate != label:
                raise SelectionError(f"trace step {position + 1} tried {step.candidate}, expected {label}")
            if step.decision in ("start", "keep"):
                running.add(checkpoint, 1.0)
                best, guide = step.rate, (known.get(label) if position == 0 else None)
            continue
        if on_step:
            on_step(f"step {position + 1}/{len(trace.order)}: {checkpoint.label}")
        members = [*_members(trace), label]  # the ensemble scored at this step
        if position == 0:
            # The first ensemble is the first candidate alone: its own score, if already known.
            if label not in trace.singles:
                known[label] = evaluator.evaluate_single(checkpoint)
                trace.singles[label] = _record(known[label])
            record, decision, result = dict(trace.singles[label]), "start", known.get(label)
        else:
            trial = trial_mean(running, checkpoint)
            result = evaluator.evaluate(first.shape, trial, f"merge of {len(members)}",
                                        must_beat=best if early_stop else None, guide=guide)
            del trial
            record = _record(result)
            # A stopped pass has no rate: its lower bound already reached the best, so it cannot win.
            decision = "keep" if record["rejected_after"] is None and record["rate"] < best else "drop"
        trace.steps.append(_step(label, members, record, decision, _own(trace, label)))
        if decision in ("start", "keep"):
            running.add(checkpoint, 1.0)
            best, guide = record["rate"], result
        save()
    return running


def _members(trace: Trace) -> List[str]:
    return [s.candidate for s in trace.steps if s.decision in ("start", "keep")]


def open_candidates(paths: Sequence[str], strategy: str) -> List[Checkpoint]:
    """Open the candidate checkpoints at `paths` (already expanded from run folders), once, after
    checking the strategy, their number, duplicates and that they can be merged."""
    if strategy not in STRATEGIES:
        raise SelectionError(f"unknown strategy {strategy!r} (known: {', '.join(STRATEGIES)})")
    paths = list(paths)
    if strategy != "uniform" and len(paths) < 2:
        raise SelectionError(f"{strategy} needs at least two candidates, got {len(paths)}"
                             + (f" ({', '.join(paths)})" if paths else ""))
    if not paths:
        raise SelectionError("select: no candidate given")
    if len(set(paths)) != len(paths):
        duplicate = next(p for p in paths if paths.count(p) > 1)
        raise SelectionError(f"{duplicate}: given twice; each candidate may appear once")
    checkpoints = [open_checkpoint(p) for p in paths]
    check_compatible(checkpoints)
    return checkpoints


def _alone(make: Callable[[], object]) -> object:
    return make()


def select(
    candidates: Sequence[Union[str, Checkpoint]],
    strategy: str,
    evaluator,
    settings: Dict,
    trace_path: str,
    with_singles: bool = False,
    on_step: Optional[Callable[[str], None]] = None,
    on_notice: Optional[Callable[[str], None]] = None,
    early_stop: bool = True,
) -> tuple:
    """Run `strategy` over the candidates: paths (already expanded from run folders), or the
    checkpoints `open_candidates` returned for them.

    Returns (trace, merged tensors). The trace is written to `trace_path` after every step; a trace
    already there from the same selection is resumed. `with_singles` scores every candidate alone
    for SMAcT too (greedy always does), which the plot draws as crosses. `early_stop=False` decodes
    every trial's whole dev pass (same decisions, more decoding). `on_notice` hears what the user
    must know (a candidate changed since the trace was written), `on_step` the progress.
    """
    candidates = list(candidates)
    if all(isinstance(c, Checkpoint) for c in candidates) and candidates:
        if strategy not in STRATEGIES:
            raise SelectionError(f"unknown strategy {strategy!r} (known: {', '.join(STRATEGIES)})")
        checkpoints = candidates
    else:
        checkpoints = open_candidates(candidates, strategy)
    by_path = {c.path: c for c in checkpoints}
    labels = [c.path for c in checkpoints]
    agree = getattr(evaluator, "agree", _alone)  # rank 0 reads files; every rank gets what it read
    writer = getattr(evaluator, "is_writer", True)
    metric = getattr(evaluator, "metric", "WER")
    metrics = list(getattr(evaluator, "metrics", (metric,)))

    digests = agree(lambda: candidate_digests(checkpoints))
    trace = agree(lambda: resumable(read_trace(trace_path), strategy, labels, settings, trace_path))
    if trace is None:
        trace = Trace(strategy=strategy, candidates=labels, order=list(labels), settings=settings, metric=metric,
                      metrics=metrics, digests=digests)
    else:
        notice = (on_notice or on_step) if writer else None
        for label in forget_changed(trace, digests):
            if notice:
                notice(f"{label}: its weights changed since {trace_path} was written; its scores are recomputed")
    if trace.finished:
        running = RunningSum(checkpoints[0].shape)
        for label in trace.selected:
            running.add(by_path[label], 1.0)
        return trace, ensemble_mean(running)

    def save() -> None:
        if writer:
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
        trace.steps = [_step(None, labels, _record(result), "uniform", None)]
    else:
        known = {}
        if strategy == "greedy" or with_singles:
            known = score_singles(trace, checkpoints, evaluator, save, on_step)
        if strategy == "greedy":
            # sorted() is stable: candidates with equal rates keep the order they were given in.
            trace.order = sorted(labels, key=lambda label: trace.singles[label]["rate"])
            keep_steps_in_order(trace)
            save()
        running = scan(trace, by_path, evaluator, save, on_step, early_stop, known)
        merged = ensemble_mean(running)
    kept = [s for s in trace.steps if s.decision in ("start", "keep", "uniform")]
    trace.selected = list(kept[-1].ensemble)
    trace.rate, trace.rates = kept[-1].rate, dict(kept[-1].rates)
    trace.finished = True
    save()
    return trace, merged


def decoded_totals(trace: Trace) -> Dict[str, float]:
    """Utterances and audio seconds the trace's evaluations decoded, and what full passes would have."""
    records = [*trace.singles.values(), *(asdict(s) for s in trace.steps)]
    decoded = sum(r.get("utterances_decoded", 0) for r in records)
    seconds = sum(r.get("audio_seconds", 0.0) for r in records)
    return {"utterances_decoded": decoded, "audio_seconds": seconds,
            "rejected": sum(1 for s in trace.steps if s.rejected_after is not None)}


def rejection_note(step: Step) -> str:
    """"rejected after k of n utterances" for a stopped pass, else ""."""
    if step.rejected_after is None:
        return ""
    return f"rejected after {step.rejected_after} of {step.utterances} utterances"


# ----------------------------------------------------------------------------- the plot


def plot_trace(trace: Trace, path: str) -> None:
    """The primary rate against the number of merged models (the paper's Figure 2), written atomically.

    Each scored merge is a dot at its ensemble size (filled when kept), the kept ensemble's rate a
    line, each candidate's own rate a cross at the step where it was tried, and a merge whose pass
    early rejection stopped a triangle at the lower bound that stopped it (its rate is at least
    that). The edition's other metrics of the scored merges are drawn below.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    others = [m for m in trace.metrics if m != trace.metric]
    figure, panels = pyplot.subplots(1 + bool(others), 1, figsize=(6.4, 4.2 + 2.4 * bool(others)), squeeze=False,
                                     sharex=True)
    axes = panels[0][0]
    steps = trace.steps
    scored = [s for s in steps if s.rate is not None]
    kept = [s for s in scored if s.decision in ("start", "keep", "uniform")]
    dropped = [s for s in scored if s.decision == "drop"]
    stopped = [s for s in steps if s.rate is None and s.bound is not None]
    axes.scatter([len(s.ensemble) for s in kept], [s.rate for s in kept], color="C0", label="merge kept", zorder=3)
    axes.scatter([len(s.ensemble) for s in dropped], [s.rate for s in dropped], facecolors="none", edgecolors="C0",
                 label="merge dropped", zorder=3)
    if stopped:
        axes.scatter([len(s.ensemble) for s in stopped], [s.bound for s in stopped], marker="^", facecolors="none",
                     edgecolors="C1", label="dropped early (rate at least)", zorder=3)
    best_x, best_y, best = [], [], None
    for s in steps:
        if s.decision in ("start", "keep", "uniform"):
            best = s.rate
        best_x.append(len(s.ensemble))
        best_y.append(best)
    axes.step(best_x, best_y, where="post", color="C0", alpha=0.6)
    own = [(len(s.ensemble), s.own_rate) for s in steps if s.own_rate is not None]
    if own:
        axes.scatter([x for x, _ in own], [y for _, y in own], marker="x", color="C3", label="candidate alone")
    axes.set_ylabel(f"dev {trace.metric} (%)")
    axes.set_title(f"{trace.strategy}: {len(trace.selected)} of {len(trace.candidates)} kept, "
                   f"{trace.metric} {trace.rate:.2f}%")
    axes.legend()
    bottom = axes
    if others:
        bottom = panels[1][0]
        for number, name in enumerate(others, start=1):
            points = [(len(s.ensemble), s.rates[name]) for s in scored if name in s.rates]
            bottom.scatter([x for x, _ in points], [y for _, y in points], color=f"C{number + 1}", label=name)
        bottom.set_ylabel("dev rate (%)")
        bottom.legend()
    bottom.set_xlabel("number of merged models")
    bottom.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
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


def write_selection(out: str, to: str, dtype: str, merged: Dict[str, np.ndarray], trace: Trace,
                    checkpoints: Optional[Sequence[Checkpoint]] = None) -> Dict:
    """Write the selected merge to OUT with the usual `merge.json` provenance plus the trace.

    `merged` is the very mean that was scored, so the file holds the model whose rate the trace
    reports. `checkpoints` are the candidates already open (by path), so none is opened again.
    """
    from .merge import write_merged

    opened = {c.path: c for c in checkpoints or ()}
    selected = [opened.get(p) or open_checkpoint(p) for p in trace.selected]
    weights = [1.0 / len(selected)] * len(selected)
    provenance = {"method": trace.strategy, "normalized": True, "selection": trace.to_dict()}
    provenance = write_merged(out, to, dtype, merged, selected, weights, provenance)
    return provenance
