"""Outputs appear whole or not at all, and with the permissions a plain write would give them."""

import os
import stat
import time

import pytest

from sapsoup.atomic import UMASK, atomic_path, remove_stale_partials, stale_partials, write_json


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.json"
    write_json(target, {"version": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            with open(tmp, "w") as handle:
                handle.write('{"version": 2')  # half written
            raise RuntimeError("interrupted")
    assert target.read_text() == '{\n  "version": 1\n}\n'
    assert os.listdir(tmp_path) == ["out.json"]


def test_a_folder_replaces_an_existing_folder_or_symlink(tmp_path):
    (tmp_path / "old").mkdir()
    os.symlink(tmp_path / "old", tmp_path / "link")
    for target in (tmp_path / "model", tmp_path / "link"):
        os.makedirs(target, exist_ok=True)
        with atomic_path(target, folder=True) as tmp:
            (tmp_path / tmp / "model.safetensors").write_bytes(b"new")
        assert (target / "model.safetensors").read_bytes() == b"new" and not target.is_symlink()
    assert sorted(os.listdir(tmp_path)) == ["link", "model", "old"]


def test_outputs_get_the_permissions_of_a_plain_write(tmp_path):
    with atomic_path(tmp_path / "file") as tmp:
        open(tmp, "w").close()
    with atomic_path(tmp_path / "folder", folder=True):
        pass
    assert stat.S_IMODE(os.stat(tmp_path / "file").st_mode) == 0o666 & ~UMASK
    assert stat.S_IMODE(os.stat(tmp_path / "folder").st_mode) == 0o777 & ~UMASK


def partial_of(folder, target, pid, kind="partial"):
    from sapsoup.atomic import HOST

    return folder / f".{target}.{HOST}-{pid}.abc123de.{kind}"


def dead_pid():
    import subprocess

    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid  # ended and reaped: no process has this id (until it is reused)


def test_a_write_removes_the_stale_partials_of_its_own_target_only(tmp_path):
    pid = dead_pid()
    stale, other_target, longer_name = (partial_of(tmp_path, t, pid) for t in ("out.pt", "out", "out.pt.bak"))
    for path in (stale, other_target, longer_name):
        path.write_bytes(b"left by a killed process")
    foreign = tmp_path / f".out.pt.000000-{pid}.abc123de.partial"  # another machine's: not ours to judge
    foreign.write_bytes(b"")
    write_json(tmp_path / "out.pt", {"version": 1})
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in (other_target, longer_name, foreign)) + ["out.pt"]


def test_a_live_writer_keeps_its_partial_unless_it_started_after_the_partial_was_last_written(tmp_path):
    import subprocess

    alive = subprocess.Popen(["sleep", "60"])
    try:
        partial = partial_of(tmp_path, "out.json", alive.pid)
        partial.write_bytes(b"being written")
        assert stale_partials(tmp_path / "out.json") == []
        os.utime(partial, (time.time() - 3600, time.time() - 3600))  # older than the process: its id was reused
        assert stale_partials(tmp_path / "out.json") == [str(partial)]
    finally:
        alive.kill()
        alive.wait()


def test_a_previous_version_moved_aside_by_a_killed_process_gets_its_name_back(tmp_path):
    old = partial_of(tmp_path, "model", dead_pid(), kind="old")
    (old / "previous").mkdir(parents=True)
    (old / "previous" / "model.safetensors").write_bytes(b"the only copy")
    assert remove_stale_partials(tmp_path / "model") == [str(old)]
    assert (tmp_path / "model" / "model.safetensors").read_bytes() == b"the only copy"
    assert os.listdir(tmp_path) == ["model"]
