"""One selection over several processes: `torchrun ... sapsoup select` and `select --workers`.

Each process decodes its share of the dev set and every process takes the same decisions, so the
kept candidates, the rates and the trace are those of one process; only rank 0 writes and prints.
Small random Whisper models on three short utterances keep it to a few seconds of decoding; every
run uses one thread per process, so that every sum runs in the same order.
"""

import json
import os
import subprocess
import sys

import pytest

from test_devscore import write_dev
from test_select import candidate

BIN = os.path.dirname(sys.executable)


def sapsoup_select(prefix, arguments, tmp_path, name):
    out, trace = tmp_path / f"{name}.pt", tmp_path / f"{name}.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [*prefix, os.path.join(BIN, "sapsoup"), "select", *arguments, "-o", str(out), "--trace", str(trace),
               "--cache-dir", str(tmp_path / f"{name}-cache")]
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    return json.loads(trace.read_text()), run


def outcome(trace):
    return {
        "selected": trace["selected"], "rates": trace["rates"], "order": trace["order"],
        "steps": [(s["candidate"], s["decision"], s["rates"], s["rejected_after"]) for s in trace["steps"]],
        "singles": {k: v["rates"] for k, v in trace["singles"].items()},
    }


@pytest.fixture(scope="module")
def selection_inputs(tmp_path_factory, clean_speech):
    folder = tmp_path_factory.mktemp("distributed")
    dev = write_dev(folder / "dev", clean_speech[:3])
    paths = [candidate(folder, f"c{i}", value, seed=i) for i, value in enumerate([0.0, 0.3, 0.6])]
    return [*paths, "--dev", str(dev), "--dtype", "fp32", "--batch-size", "1"]


@pytest.mark.parametrize("target", ["sapc1", "sapc2"])
def test_torchrun_with_two_processes_selects_as_one_process(selection_inputs, tmp_path, target):
    arguments = [*selection_inputs, "--target", target, "--strategy", "greedy"]
    alone, _ = sapsoup_select([], arguments, tmp_path, "alone")
    torchrun = [os.path.join(BIN, "torchrun"), "--standalone", "--nproc-per-node", "2"]
    spread, run = sapsoup_select(torchrun, arguments, tmp_path, "spread")
    assert outcome(spread) == outcome(alone)
    assert spread["metric"] == {"sapc1": "WER", "sapc2": "CER"}[target]
    assert "2 processes" in run.stderr and run.stdout.count("greedy: ") == 1  # rank 0 alone prints the table
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["alone.pt", "alone.json", "alone.merge.json", "alone-cache", "spread.pt", "spread.json", "spread.merge.json",
         "spread-cache"])


def test_workers_runs_the_same_selection_under_torchrun(selection_inputs, tmp_path):
    arguments = [*selection_inputs, "--target", "sapc2"]
    alone, _ = sapsoup_select([], arguments, tmp_path, "alone")
    workers, run = sapsoup_select([], [*arguments, "--workers", "2"], tmp_path, "workers")
    assert outcome(workers) == outcome(alone)
    assert "2 processes" in run.stderr
