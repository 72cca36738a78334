"""The SAPC1 semantic score (SEM), with the organisers' formula, weights and bounds.

Per utterance and per reference (ref1, ref2), on the cleaned upper-case strings:

    SEM = 0.4012 * NLI + 0.2785 * BERT + 0.3201 * PHON

each part min-max scaled to its bounds and clipped to [0, 1]:

- BERT: BERTScore F1 (bert_score 0.3.13, roberta-large, layer 17, rescaled with bert_score's baseline
  for roberta-large and `lang="en"`), bounds [-0.1180, 1];
- NLI: probability of label 0 (entailment) from `ynie/roberta-large-snli_mnli_fever_anli_R1_R2_R3-nli`,
  the mean of (reference -> hypothesis) and (hypothesis -> reference), bounds
  [0.0028752246871590614, 0.9661698341369629];
- PHON: Jaro-Winkler similarity of the Soundex codes of the two whole sentences, bounds [0.5, 1].

An utterance keeps the higher of its two references' SEM; the split's SEM is the mean x 100.

The two models are never downloaded: they come from local folders (`bert_model`, `nli_model`) or the
local Hugging Face cache, read with HF_HUB_OFFLINE=1. Without one of them SEM is not computed:
`SemanticScore.sem` is None and `missing` says why; the phonetic part, which needs no model, is always
given. A local BERT model needs a rescale baseline: bert_score ships one for roberta-large (used when the
model is roberta-large, recognised by its hub name or its configuration), and any other model needs a
baseline file in bert_score's format (`bert_baseline`); sapsoup never invents one.

Two details differ from calling bert_score on every pair, and give the same numbers: a pair with an
empty side is not sent to bert_score (0.3.13 crashes on empty strings with transformers 5) but gets
the raw F1 of 0 that bert_score assigns to empty sentences; and the baseline rescaling is applied here
(bert_score looks its baseline up by model name and silently skips rescaling for a local path).
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import jellyfish

from sapsoup.validate.normalize import clean_hypothesis

os.environ["HF_HUB_OFFLINE"] = "1"  # before transformers or huggingface_hub are imported (lazily, below)

NLI_WEIGHT = 0.4012
BERT_WEIGHT = 0.2785
PHONETIC_WEIGHT = 0.3201
BERT_BOUNDS = (-0.1180, 1.0)
NLI_BOUNDS = (0.0028752246871590614, 0.9661698341369629)
PHONETIC_BOUNDS = (0.5, 1.0)

BERT_HUB_NAMES = ("roberta-large", "FacebookAI/roberta-large")
NLI_HUB_NAMES = ("ynie/roberta-large-snli_mnli_fever_anli_R1_R2_R3-nli",)
ROBERTA_LARGE_LAYER = 17
ROBERTA_LARGE_SHAPE = {"model_type": "roberta", "num_hidden_layers": 24, "hidden_size": 1024, "vocab_size": 50265}
ENTAILMENT_LABEL = 0


class SemanticModelError(ValueError):
    """A model or baseline the caller named cannot be used (missing, unreadable or the wrong kind)."""


@dataclass
class UtteranceSemantic:
    """One utterance, in percent. `sem` is the higher of its two references' SEM ("reference" names
    which: "ref1", "ref2" or "tie"); each part is the higher of its two references' scaled value."""

    sem: float | None
    phonetic: float
    bert: float | None
    nli: float | None
    reference: str | None


@dataclass
class SemanticScore:
    """A split, in percent: means of the per-utterance values.

    `sem`, `bert`, `nli` are None when their model was not available; `missing` then says why.
    `bert_setup` names the BERT model, layer and baseline used, when BERT was computed.
    """

    sem: float | None
    phonetic: float
    bert: float | None
    nli: float | None
    per_utterance: list[UtteranceSemantic]
    missing: str | None
    bert_setup: str | None = None


def scale(value: float, bounds: tuple[float, float]) -> float:
    """Min-max scale to [0, 1] with the organisers' bounds, clipped at both ends."""
    low, high = bounds
    return min(max((value - low) / (high - low), 0.0), 1.0)


def phonetic_similarity(hypothesis: str, reference: str) -> float:
    """Raw PHON: Jaro-Winkler similarity of the two sentences' Soundex codes (one 4-character code each,
    so only the first letters really count: that is the organisers' formula, kept as is)."""
    return jellyfish.jaro_winkler_similarity(jellyfish.soundex(hypothesis), jellyfish.soundex(reference))


def semantic_score(
    hypotheses: list[str],
    ref1: list[str],
    ref2: list[str],
    bert_model: str | None = None,
    nli_model: str | None = None,
    *,
    bert_num_layers: int | None = None,
    bert_baseline: str | None = None,
    hf_cache: str | None = None,
    device: str | None = None,
    batch_size: int = 16,
    progress: bool = False,
) -> SemanticScore:
    """SEM of raw hypotheses against `ref1`/`ref2` lines (all cleaned with the hypothesis rule first).

    `bert_model`/`nli_model` are local folders; None looks the organisers' models up in the local
    Hugging Face cache (`hf_cache`, default the usual one). Raises SemanticModelError for a folder or
    baseline that was named but cannot be used, and ValueError for lists of unequal length.
    """
    if not len(hypotheses) == len(ref1) == len(ref2):
        raise ValueError(
            f"line counts differ: {len(hypotheses)} hypotheses, {len(ref1)} ref1 lines, {len(ref2)} ref2 lines"
        )
    if not hypotheses:
        raise ValueError("no utterances to score: the split is empty")
    hyps = [clean_hypothesis(h) for h in hypotheses]
    refs = ([clean_hypothesis(r) for r in ref1], [clean_hypothesis(r) for r in ref2])

    phonetic = [[scale(phonetic_similarity(h, r), PHONETIC_BOUNDS) for h, r in zip(hyps, side)] for side in refs]

    reasons = []
    bert, bert_setup = None, None
    bert_source = _resolve_bert(bert_model, bert_num_layers, bert_baseline, hf_cache, reasons)
    nli_source = _resolve_model(nli_model, NLI_HUB_NAMES, "NLI", hf_cache, reasons)
    device = device or _default_device()
    with _progress_bar(progress) as bar:
        if bert_source is not None:
            path, layers, baseline_f, bert_setup = bert_source
            bert = _bert_parts(path, layers, baseline_f, hyps, refs, device, batch_size, bar)
        nli = _nli_parts(nli_source, hyps, refs, device, batch_size, bar) if nli_source is not None else None

    per_utterance = [_combine(i, phonetic, bert, nli) for i in range(len(hyps))]
    return SemanticScore(
        sem=_mean([u.sem for u in per_utterance]),
        phonetic=_mean([u.phonetic for u in per_utterance]),
        bert=_mean([u.bert for u in per_utterance]),
        nli=_mean([u.nli for u in per_utterance]),
        per_utterance=per_utterance,
        missing="; ".join(reasons) if reasons else None,
        bert_setup=bert_setup,
    )


def _combine(index, phonetic, bert, nli) -> UtteranceSemantic:
    phon = [side[index] for side in phonetic]
    bert_pair = [side[index] for side in bert] if bert is not None else None
    nli_pair = [side[index] for side in nli] if nli is not None else None
    sem, reference = None, None
    if bert_pair is not None and nli_pair is not None:
        per_reference = [
            NLI_WEIGHT * n + BERT_WEIGHT * b + PHONETIC_WEIGHT * p for n, b, p in zip(nli_pair, bert_pair, phon)
        ]
        sem = max(per_reference)
        if per_reference[0] == per_reference[1]:
            reference = "tie"
        else:
            reference = "ref1" if per_reference[0] > per_reference[1] else "ref2"
    return UtteranceSemantic(
        sem=_percent(sem),
        phonetic=100.0 * max(phon),
        bert=_percent(max(bert_pair)) if bert_pair else None,
        nli=_percent(max(nli_pair)) if nli_pair else None,
        reference=reference,
    )


def _percent(value):
    return None if value is None else 100.0 * value


def _mean(values):
    if any(v is None for v in values):
        return None
    return sum(values) / len(values)


# --------------------------------------------------------------------------------------------------
# Finding the models (local folders or the local Hugging Face cache, never a download)
# --------------------------------------------------------------------------------------------------


def _resolve_model(path: str | None, hub_names, what: str, hf_cache: str | None, reasons: list) -> Path | None:
    """The folder of a model: the one named (which must exist), else the local cache's copy, else None
    with the reason appended to `reasons`."""
    if path is not None:
        folder = Path(path)
        if not (folder / "config.json").is_file():
            raise SemanticModelError(f"{what} model {path}: not a folder with a config.json")
        return folder
    cached = _from_hf_cache(hub_names, hf_cache)
    if cached is None:
        reasons.append(
            f"{what} model {hub_names[0]} is not in the local Hugging Face cache and no local folder was given"
        )
    return cached


def _from_hf_cache(hub_names, hf_cache: str | None) -> Path | None:
    from huggingface_hub import try_to_load_from_cache

    for name in hub_names:
        found = try_to_load_from_cache(name, "config.json", cache_dir=hf_cache)
        if isinstance(found, str):
            return Path(found).parent
    return None


def _resolve_bert(path, num_layers, baseline, hf_cache, reasons):
    """(folder, layer, baseline F1 at that layer, description) for BERTScore, or None with a reason."""
    folder = _resolve_model(path, BERT_HUB_NAMES, "BERTScore", hf_cache, reasons)
    if folder is None:
        return None
    config = _read_config(folder)
    is_roberta_large = path is None or all(config.get(k) == v for k, v in ROBERTA_LARGE_SHAPE.items())
    if num_layers is None:
        num_layers = ROBERTA_LARGE_LAYER if is_roberta_large else config.get("num_hidden_layers")
        if not isinstance(num_layers, int):
            raise SemanticModelError(f"BERTScore model {folder}: config.json has no num_hidden_layers")
    if baseline is None:
        if not is_roberta_large:
            reasons.append(
                f"BERTScore model {folder} is not roberta-large and no rescale baseline was given "
                "(bert_score ships baselines only for named models)"
            )
            return None
        baseline = _shipped_roberta_large_baseline()
    baseline_f = read_baseline_f1(baseline, num_layers)
    setup = f"{folder} layer {num_layers}, baseline {baseline}"
    return folder, num_layers, baseline_f, setup


def _read_config(folder: Path) -> dict:
    try:
        return json.loads((folder / "config.json").read_text())
    except (OSError, ValueError) as error:
        raise SemanticModelError(f"{folder / 'config.json'}: unreadable ({error})") from None


def _shipped_roberta_large_baseline() -> str:
    import bert_score

    return str(Path(bert_score.__file__).parent / "rescale_baseline" / "en" / "roberta-large.tsv")


def read_baseline_f1(path: str, layer: int) -> float:
    """The F1 baseline of one layer from a bert_score baseline file (CSV: LAYER,P,R,F; one row per layer)."""
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as error:
        raise SemanticModelError(f"BERTScore baseline {path}: cannot read it ({error.strerror})") from None
    header = [h.strip() for h in lines[0].split(",")] if lines else []
    if header[:1] != ["LAYER"] or "F" not in header:
        raise SemanticModelError(f"BERTScore baseline {path}: expected a 'LAYER,P,R,F' header")
    column = header.index("F")
    for line in lines[1:]:
        cells = line.split(",")
        if cells and cells[0].strip() == str(layer):
            try:
                return float(cells[column])
            except (IndexError, ValueError):
                raise SemanticModelError(f"BERTScore baseline {path}: unreadable row for layer {layer}") from None
    raise SemanticModelError(f"BERTScore baseline {path}: no row for layer {layer}")


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


# --------------------------------------------------------------------------------------------------
# The two model-based parts
# --------------------------------------------------------------------------------------------------


def _bert_parts(folder, layers, baseline_f, hyps, refs, device, batch_size, bar) -> list[list[float]]:
    """Scaled BERT part per reference side and utterance."""
    from bert_score import BERTScorer

    try:
        scorer = BERTScorer(model_type=str(folder), num_layers=layers, lang="en", device=device, batch_size=batch_size)
    except Exception as error:  # transformers raises many kinds; name the folder, not a traceback
        raise SemanticModelError(f"BERTScore model {folder}: cannot load it ({_first_line(error)})") from None
    pairs = [(side, i) for side in range(2) for i in range(len(hyps)) if hyps[i].strip() and refs[side][i].strip()]
    raw = {key: 0.0 for key in ((side, i) for side in range(2) for i in range(len(hyps)))}
    task = bar.add_task("BERTScore", total=len(pairs)) if bar is not None else None
    for start in range(0, len(pairs), batch_size):
        chunk = pairs[start:start + batch_size]
        # The organisers pass the reference as bert_score's candidate; F1 does not depend on the order.
        _, _, f1 = scorer.score([refs[s][i] for s, i in chunk], [hyps[i] for s, i in chunk], batch_size=batch_size)
        for key, value in zip(chunk, f1.tolist()):
            raw[key] = value
        if bar is not None:
            bar.advance(task, len(chunk))
    return [
        [scale((raw[(side, i)] - baseline_f) / (1 - baseline_f), BERT_BOUNDS) for i in range(len(hyps))]
        for side in range(2)
    ]


def _nli_parts(folder, hyps, refs, device, batch_size, bar) -> list[list[float]]:
    """Scaled NLI part per reference side and utterance: P(entailment) averaged over both directions."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), use_fast=False, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(str(folder), local_files_only=True)
    except Exception as error:
        raise SemanticModelError(f"NLI model {folder}: cannot load it ({_first_line(error)})") from None
    labels = {int(k): str(v).lower() for k, v in (model.config.id2label or {}).items()}
    if model.config.num_labels != 3 or not _is_entailment_or_generic(labels.get(ENTAILMENT_LABEL, "")):
        raise SemanticModelError(
            f"NLI model {folder}: SEM needs 3 labels with entailment as label 0, found {sorted(labels.items())}"
        )
    model.to(device).eval()
    max_length = min(tokenizer.model_max_length, model.config.max_position_embeddings)
    pairs = [(premise, hypothesis) for side in refs for r, h in zip(side, hyps) for premise, hypothesis in ((r, h), (h, r))]
    probabilities = []
    task = bar.add_task("NLI", total=len(pairs)) if bar is not None else None
    with torch.no_grad():
        for start in range(0, len(pairs), batch_size):
            chunk = pairs[start:start + batch_size]
            inputs = tokenizer(
                [p for p, _ in chunk], [h for _, h in chunk],
                truncation=True, max_length=max_length, padding=True, return_tensors="pt",
            ).to(device)
            logits = model(**inputs).logits
            probabilities.extend(torch.softmax(logits.float(), dim=-1)[:, ENTAILMENT_LABEL].tolist())
            if bar is not None:
                bar.advance(task, len(chunk))
    n = len(hyps)
    sides = []
    for side in range(2):
        both = probabilities[side * 2 * n:(side + 1) * 2 * n]
        sides.append([scale((both[2 * i] + both[2 * i + 1]) / 2, NLI_BOUNDS) for i in range(n)])
    return sides


def _is_entailment_or_generic(label: str) -> bool:
    """The organisers' model names label 0 "entailment"; a bare "label_0" cannot be checked and is
    taken on trust, as the organisers' code does; any other name is a different label order."""
    return label.startswith("entail") or label in ("label_0", "")


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class _NoBar:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _progress_bar(show: bool):
    if not show:
        return _NoBar()
    from rich.progress import Progress

    return Progress(transient=True)
