"""Where the errors are: buckets, worst utterances, a baseline comparison, tables, JSON and a plot.

One number per split is what the server shows; it does not say what to fix. The paper's largest loss
was long audio, so the report splits every split by audio length (< 15 s, 15-30 s, >= 30 s), by
etiology and by prompt category, with substitutions, deletions and insertions, and lists the worst
utterances. Bucket rates are summed errors over summed reference words, like the split's own rate.

A baseline comparison is only worth something with its uncertainty: the paired bootstrap resamples
utterances (the same indices for both systems) and recomputes both summed rates each time.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from sapsoup.validate.devset import MetaRow

LENGTH_BUCKETS = ("< 15 s", "15-30 s", ">= 30 s")
GROUPS = ("overall", "length", "etiology", "category")


@dataclasses.dataclass
class UtteranceErrors:
    """What one utterance adds to its buckets' sums under the split's primary metric."""

    errors: float
    words: float  # reference words (characters for CER)
    substitutions: int | None = None
    deletions: int | None = None
    insertions: int | None = None

    @property
    def rate(self) -> float:
        return 100.0 * self.errors / self.words if self.words else 0.0


@dataclasses.dataclass
class SplitReport:
    """One scored split, as the report needs it, in manifest order."""

    split: str
    target: str  # "sapc1" or "sapc2"
    metric: str  # the primary metric that buckets use: "WER" (SAPC1) or "CER" (SAPC2)
    headline: dict[str, float | None]  # the organisers' numbers: WER and SEM, or CER and WER
    utterances: list[UtteranceErrors]
    meta: list[MetaRow]
    hypotheses: list[str]
    hypotheses_clean: list[str]
    references_clean: list[str]  # the reference each utterance was scored against
    reference_choice: list[str]  # "ref1", "ref2" or "tie"
    semantic: object | None = None  # validate.semantic.SemanticScore, for an edition that has SEM
    notes: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class BucketScore:
    group: str
    name: str
    utterances: int
    errors: float
    words: float
    substitutions: int | None
    deletions: int | None
    insertions: int | None

    @property
    def rate(self) -> float | None:
        return 100.0 * self.errors / self.words if self.words else None


@dataclasses.dataclass
class BootstrapInterval:
    """Candidate minus baseline, in percentage points of the primary metric; negative is better."""

    difference: float
    low: float
    high: float
    resamples: int
    seed: int


@dataclasses.dataclass
class AblationRow:
    """The split's metric with one post-processing rule switched off, and what the rule gains."""

    rule: str
    setting: str
    rate: float
    gain: float  # rate without the rule minus rate with every rule on (positive: the rule helps)


# ---------------------------------------------------------------------------------------------
# Buckets


def length_bucket(seconds: float) -> str:
    if seconds < 15.0:
        return LENGTH_BUCKETS[0]
    if seconds < 30.0:
        return LENGTH_BUCKETS[1]
    return LENGTH_BUCKETS[2]


def _sum_bucket(group: str, name: str, rows: list[UtteranceErrors]) -> BucketScore:
    def total(field: str) -> int | None:
        values = [getattr(row, field) for row in rows]
        return None if any(v is None for v in values) else int(sum(values))

    return BucketScore(
        group=group,
        name=name,
        utterances=len(rows),
        errors=float(sum(row.errors for row in rows)),
        words=float(sum(row.words for row in rows)),
        substitutions=total("substitutions"),
        deletions=total("deletions"),
        insertions=total("insertions"),
    )


def bucket_scores(report: SplitReport) -> list[BucketScore]:
    """Overall, then the three length buckets (always all three, empty ones included, so two reports
    line up), then etiologies and categories in alphabetical order."""
    if len(report.utterances) != len(report.meta):
        raise ValueError(f"{report.split}: {len(report.utterances)} scores but {len(report.meta)} metadata rows")
    buckets = [_sum_bucket("overall", "all", report.utterances)]
    pairs = list(zip(report.utterances, report.meta))
    for name in LENGTH_BUCKETS:
        buckets.append(_sum_bucket("length", name, [u for u, m in pairs if length_bucket(m.duration) == name]))
    for group, key in (("etiology", lambda m: m.etiology), ("category", lambda m: m.category)):
        for name in sorted({key(m) for m in report.meta}):
            buckets.append(_sum_bucket(group, name or "(none)", [u for u, m in pairs if key(m) == name]))
    return buckets


def worst_utterances(report: SplitReport, count: int = 10) -> list[int]:
    """Indices of the utterances with the highest rate, most errors first among equal rates."""
    rows = report.utterances
    order = sorted(range(len(rows)), key=lambda i: (-rows[i].rate, -rows[i].errors, i))
    return [i for i in order[:count] if report.utterances[i].errors > 0]


# ---------------------------------------------------------------------------------------------
# Baseline comparison


def paired_bootstrap(
    candidate: list[UtteranceErrors],
    baseline: list[UtteranceErrors],
    resamples: int = 1000,
    seed: int = 0,
) -> BootstrapInterval:
    """95% interval of the candidate's rate minus the baseline's, resampling utterances in pairs.

    Each resample draws n utterance indices with replacement (numpy Generator(seed)) and recomputes
    both rates as summed errors over summed words; the interval is the 2.5th and 97.5th percentile.
    Words are summed per system, since the reference chosen per utterance can differ between them.
    """
    if len(candidate) != len(baseline):
        raise ValueError(f"paired bootstrap needs the same utterances: {len(candidate)} vs {len(baseline)}")
    if not candidate:
        raise ValueError("paired bootstrap needs at least one utterance")
    if resamples < 1:
        raise ValueError("resamples must be positive")
    errors = np.array([[c.errors, b.errors] for c, b in zip(candidate, baseline)], dtype=np.float64)
    words = np.array([[c.words, b.words] for c, b in zip(candidate, baseline)], dtype=np.float64)
    generator = np.random.default_rng(seed)
    n = len(candidate)
    differences = np.empty(resamples, dtype=np.float64)
    chunk = max(1, 2_000_000 // n)
    for first in range(0, resamples, chunk):
        count = min(chunk, resamples - first)
        picks = generator.integers(0, n, size=(count, n))
        summed_errors = errors[picks].sum(axis=1)  # (count, 2)
        summed_words = words[picks].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            rates = 100.0 * summed_errors / summed_words
        differences[first : first + count] = rates[:, 0] - rates[:, 1]
    differences = differences[np.isfinite(differences)]  # a resample of only empty references has no rate
    whole = 100.0 * errors.sum(axis=0) / words.sum(axis=0)
    low, high = np.percentile(differences, [2.5, 97.5])
    return BootstrapInterval(float(whole[0] - whole[1]), float(low), float(high), resamples, seed)


def compare_buckets(candidate: SplitReport, baseline: SplitReport) -> list[tuple[BucketScore, BucketScore]]:
    """The two reports' buckets side by side (same utterances, so the same bucket names)."""
    if [m.id for m in candidate.meta] != [m.id for m in baseline.meta]:
        raise ValueError(f"{candidate.split}: candidate and baseline were scored on different utterances")
    return list(zip(bucket_scores(candidate), bucket_scores(baseline)))


# ---------------------------------------------------------------------------------------------
# Post-processing ablation


def ablate(
    raw: list[str], options, rules: Iterable[str], postprocess: Callable, score: Callable[[list[str]], float]
) -> list[AblationRow]:
    """Score the raw transcripts post-processed with every rule on, then with each rule off in turn,
    and with no post-processing at all. `score` maps hypothesis lines to the split's metric.

    A boolean rule is switched off with False; `fillers`, a style, with "keep"."""
    full = score([postprocess(line, options) if line else "" for line in raw])
    rows = [AblationRow("(all rules)", "as built", full, 0.0)]
    for rule in rules:
        value = getattr(options, rule)
        off = "keep" if isinstance(value, str) else False
        if value == off:
            rows.append(AblationRow(rule, f"already {off}", full, 0.0))
            continue
        changed = dataclasses.replace(options, **{rule: off})
        rate = score([postprocess(line, changed) if line else "" for line in raw])
        rows.append(AblationRow(rule, f"{rule}={off}", rate, rate - full))
    none = score(list(raw))
    rows.append(AblationRow("(no post-processing)", "raw text", none, none - full))
    return rows


# ---------------------------------------------------------------------------------------------
# JSON


def organisers_key(split: str) -> str:
    """The organisers' result key: test1 -> test_1_split; other names -> NAME_split."""
    if split.startswith("test") and split[4:].isdigit():
        return f"test_{split[4:]}_split"
    return f"{split}_split"


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def organisers_result(reports: Iterable[SplitReport]) -> dict[str, list[float | None]]:
    """{"test_1_split": [WER, SEM]} (SAPC1) or [CER, WER] (SAPC2), rounded to 4 decimals; a value
    sapsoup could not compute (SEM without its models) is null, never a stand-in number."""
    return {organisers_key(r.split): [_round(v) for v in r.headline.values()] for r in reports}


def _jsonable(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value


def utterance_rows(report: SplitReport) -> list[dict]:
    """One JSON row per utterance: metadata, texts, the chosen reference and the error counts."""
    semantic_rows = list(getattr(report.semantic, "per_utterance", None) or [])
    if semantic_rows and len(semantic_rows) != len(report.meta):
        semantic_rows = []
    rows = []
    for i, (meta, score) in enumerate(zip(report.meta, report.utterances)):
        row = {
            "id": meta.id,
            "speaker": meta.speaker,
            "etiology": meta.etiology,
            "category": meta.category,
            "duration": meta.duration,
            "length_bucket": length_bucket(meta.duration),
            "hypothesis": report.hypotheses[i],
            "hypothesis_clean": report.hypotheses_clean[i],
            "reference_clean": report.references_clean[i],
            "reference": report.reference_choice[i],
            "errors": score.errors,
            "words": score.words,
            "rate": round(score.rate, 4),
            "substitutions": score.substitutions,
            "deletions": score.deletions,
            "insertions": score.insertions,
        }
        if semantic_rows:
            row["semantic"] = _jsonable(semantic_rows[i])
        rows.append(row)
    return rows


def split_json(report: SplitReport, worst: int = 10) -> dict:
    semantic = report.semantic
    return {
        "target": report.target,
        "metric": report.metric,
        "headline": {k: _round(v) for k, v in report.headline.items()},
        "semantic": None
        if semantic is None
        else {
            "sem": _round(getattr(semantic, "sem", None)),
            "phonetic": _round(getattr(semantic, "phonetic", None)),
            "bert": _round(getattr(semantic, "bert", None)),
            "nli": _round(getattr(semantic, "nli", None)),
            "missing": getattr(semantic, "missing", None),
            "versions": getattr(semantic, "versions", None),
        },
        "buckets": [dict(_jsonable(b), rate=_round(b.rate)) for b in bucket_scores(report)],
        "worst": [report.meta[i].id for i in worst_utterances(report, worst)],
        "notes": list(report.notes),
        "utterances": utterance_rows(report),
    }


def write_atomically(path: Path, write: Callable[[str], None]) -> None:
    """`write(temporary)` then rename (sapsoup.atomic): never a half-written report."""
    from sapsoup.atomic import atomic_path

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temporary:
        write(temporary)


def write_json(path: Path, data: dict) -> None:
    from sapsoup import atomic

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic.write_json(path, _jsonable(data))


# ---------------------------------------------------------------------------------------------
# Plot


def write_plot(path: Path, reports: list[SplitReport], baselines: dict[str, SplitReport] | None = None) -> None:
    """A PNG with one row per split and one panel per grouping (length, etiology, category): the
    primary metric per bucket, the baseline's bars beside the candidate's when there is one."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    baselines = baselines or {}
    groups = ("length", "etiology", "category")
    figure, axes = pyplot.subplots(len(reports), len(groups), figsize=(5 * len(groups), 3.6 * len(reports)), squeeze=False)
    for row, report in enumerate(reports):
        buckets = bucket_scores(report)
        base = bucket_scores(baselines[report.split]) if report.split in baselines else None
        for column, group in enumerate(groups):
            axis = axes[row][column]
            mine = [b for b in buckets if b.group == group]
            names = [b.name for b in mine]
            positions = np.arange(len(mine))
            width = 0.4 if base else 0.8
            axis.bar(positions - (width / 2 if base else 0), [b.rate or 0.0 for b in mine], width, label="candidate")
            if base:
                theirs = {b.name: b for b in base if b.group == group}
                heights = [(theirs[n].rate or 0.0) if n in theirs else 0.0 for n in names]
                axis.bar(positions + width / 2, heights, width, label="baseline")
                axis.legend(fontsize=7)
            axis.set_xticks(positions, [f"{n}\n(n={b.utterances})" for n, b in zip(names, mine)], fontsize=7)
            axis.set_ylabel(f"{report.metric} %")
            axis.set_title(f"{report.split}: {report.metric} by {group}", fontsize=9)
    figure.tight_layout()
    write_atomically(path, lambda temporary: figure.savefig(temporary, format="png", dpi=100))
    pyplot.close(figure)


# ---------------------------------------------------------------------------------------------
# Tables


def _fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _clip(text: str, limit: int = 160) -> str:
    """Shorten a long text for a table cell, visibly; the JSON rows keep it whole."""
    return text if len(text) <= limit else text[: limit - 1] + f"… (+{len(text) - limit + 1} chars)"


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def render_split(console, report: SplitReport, worst: int = 10) -> None:
    from rich.markup import escape
    from rich.table import Table

    headline = ", ".join(f"{k} {_fmt(v, 4)}" for k, v in report.headline.items())
    console.print(f"[bold]{report.split}[/bold] ({report.target}, {len(report.meta)} utterances): {headline}")
    semantic = report.semantic
    if semantic is not None:
        missing = getattr(semantic, "missing", None)
        parts = f"phonetic {_fmt(getattr(semantic, 'phonetic', None))}"
        if missing:
            console.print(f"  SEM not computed: {escape(missing)}; {parts}", highlight=False)
        else:
            bert, nli = _fmt(getattr(semantic, "bert", None)), _fmt(getattr(semantic, "nli", None))
            console.print(f"  SEM parts: {parts}, BERT {bert}, NLI {nli}")
        versions = getattr(semantic, "versions", None)
        if versions:
            libraries = ", ".join(f"{name} {version}" for name, version in versions.items())
            console.print(f"  SEM computed with {escape(libraries)} (BERTScore tokenised as bert_score did under "
                          "transformers 4, the organisers' environment)", highlight=False)
    for note in report.notes:
        console.print(f"  note: {escape(note)}", highlight=False)
    table = Table(title=f"{report.split}: {report.metric} by bucket")
    for column in ("group", "bucket", "utts", "words", "errors", f"{report.metric} %", "sub", "del", "ins"):
        table.add_column(column, justify="left" if column in ("group", "bucket") else "right")
    for b in bucket_scores(report):
        table.add_row(
            b.group, escape(b.name), str(b.utterances), f"{b.words:g}", f"{b.errors:g}", _fmt(b.rate),
            *(("-" if v is None else str(v)) for v in (b.substitutions, b.deletions, b.insertions)),
        )
    console.print(table)
    indices = worst_utterances(report, worst)
    if indices:
        table = Table(title=f"{report.split}: worst utterances")
        for column in ("id", "s", f"{report.metric} %", "reference", "hypothesis"):
            table.add_column(column, overflow="fold")
        for i in indices:
            table.add_row(
                escape(report.meta[i].id), f"{report.meta[i].duration:.1f}", _fmt(report.utterances[i].rate),
                escape(_clip(report.references_clean[i])), escape(_clip(report.hypotheses_clean[i])),
            )
        console.print(table)


def render_comparison(
    console, split: str, pairs: list[tuple[BucketScore, BucketScore]], interval: BootstrapInterval, metric: str
) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{split}: candidate vs baseline ({metric} %)")
    for column in ("group", "bucket", "utts", "candidate", "baseline", "delta"):
        table.add_column(column, justify="left" if column in ("group", "bucket") else "right")
    for mine, theirs in pairs:
        delta = None if mine.rate is None or theirs.rate is None else mine.rate - theirs.rate
        table.add_row(
            mine.group, escape(mine.name), str(mine.utterances), _fmt(mine.rate), _fmt(theirs.rate), _signed(delta)
        )
    console.print(table)
    console.print(
        f"  {metric} difference (candidate - baseline) {interval.difference:+.2f} points, paired bootstrap 95% CI "
        f"[{interval.low:+.2f}, {interval.high:+.2f}] ({interval.resamples} resamples, seed {interval.seed})"
    )


def render_ablation(console, split: str, rows: list[AblationRow], metric: str) -> None:
    from rich.table import Table

    table = Table(title=f"{split}: what each post-processing rule gains ({metric} %)")
    for column in ("rule", "setting", metric, "gain"):
        table.add_column(column, justify="left" if column in ("rule", "setting") else "right")
    for row in rows:
        table.add_row(row.rule, row.setting, _fmt(row.rate), _signed(row.gain))
    console.print(table)


def render_timings(console, timings, title: str = "stages") -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title)
    for column in ("stage", "seconds", "note"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for timing in timings:
        table.add_row(timing.stage, f"{timing.seconds:.2f}", escape(timing.note))
    console.print(table)
