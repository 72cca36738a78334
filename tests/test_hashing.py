"""Input digests for provenance: exact sha256, remembered per file version, never stale."""

import hashlib
import os

import pytest

from sapsoup.builder import hashing
from sapsoup.builder.errors import CheckpointError
from sapsoup.builder.hashing import FileHashes, cached_sha256, sha256_file


def write(path, data: bytes):
    with open(path, "wb") as handle:
        handle.write(data)
    return str(path)


@pytest.mark.parametrize("size", [0, 1, 1000, 3 * 4096 + 17])
def test_sha256_file_equals_hashlib_across_window_boundaries(tmp_path, monkeypatch, size):
    monkeypatch.setattr(hashing, "WINDOW_BYTES", 4096)  # several windows, the last one partial
    data = os.urandom(size)
    assert sha256_file(write(tmp_path / "f", data)) == hashlib.sha256(data).hexdigest()


def test_an_unreadable_file_is_named_in_the_error(tmp_path):
    with pytest.raises(CheckpointError, match=r"missing\.safetensors: cannot read"):
        sha256_file(str(tmp_path / "missing.safetensors"))


def count_hashing(monkeypatch):
    calls = []
    real = hashing.sha256_file
    monkeypatch.setattr(hashing, "sha256_file", lambda path: calls.append(path) or real(path))
    return calls


def test_a_digest_is_remembered_for_an_unchanged_file(tmp_path, monkeypatch):
    calls = count_hashing(monkeypatch)
    path = write(tmp_path / "model.safetensors", b"weights")
    cache = str(tmp_path / "cache")
    assert cached_sha256(path, cache) == cached_sha256(path, cache) == hashlib.sha256(b"weights").hexdigest()
    assert calls == [path]


def test_a_rewritten_file_is_hashed_again_even_with_its_old_size_and_mtime(tmp_path, monkeypatch):
    calls = count_hashing(monkeypatch)
    path = write(tmp_path / "model.safetensors", b"weights-1")
    cache = str(tmp_path / "cache")
    first = cached_sha256(path, cache)
    before = os.stat(path)
    write(path, b"weights-2")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime: ctime still moves
    assert cached_sha256(path, cache) == hashlib.sha256(b"weights-2").hexdigest() != first
    assert len(calls) == 2


def test_a_damaged_cache_entry_is_a_miss_not_a_wrong_digest(tmp_path):
    path = write(tmp_path / "model.safetensors", b"weights")
    cache = tmp_path / "cache"
    cached_sha256(path, str(cache))
    (entry,) = cache.iterdir()
    entry.write_text("not a digest")
    assert cached_sha256(path, str(cache)) == hashlib.sha256(b"weights").hexdigest()


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv("SAPSOUP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SAPSOUP_HASH_CACHE", "off")
    path = write(tmp_path / "model.safetensors", b"weights")
    assert cached_sha256(path) == hashlib.sha256(b"weights").hexdigest()
    assert not (tmp_path / "cache").exists()


def test_file_hashes_work_in_the_background_and_give_each_file_its_digest(tmp_path):
    paths = [write(tmp_path / f"m{i}.bin", bytes([i]) * 1000) for i in range(3)]
    hashes = FileHashes(paths[:2], cache_dir=None)
    assert [hashes.sha256(p) for p in paths] == [hashlib.sha256(bytes([i]) * 1000).hexdigest() for i in range(3)]
    assert not hashes.pending()
    hashes.close()
    assert hashes._helper.wait(timeout=10) == 0


def test_a_file_the_hashing_process_cannot_read_is_named(tmp_path):
    hashes = FileHashes([str(tmp_path / "gone.safetensors")], cache_dir=None)
    with pytest.raises(CheckpointError, match=r"gone\.safetensors: cannot read"):
        hashes.sha256(str(tmp_path / "gone.safetensors"))
    hashes.close()


def test_cancelling_leaves_no_hashing_process_behind(tmp_path):
    hashes = FileHashes([write(tmp_path / "m.bin", b"x" * 1000)], cache_dir=None)
    hashes.cancel()
    assert hashes._helper.poll() is not None


def test_a_helper_that_says_something_else_fails_the_digests_instead_of_hanging(tmp_path):
    import sys

    hashes = FileHashes(cache_dir=None)
    hashes._helper = hashing.subprocess.Popen(  # stands in for a helper whose stdout is polluted
        [sys.executable, "-c", "import sys; print('hello'); sys.stdin.read()"],
        stdin=hashing.subprocess.PIPE, stdout=hashing.subprocess.PIPE, text=True,
    )
    hashing.threading.Thread(target=hashes._collect, args=(hashes._helper,), daemon=True).start()
    with pytest.raises(CheckpointError, match=r"m\.bin: unexpected output from the hashing process"):
        hashes.sha256(write(tmp_path / "m.bin", b"x"))
