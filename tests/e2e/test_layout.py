"""Reflow at 320 px, target sizes, landmarks, labels and table headers; screenshots for people to look at."""

import pytest

from .conftest import DESKTOP, PHONE
from .pages import MAIN, PUBLIC

pytestmark = pytest.mark.e2e

# Interactive elements smaller than 24 x 24 CSS px, except inline links inside a sentence (WCAG 2.5.8's
# "inline" exception: their size is set by the line height of the text around them).
SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, summary'))
  .filter(e => {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(e).visibility === 'hidden') return false;
    if (e.closest('.visually-hidden') || (e.classList.contains('skip-link') && r.right <= 0)) return false;
    if (r.width >= 24 && r.height >= 24) return false;
    if (e.tagName === 'A' && getComputedStyle(e).display === 'inline') {
      const block = e.parentElement.closest('p, li, td, th, dd, span.cites, .muted');
      if (block && block.textContent.trim().length > e.textContent.trim().length) return false;
    }
    return true;
  })
  .map(e => `${e.tagName.toLowerCase()} "${(e.textContent || e.name || e.id).trim().slice(0, 30)}" `
    + `${Math.round(e.getBoundingClientRect().width)}x${Math.round(e.getBoundingClientRect().height)}`)"""

UNLABELLED = """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
  .map(e => e.name || e.id)"""

TABLES_WITHOUT_HEADERS = """() => Array.from(document.querySelectorAll('table'))
  .filter(t => !t.querySelector('th')
    || Array.from(t.querySelectorAll('thead th')).some(th => !th.getAttribute('scope')))
  .map(t => t.className || t.id || 'table')"""


@pytest.mark.parametrize("name", PUBLIC)
def test_page_reflows_at_320px_without_horizontal_scrolling(name, live_server, browser):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(live_server.url + PUBLIC[name])
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "() => Array.from(document.querySelectorAll('body *:not(.table-scroll *)'))"
        ".filter(e => e.getBoundingClientRect().right > 321)"
        ".slice(0, 5).map(e => e.tagName + '.' + e.className)"
    )
    context.close()
    assert width <= 320, f"{width}px wide; too wide: {wide}"


@pytest.mark.parametrize("width", [375, 320])
def test_the_answer_starts_in_the_first_phone_screen(width, live_server, browser):
    context = browser.new_context(viewport={"width": width, "height": 667})
    page = context.new_page()
    page.goto(live_server.url + PUBLIC["condition-patient"])
    answer = page.locator("#answer").bounding_box()
    line = page.locator("#patient-line").bounding_box()
    filters = page.locator("#filters").bounding_box()
    context.close()
    assert line["y"] < 667 and answer["y"] < 667, f"the answer starts at {answer['y']} px"
    assert filters["y"] > answer["y"], "on a phone the results come before the filters"


@pytest.mark.parametrize("name", MAIN)
def test_targets_are_at_least_24px(name, live_server, page):
    page.goto(live_server.url + PUBLIC[name])
    small = page.evaluate(SMALL_TARGETS)
    assert not small, "\n".join(small)


@pytest.mark.parametrize("name", PUBLIC)
def test_page_has_landmarks_labelled_controls_and_table_headers(name, live_server, page):
    page.goto(live_server.url + PUBLIC[name])
    assert page.locator("main").count() == 1
    assert page.locator("h1").count() == 1
    if not page.locator("body.summary-page").count():
        assert page.locator("header.site-header").count() == 1
        assert page.get_by_role("navigation", name="Main").count() == 1
        assert page.get_by_role("search").count() >= 1
        assert page.locator("footer.site-footer").count() == 1
        assert page.locator("a.skip-link[href='#main']").count() == 1
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(TABLES_WITHOUT_HEADERS) == []


@pytest.mark.parametrize("name", MAIN)
def test_screenshots_at_desktop_and_phone_widths(name, live_server, page, screenshots):
    """Not a check: full-page pictures in test-artifacts/screenshots/ for people to look at."""
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.goto(live_server.url + PUBLIC[name])
        path = screenshots / f"{name}-{label}-{viewport['width']}.png"
        page.screenshot(path=path, full_page=True)
        assert path.stat().st_size > 1000


def test_typing_in_the_patient_form_on_a_phone_does_not_jump(live_server, browser):
    context = browser.new_context(viewport={"width": 375, "height": 667})
    page = context.new_page()
    page.goto(live_server.url + PUBLIC["condition-patient"])
    age = page.locator("#id_age")
    age.scroll_into_view_if_needed()
    before = age.bounding_box()["y"]
    age.fill("81")
    with page.expect_response(lambda r: "age=81" in r.url):
        age.press("Tab")
    page.wait_for_function("document.querySelector('#patient-line').textContent.includes('81 y')")
    after = page.locator("#id_age").bounding_box()["y"]
    context.close()
    assert abs(after - before) < 200, f"the age box moved from {before} to {after} px"
