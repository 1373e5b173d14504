"""Keyboard only: every filter and button is reachable with Tab and works with Enter and Space.

Every Tab stop must show its focus (a 2 px+ outline or a box-shadow on :focus-visible).
"""

import re

import pytest
from playwright.sync_api import expect

from .pages import PDN, PLAN_QUERY

pytestmark = pytest.mark.e2e

# What the focused element is, and whether its focus indicator can be seen (a 2 px+ outline or a box-shadow).
FOCUS_STATE = """() => {
  const e = document.activeElement;
  const s = getComputedStyle(e);
  const label = (e.id || e.name || e.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
  return {
    key: e.tagName.toLowerCase() + ':' + label,
    id: e.id,
    focusVisible: e.matches(':focus-visible'),
    ring: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none',
  };
}"""

CONTROLS = "input:not([type=hidden]), select, textarea, button, a[href], summary"


def press_tab(page, backwards=False):
    page.keyboard.press("Shift+Tab" if backwards else "Tab")
    state = page.evaluate(FOCUS_STATE)
    if state["key"].startswith("body:"):
        return state  # Tab went past the last control and wraps round via the browser's own UI
    assert state["focusVisible"] and state["ring"], f"focus not visible on {state['key']}"
    return state


def tab_to(page, target, limit=300, backwards=False):
    """Tab until the focused element has this id or key (tag:text)."""
    for _ in range(limit):
        state = press_tab(page, backwards)
        if target in (state["id"], state["key"]):
            return
    raise AssertionError(f"{target} not reachable with Tab")


def test_skip_link_is_first_and_moves_focus_to_the_main_content(live_server, page):
    page.goto(live_server.url + PDN)
    state = press_tab(page)
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0, "the skip link must be on screen when focused"
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    assert state["focusVisible"]
    # The next Tab continues inside main, not back in the header.
    press_tab(page)
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_every_filter_is_reachable_by_tab_with_visible_focus(live_server, page):
    page.goto(live_server.url + PDN + "?age=72&crcl=25")
    # Controls inside a closed <details> (the gene results) are reached by opening it from its summary,
    # which is itself a control here; the second half of the test opens it and tabs through them too.
    ids = page.locator("form.filters").evaluate(
        f"""f => Array.from(f.querySelectorAll('{CONTROLS}'))
            .filter(e => e.tagName === 'SUMMARY' || !e.closest('details:not([open])'))
            .map((e, i) => e.dataset.e2e = 'c' + i)"""
    )
    reached = set()
    for _ in range(400):
        press_tab(page)
        tag = page.evaluate("document.activeElement.dataset.e2e || ''")
        if tag:
            reached.add(tag)
        elif reached and page.evaluate("document.activeElement.closest('form.filters') === null"):
            break  # left the filters for the results
    assert set(ids) - reached == set(), "filters not reachable with Tab"
    assert len(ids) > 20


def test_filters_and_buttons_work_with_enter_and_space(live_server, page):
    page.goto(live_server.url + PDN)
    tab_to(page, "id_age")
    page.keyboard.type("72")
    tab_to(page, "id_crcl")
    page.keyboard.type("25")
    depression = page.get_by_role("checkbox", name="Depression", exact=True)
    tab_to(page, depression.get_attribute("id"))
    with page.expect_response(lambda r: "factors=depression" in r.url):
        page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"age=72&.*crcl=25&.*factors=depression"))
    # htmx swapped the explorer; focus stays on the checkbox the clinician just used.
    expect(depression).to_be_checked()
    expect(depression).to_be_focused()

    # The "Show options" button works with Enter.
    tab_to(page, "id_age", limit=600)
    page.keyboard.press("Control+A")
    page.keyboard.type("80")
    tab_to(page, "button:Show options")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"age=80"))
    expect(page.locator(".describe")).to_contain_text("80")

    # An option's detail opens with Enter, then a guideline's wording; "Add to plan" follows with Enter.
    pregabalin = page.locator("article.option:has(#opt-drug-pregabalin)")
    tab_to(page, "a:Add to plan: Pregabalin")
    tab_to(page, "summary:Guideline positions, cautions, doses and")  # its own, right after its header
    page.keyboard.press("Enter")
    expect(pregabalin.locator("details.option-detail")).to_have_attribute("open", "")
    tab_to(page, "summary:Wording")
    page.keyboard.press("Enter")
    expect(pregabalin.locator("details.option-detail details").first).to_have_attribute("open", "")
    tab_to(page, "a:Add to plan: Pregabalin", backwards=True)
    page.keyboard.press("Enter")
    expect(page.get_by_role("region", name="Your plan")).to_contain_text("Pregabalin")


def test_plan_form_works_by_keyboard(live_server, page):
    page.goto(live_server.url + "/plan/?" + PLAN_QUERY)
    tab_to(page, "id_drugs")
    page.keyboard.type("ziconotide")  # the box for adding a drug by name
    tab_to(page, "button:Check plan")
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"/plan/\?.*drugs=ziconotide"))
    expect(page.get_by_role("heading", name="Ziconotide")).to_be_visible()


def test_gene_results_open_from_the_keyboard_and_are_then_reachable(live_server, page):
    page.goto(live_server.url + PDN)
    summary = page.locator("details.genes summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(page.locator("details.genes")).to_have_attribute("open", "")
    press_tab(page)
    expect(page.get_by_label("HLA-B*15:02")).to_be_focused()
