"""`sapsoup serve` through its HTTP API, as `sapsoup submit` and scripts use it: a real server process
on a loopback port, small fake archives (tests/test_server.py's) and a three-utterance dev set.

Covers every refused upload (nothing of it kept), the same bytes twice, two uploads at once, the
daily quota (failed runs do not count), a crashing and a hanging script (killed at the limit, the
next submission still runs), and a server killed mid-run that runs the submission again on restart.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_server import CRASH, EXPECTED_WER, GOOD, HANG, answers, make_archive, make_dev

from sapsoup.cli import main

STARTUP_SECONDS = 60
SAPSOUP = str(Path(sys.executable).with_name("sapsoup"))
SLOW = GOOD.replace("lines = []", "import time\ntime.sleep(float(os.environ.get('SLOW_SECONDS', '4')))\nlines = []")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A `sapsoup serve` process on 127.0.0.1; always stopped by the test that started it."""

    def __init__(self, dev: Path, data: Path, *options: str):
        self.dev, self.data, self.options = dev, data, options
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> "Server":
        command = [SAPSOUP, "serve", "--dev", str(self.dev), "--data", str(self.data), "--port", str(self.port),
                   *self.options]
        self.log = open(self.data.parent / f"serve-{self.port}.log", "ab")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"sapsoup serve exited with {self.process.returncode}: {self.read_log()}")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(self.url + "/api/submissions", timeout=2).close()
                return self
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"sapsoup serve did not answer within {STARTUP_SECONDS} s: {self.read_log()}")

    def read_log(self) -> str:
        self.log.flush()
        return (self.data.parent / f"serve-{self.port}.log").read_text(errors="replace")[-3000:]

    def stop(self, how: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, how)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None
        self.log.close()

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- HTTP

    def post(self, path: str, team: str, content: bytes, filename: str = "submission.zip") -> tuple[int, dict | str]:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"team\"\r\n\r\n{team}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"archive\"; filename=\"{filename}\"\r\n"
                "Content-Type: application/zip\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(self.url + path, data=body, method="POST",
                                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, text = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        return status, json.loads(text) if path.startswith("/api/") else text

    def upload(self, team: str, archive: Path) -> tuple[int, dict]:
        return self.post("/api/submissions", team, archive.read_bytes(), archive.name)

    def get(self, path: str):
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            text = response.read().decode()
        return json.loads(text) if path.startswith("/api/") else text

    def wait(self, submission_id: int, statuses=("finished", "failed"), seconds: float = 60) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            state = self.get(f"/api/submissions/{submission_id}")
            if state["status"] in statuses:
                return state
            time.sleep(0.2)
        raise AssertionError(f"submission {submission_id} not {statuses} after {seconds} s: {state}; {self.read_log()}")


def fake_archive(folder: Path, name: str, script: str = GOOD, variant: str = "") -> Path:
    """A small SAPC1 archive; VARIANT changes its bytes (not its answers) so that it is a new upload."""
    return make_archive(folder / name, script, {"variant.txt": variant or name})


def zip_bytes(entries: dict[str, bytes | str], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, data in entries.items():
            bundle.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            bundle.writestr(info, target)
    return buffer.getvalue()


def good_entries() -> dict[str, str]:
    return {"run.sh": "python_version=3.9\n", "inference.py": GOOD, "model.pt": "", "answers.json": answers()}


def stored_files(data: Path) -> list[str]:
    """What the platform keeps of uploads: archives and anything left in its staging folder."""
    return sorted(str(p.relative_to(data)) for folder in ("archives", "incoming") if (data / folder).is_dir()
                  for p in (data / folder).rglob("*"))


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("challenge-dev")
    make_dev(root)
    return root / "dev"


@pytest.fixture(scope="module")
def platform(dev, tmp_path_factory):
    """One server for the upload tests: 3 s limit, quota of 3, uploads up to about 1 MB."""
    data = tmp_path_factory.mktemp("challenge") / "data"
    with Server(dev, data, "--timeout", "3", "--daily-quota", "3", "--max-unpacked-gb", "0.001") as server:
        yield server


REFUSED = {
    "not a ZIP": (b"this is not a zip file", "not a ZIP archive"),
    "'..' entry": (zip_bytes({**good_entries(), "../escape.txt": "x"}), "'..' component"),
    "absolute entry": (zip_bytes({**good_entries(), "/etc/escape.txt": "x"}), "absolute path"),
    "link entry": (zip_bytes(good_entries(), links={"model.bin": "/etc/passwd"}), "symbolic link"),
    "over the size limit": (zip_bytes({**good_entries(), "weights.bin": b"\0" * 2_000_000}), "exceeds the limit"),
    "wrong layout": (zip_bytes({"inference.py": GOOD, "model.pt": ""}), "missing run.sh"),
    "zipped folder": (zip_bytes({f"team/{k}": v for k, v in good_entries().items()}), "zip the folder's content"),
    "empty": (b"", "the upload is empty"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_bad_upload_is_refused_at_the_door_and_nothing_of_it_is_kept(platform, case):
    content, reason = REFUSED[case]
    before = platform.get("/api/submissions")

    status, body = platform.post("/api/submissions", "refused", content, "bad.zip")

    assert status == 400
    assert reason in body["error"] and body["error"].startswith("bad.zip")
    assert platform.get("/api/submissions") == before
    assert stored_files(platform.data) == sorted({f"archives/{s['sha256']}.zip" for s in before})
    assert not (platform.data.parent / "escape.txt").exists()


def test_the_web_form_shows_the_refusal_on_the_page(platform):
    status, page = platform.post("/submit", "refused", b"not a zip", "notes.txt")

    assert status == 400
    assert "notes.txt: not a ZIP archive" in page
    assert 'name="team" id="team" value="refused"' in page  # the form is shown again, filled in


def test_a_good_upload_is_queued_run_and_scored_as_validate_scores_it(platform, dev, tmp_path):
    from sapsoup.validate import devset, evaluation

    archive = fake_archive(tmp_path, "good.zip")
    status, body = platform.upload("alpha", archive)
    assert status == 201 and body["status"] in ("submitted", "running") and body["edition"] == "sapc1"

    final = platform.wait(body["id"])

    assert final["status"] == "finished", final
    expected = evaluation.evaluate_archive(archive, [devset.load_dev_split(dev, "dev")], tmp_path / "work")
    assert final["scores"] == {"dev": {"WER": round(expected.reports[0].headline["WER"], 4), "SEM": None}}
    assert final["scores"]["dev"]["WER"] == pytest.approx(EXPECTED_WER, abs=1e-4)
    assert [t["stage"] for t in final["timings"]][:3] == ["unpack", "layout check", "isolation check"]
    listed = {s["id"]: s for s in platform.get("/api/submissions")}
    assert listed[body["id"]]["team"] == "alpha" and listed[body["id"]]["scores"] == final["scores"]
    board = platform.get("/")
    assert "alpha" in board and f"{EXPECTED_WER:.2f}" in board
    page = platform.get(f"/submissions/{body['id']}")
    assert "Where the errors are" in page and "SEM is not computed" in board
    assert urllib.request.urlopen(platform.url + f"/submissions/{body['id']}/plot.png").read()[:4] == b"\x89PNG"


def test_the_same_bytes_again_are_recognised_and_not_run_twice(platform, tmp_path):
    archive = fake_archive(tmp_path, "twice.zip")
    _, first = platform.upload("beta", archive)
    platform.wait(first["id"])

    status, again = platform.upload("beta-other-name", archive)

    assert status == 200 and again["duplicate"] is True and again["id"] == first["id"]
    assert f"as submission {first['id']}" in again["message"]
    assert sum(1 for s in platform.get("/api/submissions") if s["sha256"] == first["sha256"]) == 1
    _, page = platform.post("/submit", "beta", archive.read_bytes(), "twice.zip")
    assert "already submitted" in page and f"#{first['id']}" in page


def test_two_uploads_at_once_both_run(platform, tmp_path):
    archives = [fake_archive(tmp_path, f"together{i}.zip") for i in range(2)]
    answers_ = [None, None]

    def send(index):
        answers_[index] = platform.upload(f"together{index}", archives[index])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [status for status, _ in answers_] == [201, 201]
    ids = {body["id"] for _, body in answers_}
    assert len(ids) == 2
    assert all(platform.wait(i)["status"] == "finished" for i in ids)
    first, second = sorted(ids)
    page = " ".join(platform.get(f"/compare?a={first}&b={second}").split())
    assert "WER difference +0.00 points, 95% interval [+0.00, +0.00]: no clear difference." in page


def test_the_daily_quota_refuses_the_next_upload_and_failed_runs_do_not_count(platform, tmp_path):
    _, crashed = platform.upload("gamma", fake_archive(tmp_path, "crash.zip", CRASH))
    failed = platform.wait(crashed["id"])
    assert failed["status"] == "failed"
    assert "exited with status 1" in failed["reason"] and "CUDA out of memory" in failed["details"]
    assert any("CUDA out of memory" in text for text in failed["logs"].values())
    assert "CUDA out of memory" in platform.get(f"/submissions/{crashed['id']}")

    for index in range(3):
        status, _ = platform.upload("gamma", fake_archive(tmp_path, f"quota{index}.zip"))
        assert status == 201

    status, body = platform.upload("gamma", fake_archive(tmp_path, "quota3.zip"))
    assert status == 429
    assert body["error"] == "team 'gamma' has used its 3 submissions for today (UTC); failed runs do not count"


def test_a_hanging_script_is_killed_at_the_limit_and_the_next_submission_runs(platform, tmp_path):
    _, hanging = platform.upload("delta", fake_archive(tmp_path, "hang.zip", HANG))
    _, after = platform.upload("delta", fake_archive(tmp_path, "after.zip"))

    killed = platform.wait(hanging["id"], seconds=60)
    assert killed["status"] == "failed"
    assert "did not finish within the 3 s limit" in killed["reason"]
    assert platform.wait(after["id"])["status"] == "finished"


def test_a_server_killed_mid_run_runs_the_submission_again_when_restarted(dev, tmp_path):
    data = tmp_path / "data"
    server = Server(dev, data).start()
    try:
        _, body = server.upload("epsilon", fake_archive(tmp_path, "slow.zip", SLOW))
        server.wait(body["id"], statuses=("running",), seconds=30)
        server.stop(signal.SIGKILL)  # no clean-up at all, as a lost machine
        server.start()
        final = server.wait(body["id"], seconds=60)
    finally:
        server.stop()

    assert final["status"] == "finished" and final["attempts"] == 2
    assert final["scores"]["dev"]["WER"] == pytest.approx(EXPECTED_WER, abs=1e-4)


def test_submit_uploads_waits_and_prints_the_score_or_fails_with_one_line(platform, tmp_path):
    result = CliRunner().invoke(main, ["submit", str(fake_archive(tmp_path, "cli.zip")), "--server", platform.url,
                                       "--team", "zeta", "--wait", "--poll", "0.2"])
    assert result.exit_code == 0, result.output
    assert f"dev: WER {EXPECTED_WER:.2f}, SEM not computed" in result.output

    result = CliRunner().invoke(main, ["submit", str(fake_archive(tmp_path, "cli-crash.zip", CRASH)),
                                       "--server", platform.url, "--team", "zeta", "--wait", "--poll", "0.2"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("Error: submission #")
    assert "failed:" in result.output and "exited with status 1" in result.output

    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"no zip")
    result = CliRunner().invoke(main, ["submit", str(bad), "--server", platform.url, "--team", "zeta"])
    assert result.exit_code == 1 and result.output == "Error: bad.zip: not a ZIP archive (File is not a zip file)\n"


def test_with_two_workers_two_submissions_run_at_the_same_time(dev, tmp_path):
    data = tmp_path / "data"
    server = Server(dev, data, "--workers", "2").start()
    try:
        ids = [server.upload(f"team{i}", fake_archive(tmp_path, f"slow{i}.zip", SLOW, variant=str(i)))[1]["id"]
               for i in range(2)]
        both_running = False
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not both_running:
            statuses = {s["id"]: s["status"] for s in server.get("/api/submissions")}
            both_running = all(statuses.get(i) == "running" for i in ids)
            time.sleep(0.2)
        finals = [server.wait(i, seconds=60) for i in ids]
    finally:
        server.stop()

    assert both_running  # each script sleeps 4 s: with one worker they would never overlap
    assert [final["status"] for final in finals] == ["finished", "finished"]
