"""The merge engine: exact weighted means of any number of checkpoints, checked before anything is written."""

import json
import os
import threading

import pytest
import torch
from click.testing import CliRunner

from sapsoup.builder import layout
from sapsoup.builder.arrays import to_torch
from sapsoup.builder.checkpoints import open_checkpoint
from sapsoup.builder.convert import load_canonical
from sapsoup.builder.errors import CheckpointError
from sapsoup.builder.hashing import sha256_file
from sapsoup.builder.merge import merge_checkpoints
from sapsoup.cli import main

from conftest import SMALL, random_tensors, save_ct2, save_hf, save_openai


def read(path):
    """A checkpoint's canonical tensors, as torch tensors."""
    return {name: to_torch(array) for name, array in load_canonical(open_checkpoint(str(path))).items()}


def merge_in_a_process_without_torch(sources, out, *options):
    """`sapsoup merge SOURCES -o OUT [OPTIONS]` in a fresh process, failing if it imports torch."""
    import subprocess
    import sys

    code = (
        "import sys; from sapsoup.cli import main; "
        f"main(['merge', *{list(sources)!r}, '-o', {out!r}, *{list(options)!r}], standalone_mode=False); "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def merge_in_a_fresh_process(sources, out, *options, absent=("torch",), present=()):
    """`sapsoup merge SOURCES -o OUT [OPTIONS]` in a fresh process, failing if it imports a module
    of `absent` or leaves out one of `present`."""
    import subprocess
    import sys

    code = (
        "import sys; from sapsoup.cli import main; "
        f"main(['merge', *{list(sources)!r}, '-o', {out!r}, *{list(options)!r}], standalone_mode=False); "
        f"assert not [m for m in {list(absent)!r} if m in sys.modules], [m for m in {list(absent)!r} if m in sys.modules]; "
        f"assert all(m in sys.modules for m in {list(present)!r}), 'not imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def assert_close(a, b, atol=0.0):
    for name in layout.canonical_names(SMALL):
        assert torch.allclose(a[name].float(), b[name].float(), atol=atol, rtol=0), name


def test_merging_one_checkpoint_returns_it_unchanged(tmp_path):
    tensors = random_tensors(seed=1)
    source = save_hf(tmp_path / "a", tensors)
    merge_checkpoints([source], str(tmp_path / "out"), to="hf", dtype="fp32")
    assert_close(read(tmp_path / "out"), tensors)


def test_merging_n_copies_returns_the_checkpoint(tmp_path):
    tensors = random_tensors(seed=2)
    source = save_openai(tmp_path / "a.pt", tensors)
    merge_checkpoints([source] * 5, str(tmp_path / "out.pt"), dtype="fp32")
    assert_close(read(tmp_path / "out.pt"), tensors, atol=1e-7)


def test_the_result_is_the_weighted_mean_computed_in_float32(tmp_path):
    a, b = ({n: t.half() for n, t in random_tensors(seed=s).items()} for s in (3, 4))
    sources = [save_hf(tmp_path / "a", a, dtype=torch.float16), save_hf(tmp_path / "b", b, dtype=torch.float16)]
    merge_checkpoints(sources, str(tmp_path / "out"), weights=[3, 1], to="hf", dtype="fp32")
    merged = read(tmp_path / "out")
    for name in layout.canonical_names(SMALL):
        expected = 0.75 * a[name].double() + 0.25 * b[name].double()
        assert torch.allclose(merged[name].double(), expected, atol=1e-6, rtol=0), name


def test_fp16_inputs_are_not_averaged_in_fp16(tmp_path):
    """Two fp16 values whose mean is not an fp16 number: the fp32 result keeps the exact mean."""
    a, b = random_tensors(seed=5), random_tensors(seed=5)
    a["model.decoder.layer_norm.bias"][:] = 1.0
    b["model.decoder.layer_norm.bias"][:] = 1.0 + 2 ** -10  # neighbouring fp16 numbers
    sources = [save_hf(tmp_path / "a", a, dtype=torch.float16), save_hf(tmp_path / "b", b, dtype=torch.float16)]
    merge_checkpoints(sources, str(tmp_path / "out"), to="hf", dtype="fp32")
    assert torch.all(read(tmp_path / "out")["model.decoder.layer_norm.bias"] == 1.0 + 2 ** -11)


def test_input_order_does_not_change_the_result_beyond_rounding(tmp_path):
    sources = [save_openai(tmp_path / f"{i}.pt", random_tensors(seed=10 + i)) for i in range(4)]
    merge_checkpoints(sources, str(tmp_path / "ab.pt"), dtype="fp32")
    merge_checkpoints(sources[::-1], str(tmp_path / "ba.pt"), dtype="fp32")
    assert_close(read(tmp_path / "ab.pt"), read(tmp_path / "ba.pt"), atol=1e-6)


def test_weights_are_normalised_unless_told_not_to(tmp_path):
    tensors = random_tensors(seed=6)
    source = save_openai(tmp_path / "a.pt", tensors)
    merge_checkpoints([source, source], str(tmp_path / "norm.pt"), weights=[2, 2], dtype="fp32")
    assert_close(read(tmp_path / "norm.pt"), tensors, atol=1e-7)
    merge_checkpoints([source, source], str(tmp_path / "raw.pt"), weights=[1, 1], normalize=False, dtype="fp32")
    doubled = {n: 2 * t for n, t in tensors.items()}
    merged = read(tmp_path / "raw.pt")
    for name in layout.canonical_names(SMALL):
        if name != "model.encoder.embed_positions.weight":
            assert torch.allclose(merged[name], doubled[name], atol=1e-6), name


def test_formats_can_be_mixed(tmp_path):
    a, b, c = (random_tensors(seed=s) for s in (7, 8, 9))
    sources = [
        save_hf(tmp_path / "hf", a),
        save_openai(tmp_path / "m.pt", b),
        save_ct2(tmp_path / "ct2", c, dtype=torch.float32),
    ]
    merge_checkpoints(sources, str(tmp_path / "out.pt"), dtype="fp32")
    merged = read(tmp_path / "out.pt")
    for name in layout.canonical_names(SMALL):
        expected = (a[name].double() + b[name].double() + c[name].double()) / 3
        assert torch.allclose(merged[name].double(), expected, atol=1e-6), name


def test_summing_tensor_by_tensor_or_input_by_input_gives_the_same_bits(tmp_path):
    """safetensors inputs are summed one tensor over all inputs at a time, legacy pickles one input
    after the other: the same operations per element, so the same output file."""
    inputs = [random_tensors(seed=20 + i, dtype=dtype) for i, dtype in enumerate((torch.float16, torch.bfloat16, torch.float32))]
    folders = [save_hf(tmp_path / f"hf{i}", t, dtype=t["model.decoder.layer_norm.bias"].dtype) for i, t in enumerate(inputs)]
    pickles = [save_openai(tmp_path / f"{i}.pt", t, dtype=t["model.decoder.layer_norm.bias"].dtype, legacy=True)
               for i, t in enumerate(inputs)]
    weights = [0.3, 0.5, 0.2]
    merge_checkpoints(folders, str(tmp_path / "out-streamed"), weights=weights, to="hf")
    merge_checkpoints(pickles, str(tmp_path / "out-running"), weights=weights, to="hf")
    streamed = (tmp_path / "out-streamed" / "model.safetensors").read_bytes()
    assert streamed == (tmp_path / "out-running" / "model.safetensors").read_bytes()


def make_run(folder, steps):
    for i, step in enumerate(steps):
        save_hf(folder / f"checkpoint-{step}", random_tensors(seed=100 + i))
    return str(folder)


def test_a_run_folder_expands_to_its_checkpoints_in_step_order(tmp_path):
    run = make_run(tmp_path / "run", [500, 100, 1000])
    summary = merge_checkpoints([run], str(tmp_path / "out.pt"))
    assert [item["step"] for item in summary.provenance["inputs"]] == [100, 500, 1000]


def test_last_and_steps_select_checkpoints_of_a_run(tmp_path):
    run = make_run(tmp_path / "run", [100, 200, 300, 400])
    last = merge_checkpoints([run], str(tmp_path / "last.pt"), last=2)
    assert [i["step"] for i in last.provenance["inputs"]] == [300, 400]
    ranged = merge_checkpoints([run], str(tmp_path / "range.pt"), steps=(150, 300))
    assert [i["step"] for i in ranged.provenance["inputs"]] == [200, 300]


# ----------------------------------------------------------------------------- checks before output


def outputs(tmp_path):
    return sorted(n for n in os.listdir(tmp_path) if n.startswith(("out", ".sapsoup")))


def test_different_vocabulary_sizes_are_refused_without_truncation(tmp_path):
    bigger = layout.WhisperShape(**{**SMALL.as_dict(), "n_vocab": 51865})
    sources = [save_hf(tmp_path / "a", random_tensors()), save_hf(tmp_path / "b", random_tensors(bigger), bigger)]
    with pytest.raises(CheckpointError, match="vocabulary size 51865 differs"):
        merge_checkpoints(sources, str(tmp_path / "out.pt"))
    assert outputs(tmp_path) == []


def test_different_shapes_are_refused_naming_the_tensor(tmp_path):
    wider = layout.WhisperShape(**{**SMALL.as_dict(), "encoder_ffn": 128, "decoder_ffn": 128})
    sources = [save_hf(tmp_path / "a", random_tensors()), save_hf(tmp_path / "b", random_tensors(wider), wider)]
    with pytest.raises(CheckpointError, match=r"b: encoder_ffn 128 differs from .*a's 256; cannot merge models of different sizes"):
        merge_checkpoints(sources, str(tmp_path / "out"), to="hf")
    assert outputs(tmp_path) == []


def test_nan_in_an_input_is_refused_naming_file_and_tensor_as_the_file_names_it(tmp_path):
    bad = random_tensors(seed=1)
    bad["model.decoder.layers.1.fc2.bias"][3] = float("nan")
    sources = [save_openai(tmp_path / "good.pt", random_tensors()), save_openai(tmp_path / "bad.pt", bad)]
    with pytest.raises(CheckpointError, match=r"bad\.pt: tensor decoder\.blocks\.1\.mlp\.2\.bias holds NaN or Inf"):
        merge_checkpoints(sources, str(tmp_path / "out.pt"))
    assert outputs(tmp_path) == []


def test_inf_in_an_input_with_weight_zero_is_still_refused(tmp_path):
    bad = random_tensors(seed=1)
    bad["model.encoder.conv1.weight"][0, 0, 0] = float("inf")
    sources = [save_hf(tmp_path / "good", random_tensors()), save_hf(tmp_path / "bad", bad)]
    with pytest.raises(CheckpointError, match=r"bad: tensor model\.encoder\.conv1\.weight holds NaN or Inf"):
        merge_checkpoints(sources, str(tmp_path / "out.pt"), weights=[1, 0])
    assert outputs(tmp_path) == []


def test_an_overflowing_result_is_refused(tmp_path):
    big = random_tensors()
    big["model.decoder.layer_norm.weight"][:] = 3e38
    source = save_openai(tmp_path / "big.pt", big)
    with pytest.raises(CheckpointError, match="merge result.*holds NaN or Inf"):
        merge_checkpoints([source, source], str(tmp_path / "out.pt"), weights=[1, 1], normalize=False)
    assert outputs(tmp_path) == []


def test_a_weight_list_that_does_not_match_the_inputs_is_refused(tmp_path):
    source = save_openai(tmp_path / "a.pt", random_tensors())
    with pytest.raises(CheckpointError, match="3 weights for 2 inputs"):
        merge_checkpoints([source, source], str(tmp_path / "out.pt"), weights=[1, 2, 3])
    assert outputs(tmp_path) == []


def test_an_interrupted_write_leaves_nothing_behind(tmp_path, monkeypatch):
    from sapsoup.builder import pytorch_file

    source = save_openai(tmp_path / "a.pt", random_tensors())
    padding, calls = pytorch_file._padding, []

    def interrupted(*args):  # stops the .pt writer after a few records
        calls.append(args)
        if len(calls) == 6:
            raise KeyboardInterrupt
        return padding(*args)

    monkeypatch.setattr(pytorch_file, "_padding", interrupted)
    with pytest.raises(KeyboardInterrupt):
        merge_checkpoints([source, source], str(tmp_path / "out.pt"))
    assert outputs(tmp_path) == []


def test_nan_met_while_the_output_is_being_written_leaves_nothing_behind(tmp_path):
    bad = random_tensors(seed=1)
    bad["model.encoder.layers.1.fc1.weight"][2, 2] = float("nan")  # late in the file's order
    sources = [save_hf(tmp_path / "good", random_tensors()), save_hf(tmp_path / "bad", bad)]
    with pytest.raises(CheckpointError, match=r"bad: tensor model\.encoder\.layers\.1\.fc1\.weight holds NaN or Inf"):
        merge_checkpoints(sources, str(tmp_path / "out"), to="hf")
    assert outputs(tmp_path) == []
    assert not [t.name for t in threading.enumerate() if t.name.startswith("safetensors-")]  # the writer threads have stopped


def test_an_interrupted_streamed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    from sapsoup.builder.safetensors_writer import StreamingWriter

    sources = [save_hf(tmp_path / "a", random_tensors(seed=1)), save_hf(tmp_path / "b", random_tensors(seed=2))]
    write = StreamingWriter.write

    def interrupted(self, name, tensor):
        if self.next_index == 10:
            raise KeyboardInterrupt
        write(self, name, tensor)

    monkeypatch.setattr(StreamingWriter, "write", interrupted)
    with pytest.raises(KeyboardInterrupt):
        merge_checkpoints(sources, str(tmp_path / "out"), to="hf")
    assert outputs(tmp_path) == []


# ----------------------------------------------------------------------------- provenance and outputs


def test_merge_json_records_inputs_weights_versions_and_output_hash(tmp_path):
    sources = [save_openai(tmp_path / "a.pt", random_tensors(seed=1)), save_openai(tmp_path / "b.pt", random_tensors(seed=2))]
    merge_checkpoints(sources, str(tmp_path / "out.pt"), weights=[1, 3])
    provenance = json.loads((tmp_path / "out.merge.json").read_text())
    assert provenance["method"] == "weighted"
    assert [i["weight"] for i in provenance["inputs"]] == [0.25, 0.75]
    assert provenance["inputs"][0]["files"][0]["sha256"] == sha256_file(sources[0])
    assert provenance["output"]["files"][0]["sha256"] == sha256_file(tmp_path / "out.pt")
    assert {"sapsoup", "torch", "transformers"} <= set(provenance["versions"])


@pytest.mark.parametrize("to, out", [("hf", "out"), ("openai", "out.pt")])
def test_a_finished_dict_of_tensors_is_written_in_either_format(tmp_path, to, out):
    """`select` hands `write_merged` its ensemble as a dict, not as a stream."""
    from sapsoup.builder.merge import write_merged

    source = open_checkpoint(save_hf(tmp_path / "a", random_tensors(seed=1)))
    tensors = random_tensors(seed=2)
    arrays = {name: tensor.numpy() for name, tensor in tensors.items()}
    write_merged(str(tmp_path / out), to, "fp32", arrays, [source], [1.0], {"method": "smact"})
    assert_close(read(tmp_path / out), tensors)


@pytest.mark.parametrize("to, out, dtype", [("hf", "out", "bf16"), ("hf", "out", "fp16"), ("openai", "out.pt", "fp16")])
def test_a_16_bit_output_holds_the_float32_mean_rounded_as_torch_rounds_it(tmp_path, to, out, dtype):
    """numpy (float16) and ml_dtypes (bfloat16) round the mean exactly as `tensor.to(...)` does."""
    a, b = random_tensors(seed=1), random_tensors(seed=2)
    sources = [save_hf(tmp_path / "a", a), save_hf(tmp_path / "b", b)]
    merge_checkpoints(sources, str(tmp_path / out), to=to, dtype=dtype)
    written = read(tmp_path / out)
    for name in layout.canonical_names(SMALL):
        expected = a[name] * 0.5 + b[name] * 0.5
        if name != "model.encoder.embed_positions.weight":  # Whisper's fixed table stays float32
            expected = expected.to({"bf16": torch.bfloat16, "fp16": torch.float16}[dtype])
        assert written[name].dtype == expected.dtype and torch.equal(written[name], expected), name


def test_hf_output_holds_its_merge_json(tmp_path):
    source = save_hf(tmp_path / "a", random_tensors())
    merge_checkpoints([source, source], str(tmp_path / "out"), to="hf")
    provenance = json.loads((tmp_path / "out" / "merge.json").read_text())
    assert provenance["output"]["files"][0]["sha256"] == sha256_file(tmp_path / "out" / "model.safetensors")


def test_openai_and_hf_outputs_of_one_merge_give_the_same_logits(tmp_path):
    import whisper
    from transformers import WhisperForConditionalGeneration

    sources = [save_hf(tmp_path / "a", random_tensors(seed=1)), save_hf(tmp_path / "b", random_tensors(seed=2))]
    merge_checkpoints(sources, str(tmp_path / "out.pt"), dtype="fp32")
    merge_checkpoints(sources, str(tmp_path / "out-hf"), to="hf", dtype="fp32")
    openai_model = whisper.load_model(str(tmp_path / "out.pt"), device="cpu")
    hf_model = WhisperForConditionalGeneration.from_pretrained(str(tmp_path / "out-hf")).eval()
    mel = torch.randn(1, 80, 3000, generator=torch.Generator().manual_seed(0))
    tokens = torch.tensor([[50257, 50362, 262]])
    with torch.no_grad():
        expected = openai_model.decoder(tokens, openai_model.encoder(mel))
        actual = hf_model(input_features=mel, decoder_input_ids=tokens).logits
    assert (expected - actual).abs().max() < 1e-4


def test_real_tiny_en_merged_with_itself_without_torch_is_the_same_file(tmp_path, tiny_en_hf):
    """Two copies of the real tiny.en (a Hugging Face folder with its processor files) merge, in a
    process that never imports torch, into a model.safetensors identical byte for byte to the input."""
    out = str(tmp_path / "soup")
    merge_in_a_process_without_torch([tiny_en_hf, tiny_en_hf], out)
    assert sha256_file(os.path.join(out, "model.safetensors")) == sha256_file(os.path.join(tiny_en_hf, "model.safetensors"))
    assert os.path.exists(os.path.join(out, "tokenizer.json"))


def test_merge_and_inspect_commands_on_real_tiny_en(tmp_path, tiny_en_pt, tiny_en_hf, clean_speech):
    """tiny.en merged with itself (openai fp32 + HF folder) transcribes exactly as tiny.en does."""
    import whisper

    runner = CliRunner()
    result = runner.invoke(main, ["merge", tiny_en_pt, tiny_en_hf, "-o", str(tmp_path / "soup.pt"), "--dtype", "fp32"])
    assert result.exit_code == 0, result.output
    assert "merged 2 checkpoints" in result.output
    inspected = runner.invoke(main, ["inspect", str(tmp_path / "soup.pt"), "--json"])
    info = json.loads(inspected.output)
    assert info["format"] == "openai" and info["dims"]["d_model"] == 384
    assert info["provenance"]["method"] == "uniform" and len(info["provenance"]["inputs"]) == 2

    options = whisper.DecodingOptions(language="en", temperature=0.0, without_timestamps=True, fp16=False)
    original = whisper.load_model(tiny_en_pt, device="cpu")
    soup = whisper.load_model(str(tmp_path / "soup.pt"), device="cpu")
    for _, audio in clean_speech[:2]:
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(torch.from_numpy(audio)))
        assert whisper.decode(soup, mel, options).text == whisper.decode(original, mel, options).text


def test_merge_command_reports_bad_weights_in_one_line(tmp_path):
    source = save_openai(tmp_path / "a.pt", random_tensors())
    result = CliRunner().invoke(main, ["merge", source, source, "-o", str(tmp_path / "out.pt"), "--weights", "1,x"])
    assert result.exit_code != 0
    assert "expected numbers separated by commas" in result.output


def test_input_digests_are_the_same_whether_computed_or_remembered(tmp_path):
    sources = [save_hf(tmp_path / "a", random_tensors()), save_hf(tmp_path / "b", random_tensors(seed=1))]
    first = merge_checkpoints(sources, str(tmp_path / "out1.pt")).provenance
    second = merge_checkpoints(sources, str(tmp_path / "out2.pt")).provenance
    digests = [[f["sha256"] for f in i["files"]] for i in first["inputs"]]
    assert digests == [[f["sha256"] for f in i["files"]] for i in second["inputs"]]
    assert digests == [[sha256_file(os.path.join(s, "model.safetensors"))] for s in sources]


@pytest.mark.parametrize("out", ["out", "out.pt"])
def test_merging_safetensors_never_imports_torch(tmp_path, out):
    """Into a Hugging Face folder or an openai-whisper .pt: `import torch` alone costs more than
    merging two base checkpoints (benchmarks/RESULTS.md). (A source without processor files needs
    transformers, and so torch, to build them for a Hugging Face output.)"""
    from sapsoup.builder.tokenizer import write_processor

    sources = [save_hf(tmp_path / "a", random_tensors()), save_hf(tmp_path / "b", random_tensors(seed=1))]
    for source in sources:
        write_processor(source, SMALL)  # as checkpoints saved with their processor carry them
    out = str(tmp_path / out)
    merge_in_a_process_without_torch(sources, out)
    mean = {n: (a + b) / 2 for (n, a), b in zip(read(sources[0]).items(), read(sources[1]).values())}
    assert_close(read(out), mean, atol=1e-3 if out.endswith(".pt") else 0.0)  # .pt: fp16 by default


def test_merging_pytorch_files_that_torch_wrote_never_imports_torch(tmp_path):
    """openai-whisper .pt files (zip format) are read by sapsoup itself, tensor by tensor."""
    a, b = random_tensors(seed=1), random_tensors(seed=2)
    sources = [save_openai(tmp_path / "a.pt", a), save_openai(tmp_path / "b.pt", b)]
    out = str(tmp_path / "out.pt")
    merge_in_a_process_without_torch(sources, out, "--dtype", "fp32")
    assert_close(read(out), {name: a[name] * 0.5 + b[name] * 0.5 for name in a})


@pytest.mark.parametrize(
    "dtype, out, options",
    [(torch.float32, "out", []), (torch.float32, "out.pt", []), (torch.float16, "out", ["--dtype", "fp16"]), (torch.float16, "out.pt", [])],
    ids=["fp32-hf", "fp32-openai", "fp16-hf", "fp16-openai"],
)
def test_merging_fp32_or_fp16_safetensors_never_imports_ml_dtypes(tmp_path, dtype, out, options):
    """ml_dtypes (bfloat16, float8) costs about 0.5 s to import: only a merge that meets one of its
    dtypes pays for it."""
    from sapsoup.builder.tokenizer import write_processor

    sources = [save_hf(tmp_path / "a", random_tensors(), dtype=dtype), save_hf(tmp_path / "b", random_tensors(seed=1), dtype=dtype)]
    for source in sources:
        write_processor(source, SMALL)
    out = str(tmp_path / out)
    merge_in_a_fresh_process(sources, out, *options, absent=("torch", "ml_dtypes"))
    mean = {n: (a.float() + b.float()) / 2 for (n, a), b in zip(read(sources[0]).items(), read(sources[1]).values())}
    assert_close(read(out), mean, atol=1e-3 if out.endswith(".pt") or options else 0.0)


@pytest.mark.parametrize("out", ["out", "out.pt"])
def test_a_bf16_merge_still_imports_ml_dtypes_and_rounds_as_torch(tmp_path, out):
    from sapsoup.builder.tokenizer import write_processor

    a, b = random_tensors(seed=1, dtype=torch.bfloat16), random_tensors(seed=2, dtype=torch.bfloat16)
    sources = [save_hf(tmp_path / "a", a, dtype=torch.bfloat16), save_hf(tmp_path / "b", b, dtype=torch.bfloat16)]
    for source in sources:
        write_processor(source, SMALL)
    out = str(tmp_path / out)
    merge_in_a_fresh_process(sources, out, "--dtype", "bf16", absent=("torch",), present=("ml_dtypes",))
    inputs = [read(source) for source in sources]
    written = read(out)
    for name in layout.canonical_names(SMALL):
        expected = inputs[0][name].float() * 0.5 + inputs[1][name].float() * 0.5
        if name != "model.encoder.embed_positions.weight":  # Whisper's fixed table stays float32
            expected = expected.to(torch.bfloat16)
        assert written[name].dtype == expected.dtype and torch.equal(written[name], expected), name


def test_a_pytorch_model_bin_folder_is_read_without_torch_like_its_safetensors_twin(tmp_path):
    """transformers' pickled `pytorch_model.bin` (a state dict with its `_metadata`) is an input too."""
    tensors = random_tensors(seed=3)
    pickled = save_hf(tmp_path / "bin", tensors, safetensors=False)
    assert [os.path.basename(f) for f in open_checkpoint(pickled).weight_files] == ["pytorch_model.bin"]
    out = str(tmp_path / "out.pt")
    merge_in_a_process_without_torch([pickled, save_hf(tmp_path / "st", tensors)], out, "--dtype", "fp32")
    assert_close(read(out), tensors)
