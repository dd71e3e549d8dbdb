"""The dashboard in a real browser: `harness dashboard STORE` (which execs `streamlit run
dashboards/app.py -- --results STORE`) driven by headless Chromium (selenium). Each page is loaded by URL, waited on until its key content has
rendered, checked for Streamlit exception boxes, and screenshotted to
tests/dashboards/artifacts/<page>.png (and docs/screenshots/<page>.png when
HARNESS_UPDATE_SCREENSHOTS=1).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.dashboards.conftest import ROOT

CHROMIUM = shutil.which("chromium")          # the same lookup as .ci/run's `command -v`
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = ROOT / "tests" / "dashboards" / "artifacts"
DOCS = ROOT / "docs" / "screenshots"

pytestmark = [pytest.mark.ci_required, pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="the browser test needs chromium and chromedriver on PATH (found: "
           f"chromium={CHROMIUM}, chromedriver={CHROMEDRIVER}; "
           "apt-get install chromium chromium-driver)")]

# page: (url path, texts that must be on it, CSS selector, how many of them to wait for)
PAGES = {
    "decision": ("", ["Decision", "Recommended strategy", "Requirement checks per strategy",
                      "Rejected strategies and why"], '[data-testid="stDataFrame"]', 3),
    "leaderboard": ("leaderboard", ["Leaderboard", "By strategy", "Click a column header"],
                    '[data-testid="stDataFrame"]', 1),
    "tradeoffs": ("tradeoffs", ["Tradeoffs", "Break-even", "Pareto-optimal:"], ".js-plotly-plot", 3),
    "sweeps": ("sweeps", ["Sweeps", "No sweeps stored for this run", "LoRA training loss"],
               ".js-plotly-plot", 1),
    "examples": ("examples", ["Examples", "Only failures", "Reference answer"],
                 '[data-testid="stCode"]', 3),
    "safety": ("safety", ["Safety", "Pass rate per probe category", "Failing probes"],
               ".js-plotly-plot", 1),
    "compare": ("compare", ["Compare runs", "What changed in the suite",
                            "Metric deltas per strategy"], '[data-testid="stDataFrame"]', 2),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(dash_results, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_RESULTS"}  # --results must work
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    with open(log, "wb") as out:
        env["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] = "none"
        proc = subprocess.Popen(  # the real command: it execs `streamlit run dashboards/app.py`
            [sys.executable, "-m", "harness.cli", "dashboard", str(dash_results.root),
             "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    opts = Options()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--no-first-run", "--window-size=1600,1000",
              f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(60)
    try:
        yield d
    finally:
        d.quit()


def _body(d) -> str:
    from selenium.webdriver.common.by import By
    return d.find_element(By.TAG_NAME, "body").text


def _wait_rendered(d, texts: list[str], selector: str, count: int, timeout: float = 90) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def ready(drv):
        if drv.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]'):
            return True  # fail fast below with the exception text
        body = _body(drv)
        return (all(t in body for t in texts)
                and len(drv.find_elements(By.CSS_SELECTOR, selector)) >= count
                and not drv.find_elements(By.CSS_SELECTOR, '[data-testid="stSkeleton"]'))
    WebDriverWait(d, timeout, poll_frequency=0.5).until(ready)
    time.sleep(1.5)  # let plotly / the data grid finish drawing before the screenshot


def _screenshot(d, name: str) -> Path:
    height = d.execute_script(
        "return Math.max(...[...document.querySelectorAll("
        "'[data-testid=\"stMain\"], [data-testid=\"stAppViewContainer\"], section.main')]"
        ".map(e => e.scrollHeight), document.body.scrollHeight)")
    d.set_window_size(1600, int(min(max(height + 40, 1000), 4000)))
    time.sleep(1.0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / ".gitignore").write_text("*\n")  # test output, not source
    path = ARTIFACTS / f"{name}.png"
    d.save_screenshot(str(path))
    d.set_window_size(1600, 1000)
    if os.environ.get("HARNESS_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / f"{name}.png")
    return path


@pytest.mark.parametrize("page", list(PAGES))
def test_page_in_browser(server, driver, dash_results, page):
    from selenium.webdriver.common.by import By
    path, texts, selector, count = PAGES[page]
    decision = json.loads((dash_results.run_dir(dash_results.second) / "decision.json").read_text())
    if page == "decision" and decision["chosen"]:
        texts = texts + [decision["chosen"]]
    driver.get(f"{server}/{path}")
    _wait_rendered(driver, texts, selector, count)
    exc = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')
    assert not exc, exc[0].text
    body = _body(driver)
    assert "Could not draw this part" not in body
    assert dash_results.second in body  # LATEST run picked by default
    assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stAppDeployButton"]')
    assert "Deploy" not in body   # a local app: no Streamlit Cloud button (client.toolbarMode)
    shot = _screenshot(driver, page)
    assert shot.stat().st_size > 20_000  # a real rendering, not a blank page


def test_pages_one_click_apart(server, driver):
    """Every page is in the sidebar navigation; clicking one opens it."""
    from selenium.webdriver.common.by import By
    driver.get(server)
    _wait_rendered(driver, ["Recommended strategy"], '[data-testid="stSidebarNav"]', 1)
    links = driver.find_elements(By.CSS_SELECTOR, '[data-testid="stSidebarNav"] a')
    names = [a.text.strip() for a in links]
    for title in ("Decision", "Leaderboard", "Tradeoffs", "Sweeps", "Examples", "Safety",
                  "Compare runs"):
        assert any(title in n for n in names), names
    next(a for a in links if "Safety" in a.text).click()
    _wait_rendered(driver, ["Pass rate per probe category"], ".js-plotly-plot", 1)
    assert driver.current_url.rstrip("/").endswith("/safety")
    assert not driver.find_elements(By.CSS_SELECTOR, '[data-testid="stException"]')


def test_run_picked_in_url(server, driver, dash_results):
    """?run=<id> opens that run (bound to the sidebar's run picker)."""
    driver.get(f"{server}/leaderboard?run={dash_results.first}")
    _wait_rendered(driver, ["Leaderboard", f"run {dash_results.first}"], '[data-testid="stDataFrame"]', 1)
