"""Property-based tests: random and hostile query strings at every public page and API endpoint.

Huge numbers, unicode, control characters, SQL and HTML fragments, repeated parameters and very long
values must never cause a server error, and no HTML page may reflect markup it was sent unescaped.
The small ``world`` is built once per test; every example is a read-only GET against it.
"""

import re
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(
    max_examples=15,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the repository
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Every public page, with the parameters it understands (fuzzed alongside random names).
PAGES = {
    "/": [],
    "/search/": ["q"],
    "/conditions/painful-diabetic-neuropathy/": [
        "age",
        "crcl",
        "factors",
        "current",
        "plan",
        "kind",
        "line",
        "min_strength",
        "min_quality",
        "guideline",
        "route",
        "site",
        "drug_class",
        "approved_in",
        "controlled",
        "hide_contraindicated",
    ],
    "/conditions/painful-diabetic-neuropathy/options.csv": ["age", "crcl", "factors", "current", "kind", "line"],
    "/drugs/pregabalin/": [],
    "/classes/gabapentinoids/": [],
    "/procedures/spinal-cord-stimulation/": [],
    "/diagnostics/hba1c/": [],
    "/sources/nice/": [],
    "/compare/": ["drugs"],
    "/plan/": ["drugs", "procedures", "condition", "age", "crcl", "factors", "current"],
    "/plan/summary/": ["drugs", "procedures", "condition", "age", "crcl", "factors", "current"],
    "/plan/clinician/": ["drugs", "procedures", "condition", "age", "crcl", "factors", "current"],
    "/plan/summary.pdf": ["drugs", "procedures", "condition"],
}
API = {
    "/api/v1/conditions/": ["category", "pain_mechanism", "q", "page", "page_size", "format"],
    "/api/v1/conditions/painful-diabetic-neuropathy/": ["format"],
    "/api/v1/drugs/": ["drug_class", "route", "q", "page", "page_size", "format"],
    "/api/v1/drugs/pregabalin/": ["format"],
    "/api/v1/drug-classes/": ["q", "page", "format"],
    "/api/v1/procedures/": ["q", "page", "format"],
    "/api/v1/diagnostics/": ["q", "page", "format"],
    "/api/v1/sources/": ["q", "kind", "page", "format"],
    "/api/v1/patient-factors/": ["page", "format"],
    "/api/v1/explore/": ["condition", "age", "crcl", "factors", "current", "kind", "line", "guideline", "format"],
}
SLUGS = [
    "pregabalin",
    "duloxetine",
    "tramadol",
    "gabapentinoids",
    "painful-diabetic-neuropathy",
    "spinal-cord-stimulation",
]
SLUGS += ["older-adult", "depression", "nice", "first", "drug", "oral", "US", "true", "1", "72", "25"]

HTML_PAYLOADS = [
    "<script>{}</script>",
    '"><img src=x onerror={}>',
    "'><svg onload={}>",
    "<iframe src=javascript:{}>",
    '" autofocus onfocus="{}',
    "</textarea><b>{}</b>",
]
SQL = ["' OR '1'='1", "1; DROP TABLE treatments_drug; --", "1) UNION SELECT password FROM auth_user --", "%' --", "\\"]

numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["1e308", "-1e308", "NaN", "inf", "-0", "0x10", "1_000", "٣", "９", "1.5", "99999999999999999999"]),
    st.integers(min_value=1, max_value=5000).map(lambda n: "9" * n),
)
# Markup with a random token, so a reflection cannot be mistaken for the page's own HTML.
MARKER = re.compile(r"x\d{6,7}q")
html = st.builds(lambda t, token: t.format(f"x{token}q"), st.sampled_from(HTML_PAYLOADS), st.integers(10**5, 10**6))
values = st.one_of(
    numbers,
    html,
    st.sampled_from(SQL),
    st.sampled_from(SLUGS),
    st.text(max_size=40),  # any unicode, control characters included
    st.lists(st.sampled_from(SLUGS), max_size=12).map(",".join),
    st.integers(min_value=1, max_value=20_000).map(lambda n: "a" * n),
)
RAW = ["", "&", "&&=&", "%", "%ff%fe", "%00", "a=%E2%82", "=x", "age=%2", "q=%u0041"]


def query_strings(names):
    """Repeated and unknown parameters with hostile values, plus raw undecodable fragments."""
    keys = st.one_of(st.sampled_from(names), st.text(max_size=12)) if names else st.text(max_size=12)
    pairs = st.lists(st.tuples(keys, values), max_size=8)
    return st.builds(lambda p, raw: "&".join(filter(None, [urlencode(p), raw])), pairs, st.sampled_from(RAW))


def check(client, path, query):
    response = client.get(f"{path}?{query}")
    assert response.status_code < 500, (path, query[:300])
    if response["Content-Type"].startswith("text/html"):
        body = response.content.decode()
        # Markup payloads carry a unique token (see ``html``), so finding one unescaped means it was reflected;
        # a short random text such as "<" is in every page and says nothing.
        markup = {
            v for _k, v in parse_qsl(query, keep_blank_values=True) if MARKER.search(v) and ("<" in v or '"' in v)
        }
        for payload in markup:
            assert payload not in body, (path, payload)


@pytest.fixture
def anonymous(world):
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("path", list(PAGES))
@FUZZ
@given(data=st.data())
def test_hostile_query_strings_never_break_a_page(anonymous, path, data):
    check(anonymous, path, data.draw(query_strings(PAGES[path])))


@pytest.mark.parametrize("path", list(API))
@FUZZ
@given(data=st.data())
def test_hostile_query_strings_never_break_an_api_endpoint(anonymous, path, data):
    check(anonymous, path, data.draw(query_strings(API[path])))


@FUZZ
@given(slug=st.one_of(st.text(min_size=1, max_size=300), st.sampled_from(SQL), html))
def test_hostile_slugs_get_404_not_500(anonymous, slug):
    for prefix in ("/conditions/", "/drugs/", "/classes/", "/sources/", "/api/v1/drugs/", "/api/v1/conditions/"):
        response = anonymous.get(prefix + quote(slug, safe="") + "/")
        assert response.status_code < 500, (prefix, slug)


def test_markup_sent_to_search_comes_back_escaped(anonymous):
    """The reflection check in ``check`` looks at what the page echoes: search echoes ``q``."""
    payload = '"><script>x123456q</script>'
    response = anonymous.get("/search/", {"q": payload})
    assert "&quot;&gt;&lt;script&gt;x123456q&lt;/script&gt;" in response.content.decode()
    check(anonymous, "/search/", urlencode({"q": payload}))


@pytest.mark.parametrize("path", list(PAGES) + list(API))
def test_every_fuzzed_path_exists(anonymous, path):
    """So the fuzzing above reaches real views, not a 404 page."""
    assert anonymous.get(path).status_code in (200, 400)
