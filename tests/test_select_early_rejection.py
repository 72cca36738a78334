"""Early rejection: a trial merge's dev pass stops once it cannot beat the best, and nothing else changes.

The lower bound is checked against full passes on many random dev sets and models for both
editions' primary metrics (SAPC1 WER, SAPC2 CER). Decoding is replaced by a stand-in whose
hypotheses are a known function of the model (errors grow with its distance from a target), so
whole selections run in milliseconds and can be compared exhaustively: with and without early
rejection they must take the same decisions, keep the same models and report the same rates.
"""

import random
from pathlib import Path

import numpy as np
import pytest

from sapsoup import editions
from sapsoup.builder import select as selection
from sapsoup.validate import devscore, devset
from test_select import PROBE, candidate

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar".split()


class StandInModel:
    """A "model" whose transcript of utterance i garbles each reference word with probability `garble`."""

    def __init__(self, garble: float, seed: int = 0):
        self.garble, self.seed = garble, seed

    def text(self, dev, index: int) -> str:
        rng = random.Random(f"{self.seed}/{index}/{self.garble:.9f}")
        words = []
        for word in dev.ref1[index].split():
            roll = rng.random()
            if roll < self.garble / 2:
                words.append(rng.choice(WORDS).upper() if word.isupper() else rng.choice(WORDS))
            elif roll < self.garble:
                continue  # deleted
            else:
                words.append(word)
            if rng.random() < self.garble / 4:
                words.append("zulu")  # inserted
        return " ".join(words)


def make_dev(edition_name: str, count: int, seed: int) -> devscore.DevData:
    """A dev split without audio files: references, durations and the edition's length bounds."""
    edition = editions.get(edition_name)
    rng = random.Random(seed)
    ref1, ref2, meta = [], [], []
    for index in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 9))]
        shorter = words[: max(1, len(words) - rng.randint(0, 3))]
        if edition_name == "sapc2" and index % 5 == 0:
            words = [*words, "unk"]  # no length bound: the hypothesis can lengthen it
        first, second = " ".join(words), " ".join(shorter)
        if edition_name == "sapc1":
            first, second = first.upper(), second.upper()
        ref1.append(first)
        ref2.append(second)
        meta.append(devset.MetaRow(f"u{index}", "S1", "E", "C", rng.choice([2.0, 5.0, 31.0])))
    split = devset.DevSplit("dev", Path("dev"), "", [], ref1, ref2, meta)
    audios = [np.zeros(int(row.duration * 100), np.float32) for row in meta]  # only their lengths are read
    return devscore.DevData(split, audios, f"{edition_name}-{seed}", edition, ref1, ref2,
                            devscore.length_bounds(edition, ref1, ref2), [False] * count,
                            devscore.text_metrics(edition, ref1, ref2))


@pytest.fixture
def stand_in_decoding(monkeypatch):
    """Decode with `StandInModel.text`, counting the utterances decoded."""
    decoded = []

    def decode(model, dev, indices, options, ranks=devscore.Ranks(), on_done=None):
        decoded.extend(indices)
        return {i: model.text(dev, i) for i in indices}

    monkeypatch.setattr(devscore, "decode_utterances", decode)
    return decoded


@pytest.mark.parametrize("edition_name", ["sapc1", "sapc2"])
def test_a_stopped_pass_could_not_have_beaten_the_rate_and_an_unstopped_one_is_the_full_pass(
    edition_name, stand_in_decoding
):
    options = devscore.ScoringOptions(batch_size=3)
    stopped = 0
    for seed in range(30):
        dev = make_dev(edition_name, 20, seed)
        best = devscore.score_model(StandInModel(0.2, seed), dev, options)
        for garble in (0.0, 0.1, 0.2, 0.3, 0.6):
            model = StandInModel(garble, seed + 1)
            full = devscore.score_model(model, dev, options)
            for must_beat in (best.rate, full.rate, full.rate + 1e-9, full.rate - 1e-9, 0.0, 50.0):
                early = devscore.score_model(model, dev, options, must_beat=must_beat, guide=best)
                if early.rejected_after is None:
                    assert (early.rates, early.hypotheses, early.rate_long) == (full.rates, full.hypotheses, full.rate_long)
                    assert early.utterances_decoded == len(dev.audios)
                else:
                    stopped += 1
                    assert must_beat <= early.bound <= full.rate  # so the full pass would not have won either
                    assert early.rate is None and early.rates == {}
                    assert early.utterances_decoded == early.rejected_after < len(dev.audios)
    assert stopped > 100  # the bound does rise above the rate to beat, often


def test_utterances_without_a_length_bound_are_decoded_before_the_first_check(stand_in_decoding):
    dev = make_dev("sapc2", 20, 3)
    unbounded = [i for i, bound in enumerate(dev.bounds) if bound is None]
    assert unbounded == [0, 5, 10, 15]
    early = devscore.score_model(StandInModel(0.9), dev, devscore.ScoringOptions(batch_size=1), must_beat=0.0)
    assert early.rejected_after >= len(unbounded)
    assert set(stand_in_decoding[: len(unbounded)]) == set(unbounded)


def test_the_model_to_beats_worst_utterances_are_decoded_first(stand_in_decoding):
    dev = make_dev("sapc1", 12, 4)
    guide = devscore.score_model(StandInModel(0.4), dev)
    order = devscore.decoding_order(dev, guide)
    errors = [guide.utterance_errors[i] for i in order]
    assert errors == sorted(errors, reverse=True)


# ----------------------------------------------------------------------------- whole selections


@pytest.fixture(scope="module")
def six_candidates(tmp_path_factory):
    folder = tmp_path_factory.mktemp("candidates")
    values = [0.0, 2.0, 0.5, 1.5, 3.0, 1.0]
    return [candidate(folder, f"c{i}", value, seed=i) for i, value in enumerate(values)]


def stand_in_models(monkeypatch, target: float, seed: int):
    """Every model built from tensors garbles in proportion to its PROBE mean's distance from `target`."""

    def build(shape, tensors, device=None):
        return StandInModel(min(0.95, 0.2 * abs(float(tensors[PROBE].mean()) - target)), seed)

    monkeypatch.setattr(devscore, "model_from_tensors", build)


def run(paths, strategy, dev, tmp_path, name, early_stop):
    evaluator = devscore.DevEvaluator(dev, devscore.ScoringOptions(batch_size=2), None, device="cpu")
    trace, merged = selection.select(paths, strategy, evaluator, evaluator.settings(), str(tmp_path / f"{name}.json"),
                                     early_stop=early_stop)
    return trace, merged, evaluator


@pytest.mark.parametrize("edition_name", ["sapc1", "sapc2"])
@pytest.mark.parametrize("strategy", ["smact", "greedy"])
def test_selections_with_early_rejection_keep_the_models_and_rates_of_full_passes(
    edition_name, strategy, six_candidates, stand_in_decoding, monkeypatch, tmp_path
):
    decoded = {True: 0, False: 0}
    rejections = 0
    for case in range(12):
        rng = random.Random(case)
        paths = rng.sample(six_candidates, rng.randint(2, 6))
        dev = make_dev(edition_name, 16, case)
        stand_in_models(monkeypatch, target=rng.choice([0.3, 1.0, 1.7]), seed=case)
        full, full_merged, full_scorer = run(paths, strategy, dev, tmp_path, f"full{case}", early_stop=False)
        early, early_merged, early_scorer = run(paths, strategy, dev, tmp_path, f"early{case}", early_stop=True)
        assert [s.decision for s in early.steps] == [s.decision for s in full.steps]
        assert early.selected == full.selected and early.rates == full.rates and early.rate == full.rate
        assert early.order == full.order
        for fast, slow in zip(early.steps, full.steps):
            if fast.rejected_after is None:
                assert fast.rates == slow.rates
            else:
                assert slow.rate >= fast.bound >= min(s.rate for s in full.steps[: full.steps.index(slow)]
                                                      if s.decision in ("start", "keep"))
        assert all(np.array_equal(early_merged[n], full_merged[n]) for n in full_merged)
        rejections += sum(s.rejected_after is not None for s in early.steps)
        decoded[True] += early_scorer.utterances_decoded
        decoded[False] += full_scorer.utterances_decoded
    assert rejections > 0 and decoded[True] < decoded[False]


def test_the_trace_records_what_each_evaluation_decoded_and_why_a_pass_stopped(
    six_candidates, stand_in_decoding, monkeypatch, tmp_path
):
    dev = make_dev("sapc2", 16, 7)
    stand_in_models(monkeypatch, target=0.0, seed=7)
    trace, _, scorer = run(six_candidates[:5], "smact", dev, tmp_path, "trace", early_stop=True)
    assert trace.metric == "CER" and trace.metrics == ["CER", "WER"]
    assert set(trace.rates) == {"CER", "WER"}
    assert trace.steps[0].utterances_decoded == 16 and trace.steps[0].audio_seconds > 0
    stopped = [s for s in trace.steps if s.rejected_after is not None]
    assert stopped and all(s.utterances_decoded == s.rejected_after < 16 for s in stopped)
    assert selection.rejection_note(stopped[0]) == f"rejected after {stopped[0].rejected_after} of 16 utterances"
    assert sum(s.utterances_decoded for s in trace.steps) == scorer.utterances_decoded < scorer.full_utterances
    selection.plot_trace(trace, str(tmp_path / "plot.png"))
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"


# ----------------------------------------------------------------------------- the command


def test_select_command_targets_sapc2_and_shows_where_passes_stopped(
    six_candidates, stand_in_decoding, monkeypatch, tmp_path, clean_speech
):
    from click.testing import CliRunner

    from sapsoup.cli import main
    from test_devscore import write_dev

    dev = write_dev(tmp_path / "dev", [clean_speech[i % 4] for i in range(12)])
    stand_in_models(monkeypatch, target=0.0, seed=1)
    arguments = [*six_candidates[:5], "--dev", str(dev), "--target", "sapc2", "--batch-size", "1", "--dtype", "fp32"]
    early = CliRunner().invoke(main, ["select", *arguments, "-o", str(tmp_path / "early.pt"),
                                      "--trace", str(tmp_path / "early.json"), "--cache-dir", str(tmp_path / "c1")])
    assert early.exit_code == 0, early.output
    text = " ".join(early.output.split())
    assert "optimising CER" in text and "rejected after" in text and "early rejection skipped" in text
    full = CliRunner().invoke(main, ["select", *arguments, "--no-early-stop", "-o", str(tmp_path / "full.pt"),
                                     "--trace", str(tmp_path / "full.json"), "--cache-dir", str(tmp_path / "c2")])
    assert full.exit_code == 0, full.output
    assert "rejected after" not in " ".join(full.output.split())
    import json

    early_trace, full_trace = (json.loads((tmp_path / f"{n}.json").read_text()) for n in ("early", "full"))
    assert early_trace["metric"] == "CER" and early_trace["selected"] == full_trace["selected"]
    assert early_trace["rates"] == full_trace["rates"]
    decoded = [sum(s["utterances_decoded"] for s in t["steps"]) for t in (early_trace, full_trace)]
    assert decoded[0] < decoded[1]
