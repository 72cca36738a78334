"""The HTTP client of `sapsoup submit`: upload an archive to a platform and follow its run.

Standard library only (urllib), streaming the archive from disk: a submission can be gigabytes, so it
is never read into memory whole.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Callable, Iterator

from sapsoup.errors import SapsoupError

CHUNK = 1 << 20
DONE = ("finished", "failed")


class ClientError(SapsoupError):
    """The platform refused the upload or could not be reached; the message says which."""


def _multipart(team: str, archive: Path) -> tuple[str, int, Iterator[bytes]]:
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"team\"\r\n\r\n{team}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"archive\"; "
            f"filename=\"{archive.name.replace(chr(34), '_')}\"\r\nContent-Type: application/zip\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def chunks() -> Iterator[bytes]:
        yield head
        with open(archive, "rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
        yield tail

    return f"multipart/form-data; boundary={boundary}", len(head) + archive.stat().st_size + len(tail), chunks()


def _request(request: urllib.request.Request, server: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            body = json.loads(error.read() or b"{}")
        except ValueError:
            body = {}
        raise ClientError(body.get("error") or f"{server}: HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ClientError(f"{server}: cannot reach the platform ({reason})") from None
    except ValueError:
        raise ClientError(f"{server}: the answer is not JSON; is this a `sapsoup serve` platform?") from None


def upload(server: str, archive: Path, team: str) -> dict:
    """POST the archive; the platform's answer (id, status, queue position, duplicate)."""
    archive = Path(archive)
    if not archive.is_file():
        raise ClientError(f"{archive}: no such file")
    content_type, length, body = _multipart(team, archive)
    request = urllib.request.Request(urllib.parse.urljoin(server, "/api/submissions"), data=body, method="POST",
                                     headers={"Content-Type": content_type, "Content-Length": str(length)})
    return _request(request, server)[1]


def submission(server: str, submission_id: int) -> dict:
    return _request(urllib.request.Request(urllib.parse.urljoin(server, f"/api/submissions/{submission_id}")),
                    server)[1]


def wait(server: str, submission_id: int, on_update: Callable[[dict], None], poll: float = 1.0,
         limit: float | None = None) -> dict:
    """Poll until the submission is finished or failed (or LIMIT seconds pass: ClientError)."""
    started = time.monotonic()
    while True:
        state = submission(server, submission_id)
        on_update(state)
        if state["status"] in DONE:
            return state
        if limit is not None and time.monotonic() - started > limit:
            raise ClientError(f"submission {submission_id} still {state['status']} after {limit:g} s")
        time.sleep(poll)
