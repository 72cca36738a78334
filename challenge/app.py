"""The web application: pages for people, JSON for `sapsoup submit` and scripts.

Pages: the leaderboards (`/`), the upload form (`/submit`), every submission (`/submissions`), one
submission (`/submissions/ID`) and a comparison of two (`/compare?a=ID&b=ID`). API: `POST
/api/submissions` (multipart fields `team` and `archive`, as the form sends them), `GET
/api/submissions` and `GET /api/submissions/ID`. A refused upload answers 400 with the reason (429
for a used-up quota), on the page and as `{"error": ...}`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sapsoup.challenge import leaderboard, rendering
from sapsoup.challenge.service import Platform, QuotaError, compare
from sapsoup.challenge.settings import ChallengeError, Settings
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from sapsoup import editions
from sapsoup.errors import SapsoupError

HERE = Path(__file__).resolve().parent


def create_app(settings: Settings, start_workers: bool = True) -> FastAPI:
    platform = Platform(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        if start_workers:
            platform.start()
        try:
            yield
        finally:
            platform.stop()

    app = FastAPI(title="sapsoup challenge platform", lifespan=lifespan, docs_url="/api/docs", redoc_url=None)
    app.state.platform = platform
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    rendering.install(templates.env)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def page(request: Request, name: str, status_code: int = 200, **context) -> Response:
        context.update(settings=settings, editions={e.name: e for e in editions.all_editions()})
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    async def accept_upload(request: Request):
        form = await request.form(max_files=1, max_fields=4)
        archive = form.get("archive")
        team = form.get("team")
        if not isinstance(archive, UploadFile):
            raise ChallengeError("no file in the form field 'archive'")
        try:
            return await run_in_threadpool(platform.accept, str(team or ""), archive.file, archive.filename)
        finally:
            await archive.close()

    def refusal_status(error: SapsoupError) -> int:
        return 429 if isinstance(error, QuotaError) else 400

    def found(submission_id: int):
        submission = platform.store.get(submission_id)
        if submission is None:
            raise ChallengeError(f"no submission {submission_id}")
        return submission

    # --- pages

    @app.get("/")
    def leaderboard_page(request: Request):
        sorts = {name: request.query_params.get(f"sort_{name}") for name in editions.NAMES}  # one board each
        submissions = platform.store.all()
        boards = leaderboard.boards(submissions, settings.splits, sorts)
        waiting = sum(1 for s in submissions if s.status == "submitted")
        running = sum(1 for s in submissions if s.status in ("running", "scoring"))
        return page(request, "leaderboard.html", boards=boards, waiting=waiting, running=running,
                    sorts=sorts)

    @app.get("/submit")
    def submit_form(request: Request):
        return page(request, "submit.html", error=None, team="")

    @app.post("/submit")
    async def submit_from_form(request: Request):
        try:
            accepted = await accept_upload(request)
        except SapsoupError as error:
            form = await request.form()
            return page(request, "submit.html", status_code=refusal_status(error), error=str(error),
                        team=str(form.get("team") or ""))
        query = "?duplicate=1" if accepted.duplicate else ""
        return RedirectResponse(f"/submissions/{accepted.submission.id}{query}", status_code=303)

    @app.get("/submissions")
    def submissions_page(request: Request):
        return page(request, "submissions.html", submissions=list(reversed(platform.store.all())))

    @app.get("/submissions/{submission_id}")
    def submission_page(request: Request, submission_id: int, duplicate: int = 0):
        try:
            submission = found(submission_id)
        except ChallengeError as error:
            return page(request, "error.html", status_code=404, error=str(error))
        others = [s for s in platform.store.all(submission.edition) if s.id != submission.id and s.status == "finished"]
        plot = settings.plots_dir / f"{submission.id}.png"
        return page(request, "submission.html", submission=submission, duplicate=bool(duplicate), others=others,
                    position=platform.store.queue_position(submission.id), has_plot=plot.is_file(),
                    edition=editions.get(submission.edition),
                    inference_seconds=sum(t["seconds"] for t in submission.timings if t["stage"].startswith("inference")))

    @app.get("/submissions/{submission_id}/plot.png")
    def submission_plot(submission_id: int):
        plot = settings.plots_dir / f"{int(submission_id)}.png"
        if not plot.is_file():
            return JSONResponse({"error": f"submission {submission_id} has no plot"}, status_code=404)
        return FileResponse(plot, media_type="image/png")

    @app.get("/compare")
    def compare_page(request: Request, a: int, b: int):
        try:
            first, second = found(a), found(b)
            splits = compare(first, second)
        except ChallengeError as error:
            return page(request, "error.html", status_code=400, error=str(error))
        return page(request, "compare.html", first=first, second=second, splits=splits,
                    edition=editions.get(first.edition))

    # --- API

    @app.post("/api/submissions")
    async def submit_from_api(request: Request):
        try:
            accepted = await accept_upload(request)
        except SapsoupError as error:
            return JSONResponse({"error": str(error)}, status_code=refusal_status(error))
        body = api_submission(accepted.submission, accepted.queue_position)
        body["duplicate"] = accepted.duplicate
        if accepted.duplicate:
            body["message"] = (f"the same archive (sha256 {accepted.submission.sha256[:12]}...) was submitted before "
                               f"as submission {accepted.submission.id}; it is not run again")
        return JSONResponse(body, status_code=200 if accepted.duplicate else 201)

    @app.get("/api/submissions")
    def list_submissions():
        return [api_submission(s, None) for s in platform.store.all()]

    @app.get("/api/submissions/{submission_id}")
    def get_submission(submission_id: int):
        submission = platform.store.get(submission_id)
        if submission is None:
            return JSONResponse({"error": f"no submission {submission_id}"}, status_code=404)
        body = api_submission(submission, platform.store.queue_position(submission_id))
        body.update(details=submission.details, timings=submission.timings, notes=submission.notes,
                    logs=submission.logs, time_limit_seconds=settings.timeout)
        return body

    return app


def api_submission(submission, position: int | None) -> dict:
    body = submission.as_dict()
    body.update(queue_position=position, url=f"/submissions/{submission.id}",
                metrics=list(editions.get(submission.edition).metrics))
    return body
