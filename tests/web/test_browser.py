"""Every page in headless Chromium against a served app: content, links, console, sign-in, visibility.

One server and one browser for the module; each test leaves the browser signed out. Screenshots
go to ``.artifacts/screenshots`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.browser import CHROMEDRIVER, CHROMIUM, SCREENSHOTS, ServerThread, chromium, screenshot
from tests.web.conftest import copy_map

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from selenium.webdriver.remote.webdriver import WebDriver

    from tests.web.conftest import Neo4jMap, WebOrg

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
async def server(web_org: WebOrg, web_neo4j: Neo4jMap | None) -> AsyncIterator[ServerThread]:
    if web_neo4j is not None:
        await web_neo4j.hold()
    running = ServerThread(copy_map(web_org, "browser-data"), web_neo4j and web_neo4j.server)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    assert CHROMIUM.exists(), "run ./scripts/bootstrap: it installs Debian's chromium"
    assert CHROMEDRIVER.exists(), "run ./scripts/bootstrap: it installs Debian's chromium-driver"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver = chromium()
    yield driver
    driver.quit()


@pytest.fixture(autouse=True)
def signed_out(browser: WebDriver, server: ServerThread) -> None:
    """Each test starts without a session, whatever the previous one left."""
    browser.get(server.base + "/ui/sign-in")
    browser.delete_all_cookies()
    console_errors(browser)


def wait_for_url(browser: WebDriver, fragment: str) -> None:
    """Wait for a navigation (a submitted form, a clicked link) to reach a URL containing ``fragment``."""
    WebDriverWait(browser, 20).until(expected_conditions.url_contains(fragment))


def wait_for_page(browser: WebDriver) -> None:
    WebDriverWait(browser, 20).until(lambda b: b.execute_script("return document.readyState") == "complete")


def console_errors(browser: WebDriver) -> list[str]:
    """The console's errors since the last call (reading the log empties it)."""
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def visit(browser: WebDriver, server: ServerThread, path: str, shot: str) -> None:
    """Open ``path``, save a screenshot, and check the page logged no console error."""
    browser.get(server.base + path)
    screenshot(browser, shot)
    assert console_errors(browser) == [], path


def sign_in(browser: WebDriver, token: str) -> None:
    """Submit the sign-in form and wait for the page it leads to (the next page, or the form again)."""
    old = browser.find_element(By.TAG_NAME, "html")
    field = browser.find_element(By.ID, "token")
    field.send_keys(token)
    field.send_keys(Keys.ENTER)
    WebDriverWait(browser, 20).until(expected_conditions.staleness_of(old))
    wait_for_page(browser)


def sign_out(browser: WebDriver) -> None:
    browser.find_element(By.CSS_SELECTOR, "form.sign-out button").click()
    wait_for_url(browser, "/ui/sign-in")


def h1(browser: WebDriver) -> str:
    return browser.find_element(By.TAG_NAME, "h1").text


def follow(browser: WebDriver, selector: str, fragment: str, shot: str) -> str:
    """Click the link ``selector`` finds to a page titled by its text; its text."""
    link = browser.find_element(By.CSS_SELECTOR, selector)
    name = link.text
    link.click()
    wait_for_url(browser, fragment)
    assert h1(browser) == name
    screenshot(browser, shot)
    assert console_errors(browser) == []
    return name


def test_the_demo_link_signs_in_and_reads_the_whole_investigation(
    browser: WebDriver, server: ServerThread, web_org: WebOrg
) -> None:
    # The link the demo and the CLI print, opened in a browser that has no session yet.
    target = f"/ui/incidents/{web_org.public_ref}/investigation"
    visit(browser, server, target, "01-sign-in")
    assert browser.current_url == f"{server.base}/ui/sign-in?next={quote(target, safe='/')}"
    assert h1(browser) == "Sign in"
    sign_in(browser, "prec_" + "x" * 43)
    assert "not one this map issued" in browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    console_errors(browser)  # the refused sign-in answers 401, which the console reports
    sign_in(browser, web_org.private_token)
    assert browser.current_url == server.base + target
    screenshot(browser, "02-investigation")
    assert console_errors(browser) == []
    assert web_org.public_ref in h1(browser)
    assert "Built" in browser.find_element(By.ID, "built").text
    for section in ("hypotheses", "precedents", "neighbourhood", "services", "changes", "follow-ups"):
        assert browser.find_element(By.ID, section).is_displayed(), section
    assert browser.find_elements(By.CSS_SELECTOR, "#neighbourhood svg .edge.linking")
    precedent = browser.find_element(By.CSS_SELECTOR, "#precedents h3 a")
    reference = precedent.text
    precedent.click()
    wait_for_url(browser, f"/ui/incidents/{reference}")
    assert browser.current_url.endswith(f"/ui/incidents/{reference}")
    screenshot(browser, "03-incident")
    assert console_errors(browser) == []
    assert reference in h1(browser)
    for section in ("postmortem", "follow-ups", "updates", "similar"):
        assert browser.find_element(By.ID, section).is_displayed(), section
    browser.back()
    wait_for_url(browser, "/investigation")
    name = follow(browser, "#services h3 a", "/ui/services/", "04-service")
    assert browser.find_element(By.CSS_SELECTOR, "#incidents figure.chart svg")
    assert "Owners" in browser.find_element(By.ID, "owners").text
    # The owning team, as a responder asks "who do I call?": its page says who is on call now.
    follow(browser, "#owners dd strong a", "/ui/teams/", "04b-team")
    assert "from an imported export" in browser.find_element(By.ID, "on-call").text
    assert name in browser.find_element(By.ID, "owns").text
    for section in ("incidents", "follow-ups"):
        assert browser.find_element(By.ID, section).is_displayed(), section
    sign_out(browser)


def test_home_search_and_stored_investigation(
    browser: WebDriver, server: ServerThread, web_org: WebOrg
) -> None:
    visit(browser, server, "/ui/", "05-sign-in-home")
    sign_in(browser, web_org.read_token)
    assert browser.current_url.rstrip("/") == server.base + "/ui"
    screenshot(browser, "05-home")
    assert console_errors(browser) == []
    counts = browser.find_element(By.CSS_SELECTOR, "dl.counts").text
    assert "Incidents" in counts
    assert "Services" in counts
    assert browser.find_elements(By.CSS_SELECTOR, "ol.hotspots a")
    recent = browser.find_element(By.CSS_SELECTOR, "#recent-h + ul a")
    recent.click()
    wait_for_url(browser, "/investigation")
    assert console_errors(browser) == []
    box = browser.find_element(By.ID, "site-q")
    word = web_org.public.properties["name"].split()[0]
    box.send_keys(str(word), Keys.ENTER)
    wait_for_url(browser, "/ui/search?q=")
    wait_for_page(browser)
    screenshot(browser, "06-search")
    assert console_errors(browser) == []
    assert browser.find_elements(By.CSS_SELECTOR, "ol.hits li a")
    sign_out(browser)


def test_a_private_incident_stays_hidden_from_a_read_token(
    browser: WebDriver, server: ServerThread, web_org: WebOrg
) -> None:
    visit(browser, server, "/ui/", "07-sign-in-reader")
    sign_in(browser, web_org.read_token)
    private_name = str(web_org.private.properties["name"])
    for path in (
        f"/ui/incidents/{web_org.private_ref}",
        f"/ui/incidents/{web_org.private_ref}/investigation",
        f"/ui/investigations/{web_org.private_investigation}",
    ):
        browser.get(server.base + path)
        assert h1(browser) == "Not found", path
        assert private_name not in browser.page_source
    screenshot(browser, "07-private-hidden")
    console_errors(browser)  # the 404s are reported in the console; expected here
    visit(browser, server, f"/ui/search?q={quote(private_name)}", "08-search-as-reader")
    assert web_org.private_ref not in browser.page_source
    visit(browser, server, "/ui/", "09-home-as-reader")
    assert web_org.private_ref not in browser.page_source
    # The list, reached from the home page's count: every incident but the private ones.
    browser.find_element(By.CSS_SELECTOR, "dl.counts a[href='/ui/incidents']").click()
    wait_for_url(browser, "/ui/incidents")
    wait_for_page(browser)
    screenshot(browser, "09-incidents-as-reader")
    listed = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#incidents li > a:first-child")]
    assert web_org.public_ref in listed
    assert web_org.private_ref not in listed
    sign_out(browser)
    # The private reader sees it.
    visit(browser, server, f"/ui/incidents/{web_org.private_ref}", "10-sign-in-private")
    sign_in(browser, web_org.private_token)
    assert web_org.private_ref in h1(browser)
    assert "private" in browser.find_element(By.CSS_SELECTOR, "header.page").text
    sign_out(browser)


def test_phone_width_and_keyboard(browser: WebDriver, server: ServerThread, web_org: WebOrg) -> None:
    visit(browser, server, "/ui/", "11-sign-in-phone")
    sign_in(browser, web_org.read_token)
    browser.set_window_size(390, 844)
    try:
        for path, shot in (
            (f"/ui/investigations/{web_org.public_investigation}", "12-phone-investigation"),
            (f"/ui/incidents/{web_org.public_ref}", "13-phone-incident"),
            (f"/ui/services/{quote(web_org.service_name)}", "14-phone-service"),
        ):
            visit(browser, server, path, shot)
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at phone width"
        # The first Tab reaches the skip link, which moves to the content.
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        active = browser.switch_to.active_element
        assert active.text == "Skip to content"
        active.send_keys(Keys.ENTER)
        wait_for_url(browser, "#main")
    finally:
        browser.set_window_size(1280, 1000)
    sign_out(browser)


def ticked_boxes(browser: WebDriver) -> list[str]:
    return [str(b.get_attribute("value")) for b in browser.find_elements(By.CSS_SELECTOR, "input:checked")]


def test_the_incident_list_filters_by_several_statuses_and_pages_back_by_keyboard(
    browser: WebDriver, server: ServerThread, web_org: WebOrg
) -> None:
    visit(browser, server, "/ui/incidents", "15-sign-in-list")
    sign_in(browser, web_org.private_token)
    assert browser.find_element(By.CSS_SELECTOR, "nav a[aria-current=page]").text == "Incidents"
    # Keyboard only: Tab to a status's box, Space ticks it, Tab on to the next one, and so on.
    ticked = []
    for name in ("Triage", "Closed"):
        box = browser.find_element(By.CSS_SELECTOR, f"fieldset.choices input[value='{name}']")
        for _ in range(40):
            if browser.switch_to.active_element == box:
                break
            ActionChains(browser).send_keys(Keys.TAB).perform()
        assert browser.switch_to.active_element == box, name
        ActionChains(browser).send_keys(Keys.SPACE).perform()
        ticked.append(name)
    assert ticked_boxes(browser) == ticked
    ActionChains(browser).send_keys(Keys.ENTER).perform()  # submits the form, as the Show button
    wait_for_url(browser, "status=Closed")
    wait_for_page(browser)
    screenshot(browser, "15-incidents-two-statuses")
    assert console_errors(browser) == []
    assert "status=Triage&status=Closed" in browser.current_url
    first = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#incidents li > a:first-child")]
    assert len(first) == 25
    browser.find_element(By.ID, "next-page").send_keys(Keys.ENTER)
    wait_for_url(browser, "cursor=")
    assert "Newest declared first, continued." in browser.find_element(By.ID, "listed").text
    assert ticked_boxes(browser) == ticked
    browser.find_element(By.ID, "newest-page").send_keys(Keys.ENTER)
    WebDriverWait(browser, 20).until(lambda b: "cursor=" not in b.current_url)
    wait_for_page(browser)
    assert browser.current_url == f"{server.base}/ui/incidents?status=Triage,Closed"
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#incidents li > a:first-child")] == first
    sign_out(browser)
