"""`sapsoup serve` as a team uses it: a real tiny.en archive uploaded through the web form in headless
Chromium, run by the queue, and the leaderboard showing the score `sapsoup validate` gives it.

Needs Debian's `chromium` and `chromium-driver`; without them the test fails and says so.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
from test_challenge_api import Server

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
RATE = 16000
RUN_SECONDS = 240


def browser(profile: Path):
    """Headless Chromium through Selenium, with a fresh profile and nothing that calls out."""
    if not (shutil.which("chromium") or Path(CHROMIUM).exists()) or not Path(CHROMEDRIVER).exists():
        pytest.fail("headless Chromium is missing: install the Debian packages chromium and chromium-driver "
                    "(apt-get install -y chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    for argument in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", f"--user-data-dir={profile}", "--window-size=1280,900"):
        options.add_argument(argument)
    options.binary_location = CHROMIUM
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def speech_dev(root: Path, speech: list[tuple[str, np.ndarray]]) -> Path:
    """A dev folder in the organisers' layout holding real (eSpeak) speech: two utterances."""
    dev, split = root / "dev", "dev"
    (dev / "manifest").mkdir(parents=True)
    (dev / "data" / split).mkdir(parents=True)
    tsv, meta, csv = [str((dev / "data").resolve())], ["id\tspeaker\tetiology\tcategory\tduration"], [
        "id,audio_filepath,norm_text_with_disfluency,norm_text_without_disfluency"]
    references = []
    for index, (text, audio) in enumerate(speech[:2]):
        uid = f"spk1_{index:04d}"
        soundfile.write(dev / "data" / split / f"{uid}.wav", audio, RATE, subtype="PCM_16")
        tsv.append(f"{split}/{uid}.wav\t{len(audio)}")
        meta.append(f"{uid}\tspk1\tParkinson's Disease\tNovel Sentences\t{len(audio) / RATE:.3f}")
        words = text.rstrip(".").upper()
        references.append(words)
        csv.append(f"{uid},data/{split}/{uid}.wav,{words.lower()},{words.lower()}")
    for name, lines in (("tsv", tsv), ("meta.tsv", meta), ("csv", csv), ("ref1", references), ("ref2", references)):
        (dev / "manifest" / f"{split}.{name}").write_text("\n".join(lines) + "\n")
    return dev


@pytest.mark.real
def test_a_tiny_en_archive_uploaded_in_a_browser_reaches_the_leaderboard_with_validates_score(
    tiny_en_pt, clean_speech, tmp_path
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    from sapsoup.builder.archive import build_archive
    from sapsoup.validate import devset, evaluation

    dev = speech_dev(tmp_path, clean_speech)
    archive = tmp_path / "tiny-en.zip"
    build_archive(tiny_en_pt, str(archive), "sapc1")
    expected = evaluation.evaluate_archive(archive, [devset.load_dev_split(dev, "dev")], tmp_path / "validate")
    wer = expected.reports[0].headline["WER"]

    profile = Path(tempfile.mkdtemp(prefix="chromium-profile-"))
    with Server(dev, tmp_path / "data") as server:
        driver = browser(profile)
        try:
            driver.get(server.url + "/submit")
            driver.find_element(By.ID, "team").send_keys("tiny team")
            driver.find_element(By.ID, "archive").send_keys(str(archive))
            driver.find_element(By.ID, "upload").click()
            WebDriverWait(driver, 60).until(lambda d: "/submissions/" in d.current_url)  # the upload's answer
            page = driver.current_url
            deadline = time.monotonic() + RUN_SECONDS
            status = ""
            while time.monotonic() < deadline:
                driver.get(page)  # the page also refreshes itself while the run is pending
                found = driver.find_elements(By.ID, "status")
                status = found[0].text if found else ""
                if status in ("finished", "failed"):
                    break
                time.sleep(1)
            assert status == "finished", driver.find_element(By.TAG_NAME, "main").text
            assert driver.find_element(By.ID, "dev-WER").text == f"{wer:.2f}"

            driver.get(server.url + "/")
            row = driver.find_element(By.CSS_SELECTOR, "#board-sapc1 tbody tr")
            cells = row.find_elements(By.CSS_SELECTOR, "td.score")
            assert row.find_element(By.CSS_SELECTOR, "td.team").text == "tiny team"
            assert [cell.text for cell in cells] == [f"{wer:.2f}", "\u2014"]  # WER, then SEM not computed
        finally:
            driver.quit()
            shutil.rmtree(profile, ignore_errors=True)
        listed = server.get("/api/submissions")
    assert listed[0]["scores"]["dev"]["WER"] == round(wer, 4)
