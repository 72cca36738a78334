"""`sapsoup serve`: a team's own challenge platform on this machine."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from sapsoup.validate import server, unpack


@click.command("serve")
@click.option("--dev", "dev_dir", required=True, type=click.Path(path_type=Path),
              help="Folder written by `sapsoup dev prepare`: every split in it is run and scored.")
@click.option("--data", "data_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for everything the platform keeps: database, archives, queue, plots, runs.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Port to listen on.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Submissions run at the same time.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=server.DEFAULT_TIMEOUT_SECONDS,
              show_default=True, help="Seconds for one submission's whole inference run; the script is killed after.")
@click.option("--daily-quota", type=click.IntRange(min=1), default=3, show_default=True,
              help="Submissions per team and UTC day; failed runs do not count.")
@click.option("--database", "database_url", help="SQLAlchemy URL of the database [default: sqlite in DATA].")
@click.option("--bert-model", type=click.Path(path_type=Path), help="Local BERTScore model (roberta-large) for SEM.")
@click.option("--nli-model", type=click.Path(path_type=Path), help="Local NLI model for SEM.")
@click.option("--bert-baseline", type=click.Path(path_type=Path),
              help="bert_score rescale baseline file for a --bert-model that is not roberta-large.")
@click.option("--max-unpacked-gb", type=click.FloatRange(min=0, min_open=True),
              default=unpack.DEFAULT_MAX_UNPACKED_BYTES / 1024**3, show_default=True,
              help="Refuse uploads larger than this, or that unpack to more.")
def serve(dev_dir, data_dir, host, port, workers, timeout, daily_quota, database_url, bert_model, nli_model,
          bert_baseline, max_unpacked_gb):
    """Run a team's own challenge platform: uploads, a queue, the organisers' run and scoring, a leaderboard.

    Archives of either edition are run exactly as `sapsoup validate` runs them, one at a time by
    default. SEM is computed only with --bert-model/--nli-model (as `validate` does); without them it
    shows as not computed. Stop with Ctrl-C: a run in progress is killed and run again at the next start.
    """
    import uvicorn

    from sapsoup.challenge.app import create_app
    from sapsoup.challenge.settings import make_settings

    given = (bert_model, nli_model, bert_baseline)
    semantic_options = None if all(v is None for v in given) else {
        "bert_model": None if bert_model is None else str(bert_model),
        "nli_model": None if nli_model is None else str(nli_model),
        "bert_baseline": None if bert_baseline is None else str(bert_baseline),
    }
    settings = make_settings(
        data_dir, dev_dir, database_url, workers=workers, timeout=timeout, daily_quota=daily_quota,
        max_unpacked_bytes=int(max_unpacked_gb * 1024**3), semantic_options=semantic_options,
    )  # fmt: skip
    # Uploads are spooled by the web framework to the temporary folder: keep that inside DATA too.
    scratch = settings.data_dir / "tmp"
    scratch.mkdir(exist_ok=True)
    os.environ["TMPDIR"] = str(scratch)
    tempfile.tempdir = str(scratch)
    app = create_app(settings)
    click.echo(f"sapsoup challenge platform on http://{host}:{port}/ (data in {settings.data_dir}; "
               f"dev splits {', '.join(settings.splits)}; {workers} worker(s); "
               f"SEM {'on' if semantic_options else 'not computed'})", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
