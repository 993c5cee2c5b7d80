"""The drift report's HTML page, loaded in a real headless Chromium: rows, charts, sorting, filtering, escaping.

Chromium is Debian's package (``make test`` installs it where it can); the browser is driven
by Playwright, pointed at that executable. Nothing here fetches from a network: the page
must render from the file alone (its Content-Security-Policy forbids any fetch).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("narwhals")
pytest.importorskip("jinja2")
pa = pytest.importorskip("pyarrow")

import divergences as dv  # noqa: E402
from divergences.drift._example import example_paths  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("DIVERGENCES_ARTIFACTS", Path(__file__).resolve().parent.parent / "build" / "screenshots"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

ATTACKS = ['<script>document.title="pwned"</script>', '<img src=x onerror="document.title=\'pwned\'">',
           '"><svg onload="document.title=\'pwned\'">', "x' onmouseover='document.title=1"]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; make test does it as root)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def example_report():
    reference, current = example_paths()
    return dv.drift.compare(dv.drift.profile(reference), current, time_column="timestamp", every="1d",
                            correction="bh", n_permutations=5000, random_state=0)


def _open(browser, path: Path, errors: list[str] | None = None):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith("file:") else None)
    if errors is not None:
        page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    assert requests == [], f"the page fetched {requests}"
    return page


def test_the_page_shows_every_column_sorted_by_severity_with_its_charts(browser, example_report, tmp_path):
    path = example_report.to_html(tmp_path / "report.html")
    errors: list[str] = []
    page = _open(browser, path, errors)
    rows = page.locator("#columns tbody tr")
    assert rows.count() == 6
    names = [rows.nth(i).locator("td").first.inner_text() for i in range(6)]
    assert names[:3] == example_report.drifted_columns == ["country", "score", "income"]
    assert set(names) == {"country", "score", "income", "age", "n_loans", "is_mobile"}
    verdicts = [rows.nth(i).locator("td").nth(2).inner_text().strip() for i in range(6)]
    assert verdicts == ["drift"] * 3 + ["no drift"] * 3
    assert page.locator("#drift-count").inner_text().startswith("3 of 6")
    # a chart of shares per bin for every column, a timeline with the threshold for every column (windows)
    assert page.locator("svg.histogram").count() == 6 and page.locator("svg.timeline").count() == 6
    country = page.locator("section[data-column='country'] svg.histogram")
    assert country.locator("rect.cur").count() == 6  # FR, DE, ES, IT, NL and the unseen BR
    assert "BR" in country.text_content()
    timeline = page.locator("section[data-column='income'] svg.timeline")
    assert timeline.locator("circle").count() == 28 and timeline.locator("line.threshold").count() == 1
    drifted_windows = sum(r["drifted"] for r in example_report.to_records()
                          if r["column"] == "income" and r["metric"] == "js_distance")
    assert timeline.locator("circle.drifted").count() == drifted_windows > 0
    assert errors == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "drift-report.png"), full_page=True)
    page.close()


def test_the_table_sorts_and_filters_without_a_server(browser, example_report, tmp_path):
    page = _open(browser, example_report.to_html(tmp_path / "report.html"))
    page.click("#columns th:nth-child(1)")  # by name, descending
    names = [page.locator("#columns tbody tr").nth(i).locator("td").first.inner_text() for i in range(6)]
    assert names == sorted(names, reverse=True)
    page.click("#columns th:nth-child(1)")  # ascending
    names = [page.locator("#columns tbody tr").nth(i).locator("td").first.inner_text() for i in range(6)]
    assert names == sorted(names)
    page.click("#columns th:nth-child(4)")  # js_distance, descending
    values = [float(page.locator("#columns tbody tr").nth(i).locator("td").nth(3).inner_text()) for i in range(6)]
    assert values == sorted(values, reverse=True)
    page.fill("#filter", "CO")  # case-insensitive: country, score, income
    visible = page.locator("#columns tbody tr:visible")
    assert sorted(visible.nth(i).locator("td").first.inner_text() for i in range(visible.count())) == \
        ["country", "income", "score"]
    page.fill("#filter", "")
    page.check("#only-drifted")
    assert page.locator("#columns tbody tr:visible").count() == 3
    assert page.locator("#shown").inner_text() == "3 of 6 columns shown"
    page.close()


def test_user_strings_are_escaped_and_nothing_in_them_runs(browser, tmp_path):
    rng = np.random.default_rng(2)
    columns = {name: rng.normal(size=300) for name in ATTACKS}
    columns["plain"] = rng.choice(ATTACKS, 300)  # the payloads as categories too
    reference = pa.table(columns)
    current = pa.table({**{name: rng.normal(0.5, 1.0, 300) for name in ATTACKS},
                        "plain": rng.choice([*ATTACKS, "<b>new</b>"], 300)})
    rep = dv.drift.compare(dv.drift.profile(reference), current, random_state=0)
    path = rep.to_html(tmp_path / "attack.html", title="<script>document.title='pwned'</script>")
    errors: list[str] = []
    page = _open(browser, path, errors)
    title = "<script>document.title='pwned'</script>"
    assert page.title() == title  # the title's payload shown as text; none of the others ran
    for i in range(page.locator("#columns tbody tr").count()):  # an onmouseover payload would fire on hover
        page.locator("#columns tbody tr").nth(i).hover()
    assert page.title() == title
    assert page.locator("img").count() == 0 and page.locator("svg[onload]").count() == 0
    assert page.locator("body script").count() == 1  # ours alone
    shown = page.locator("#columns tbody").inner_text()
    for attack in ATTACKS:  # shown as text, exactly
        assert attack in shown
    assert "<b>new</b>" in page.locator("section[data-column='plain']").inner_text()
    assert errors == []
    page.close()


def test_the_page_does_not_grow_with_rows_and_a_hundred_columns_stay_small(tmp_path):
    rng = np.random.default_rng(3)
    sizes = []
    for rows in (1_000, 100_000):
        table = pa.table({f"c{i}": rng.normal(size=rows) for i in range(5)})
        rep = dv.drift.compare(dv.drift.profile(table), table, n_permutations=0)
        sizes.append(rep.to_html(tmp_path / f"r{rows}.html").stat().st_size)
    assert abs(sizes[1] - sizes[0]) < 0.02 * sizes[0]
    wide = pa.table({f"column_{i}": rng.normal(size=2_000) for i in range(100)})
    rep = dv.drift.compare(dv.drift.profile(wide), wide, n_permutations=0)
    assert rep.to_html(tmp_path / "wide.html").stat().st_size < 500_000


def test_notebook_html_holds_the_summary_and_table_and_the_cli_writes_the_page(example_report, tmp_path, capsys):
    html = example_report._repr_html_()
    assert "3 of 6" in html and html.count("<tr") == 7 and "<svg" not in html and "<script" not in html
    from conftest import run_cli

    page = tmp_path / "cli.html"
    code, out, _ = run_cli(capsys, "drift", "--example", "--html", page, "--no-progress")
    assert code == 0 and "DRIFT" in out
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "http://" not in text and "https://" not in text


def test_plot_draws_the_same_picture(example_report):
    pytest.importorskip("matplotlib")
    fig = example_report.plot("income")
    bars_ax, time_ax = fig.axes[:2]
    hist = example_report.histogram("income")
    assert len(bars_ax.patches) == 2 * len(hist["labels"])
    heights = [p.get_height() for p in bars_ax.patches]
    np.testing.assert_allclose(heights, [*hist["reference"], *hist["current"]])
    assert len(time_ax.lines[0].get_xdata()) == 28
    import matplotlib.pyplot as plt

    plt.close(fig)
