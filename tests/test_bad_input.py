"""Bad input to `merge`, `convert` and `select`: one clear line, a non-zero exit, nothing lost, nothing left.

Each test is one mistake a user makes (an output path naming an input, weights that make no
model, a killed process, a candidate overwritten between two runs of a selection) and checks
the whole outcome: the message names the file and the problem, the inputs are unchanged, and no
output, provenance record or hidden partial file is left behind.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch
from click.testing import CliRunner

from conftest import SMALL, random_tensors, save_hf, save_openai
from sapsoup.atomic import HOST
from sapsoup.builder import layout
from sapsoup.builder import select as selection
from sapsoup.builder.errors import CheckpointError
from sapsoup.builder.hashing import sha256_file
from sapsoup.builder.merge import merge_checkpoints
from sapsoup.cli import main


def sapsoup(*arguments):
    """Run a command as a user does; return (exit code, what it printed)."""
    result = CliRunner().invoke(main, [str(a) for a in arguments])
    return result.exit_code, result.output


def one_line_error(output: str) -> str:
    """The single `Error: ...` line a refused command prints (no traceback, no second line)."""
    lines = [line for line in output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    return lines[0]


def tree(folder) -> dict:
    """Every file under `folder` (hidden ones included) with its sha256: what must not change."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            found[os.path.relpath(path, folder)] = sha256_file(path)
    return found


def make_run(folder, steps):
    os.makedirs(folder)
    for step in steps:
        save_hf(os.path.join(folder, f"checkpoint-{step}"), random_tensors(seed=step))
    return str(folder)


@pytest.fixture
def two_inputs(tmp_path):
    """An openai-whisper .pt and a Hugging Face folder, as a user has them."""
    return save_openai(tmp_path / "a.pt", random_tensors(seed=1)), save_hf(tmp_path / "b", random_tensors(seed=2))


# ----------------------------------------------------------------------------- where the output goes


def test_an_output_naming_the_run_folder_it_merges_is_refused_and_the_run_is_kept(tmp_path):
    run = make_run(tmp_path / "run-b", [100, 200, 300])
    before = tree(run)
    code, output = sapsoup("merge", run, "-o", run, "--force")
    assert code == 1
    assert "run-b: the output is the input" in one_line_error(output)
    assert tree(run) == before
    assert sorted(os.listdir(tmp_path)) == ["run-b"]


def test_an_output_naming_an_input_file_is_refused_with_force_and_the_input_is_kept(tmp_path, two_inputs):
    a, b = two_inputs
    digest = sha256_file(a)
    code, output = sapsoup("merge", a, b, "-o", a, "--force")
    assert code == 1 and "a.pt: the output is the input" in one_line_error(output)
    assert sha256_file(a) == digest and not (tmp_path / "a.merge.json").exists()


def test_an_output_inside_an_input_folder_is_refused(tmp_path, two_inputs):
    a, b = two_inputs
    code, output = sapsoup("merge", a, b, "-o", os.path.join(b, "soup"))
    assert code == 1 and "the output lies inside the input" in one_line_error(output)
    assert sorted(os.listdir(b)) == sorted(os.listdir(tmp_path / "b"))
    assert "soup" not in os.listdir(b)


def test_an_output_reached_through_a_symbolic_link_is_the_input(tmp_path, two_inputs):
    a, b = two_inputs
    os.symlink(b, tmp_path / "link")
    code, output = sapsoup("merge", a, b, "-o", tmp_path / "link", "--force")
    assert code == 1 and "the output is the input" in one_line_error(output)
    assert (tmp_path / "link").is_symlink() and os.path.exists(os.path.join(b, "model.safetensors"))


def test_convert_refuses_to_write_over_its_own_source(tmp_path, two_inputs):
    a, _ = two_inputs
    digest = sha256_file(a)
    code, output = sapsoup("convert", a, "-o", a, "--force", "--dtype", "fp32")
    assert code == 1 and "the output is the input" in one_line_error(output)
    assert sha256_file(a) == digest


# ----------------------------------------------------------------------------- weights


def test_weights_that_sum_to_zero_are_refused_without_normalisation_too(tmp_path, two_inputs):
    code, output = sapsoup("merge", *two_inputs, "-o", tmp_path / "w.pt", "--weights", "0,0", "--no-normalize")
    assert code == 1 and "weights sum to 0" in one_line_error(output)
    assert not (tmp_path / "w.pt").exists()


def test_negative_weights_need_allow_negative_and_are_reported_when_allowed(tmp_path, two_inputs):
    out = tmp_path / "w.pt"
    code, output = sapsoup("merge", *two_inputs, "-o", out, "--weights=-1,2")
    line = one_line_error(output)
    assert code == 1 and "weight -1 of input 1" in line and "a.pt" in line and "--allow-negative" in line
    assert not out.exists()

    code, output = sapsoup("merge", *two_inputs, "-o", out, "--weights=-1,2", "--allow-negative", "--dtype", "fp32")
    assert code == 0, output
    assert "a.pt: weight -1 (--allow-negative)" in " ".join(output.split())  # rich wraps lines
    assert [i["weight"] for i in json.loads((tmp_path / "w.merge.json").read_text())["inputs"]] == [-1.0, 2.0]


def test_a_sum_that_overflows_the_output_dtype_is_refused_and_leaves_nothing(tmp_path, two_inputs):
    """1e6 x a weight of order 1 is finite in float32 but Inf in fp16: the check runs after the cast."""
    code, output = sapsoup("merge", *two_inputs, "-o", tmp_path / "w.pt", "--weights", "1e6,1e6", "--no-normalize")
    line = one_line_error(output)
    assert code == 1 and "w.pt (merge result): tensor" in line and "overflows fp16" in line
    assert "65504" in line and "RuntimeWarning" not in output
    assert sorted(os.listdir(tmp_path)) == ["a.pt", "b"]  # no output, no merge.json, no partial


def test_weights_so_small_that_the_output_rounds_to_zero_are_refused(tmp_path, two_inputs):
    code, output = sapsoup("merge", *two_inputs, "-o", tmp_path / "w", "--to", "hf", "--dtype", "fp16",
                           "--weights", "1e-12,1e-12", "--no-normalize")
    line = one_line_error(output)
    assert code == 1 and "is all zero in fp16, though" in line and "too small" in line
    assert sorted(os.listdir(tmp_path)) == ["a.pt", "b"]


def test_a_tensor_that_is_zero_in_every_input_stays_zero_and_is_accepted(tmp_path):
    tensors = random_tensors()
    tensors["model.decoder.layer_norm.bias"].zero_()
    source = save_hf(tmp_path / "a", tensors)
    merge_checkpoints([source, source], str(tmp_path / "out.pt"))
    assert (tmp_path / "out.pt").exists()


def test_a_model_of_zeros_is_refused(tmp_path):
    zeros = {name: torch.zeros_like(t) for name, t in random_tensors().items()}
    source = save_hf(tmp_path / "zeros", zeros)
    with pytest.raises(CheckpointError, match=r"out\.pt \(merge result\): every tensor of the result is zero"):
        merge_checkpoints([source, source], str(tmp_path / "out.pt"))
    assert sorted(os.listdir(tmp_path)) == ["zeros"]


# ----------------------------------------------------------------------------- inputs


def test_a_bare_safetensors_file_is_refused_naming_the_folder_to_pass(tmp_path, two_inputs):
    a, b = two_inputs
    code, output = sapsoup("merge", a, os.path.join(b, "model.safetensors"), "-o", tmp_path / "w.pt")
    line = one_line_error(output)
    assert code == 1 and "model.safetensors: a Hugging Face weight file on its own; pass its folder" in line
    assert line.endswith(os.path.abspath(b))


def test_a_pickle_that_names_code_is_refused_without_advising_unsafe_loading(tmp_path, two_inputs):
    import argparse

    path = tmp_path / "trainer.pt"
    torch.save({"dims": {}, "model_state_dict": {}, "args": argparse.Namespace(lr=1e-5)}, path)
    code, output = sapsoup("merge", two_inputs[0], path, "-o", tmp_path / "w.pt")
    line = one_line_error(output)
    assert code == 1 and "trainer.pt: cannot load as a PyTorch file (it pickles argparse.Namespace" in line
    assert "weights_only" not in output


def test_different_model_sizes_are_named_by_their_dimensions(tmp_path):
    base = layout.WhisperShape(**{**SMALL.as_dict(), "d_model": 128, "n_vocab": 51865})
    sources = [save_hf(tmp_path / "tiny", random_tensors()), save_hf(tmp_path / "base", random_tensors(base), base)]
    with pytest.raises(CheckpointError, match=r"base: d_model 128 differs from .*tiny's 64 \(128-wide, 2\+2 layers"):
        merge_checkpoints(sources, str(tmp_path / "out.pt"))


def test_vocabularies_are_named_for_what_they_are(tmp_path):
    multilingual = layout.WhisperShape(**{**SMALL.as_dict(), "n_vocab": 51865})
    sources = [save_hf(tmp_path / "en", random_tensors()), save_hf(tmp_path / "ml", random_tensors(multilingual), multilingual)]
    with pytest.raises(CheckpointError, match=r"ml: vocabulary size 51865 differs from .*en's 51864 "
                                              r"\(the multilingual vocabulary .* against the English-only vocabulary"):
        merge_checkpoints(sources, str(tmp_path / "out.pt"))


@pytest.mark.parametrize("option, message", [
    (["--last", "0"], "--last 0: must be at least 1"),
    (["--steps", "300:100"], "--steps 300:100: the first step is after the last"),
])
def test_a_run_selection_out_of_range_is_a_range_error(tmp_path, option, message):
    run = make_run(tmp_path / "run", [100, 200])
    code, output = sapsoup("merge", run, "-o", tmp_path / "w.pt", *option)
    assert code == 1 and message in one_line_error(output)


def test_a_run_selection_without_a_run_folder_is_refused(tmp_path, two_inputs):
    code, output = sapsoup("merge", *two_inputs, "-o", tmp_path / "w.pt", "--last", "1")
    assert code == 1 and "--last: applies to run folders" in one_line_error(output)


# ----------------------------------------------------------------------------- killed merges


def start_merge(sources, out):
    code = f"from sapsoup.cli import main; main(['merge', *{list(map(str, sources))!r}, '-o', {str(out)!r}])"
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for_partial(folder, target, process, timeout=120.0):
    """The hidden partial output of `target` that `process` is writing, once it exists."""
    lead = f".{target}.{HOST}-{process.pid}."
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [n for n in os.listdir(folder) if n.startswith(lead) and n.endswith(".partial")]
        if found:
            return found[0]
        assert process.poll() is None, f"the merge ended before writing: {process.stderr.read().decode()}"
        time.sleep(0.002)
    raise AssertionError("no partial output appeared")


def test_a_merge_killed_mid_write_leaves_a_partial_that_the_next_run_of_its_target_removes(
    tmp_path, tiny_en_pt, tiny_en_hf
):
    folder = tmp_path / "work"
    folder.mkdir()
    process = start_merge([tiny_en_pt, tiny_en_hf], folder / "soup")
    partial = wait_for_partial(folder, "soup", process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert partial in os.listdir(folder)  # kill -9 runs no cleanup

    # Beside it: a dead process's partial of another target, and a live process's partial of this one.
    other = f".soup-b.{HOST}-{process.pid}.x1y2z3ab.partial"
    (folder / other).mkdir()
    alive = subprocess.Popen(["sleep", "120"])
    try:
        busy = f".soup.{HOST}-{alive.pid}.q9w8e7r6.partial"
        (folder / busy).write_bytes(b"still being written")
        code, output = sapsoup("merge", tiny_en_hf, "-o", folder / "soup")
        assert code == 0, output
        assert sorted(os.listdir(folder)) == sorted([busy, other, "soup"])
    finally:
        alive.kill()
        alive.wait()
    assert os.path.exists(tiny_en_pt) and os.path.exists(os.path.join(tiny_en_hf, "model.safetensors"))


def test_a_merge_stopped_with_sigterm_removes_its_partial_output(tmp_path, tiny_en_pt, tiny_en_hf):
    process = start_merge([tiny_en_pt, tiny_en_hf], tmp_path / "soup")
    wait_for_partial(tmp_path, "soup", process)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 128 + signal.SIGTERM
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------------------- a resumed selection


def test_a_resumed_selection_rescores_a_candidate_whose_file_changed(tmp_path):
    """Interrupted, one candidate overwritten with another model, run again: the trace's scores of
    that candidate are not reused, and the result is the one a fresh selection gives."""
    from test_select import StandInScorer, candidate

    paths = [candidate(tmp_path, f"c{i}", v, seed=i) for i, v in enumerate([0.0, 2.0, 4.0, 1.0])]
    trace_path = str(tmp_path / "trace.json")
    with pytest.raises(KeyboardInterrupt):
        selection.select(paths, "smact", StandInScorer(fail_after=3), {"dev": "x"}, trace_path)
    (tmp_path / "spare").mkdir()
    shutil.copyfile(candidate(tmp_path / "spare", "replacement", 1.5, seed=9), paths[1])  # c1 is now another model

    notices = []
    trace, merged = selection.select(paths, "smact", StandInScorer(), {"dev": "x"}, trace_path, on_notice=notices.append)
    assert len(notices) == 1 and "c1.pt: its weights changed" in notices[0] and "recomputed" in notices[0]

    fresh_trace_path = str(tmp_path / "fresh.json")
    fresh, fresh_merged = selection.select(paths, "smact", StandInScorer(), {"dev": "x"}, fresh_trace_path)
    assert [(s.decision, s.wer) for s in trace.steps] == [(s.decision, s.wer) for s in fresh.steps]
    assert trace.wer == fresh.wer and all((merged[n] == fresh_merged[n]).all() for n in merged)
    assert json.loads(open(trace_path).read())["digests"][paths[1]] == [sha256_file(paths[1])]


def test_a_finished_selection_is_redone_when_a_kept_candidate_changed(tmp_path):
    from test_select import StandInScorer, candidate

    paths = [candidate(tmp_path, f"c{i}", v, seed=i) for i, v in enumerate([0.0, 4.0])]
    trace_path = str(tmp_path / "trace.json")
    first, _ = selection.select(paths, "greedy", StandInScorer(), {"dev": "x"}, trace_path)
    assert first.finished and first.wer == 10.0
    (tmp_path / "spare").mkdir()
    shutil.copyfile(candidate(tmp_path / "spare", "better", 1.0, seed=7), paths[0])
    scorer = StandInScorer()
    again, _ = selection.select(paths, "greedy", scorer, {"dev": "x"}, trace_path)
    assert scorer.singles == [paths[0]]  # only the changed candidate is scored alone again
    assert again.order[0] == paths[0] and again.wer == 0.0


def test_convert_refuses_a_value_that_fp16_cannot_hold(tmp_path):
    tensors = random_tensors()
    tensors["model.decoder.layers.0.fc1.bias"][0] = 1e5  # finite in fp32, Inf in fp16
    source = save_hf(tmp_path / "a", tensors)
    code, output = sapsoup("convert", source, "-o", tmp_path / "a16.pt", "--dtype", "fp16")
    line = one_line_error(output)
    assert code == 1 and "a16.pt (converted): tensor decoder.blocks.0.mlp.0.bias overflows fp16" in line
    assert sorted(os.listdir(tmp_path)) == ["a"]
