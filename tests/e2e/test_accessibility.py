"""axe-core (WCAG 2.0/2.1/2.2 A and AA) on every page type, public and admin: zero violations."""

import pytest

from treatments import models as m

from .conftest import assert_no_axe_violations
from .pages import ADMIN, PUBLIC

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("name", PUBLIC)
def test_public_page_has_no_axe_violations(name, live_server, page, axe):
    page.goto(live_server.url + PUBLIC[name])
    assert_no_axe_violations(axe, page)


def test_admin_login_has_no_axe_violations(live_server, page, axe):
    page.goto(live_server.url + "/admin/login/")
    assert_no_axe_violations(axe, page)


@pytest.mark.parametrize("name", ADMIN)
def test_admin_page_has_no_axe_violations(name, live_server, staff_page, axe):
    pregabalin = m.Drug.objects.get(slug="pregabalin").pk
    staff_page.goto(live_server.url + ADMIN[name].format(pregabalin=pregabalin))
    assert_no_axe_violations(axe, staff_page)
