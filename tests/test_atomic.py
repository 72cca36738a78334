"""Outputs appear whole or not at all, and with the permissions a plain write would give them."""

import os
import stat

import pytest

from sapsoup.atomic import UMASK, atomic_path, write_json


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
