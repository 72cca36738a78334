"""The report: buckets, worst utterances, the paired bootstrap, the organisers' JSON, the plot, the ablation."""

import dataclasses
import io
import json

import pytest
from rich.console import Console

from sapsoup.validate import report
from sapsoup.validate.devset import MetaRow


def make_report(rows, split="dev", hypotheses=None) -> report.SplitReport:
    """rows: (id, duration, etiology, category, errors, words, S, D, I)."""
    n = len(rows)
    return report.SplitReport(
        split=split,
        target="sapc1",
        metric="WER",
        headline={"WER": 12.345678, "SEM": None},
        utterances=[report.UtteranceErrors(r[4], r[5], r[6], r[7], r[8]) for r in rows],
        meta=[MetaRow(r[0], "spk", r[2], r[3], r[1]) for r in rows],
        hypotheses=hypotheses or [f"hyp {i}" for i in range(n)],
        hypotheses_clean=[f"HYP {i}" for i in range(n)],
        references_clean=[f"REF {i}" for i in range(n)],
        reference_choice=["ref1"] * n,
    )


ROWS = [
    ("a", 3.0, "ALS", "Commands", 1, 4, 1, 0, 0),
    ("b", 14.99, "ALS", "Read", 0, 6, 0, 0, 0),
    ("c", 15.0, "Stroke", "Spontaneous", 3, 10, 1, 1, 1),
    ("d", 29.99, "Stroke", "Spontaneous", 2, 10, 0, 2, 0),
    ("e", 30.0, "ALS", "Spontaneous", 10, 20, 5, 5, 0),
]


def by_name(buckets):
    return {(b.group, b.name): b for b in buckets}


def test_length_buckets_split_at_15_and_30_seconds():
    assert [report.length_bucket(s) for s in (0.0, 14.99, 15.0, 29.99, 30.0, 95.0)] == [
        "< 15 s", "< 15 s", "15-30 s", "15-30 s", ">= 30 s", ">= 30 s",
    ]


def test_bucket_rate_is_summed_errors_over_summed_words():
    buckets = by_name(report.bucket_scores(make_report(ROWS)))
    assert buckets[("overall", "all")].rate == pytest.approx(100 * 16 / 50)
    assert buckets[("length", "15-30 s")].rate == pytest.approx(100 * 5 / 20)
    assert buckets[("etiology", "ALS")].rate == pytest.approx(100 * 11 / 30)  # not the mean of 25%, 0%, 50%


def test_buckets_carry_substitutions_deletions_and_insertions():
    bucket = by_name(report.bucket_scores(make_report(ROWS)))[("category", "Spontaneous")]
    assert (bucket.utterances, bucket.substitutions, bucket.deletions, bucket.insertions) == (3, 6, 8, 1)


def test_all_three_length_buckets_are_listed_even_when_empty():
    buckets = report.bucket_scores(make_report(ROWS[:1]))
    lengths = [b for b in buckets if b.group == "length"]
    assert [b.name for b in lengths] == list(report.LENGTH_BUCKETS)
    assert lengths[2].utterances == 0 and lengths[2].rate is None


def test_worst_utterances_come_by_rate_then_by_errors_and_skip_perfect_ones():
    rows = ROWS + [("f", 2.0, "ALS", "Read", 5, 10, 5, 0, 0)]
    assert report.worst_utterances(make_report(rows), count=10) == [4, 5, 2, 0, 3]
    assert report.worst_utterances(make_report(rows), count=2) == [4, 5]


def test_bootstrap_of_identical_systems_is_exactly_zero():
    rows = make_report(ROWS).utterances
    interval = report.paired_bootstrap(rows, rows, resamples=1000, seed=1)
    assert (interval.difference, interval.low, interval.high) == (0.0, 0.0, 0.0)


def test_bootstrap_interval_excludes_zero_when_the_candidate_wins_on_every_utterance():
    baseline = [report.UtteranceErrors(3, 10) for _ in range(40)]
    candidate = [report.UtteranceErrors(1 + (i % 2), 10) for i in range(40)]
    interval = report.paired_bootstrap(candidate, baseline, resamples=2000, seed=0)
    assert interval.difference == pytest.approx(-15.0)
    assert interval.low <= -15.0 <= interval.high < 0


def test_bootstrap_is_reproducible_with_its_seed():
    baseline = [report.UtteranceErrors(i % 4, 8) for i in range(30)]
    candidate = [report.UtteranceErrors((i * 7) % 5, 8) for i in range(30)]
    first = report.paired_bootstrap(candidate, baseline, seed=5)
    assert first == report.paired_bootstrap(candidate, baseline, seed=5)
    assert first != report.paired_bootstrap(candidate, baseline, seed=6)


def test_bootstrap_recomputes_each_systems_own_word_sum():
    # The two systems chose references of different lengths: rates are per system, not per pair.
    candidate = [report.UtteranceErrors(1, 4), report.UtteranceErrors(1, 4)]
    baseline = [report.UtteranceErrors(1, 2), report.UtteranceErrors(1, 2)]
    assert report.paired_bootstrap(candidate, baseline, seed=0).difference == pytest.approx(25.0 - 50.0)


def test_bootstrap_refuses_unpaired_lists():
    with pytest.raises(ValueError, match="same utterances"):
        report.paired_bootstrap([report.UtteranceErrors(1, 2)], [], seed=0)


def test_comparison_refuses_reports_of_different_utterances():
    with pytest.raises(ValueError, match="different utterances"):
        report.compare_buckets(make_report(ROWS), make_report(ROWS[::-1]))


def test_organisers_keys_follow_their_test_split_names():
    assert report.organisers_key("test1") == "test_1_split"
    assert report.organisers_key("test2") == "test_2_split"
    assert report.organisers_key("dev") == "dev_split"


def test_organisers_result_rounds_to_four_decimals_and_keeps_a_missing_sem_null():
    assert report.organisers_result([make_report(ROWS, split="test1")]) == {"test_1_split": [12.3457, None]}


def test_json_holds_per_utterance_rows_and_is_written_whole(tmp_path):
    item = make_report(ROWS)
    path = tmp_path / "out" / "result.json"
    report.write_json(path, {**report.organisers_result([item]), "sapsoup": {"dev": report.split_json(item)}})
    data = json.loads(path.read_text())
    rows = data["sapsoup"]["dev"]["utterances"]
    assert rows[2] == {
        "id": "c", "speaker": "spk", "etiology": "Stroke", "category": "Spontaneous", "duration": 15.0,
        "length_bucket": "15-30 s", "hypothesis": "hyp 2", "hypothesis_clean": "HYP 2", "reference_clean": "REF 2",
        "reference": "ref1", "errors": 3, "words": 10, "rate": 30.0, "substitutions": 1, "deletions": 1, "insertions": 1,
    }
    assert data["sapsoup"]["dev"]["worst"][0] == "e"
    assert [p.name for p in path.parent.iterdir()] == ["result.json"]


def test_plot_is_a_png_with_candidate_and_baseline(tmp_path):
    path = tmp_path / "plot.png"
    report.write_plot(path, [make_report(ROWS)], {"dev": make_report(ROWS)})
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plot.png"]


def test_tables_render_buckets_worst_utterances_and_text_with_brackets():
    item = make_report(ROWS)
    item.notes.append("reference had [laughs] in it")
    console = Console(file=io.StringIO(), width=200)
    report.render_split(console, item)
    text = console.file.getvalue()
    assert "WER by bucket" in text and "worst utterances" in text and "[laughs]" in text


@dataclasses.dataclass(frozen=True)
class ToyOptions:
    upper: bool = True
    fillers: str = "brackets"


def toy_postprocess(text, options):
    text = text.upper() if options.upper else text
    return text.replace("um", "(um)") if options.fillers != "keep" else text


def test_ablation_switches_off_one_rule_at_a_time_and_reports_its_gain():
    raw = ["um hi", "hello"]
    seen = []

    def score(lines):
        seen.append(lines)
        return float(sum(1 for line in lines if line != line.upper()))  # toy metric: lower-case lines

    rows = report.ablate(raw, ToyOptions(), ("upper", "fillers"), toy_postprocess, score)
    assert [(r.rule, r.setting, r.rate, r.gain) for r in rows] == [
        ("(all rules)", "as built", 0.0, 0.0),
        ("upper", "upper=False", 2.0, 2.0),
        ("fillers", "fillers=keep", 0.0, 0.0),
        ("(no post-processing)", "raw text", 2.0, 2.0),
    ]
    assert seen[1] == ["(um) hi", "hello"]
