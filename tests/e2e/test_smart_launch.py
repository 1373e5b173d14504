"""A SMART launch in a real browser: the record system's authorisation page is played by a Playwright route
(the browser never leaves the machine), the FHIR reads by the in-process record system (tests/ehr.py)."""

import pytest

from ..ehr import ISS, install
from .conftest import PHONE, assert_no_axe_violations

pytestmark = pytest.mark.e2e

NO_HORIZONTAL_SCROLL = "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.fixture
def ehr(settings, monkeypatch):
    return install(settings, monkeypatch)


def authorise_in_browser(page, ehr):
    """The record system's authorisation step, approved at once: the launch's redirect to the authorisation
    endpoint (a host that does not exist here) is answered with the redirect the endpoint would send back, a
    code and the same state. Chromium does not route a navigation's redirects, so the launch response itself is
    fetched and rewritten; its cookie goes to the browser unchanged."""

    def approve(route):
        response = route.fetch(max_redirects=0)
        params, code = ehr.authorize(response.headers["location"])
        headers = {**response.headers, "location": f"{params['redirect_uri']}?code={code}&state={params['state']}"}
        route.fulfill(response=response, status=302, headers=headers)

    page.route(lambda url: "/smart/launch?" in url, approve)


@pytest.mark.parametrize("viewport", [None, {"width": 320, "height": 640}, PHONE], ids=["desktop", "320", "375"])
def test_launch_opens_the_filled_condition_page(live_server, browser, ehr, axe, viewport):
    context = browser.new_context(viewport=viewport) if viewport else browser.new_context()
    page = context.new_page()
    authorise_in_browser(page, ehr)
    page.goto(f"{live_server.url}/smart/launch?iss={ISS}&launch=opaque")
    page.wait_for_url(f"{live_server.url}/conditions/painful-diabetic-neuropathy/*")
    panel = page.get_by_role("region", name="From the record")
    assert "Serum creatinine 1.6 mg/dL" in panel.inner_text()
    assert page.locator("input[name=scr]").input_value() == "1.6"
    assert page.evaluate(NO_HORIZONTAL_SCROLL)
    assert_no_axe_violations(axe, page)
    page.get_by_role("link", name="End this launch and forget the record's values").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("region", name="From the record").count() == 0
    context.close()


def test_refused_record_system_page_is_accessible(live_server, page, ehr, axe):
    response = page.goto(f"{live_server.url}/smart/launch?iss=https://unknown.example.org/fhir")
    assert response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "Record system not registered"
    assert_no_axe_violations(axe, page)
