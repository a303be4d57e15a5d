"""The pages as an on-call responder opens them from Slack: on a phone, in headless Chromium.

The map is the generated organisation's, with its newest public incident made as rough as real
ones get: a long name in several scripts, a summary holding a stack trace and a dashboard URL
(long runs with no space to break at), an update that is one such run, and a long service name.
The browser emulates a 375 x 667 phone (the CSS width of the smallest phones still common).
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from precedent.embedding import HashEmbedder
from precedent.investigation import Collaborators, build_investigation, save
from precedent.model import OWNER_VIEWER
from precedent.retrieval import Catalog, IncidentQuery, SimilarIncidentFinder
from precedent.store.embedded import EmbeddedStore
from tests.web.browser import CHROMEDRIVER, CHROMIUM, SCREENSHOTS, ServerThread, chromium, screenshot
from tests.web.conftest import DIMENSIONS, copy_map

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from selenium.webdriver.remote.webdriver import WebDriver

    from tests.web.conftest import WebOrg

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRACE = (
    "java.lang.IllegalStateException:org.elasticsearch.cluster.block.ClusterBlockException:"
    "index[products-2026.11.03-reindex-000017]blocked_by:[FORBIDDEN/12/index_read-only/allow_delete(api)];"
) * 3
DASHBOARD = "https://grafana.acme.example/d/abcdef/search?orgId=1&var-cluster=eu-west-1&viewPanel=1234567890"
LONG_NAME = "Σφάλματα εγγραφής — Schreibfehler im Suchcluster während der Neuindizierung aller Kataloge 🔥"
LONG_SERVICE = (
    "search-elasticsearch-eu-west-1-production-cluster-primary-shard-allocation-ñandú-очень-длинное"
)


@dataclass(frozen=True)
class RoughMap:
    data_dir: Path
    reference: str
    investigation: str
    team: str  # owns the long-named service


@pytest.fixture(scope="module")
async def rough_map(web_org: WebOrg) -> RoughMap:
    data_dir = copy_map(web_org, "phone-data")
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await store.open()
    try:
        [incident] = await store.get_nodes([web_org.public.id])
        summary = "Writes fail on the search cluster. " * 20 + TRACE + " " + DASHBOARD
        rough = {"name": LONG_NAME, "summary": summary}
        changed = [dataclasses.replace(incident, properties={**incident.properties, **rough})]
        team = ""
        for _, node in await store.neighbours(incident.id):
            if node.label == "Service":
                rename = {**node.properties, "name": LONG_SERVICE}
                changed.append(dataclasses.replace(node, properties=rename))
                owners = await store.neighbours(node.id)
                team = next(str(t.properties["name"]) for e, t in owners if e.type == "OWNED_BY")
            elif node.label == "IncidentUpdate":
                message = {**node.properties, "message": TRACE}
                changed.append(dataclasses.replace(node, properties=message, text=TRACE))
        await store.upsert_nodes(changed)
        embedder = HashEmbedder(dimensions=DIMENSIONS)
        catalog = Catalog(store)
        collaborators = Collaborators(store, SimilarIncidentFinder(store, embedder, catalog=catalog), catalog)
        investigation = await build_investigation(IncidentQuery(incident.id), collaborators, OWNER_VIEWER)
        await save(store, investigation, trigger="request")
    finally:
        await store.close()
    return RoughMap(data_dir, web_org.public_ref, investigation.id, team)


@pytest.fixture(scope="module")
def server(rough_map: RoughMap) -> Iterator[ServerThread]:
    running = ServerThread(rough_map.data_dir)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def phone(server: ServerThread, web_org: WebOrg) -> Iterator[WebDriver]:
    """A signed-in browser the size of a phone."""
    assert CHROMIUM.exists(), "run ./scripts/bootstrap: it installs Debian's chromium"
    assert CHROMEDRIVER.exists(), "run ./scripts/bootstrap: it installs Debian's chromium-driver"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver = chromium()
    try:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 375, "height": 667, "deviceScaleFactor": 2, "mobile": True},
        )
        driver.get(server.base + "/ui/sign-in")
        old = driver.find_element(By.TAG_NAME, "html")
        field = driver.find_element(By.ID, "token")
        field.send_keys(web_org.read_token, Keys.ENTER)
        WebDriverWait(driver, 20).until(expected_conditions.staleness_of(old))
        yield driver
    finally:
        driver.quit()


def open_page(browser: WebDriver, server: ServerThread, path: str, shot: str) -> None:
    browser.get(server.base + path)
    WebDriverWait(browser, 20).until(lambda b: b.execute_script("return document.readyState") == "complete")
    assert browser.find_element(By.TAG_NAME, "h1").text != "Not found", path
    screenshot(browser, shot)


def sideways_scroll(browser: WebDriver) -> int:
    page = "document.documentElement"
    return int(browser.execute_script(f"return {page}.scrollWidth - {page}.clientWidth"))


def test_long_names_and_unbroken_text_never_scroll_the_page_sideways(
    phone: WebDriver, server: ServerThread, rough_map: RoughMap
) -> None:
    for path, shot in (
        (f"/ui/incidents/{rough_map.reference}", "phone-rough-incident"),
        (f"/ui/investigations/{quote(rough_map.investigation, safe='')}", "phone-rough-investigation"),
        (f"/ui/services/{quote(LONG_SERVICE)}", "phone-rough-service"),
        (f"/ui/teams/{quote(rough_map.team, safe='')}", "phone-rough-team"),
        ("/ui/search?q=ClusterBlockException", "phone-rough-search"),
        ("/ui/incidents", "phone-rough-incidents"),
        ("/ui/services", "phone-rough-services"),
        ("/ui/teams", "phone-rough-teams"),
    ):
        open_page(phone, server, path, shot)
        overflow = sideways_scroll(phone)
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"


def test_on_call_and_the_closest_precedent_are_on_the_first_screens(
    phone: WebDriver, server: ServerThread, rough_map: RoughMap
) -> None:
    # Even under a long name and a summary holding a stack trace.
    path = f"/ui/investigations/{quote(rough_map.investigation, safe='')}"
    open_page(phone, server, path, "phone-rough-investigation-top")
    screen = int(phone.execute_script("return window.innerHeight"))
    for term in ("On call when declared", "Closest precedent"):
        answer = phone.find_element(By.XPATH, f"//dt[normalize-space()='{term}']/following-sibling::dd[1]")
        bottom = phone.execute_script("return arguments[0].getBoundingClientRect().bottom + scrollY", answer)
        assert bottom <= 2 * screen, f"{term} ends {bottom}px down, past the second screen of {screen}px"
    # The section links are targets a thumb can hit.
    for link in phone.find_elements(By.CSS_SELECTOR, "#brief nav a"):
        assert link.size["height"] >= 44, (link.text, link.size)


def test_the_chart_labels_are_readable_on_a_phone(
    phone: WebDriver, server: ServerThread, rough_map: RoughMap
) -> None:
    open_page(phone, server, f"/ui/services/{quote(LONG_SERVICE)}", "phone-rough-service-chart")
    # The size a label is drawn at: its font size in the SVG's units times the SVG's scale.
    sizes = phone.execute_script(
        """const svg = document.querySelector('figure.chart svg');
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        const size = (t) => parseFloat(getComputedStyle(t).fontSize) * scale;
        return [...svg.querySelectorAll('text')].map(size);"""
    )
    assert sizes
    assert min(sizes) >= 11, f"chart labels drawn at {min(sizes):.1f}px on a phone"


def test_every_page_reflows_at_320_css_pixels(
    phone: WebDriver, server: ServerThread, rough_map: RoughMap
) -> None:
    # WCAG's reflow width (1280px zoomed to 400%), and the smallest phones' CSS width.
    metrics = {"width": 320, "height": 568, "deviceScaleFactor": 2, "mobile": True}
    phone.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        for path, shot in (
            ("/ui/", "narrow-home"),
            (f"/ui/incidents/{rough_map.reference}", "narrow-incident"),
            (f"/ui/investigations/{quote(rough_map.investigation, safe='')}", "narrow-investigation"),
            (f"/ui/services/{quote(LONG_SERVICE)}", "narrow-service"),
            ("/ui/search?q=latency", "narrow-search"),
            ("/ui/incidents", "narrow-incidents"),
            ("/ui/services", "narrow-services"),
            ("/ui/teams", "narrow-teams"),
        ):
            open_page(phone, server, path, shot)
            overflow = sideways_scroll(phone)
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"
    finally:
        phone.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "width": 375, "height": 667})


def test_the_drawing_stays_legible_when_the_stylesheet_does_not_arrive(
    phone: WebDriver, server: ServerThread, rough_map: RoughMap
) -> None:
    # On a slow or flaky phone connection the page can render before (or without) its CSS: the
    # HTML reads on its own, and the drawing must not become black labels on black boxes.
    phone.execute_cdp_cmd("Network.enable", {})
    phone.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    phone.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*/precedent.css"]})
    try:
        open_page(phone, server, f"/ui/investigations/{quote(rough_map.investigation, safe='')}", "no-css")
        drawn = phone.execute_script(
            """const svg = document.querySelector('#neighbourhood svg');
            const style = (sel, prop) => [...svg.querySelectorAll(sel)].map(e => getComputedStyle(e)[prop]);
            const skip = getComputedStyle(document.querySelector('.skip')).position;
            return {styled: skip === 'absolute', box: style('.node rect', 'fill'),
                    label: style('.node text', 'fill'), edge: style('line', 'stroke')};"""
        )
        assert not drawn["styled"], "the stylesheet was not blocked"
        assert drawn["box"]
        assert drawn["edge"]
        assert set(drawn["box"]).isdisjoint(drawn["label"]), drawn
        assert "none" not in drawn["edge"], drawn
    finally:
        phone.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
        phone.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})


COLOURS = """
const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
const lum = (c) => { const v = rgb(c).slice(0, 3).map((x) => { x /= 255;
  return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05); };
const background = (e) => { for (; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
  if (rgb(c).length === 3 || rgb(c)[3] > 0) return c; } return 'rgb(255, 255, 255)'; };
"""
"""WCAG's contrast ratio of two computed colours, and the colour an element is drawn on."""

CONTRAST = (
    COLOURS
    + """
const low = [];
for (const e of document.querySelectorAll('body *')) {
  if (e.closest('svg') || e.matches('.visually-hidden, .skip')) continue;
  if (![...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
  const r = ratio(getComputedStyle(e).color, background(e));
  if (r < 4.5) low.push(`${e.tagName}.${e.className} ${r.toFixed(2)}`);
}
for (const i of document.querySelectorAll('input[placeholder]')) {
  const r = ratio(getComputedStyle(i, '::placeholder').color, background(i));
  if (r < 4.5) low.push(`placeholder of #${i.id} ${r.toFixed(2)}`);
}
return low;
"""
)


@contextlib.contextmanager
def colour_scheme(browser: WebDriver, scheme: str) -> Iterator[None]:
    """The pages as a browser set to ``scheme`` (``light`` or ``dark``) draws them."""
    feature = {"name": "prefers-color-scheme", "value": scheme}
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": [feature]})
    try:
        yield
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_is_aa_in_both_colour_schemes(
    phone: WebDriver, server: ServerThread, rough_map: RoughMap, scheme: str
) -> None:
    # WCAG AA: 4.5:1 for text, measured on the colours the browser computes, placeholders included.
    with colour_scheme(phone, scheme):
        for path in (
            f"/ui/investigations/{quote(rough_map.investigation, safe='')}",
            f"/ui/incidents/{rough_map.reference}",
            f"/ui/services/{quote(LONG_SERVICE)}",
            "/ui/search?q=latency",
            "/ui/incidents",
            "/ui/services",
            "/ui/teams",
        ):
            open_page(phone, server, path, f"contrast-{scheme}")
            assert phone.execute_script(CONTRAST) == [], (scheme, path)


def pages(rough_map: RoughMap) -> tuple[str, ...]:
    """The pages a responder opens from Slack, and the ones they lead to."""
    return (
        "/ui/",
        f"/ui/investigations/{quote(rough_map.investigation, safe='')}",
        f"/ui/incidents/{rough_map.reference}",
        f"/ui/services/{quote(LONG_SERVICE)}",
        "/ui/search?q=latency",
        "/ui/incidents",
        "/ui/services",
        "/ui/teams",
    )


SMALL_TARGETS = """
const small = [];
for (const e of document.querySelectorAll('a[href], button, summary, input')) {
  if (e.closest('svg')) continue;  // the drawing's links: out of the tab order, listed again below it
  for (const r of e.getClientRects()) {  // each line of a link that wraps
    if (r.width > 0 && r.height < 24) {
      small.push(`${e.tagName} ${e.textContent.trim().slice(0, 30)}: ${r.height.toFixed(1)}px`);
      break;
    }
  }
}
return small;
"""


def test_links_and_buttons_are_targets_at_least_24px_high(
    phone: WebDriver, server: ServerThread, rough_map: RoughMap
) -> None:
    # WCAG 2.2 target size (minimum): the links in lists and sentences were about 19px tall.
    for path in pages(rough_map):
        open_page(phone, server, path, "targets")
        assert phone.execute_script(SMALL_TARGETS) == [], path


FOCUSED = (
    COLOURS
    + """
const e = document.activeElement;
const s = getComputedStyle(e);
// Past an outline offset the outline is drawn on what is around the element; at none, on it too.
const around = [background(e.parentElement)];
if (!(parseFloat(s.outlineOffset) > 0)) around.push(background(e));
const drawn = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
const name = (e.getAttribute('aria-label') || e.textContent || e.value || '').trim().slice(0, 40);
const tag = e.tagName.toLowerCase();
return {tag, element: `${tag} ${name}`, in_drawing: e.closest('svg') !== null,
        contrast: drawn ? Math.min(...around.map((c) => ratio(s.outlineColor, c))) : 0};
"""
)


def tab_stops(browser: WebDriver) -> list[dict[str, object]]:
    """Press Tab through the page from its top; what each stop is, and its outline's contrast."""
    stops: list[dict[str, object]] = []
    for _ in range(300):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        if browser.execute_script("return document.activeElement === document.body"):
            break
        stop = browser.execute_script(FOCUSED)
        if stops and stop == stops[0]:
            break  # round again
        stops.append(stop)
    return stops


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_tab_stop_has_an_outline_of_3_to_1_against_what_is_around_it(
    phone: WebDriver, server: ServerThread, rough_map: RoughMap, scheme: str
) -> None:
    # WCAG 1.4.11: a focus indicator contrasts 3:1 with the colours next to it.
    with colour_scheme(phone, scheme):
        for path in pages(rough_map):
            open_page(phone, server, path, f"focus-{scheme}")
            stops = tab_stops(phone)
            assert stops, path
            faint = [
                (s["element"], round(float(s["contrast"]), 2)) for s in stops if float(s["contrast"]) < 3
            ]
            assert faint == [], (scheme, path)


def test_the_drawing_is_one_tab_stop_and_says_in_words_what_it_draws(
    phone: WebDriver, server: ServerThread, rough_map: RoughMap
) -> None:
    open_page(phone, server, f"/ui/investigations/{quote(rough_map.investigation, safe='')}", "drawing-keys")
    stops = tab_stops(phone)
    # Tab stopped on each node's link, about ten stops repeating the lists below the drawing.
    assert [s["element"] for s in stops if s["in_drawing"]] == []
    assert [s["tag"] for s in stops].count("figure") == 1  # to scroll it sideways on a phone
    drawing = phone.execute_script(
        """const svg = document.querySelector('#neighbourhood svg');
        const outside = [...document.querySelectorAll('a[href]')].filter((a) => !svg.contains(a));
        return {links: [...svg.querySelectorAll('a')].map((a) => a.getAttribute('href')),
                listed: outside.map((a) => a.getAttribute('href')),
                labels: [...svg.querySelectorAll('.node text')].map((t) => t.textContent),
                words: document.getElementById('map-text').textContent};"""
    )
    # A pointer still follows the drawing's links, and each leads where a link in a list does too.
    assert drawing["links"]
    assert set(drawing["links"]) <= set(drawing["listed"])
    # Its text alternative names every node it draws (in full where the drawing shortens it).
    assert drawing["labels"]
    missing = [label for label in drawing["labels"] if label.rstrip("…") not in drawing["words"]]
    assert missing == []
