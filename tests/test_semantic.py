"""SEM: the organisers' formula, weights and bounds, run end to end with tiny random models.

The tiny models are RoBERTa-shaped (byte-level tokenizer, 2 layers, width 16) and built here, so the
whole path (tokenizer, bert_score, NLI classifier, scaling, max over references) runs offline in
seconds. Their numbers mean nothing; the tests check how the numbers are put together.
"""

import json
from pathlib import Path

import jellyfish
import pytest
import torch
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    RobertaConfig,
    RobertaForSequenceClassification,
    RobertaModel,
    RobertaTokenizer,
)

from sapsoup.validate.semantic import (
    BERT_BOUNDS,
    BERT_WEIGHT,
    NLI_BOUNDS,
    NLI_WEIGHT,
    PHONETIC_BOUNDS,
    PHONETIC_WEIGHT,
    SemanticModelError,
    phonetic_similarity,
    read_baseline_f1,
    scale,
    semantic_score,
)

TINY_BASELINE_F1 = 0.5


def _byte_symbols() -> list[str]:
    """The 256 characters a byte-level BPE tokenizer uses for the 256 byte values."""
    visible = set(range(ord("!"), ord("~") + 1)) | set(range(0xA1, 0xAD)) | set(range(0xAE, 0x100))
    symbols, spare = [], 0x100
    for byte in range(256):
        if byte in visible:
            symbols.append(chr(byte))
        else:
            symbols.append(chr(spare))
            spare += 1
    return symbols


def _tiny_roberta(folder, classifier: bool, id2label=None):
    folder.mkdir()
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for symbol in _byte_symbols():
        vocab.setdefault(symbol, len(vocab))
    vocab["<mask>"] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    RobertaTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=60).save_pretrained(
        folder
    )
    torch.manual_seed(0)
    config = RobertaConfig(
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64, num_labels=3,
    )
    if id2label:
        config.id2label = id2label
        config.label2id = {v: k for k, v in id2label.items()}
    model = RobertaForSequenceClassification(config) if classifier else RobertaModel(config)
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-models")
    bert = _tiny_roberta(root / "bert", classifier=False)
    nli = _tiny_roberta(root / "nli", classifier=True, id2label={0: "entailment", 1: "neutral", 2: "contradiction"})
    baseline = root / "baseline.tsv"
    baseline.write_text("LAYER,P,R,F\n0,0.1,0.1,0.1\n1,0.2,0.2,0.2\n2,0.5,0.5,0.5\n")
    return {"bert": str(bert), "nli": str(nli), "baseline": str(baseline), "root": root}


def full_score(models, hypotheses, ref1, ref2=None):
    return semantic_score(
        hypotheses, ref1, ref2 if ref2 is not None else ref1,
        bert_model=models["bert"], nli_model=models["nli"], bert_baseline=models["baseline"], device="cpu",
    )


def nli_entailment(folder, premise, hypothesis):
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    with torch.no_grad():
        logits = model(**tokenizer(premise, hypothesis, return_tensors="pt")).logits
    return torch.softmax(logits, dim=-1)[0, 0].item()


# ---- formula pieces ---------------------------------------------------------------------------


def test_weights_and_bounds_are_the_organisers():
    assert (NLI_WEIGHT, BERT_WEIGHT, PHONETIC_WEIGHT) == (0.4012, 0.2785, 0.3201)
    assert BERT_BOUNDS == (-0.1180, 1.0)
    assert NLI_BOUNDS == (0.0028752246871590614, 0.9661698341369629)
    assert PHONETIC_BOUNDS == (0.5, 1.0)


def test_scale_maps_the_bounds_to_zero_and_one():
    assert scale(0.5, PHONETIC_BOUNDS) == 0.0
    assert scale(0.75, PHONETIC_BOUNDS) == 0.5
    assert scale(1.0, PHONETIC_BOUNDS) == 1.0


def test_scale_clips_outside_the_bounds():
    assert scale(-3.0, BERT_BOUNDS) == 0.0
    assert scale(1.5, BERT_BOUNDS) == 1.0


def test_phonetic_similarity_compares_whole_sentence_soundex_codes():
    # Soundex keeps the first letter and three consonant classes: both sentences code to H464.
    assert phonetic_similarity("HELLO WORLD", "HOLLOW WORLDS") == 1.0
    expected = jellyfish.jaro_winkler_similarity(jellyfish.soundex("CAT"), jellyfish.soundex("DOG"))
    assert phonetic_similarity("CAT", "DOG") == expected


def test_baseline_file_gives_the_f1_of_the_chosen_layer(models):
    assert read_baseline_f1(models["baseline"], 2) == 0.5


def test_baseline_file_without_the_layer_is_refused(models):
    with pytest.raises(SemanticModelError, match="no row for layer 9"):
        read_baseline_f1(models["baseline"], 9)


def test_shipped_roberta_large_baseline_gives_the_f1_of_layer_17():
    import bert_score

    shipped = Path(bert_score.__file__).parent / "rescale_baseline" / "en" / "roberta-large.tsv"
    assert read_baseline_f1(str(shipped), 17) == pytest.approx(0.83122575)


# ---- without models ---------------------------------------------------------------------------


def test_without_models_sem_is_not_computed_and_says_why(tmp_path):
    score = semantic_score(["hello world"], ["HELLO WORLD"], ["HELLO WORLD"], hf_cache=str(tmp_path))
    assert score.sem is None and score.bert is None and score.nli is None
    assert "roberta-large is not in the local Hugging Face cache" in score.missing
    assert "ynie/roberta-large-snli_mnli_fever_anli_R1_R2_R3-nli" in score.missing


def test_without_models_the_phonetic_part_is_still_given(tmp_path):
    score = semantic_score(["hello world", "cat"], ["HELLO WORLD", "DOG"], ["HELLO WORLD", "DOG"], hf_cache=str(tmp_path))
    expected_second = 100 * scale(phonetic_similarity("CAT", "DOG"), PHONETIC_BOUNDS)
    assert [u.phonetic for u in score.per_utterance] == [100.0, pytest.approx(expected_second)]
    assert score.phonetic == pytest.approx((100.0 + expected_second) / 2)


def test_phonetic_part_takes_the_better_reference(tmp_path):
    score = semantic_score(["cat"], ["DOG"], ["CAT"], hf_cache=str(tmp_path))
    assert score.phonetic == 100.0


def test_inputs_are_cleaned_before_scoring(tmp_path):
    score = semantic_score(["cat!"], ["CAT"], ["CAT"], hf_cache=str(tmp_path))
    assert score.phonetic == 100.0


def test_named_model_folder_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(SemanticModelError, match=f"NLI model {tmp_path / 'nope'}"):
        semantic_score(["a"], ["A"], ["A"], nli_model=str(tmp_path / "nope"), hf_cache=str(tmp_path))


def test_unequal_lengths_are_refused():
    with pytest.raises(ValueError, match="line counts differ"):
        semantic_score(["a", "b"], ["A"], ["A"])


def test_local_bert_model_without_a_baseline_is_not_rescaled_by_guess(models, tmp_path):
    score = semantic_score(["a"], ["A"], ["A"], bert_model=models["bert"], nli_model=models["nli"], device="cpu")
    assert score.sem is None and score.bert is None
    assert "not roberta-large and no rescale baseline" in score.missing
    assert score.nli is not None


def test_roberta_large_configuration_gets_the_shipped_baseline_and_layer_17(tmp_path):
    from sapsoup.validate.semantic import _resolve_bert

    folder = tmp_path / "roberta-large-copy"
    folder.mkdir()
    shape = {"model_type": "roberta", "num_hidden_layers": 24, "hidden_size": 1024, "vocab_size": 50265}
    (folder / "config.json").write_text(json.dumps(shape))
    _, layer, baseline_f1, setup = _resolve_bert(str(folder), None, None, str(tmp_path), [])
    assert layer == 17 and baseline_f1 == pytest.approx(0.83122575)
    assert "roberta-large.tsv" in setup


def test_models_are_found_in_the_local_hugging_face_cache(models, tmp_path):
    import shutil

    snapshot = tmp_path / "models--ynie--roberta-large-snli_mnli_fever_anli_R1_R2_R3-nli" / "snapshots" / "abc123"
    shutil.copytree(models["nli"], snapshot)
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("abc123")
    score = semantic_score(["a b"], ["A B"], ["A B"], hf_cache=str(tmp_path), device="cpu")
    assert score.nli is not None
    assert "BERTScore model roberta-large is not in the local Hugging Face cache" in score.missing


# ---- the whole path with tiny random models ---------------------------------------------------


def test_full_path_computes_sem_with_both_models(models):
    score = full_score(models, ["hello world", "turn on the lights"], ["HELLO WORLD", "TURN OFF THE LIGHT"])
    assert score.missing is None
    assert score.sem is not None and 0.0 <= score.sem <= 100.0
    assert "layer 2" in score.bert_setup


def test_sem_is_the_weighted_sum_of_the_scaled_parts(models):
    score = full_score(models, ["turn on the lights", "call mom"], ["TURN OFF THE LIGHT", "CALL DAD NOW"])
    for u in score.per_utterance:
        assert u.sem == pytest.approx(NLI_WEIGHT * u.nli + BERT_WEIGHT * u.bert + PHONETIC_WEIGHT * u.phonetic)


def test_split_sem_is_the_mean_over_utterances(models):
    score = full_score(models, ["turn on the lights", "call mom"], ["TURN OFF THE LIGHT", "CALL DAD NOW"])
    assert score.sem == pytest.approx(sum(u.sem for u in score.per_utterance) / 2)


def test_identical_sentences_get_the_full_bert_part(models):
    # Raw F1 of a sentence with itself is 1, which stays 1 after rescaling and scaling.
    score = full_score(models, ["turn on the lights"], ["TURN ON THE LIGHTS"])
    assert score.bert == pytest.approx(100.0)


def test_bert_part_is_rescaled_with_the_baseline_then_scaled(models):
    from bert_score import BERTScorer

    scorer = BERTScorer(model_type=models["bert"], num_layers=2, lang="en", device="cpu")
    raw = scorer.score(["CALL DAD NOW"], ["CALL MOM"])[2].item()
    expected = 100 * scale((raw - TINY_BASELINE_F1) / (1 - TINY_BASELINE_F1), BERT_BOUNDS)
    score = full_score(models, ["call mom"], ["CALL DAD NOW"])
    assert score.bert == pytest.approx(expected, abs=1e-4)


def test_empty_hypothesis_gets_bert_scores_zero_raw_f1(models):
    score = full_score(models, [""], ["HELLO THERE"])
    assert score.per_utterance[0].bert == 100 * scale((0 - TINY_BASELINE_F1) / (1 - TINY_BASELINE_F1), BERT_BOUNDS)


def test_nli_part_is_entailment_probability_averaged_over_both_directions(models):
    forward = nli_entailment(models["nli"], "CALL DAD NOW", "CALL MOM")
    backward = nli_entailment(models["nli"], "CALL MOM", "CALL DAD NOW")
    score = full_score(models, ["call mom"], ["CALL DAD NOW"])
    assert score.nli == pytest.approx(100 * scale((forward + backward) / 2, NLI_BOUNDS), abs=1e-4)


def test_sem_keeps_the_better_reference(models):
    hypotheses, first, second = ["i want water"], ["I UM UM WANT SOME WATER"], ["I WANT WATER"]
    both = full_score(models, hypotheses, first, second)
    only_first = full_score(models, hypotheses, first)
    only_second = full_score(models, hypotheses, second)
    assert both.sem == pytest.approx(max(only_first.sem, only_second.sem))
    assert both.per_utterance[0].reference == ("ref1" if only_first.sem > only_second.sem else "ref2")


def test_progress_bar_does_not_change_the_numbers(models):
    quiet = full_score(models, ["call mom"], ["CALL DAD NOW"])
    shown = semantic_score(["call mom"], ["CALL DAD NOW"], ["CALL DAD NOW"], bert_model=models["bert"],
                           nli_model=models["nli"], bert_baseline=models["baseline"], device="cpu", progress=True)
    assert shown.sem == pytest.approx(quiet.sem)


def test_nli_model_whose_label_0_is_not_entailment_is_refused(models):
    wrong = _tiny_roberta(
        models["root"] / "nli-wrong-order", classifier=True,
        id2label={0: "contradiction", 1: "neutral", 2: "entailment"},
    )
    with pytest.raises(SemanticModelError, match="entailment as label 0"):
        semantic_score(["a"], ["A"], ["A"], nli_model=str(wrong), bert_model=models["bert"],
                       bert_baseline=models["baseline"], device="cpu")
