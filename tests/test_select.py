"""Selective merging: SMAcT, greedy and uniform soups over one running sum, with a resumable trace.

The strategy tests use small random checkpoints and a stand-in scorer whose "WER" is a known
function of the merged weights, so every decision can be predicted; the end-to-end test runs
`sapsoup select` on the real tiny.en and eSpeak speech.
"""

import json
import os
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from conftest import SMALL, random_tensors, save_hf, save_openai
from sapsoup.builder import select as selection
from sapsoup.builder.checkpoints import open_checkpoint
from sapsoup.builder.merge import RunningSum
from sapsoup.cli import main

PROBE = "model.encoder.layer_norm.bias"  # the stand-in scorer reads the merge's mean of this tensor
TARGET = 1.0


@dataclass
class Result:
    rate: float
    rate_long: float = None
    seconds: float = 0.0

    @property
    def rates(self):
        return {"WER": self.rate}


class StandInScorer:
    """WER = 10 x |mean of PROBE in the merge - TARGET|; records every model it was asked to score.

    It always scores the whole (imaginary) dev set: `must_beat` is heard and ignored."""

    metric, metrics = "WER", ("WER",)

    def __init__(self, fail_after=None):
        self.merges, self.singles, self.fail_after = [], [], fail_after

    def _tick(self):
        if self.fail_after is not None and len(self.merges) + len(self.singles) >= self.fail_after:
            raise KeyboardInterrupt("interrupted")

    def evaluate(self, shape, tensors, label="", must_beat=None, guide=None):
        self._tick()
        value = float(tensors[PROBE].mean())
        self.merges.append(value)
        return Result(round(10 * abs(value - TARGET), 6))

    def evaluate_single(self, checkpoint):
        self._tick()
        from sapsoup.builder.checkpoints import read_arrays

        with read_arrays(checkpoint) as get:
            value = float(get(PROBE).astype("float32").mean())
        self.singles.append(checkpoint.path)
        return Result(round(10 * abs(value - TARGET), 6))


def candidate(folder, name, probe_value, seed=0):
    """A small random openai-whisper checkpoint whose PROBE tensor is all `probe_value`."""
    tensors = random_tensors(SMALL, seed=seed)
    tensors[PROBE] = torch.full_like(tensors[PROBE], probe_value)
    return save_openai(os.path.join(folder, f"{name}.pt"), tensors)


def run_select(paths, strategy, tmp_path, scorer=None, **kwargs):
    scorer = scorer or StandInScorer()
    trace, merged = selection.select(paths, strategy, scorer, {"dev": "x"}, str(tmp_path / "trace.json"), **kwargs)
    return trace, merged, scorer


def test_smact_keeps_a_candidate_only_when_the_merge_wer_strictly_drops(tmp_path):
    # Means of PROBE along the scan: 0 -> (0+2)/2 = 1 (keep) -> (0+2+4)/3 = 2 (drop)
    # -> (0+2+1)/3 = 1 (WER equal to the best so far, not lower: drop).
    values = [0.0, 2.0, 4.0, 1.0]
    paths = [candidate(tmp_path, f"c{i}", v, seed=i) for i, v in enumerate(values)]
    trace, _, _ = run_select(paths, "smact", tmp_path)
    assert [s.decision for s in trace.steps] == ["start", "keep", "drop", "drop"]
    assert [s.rate for s in trace.steps] == [10.0, 0.0, 10.0, 0.0]
    assert trace.selected == paths[:2] and trace.rate == 0.0 and trace.metric == "WER"


def test_smact_scans_candidates_in_the_order_given(tmp_path):
    paths = [candidate(tmp_path, f"c{i}", v, seed=i) for i, v in enumerate([3.0, 0.5, 1.0])]
    trace, _, _ = run_select(paths, "smact", tmp_path)
    assert [s.candidate for s in trace.steps] == paths
    assert [s.ensemble for s in trace.steps] == [paths[:1], paths[:2], paths[:3]]


def test_greedy_scores_each_candidate_alone_then_scans_best_first(tmp_path):
    values = [3.0, 0.9, 1.5, 1.1]  # alone: WER 20, 1, 5, 1 -> order c1, c3 (tie keeps input order), c2, c0
    paths = [candidate(tmp_path, f"c{i}", v, seed=i) for i, v in enumerate(values)]
    trace, _, scorer = run_select(paths, "greedy", tmp_path)
    assert sorted(scorer.singles) == sorted(paths)
    assert trace.order == [paths[1], paths[3], paths[2], paths[0]]
    # c1 alone 1.0; +c3 -> mean 1.0, WER 0 (keep); +c2 -> 3.5/3, WER 1.67 (drop); +c0 -> 5/3 (drop)
    assert [s.decision for s in trace.steps] == ["start", "keep", "drop", "drop"]
    assert [s.own_rate for s in trace.steps] == [1.0, 1.0, 5.0, 20.0]
    assert trace.selected == [paths[1], paths[3]]


def test_uniform_merges_all_candidates_and_scores_once(tmp_path):
    paths = [candidate(tmp_path, f"c{i}", v, seed=i) for i, v in enumerate([0.0, 1.0, 5.0])]
    trace, merged, scorer = run_select(paths, "uniform", tmp_path)
    assert scorer.merges == [2.0] and scorer.singles == []
    assert [s.decision for s in trace.steps] == ["uniform"] and trace.selected == paths
    assert np.all(merged[PROBE] == 2.0)


def test_the_selected_merge_is_exactly_the_mean_of_the_kept_candidates(tmp_path):
    paths = [candidate(tmp_path, f"c{i}", v, seed=i) for i, v in enumerate([0.0, 2.0, 4.0])]
    _, merged, _ = run_select(paths, "smact", tmp_path)
    first, second = (random_tensors(SMALL, seed=i) for i in (0, 1))
    name = "model.decoder.layers.0.fc1.weight"
    assert torch.equal(torch.from_numpy(merged[name]), (first[name] + second[name]) / 2)


def test_trying_a_candidate_leaves_the_running_sum_untouched_and_equals_adding_it(tmp_path):
    paths = [candidate(tmp_path, f"c{i}", float(i), seed=i) for i in range(2)]
    first, second = (open_checkpoint(p) for p in paths)
    running = RunningSum(first.shape)
    running.add(first, 1.0)
    before = {name: array.copy() for name, array in running.sums.items()}
    trial = selection.trial_mean(running, second)
    assert all(np.array_equal(running.sums[name], before[name]) for name in before)
    running.add(second, 1.0)
    added = running.result(divide_by_total=True)
    assert all(np.array_equal(trial[name], added[name]) for name in added)


def test_the_trace_is_written_after_every_step(tmp_path):
    paths = [candidate(tmp_path, f"c{i}", v, seed=i) for i, v in enumerate([0.0, 2.0, 4.0])]
    with pytest.raises(KeyboardInterrupt):
        run_select(paths, "smact", tmp_path, scorer=StandInScorer(fail_after=2))
    written = json.loads((tmp_path / "trace.json").read_text())
    assert len(written["steps"]) == 2 and not written["finished"]


def test_an_interrupted_selection_resumes_from_its_trace_without_rescoring_done_steps(tmp_path):
    paths = [candidate(tmp_path, f"c{i}", v, seed=i) for i, v in enumerate([0.0, 2.0, 4.0, 1.0])]
    with pytest.raises(KeyboardInterrupt):
        run_select(paths, "smact", tmp_path, scorer=StandInScorer(fail_after=2))
    trace, merged, scorer = run_select(paths, "smact", tmp_path)
    assert len(scorer.merges) + len(scorer.singles) == 2  # only the two steps not yet in the trace
    fresh_folder = tmp_path / "fresh"
    fresh_folder.mkdir()
    fresh, fresh_merged, _ = run_select(paths, "smact", fresh_folder)
    assert [s.decision for s in trace.steps] == [s.decision for s in fresh.steps]
    assert all(np.array_equal(merged[n], fresh_merged[n]) for n in merged)


def test_a_trace_of_another_selection_is_refused(tmp_path):
    paths = [candidate(tmp_path, f"c{i}", v, seed=i) for i, v in enumerate([0.0, 2.0])]
    run_select(paths, "smact", tmp_path)
    with pytest.raises(selection.SelectionError, match="another selection"):
        selection.select(paths[::-1], "smact", StandInScorer(), {"dev": "x"}, str(tmp_path / "trace.json"))


@pytest.mark.parametrize("strategy", ["smact", "greedy"])
def test_fewer_than_two_candidates_is_an_error_for_scanning_strategies(tmp_path, strategy):
    paths = [candidate(tmp_path, "c0", 0.0)]
    with pytest.raises(selection.SelectionError, match="at least two candidates"):
        run_select(paths, strategy, tmp_path)
    assert not (tmp_path / "trace.json").exists()


def test_incompatible_candidates_are_refused_before_anything_is_scored(tmp_path):
    from dataclasses import replace

    wide = replace(SMALL, encoder_ffn=128, decoder_ffn=128)
    paths = [candidate(tmp_path, "c0", 0.0), save_hf(tmp_path / "wide", random_tensors(wide), wide)]
    scorer = StandInScorer()
    with pytest.raises(selection.CheckpointError, match="encoder_ffn 128 differs"):
        run_select(paths, "smact", tmp_path, scorer=scorer)
    assert scorer.merges == [] and not (tmp_path / "trace.json").exists()


def test_the_plot_draws_wer_against_the_number_of_merged_models(tmp_path):
    paths = [candidate(tmp_path, f"c{i}", v, seed=i) for i, v in enumerate([0.0, 2.0, 4.0])]
    trace, _, _ = run_select(paths, "smact", tmp_path, with_singles=True)
    assert all(s.own_rate is not None for s in trace.steps)
    selection.plot_trace(trace, str(tmp_path / "trace.png"))
    assert (tmp_path / "trace.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ----------------------------------------------------------------------------- the command, end to end


def test_select_command_writes_the_merge_with_its_trace_and_reuses_cached_scores(
    tmp_path, tiny_en_hf, tiny_en_pt, clean_speech
):
    from test_devscore import write_dev

    # The same tiny.en in two formats: the merge equals each, so its WER is equal, not lower: dropped.
    dev = write_dev(tmp_path / "dev", clean_speech[:2])
    out, trace, plot, cache = (str(tmp_path / n) for n in ("soup.pt", "trace.json", "trace.png", "cache"))
    arguments = [tiny_en_hf, tiny_en_pt, "--dev", str(dev), "--cache-dir", cache]
    result = CliRunner().invoke(main, ["select", *arguments, "-o", out, "--trace", trace, "--plot", plot])
    assert result.exit_code == 0, result.output
    recorded = json.loads(open(trace).read())
    assert [s["decision"] for s in recorded["steps"]] == ["start", "drop"]
    assert recorded["steps"][0]["rate"] == recorded["steps"][1]["rate"] == recorded["rate"]
    assert recorded["metric"] == "WER" and recorded["metrics"] == ["WER"]
    assert recorded["selected"] == [tiny_en_hf]
    provenance = json.loads(open(str(tmp_path / "soup.merge.json")).read())
    assert provenance["method"] == "smact" and provenance["selection"]["selected"] == [tiny_en_hf]
    assert open(plot, "rb").read(4) == b"\x89PNG"
    assert "each of the 2 candidates is also scored alone" in " ".join(result.output.split())  # --plot's cost said

    again = CliRunner().invoke(main, ["select", *arguments, "-o", str(tmp_path / "greedy.pt"),
                                      "--strategy", "greedy", "--trace", str(tmp_path / "greedy.json")])
    assert again.exit_code == 0, again.output
    assert "1 dev passes, 2 from the cache" in " ".join(again.output.split())  # rich wraps lines


def test_select_command_refuses_an_empty_dev_split_and_writes_nothing(tmp_path, tiny_en_hf):
    from test_devscore import write_dev

    dev = write_dev(tmp_path / "dev", [])
    out = tmp_path / "soup.pt"
    result = CliRunner().invoke(main, ["select", tiny_en_hf, tiny_en_hf + "/", "--dev", str(dev), "-o", str(out)])
    assert result.exit_code != 0
    assert "no utterances" in result.output and len(result.output.strip().splitlines()) == 1
    assert sorted(os.listdir(tmp_path)) == ["dev"]


def test_select_command_refuses_a_single_candidate(tmp_path, tiny_en_hf):
    result = CliRunner().invoke(main, ["select", tiny_en_hf, "--dev", str(tmp_path), "-o", str(tmp_path / "o.pt")])
    assert result.exit_code != 0 and "at least two candidates" in result.output
    assert os.listdir(tmp_path) == []
