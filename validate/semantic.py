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

The numbers are the organisers' whatever transformers version is installed. They ran
`utils/metrics.py` with transformers 4 and bert_score 0.3.13; under transformers 5 bert_score itself
tokenises differently (the first word loses its leading-space token) and crashes on empty sentences.
So sapsoup does not call bert_score: it computes BERTScore here with bert_score's tokens (the
transformers 4 ones), batches, padding and float32 arithmetic, applies the baseline rescaling itself
(bert_score looks its baseline up by model name and silently skips it for a local path), and scores
each NLI pair alone, as the organisers did, with the pair's tokens built as transformers 4 built them.
The residue is bert_score's own: it embeds sentences in an order taken from a Python set, which
changes from one process to the next, and padding moves an embedding by a few float32 units; the
organisers' scores move by that much from run to run (tests/test_semantic.py measures it).
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import jellyfish

from sapsoup.editions.sapc1 import clean as clean_hypothesis
from sapsoup.errors import SapsoupError

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
BERTSCORE_BATCH = 64  # bert_score.score's default batch, the one the organisers' call used


class SemanticModelError(SapsoupError, ValueError):
    """A model or baseline the caller named cannot be used (missing, unreadable or the wrong kind)."""


@dataclass
class ReferenceSemantic:
    """One utterance against one reference, in percent: SEM and its three scaled parts (a part is
    None when its model was not available)."""

    sem: float | None
    phonetic: float
    bert: float | None
    nli: float | None


@dataclass
class UtteranceSemantic:
    """One utterance, in percent. `sem` is the higher of its two references' SEM ("reference" names
    which: "ref1", "ref2" or "tie"); each part is the higher of its two references' scaled value.
    `ref1`/`ref2` hold the values against each reference, the ones the choice was made on."""

    sem: float | None
    phonetic: float
    bert: float | None
    nli: float | None
    reference: str | None
    ref1: ReferenceSemantic | None = None
    ref2: ReferenceSemantic | None = None


@dataclass
class SemanticScore:
    """A split, in percent: means of the per-utterance values.

    `sem`, `bert`, `nli` are None when their model was not available; `missing` then says why.
    `bert_setup` names the BERT model, layer and baseline used, when BERT was computed.
    `versions` names the libraries SEM was computed with ("transformers", "bert_score", "torch"): the
    organisers ran transformers 4 with bert_score 0.3.13, and sapsoup reproduces their tokenisation
    under transformers 5 too, so a report should show these next to SEM.
    """

    sem: float | None
    phonetic: float
    bert: float | None
    nli: float | None
    per_utterance: list[UtteranceSemantic]
    missing: str | None
    bert_setup: str | None = None
    versions: dict[str, str] | None = None


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries SEM depends on, from the package metadata (bert_score
    0.3.13's own `__version__` says 0.3.12)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name, distribution in (("transformers", "transformers"), ("bert_score", "bert-score"), ("torch", "torch")):
        try:
            found[name] = version(distribution)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


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
    batch_size: int = BERTSCORE_BATCH,
    progress: bool = False,
) -> SemanticScore:
    """SEM of raw hypotheses against `ref1`/`ref2` lines (all cleaned with the hypothesis rule first).

    `bert_model`/`nli_model` are local folders; None looks the organisers' models up in the local
    Hugging Face cache (`hf_cache`, default the usual one). `batch_size` is BERTScore's batch: 64 is
    bert_score's default, the one the organisers ran, and another value can move BERT by float32
    rounding (NLI pairs are always scored one at a time, as the organisers scored them). Raises
    SemanticModelError for a folder or baseline that was named but cannot be used, and ValueError for
    lists of unequal length or a batch size below 1.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size {batch_size}: must be at least 1")
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
        versions=library_versions(),
    )


def _combine(index, phonetic, bert, nli) -> UtteranceSemantic:
    """One utterance from the scaled parts (fractions); the reference is chosen on the fractions, as
    the organisers compare them, before anything is turned into percent."""
    per_reference = []
    for side in range(2):
        b = None if bert is None else bert[side][index]
        n = None if nli is None else nli[side][index]
        sem = None if b is None or n is None else NLI_WEIGHT * n + BERT_WEIGHT * b + PHONETIC_WEIGHT * phonetic[side][index]
        per_reference.append((sem, phonetic[side][index], b, n))
    (sem1, *_), (sem2, *_) = per_reference
    reference = None
    if sem1 is not None:
        reference = "tie" if sem1 == sem2 else ("ref1" if sem1 > sem2 else "ref2")
    first, second = (ReferenceSemantic(*(_percent(v) for v in values)) for values in per_reference)
    return UtteranceSemantic(
        sem=None if sem1 is None else _percent(sem1 if sem1 > sem2 else sem2),
        phonetic=max(first.phonetic, second.phonetic),
        bert=None if bert is None else max(first.bert, second.bert),
        nli=None if nli is None else max(first.nli, second.nli),
        reference=reference,
        ref1=first,
        ref2=second,
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
# BERTScore, computed as bert_score 0.3.13 computed it for the organisers (under transformers 4)
# --------------------------------------------------------------------------------------------------


def bertscore_token_ids(tokenizer, sentence: str) -> list[int]:
    """The token ids bert_score 0.3.13 gave `sentence` under transformers 4.

    bert_score strips the sentence and asks a RoBERTa or GPT-2 tokenizer for `add_prefix_space=True`, so
    the first word is tokenised as if a space preceded it ("ĠTHE", like every later word). Transformers 5
    ignores that argument and tokenises the first word as "THE", which moves every BERTScore; writing
    the space in front of the text gives transformers 4's tokens under either version. Other
    tokenizers get no space, as in bert_score. Too long a sentence keeps its first tokens (the
    tokenizer's `model_max_length` counts the two special tokens); an empty one is just the two.
    """
    text = sentence.strip()
    if not text:
        return [tokenizer.cls_token_id, tokenizer.sep_token_id]
    if _adds_prefix_space(tokenizer):
        text = " " + text
    ids = tokenizer.encode(text, add_special_tokens=False)
    return [tokenizer.cls_token_id] + ids[: max(tokenizer.model_max_length - 2, 0)] + [tokenizer.sep_token_id]


def _adds_prefix_space(tokenizer) -> bool:
    """bert_score's test: the tokenizer is (a subclass of) the RoBERTa or GPT-2 tokenizer."""
    names = {cls.__name__ for cls in type(tokenizer).__mro__}
    return bool(names & {"RobertaTokenizer", "RobertaTokenizerFast", "GPT2Tokenizer", "GPT2TokenizerFast"})


def bertscore_f1(model, tokenizer, candidates: list[str], references: list[str], batch_size: int = 64) -> list[float]:
    """Raw BERTScore F1 of each (candidate, reference) pair, without idf and without rescaling, with
    bert_score 0.3.13's arithmetic and batches, so that padding acts as it did for the organisers.

    Two stages, as in bert_score: (1) every distinct sentence is embedded once, longest (in words)
    first, `batch_size` at a time, padded to the longest in its batch; bert_score takes the distinct
    sentences from a set, whose order changes from one Python process to the next, so the organisers'
    own values move by that much (see the tests); here equal word counts keep their first-seen order.
    (2) the pairs, `batch_size` at a time in input order, are padded to the longest of the batch with
    vectors of 2.0 and greedy-matched on cosine similarity; padded positions count as similarity 0, so
    a token whose best real match is negative scores 0 when its pair is shorter than the batch's
    longest. A pair with an empty side gets F1 0. Values are float32, as bert_score returns them.
    """
    import torch
    from torch.nn.utils.rnn import pad_sequence

    device = next(model.parameters()).device
    special = {tokenizer.cls_token_id, tokenizer.sep_token_id}
    distinct = sorted(dict.fromkeys(references + candidates), key=lambda s: len(s.split(" ")), reverse=True)
    embedded = {}
    with torch.no_grad():
        for start in range(0, len(distinct), batch_size):
            batch = distinct[start:start + batch_size]
            ids = [bertscore_token_ids(tokenizer, s) for s in batch]
            longest = max(len(x) for x in ids)
            input_ids = torch.full((len(batch), longest), tokenizer.pad_token_id, dtype=torch.long)
            attention = torch.zeros((len(batch), longest), dtype=torch.long)
            for row, x in enumerate(ids):
                input_ids[row, : len(x)] = torch.tensor(x, dtype=torch.long)
                attention[row, : len(x)] = 1
            hidden = model(input_ids.to(device), attention_mask=attention.to(device))[0].cpu()
            for row, (sentence, x) in enumerate(zip(batch, ids)):
                weights = torch.tensor([0.0 if t in special else 1.0 for t in x], dtype=torch.float)
                embedded[sentence] = (hidden[row, : len(x)], weights)

    def padded(sentences):
        vectors, weights = zip(*(embedded[s] for s in sentences))
        lengths = torch.tensor([v.size(0) for v in vectors], dtype=torch.long)
        present = torch.arange(int(lengths.max())).expand(len(vectors), -1) < lengths.unsqueeze(1)
        return (
            pad_sequence([v.to(device) for v in vectors], batch_first=True, padding_value=2.0),
            present.to(device),
            pad_sequence([w.to(device) for w in weights], batch_first=True),
        )

    f1 = []
    with torch.no_grad():
        for start in range(0, len(candidates), batch_size):
            ref_vectors, ref_present, ref_weights = padded(references[start:start + batch_size])
            cand_vectors, cand_present, cand_weights = padded(candidates[start:start + batch_size])
            ref_vectors = ref_vectors / torch.norm(ref_vectors, dim=-1).unsqueeze(-1)
            cand_vectors = cand_vectors / torch.norm(cand_vectors, dim=-1).unsqueeze(-1)
            similarity = torch.bmm(cand_vectors, ref_vectors.transpose(1, 2))
            similarity = similarity * torch.bmm(cand_present.unsqueeze(2).float(), ref_present.unsqueeze(1).float())
            precision_weights = cand_weights / cand_weights.sum(dim=1, keepdim=True)
            recall_weights = ref_weights / ref_weights.sum(dim=1, keepdim=True)
            precision = (similarity.max(dim=2)[0] * precision_weights).sum(dim=1)
            recall = (similarity.max(dim=1)[0] * recall_weights).sum(dim=1)
            f = 2 * precision * recall / (precision + recall)
            f1.extend(f.masked_fill(torch.isnan(f), 0.0).cpu().tolist())
    return f1


def rescale_f1(raw_f1: list[float], baseline_f1: float) -> list[float]:
    """bert_score's rescaling, (F - baseline) / (1 - baseline), in float32 as bert_score does it."""
    import torch

    baseline = torch.tensor(baseline_f1, dtype=torch.float)
    return ((torch.tensor(raw_f1, dtype=torch.float) - baseline) / (1 - baseline)).tolist()


def _bert_parts(folder, layers, baseline_f, hyps, refs, device, batch_size, bar) -> list[list[float]]:
    """Scaled BERT part per reference side and utterance, one bert_score call per side as the organisers
    made it: the reference is bert_score's candidate and the hypothesis its reference."""
    tokenizer, model = _load_bert(folder, layers, device)
    task = bar.add_task("BERTScore", total=2) if bar is not None else None
    sides = []
    for side in refs:
        rescaled = rescale_f1(bertscore_f1(model, tokenizer, list(side), list(hyps), batch_size), baseline_f)
        sides.append([scale(value, BERT_BOUNDS) for value in rescaled])
        if bar is not None:
            bar.advance(task)
    return sides


def _load_bert(folder, layers, device):
    """Tokenizer and model as bert_score loads them (slow tokenizer where there is one), the model cut
    after `layers` layers so that its output is that layer's."""
    from transformers import AutoModel, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), use_fast=False, local_files_only=True)
        model = AutoModel.from_pretrained(str(folder), local_files_only=True)
    except Exception as error:  # transformers raises many kinds; name the folder, not a traceback
        raise SemanticModelError(f"BERTScore model {folder}: cannot load it ({_first_line(error)})") from None
    encoder_layers = getattr(getattr(model, "encoder", None), "layer", None)
    if encoder_layers is None:
        raise SemanticModelError(f"BERTScore model {folder}: not a BERT-style encoder (no encoder.layer)")
    if not 0 <= layers <= len(encoder_layers):
        raise SemanticModelError(f"BERTScore model {folder}: has {len(encoder_layers)} layers, layer {layers} asked")
    model.encoder.layer = encoder_layers[:layers]
    return tokenizer, model.float().eval().to(device)


# --------------------------------------------------------------------------------------------------
# NLI, one pair at a time as the organisers scored it
# --------------------------------------------------------------------------------------------------


def nli_pair_ids(tokenizer, premise: str, hypothesis: str) -> list[int]:
    """The input ids the organisers' tokenizer call gave (premise, hypothesis) under transformers 4:
    `<s> premise </s></s> hypothesis </s>`, each side tokenised on its own without a leading space,
    cut to `model_max_length` by dropping the last token of the longer side (of the hypothesis on a
    tie) until it fits. Built here because transformers 5 drops the second `</s></s>` ... `</s>` part
    when the hypothesis is empty."""
    first = tokenizer.encode(premise, add_special_tokens=False) if premise else []
    second = tokenizer.encode(hypothesis, add_special_tokens=False) if hypothesis else []
    excess = len(first) + len(second) + 4 - tokenizer.model_max_length
    while excess > 0 and (first or second):
        if len(first) > len(second):
            first = first[:-1]
        else:
            second = second[:-1]
        excess -= 1
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    return [cls] + first + [sep, sep] + second + [sep]


def nli_entailment(model, tokenizer, premise: str, hypothesis: str) -> float:
    """P(entailment) of one pair, alone in its batch (no padding), in float32 as the organisers got it."""
    import torch

    device = next(model.parameters()).device
    ids = torch.tensor([nli_pair_ids(tokenizer, premise, hypothesis)], dtype=torch.long, device=device)
    with torch.no_grad():
        logits = model(ids, attention_mask=torch.ones_like(ids), token_type_ids=torch.zeros_like(ids)).logits
    return torch.softmax(logits, 1)[0, ENTAILMENT_LABEL].item()


def mean_of_directions(forward: float, backward: float) -> float:
    """The organisers' mean of two float32 probabilities: summed in float32 (numpy), halved in float64."""
    import numpy as np

    return float(np.float32(forward) + np.float32(backward)) / 2.0


def _nli_parts(folder, hyps, refs, device, batch_size, bar) -> list[list[float]]:
    """Scaled NLI part per reference side and utterance: P(entailment) averaged over both directions.
    Identical pairs are scored once: alone in its batch, a pair's probability does not depend on the
    other pairs, so this gives the organisers' numbers."""
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
    if not _adds_prefix_space(tokenizer):
        raise SemanticModelError(
            f"NLI model {folder}: SEM's NLI model is a RoBERTa model, this one has a {type(tokenizer).__name__}"
        )
    model.float().eval().to(device)
    pairs = {(p, h) for side in refs for r, h in zip(side, hyps) for p, h in ((r, h), (h, r))}
    task = bar.add_task("NLI", total=len(pairs)) if bar is not None else None
    probability = {}
    for premise, hypothesis in sorted(pairs):
        probability[(premise, hypothesis)] = nli_entailment(model, tokenizer, premise, hypothesis)
        if bar is not None:
            bar.advance(task)
    return [
        [scale(mean_of_directions(probability[(r, h)], probability[(h, r)]), NLI_BOUNDS) for r, h in zip(side, hyps)]
        for side in refs
    ]


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
