"""Property-based tests: hostile values on every parameter each page and API endpoint really takes (issue 19).

The parameters come from the forms (``treatments.forms``: the patient, the plan, the option filters), the API's
FilterSets and the views' own (``q``, ``lang``, ``size``). Each drawn parameter carries what the form must do
with it: ``OK`` (accept), ``BAD`` (refuse: out of range, not a number, NaN, units or commas typed in, too many
decimals, an unknown choice or drug, control characters…) or ``EITHER`` (unicode digits, exponents, "+70": the
form may read them; if it does, the result must use exactly that number). Every response is checked:

- never a 5xx; an HTML page never contains a drawn ``<script>``/``onerror=`` marker unescaped; JSON is JSON;
- a refused value gives no result: the API answers 400 naming the parameter, the text and plan pages 400, the
  condition page its error summary and no options; a value the form accepts gives the result, and the API's
  echo of the patient (age, creatinine clearance) is that value, never something else read from the text.

Repeated keys (``?age=70&age=300``) count by their last value, as Django's forms read them. Runs on the real
knowledge base (``real_kb``, loaded once per session); every example is a read-only GET.
"""

import json
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from treatments import cache as kb_cache
from treatments import forms, handout, plan
from treatments import models as m

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("real_kb")]

OK, BAD, EITHER = "ok", "bad", "either"


def fuzz(examples):
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,  # no .hypothesis/ folder in the repository
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


CONDITION = "painful-diabetic-neuropathy"

# --- values -------------------------------------------------------------------------------------------------

# Markup with a random token, so a reflection cannot be mistaken for the page's own HTML.
MARKER = re.compile(r"zq\d{6}zq")
HTML_PAYLOADS = [
    "<script>{}</script>",
    '"><img src=x onerror={}>',
    "'><svg onload={}>",
    '" autofocus onfocus="{}',
    "</textarea><b>{}</b>",
    "javascript:{}",
]
markup = st.builds(lambda t, n: t.format(f"zq{n}zq"), st.sampled_from(HTML_PAYLOADS), st.integers(10**5, 10**6 - 1))
SQL = ["' OR '1'='1", "1; DROP TABLE treatments_drug; --", "1) UNION SELECT password FROM auth_user --", "%' --"]
CONTROL = st.builds(
    lambda a, c, b: f"{a}{c}{b}",
    st.sampled_from(["pregabalin", "x", ""]),
    st.sampled_from(["\x00", "\x01", "\x1b", "\x7f", "\n", "\t", "\r"]),
    st.sampled_from(["", "gabapentin", "y"]),
)
NUMBER_CONTROL = st.sampled_from(["7\x000", "\x0070", "70\x1b", "7\x7f0", "7\n0"])
UNICODE_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULLWIDTH_DIGITS = str.maketrans("0123456789.", "０１２３４５６７８９．")
DEVANAGARI_DIGITS = str.maketrans("0123456789", "०१२३४५६७८९")


def _plain(value):
    """A Decimal as a person types it: no exponent."""
    return f"{value:f}"


def _more_places(text):
    """Four more decimal places, the last one not 0."""
    return (text if "." in text else text + ".") + "0001"


def number(low, high, decimals, integer=False):
    """(text, expectation) for a number field with this range and number of decimal places."""
    low, high = Decimal(str(low)), Decimal(str(high))
    step = Decimal(1).scaleb(-decimals)
    inside = st.decimals(min_value=low, max_value=high, places=decimals, allow_nan=False, allow_infinity=False)
    ok = st.one_of(
        st.sampled_from([low, high, low + step, high - step]).map(_plain),
        inside.map(_plain),
        inside.map(lambda v: f"  {_plain(v)} "),  # surrounding spaces are stripped
    )
    beyond = st.one_of(
        st.sampled_from([low - step, high + step, -high, high * 10, Decimal(10) ** 12]).map(_plain),
        st.decimals(min_value=high + step, max_value=Decimal(10) ** 30, places=0).map(_plain),
        st.decimals(min_value=-(Decimal(10) ** 30), max_value=low - step, places=0).map(_plain),
        st.integers(min_value=7, max_value=3000).map(lambda n: "9" * n),  # huge
    )
    too_precise = inside.map(lambda v: _more_places(_plain(v)))
    junk = st.one_of(
        st.sampled_from(["NaN", "nan", "sNaN", "inf", "-inf", "Infinity", "-Infinity", "1e999999", "1e-400"]),
        inside.map(lambda v: f"{_plain(v)} {'years' if integer else 'kg'}"),  # units typed in
        inside.map(lambda v: f"{_plain(v)}kg"),
        inside.map(lambda v: _plain(v).replace(".", ",") + ("" if "." in _plain(v) else ",5")),  # decimal comma
        st.sampled_from(["1,000", "70,5,1", "0x46", "abc", "seventy", "—", "½", "7 0", "70-80", "70/80"]),
        markup,
        st.sampled_from(SQL),
        NUMBER_CONTROL,
        st.integers(min_value=100, max_value=20_000).map(lambda n: "7" * 2 + "a" * n),  # very long text
    )
    maybe = st.one_of(  # the form may read these; if it does, the result must use their value
        inside.map(lambda v: _plain(v).translate(UNICODE_DIGITS)),
        inside.map(lambda v: _plain(v).translate(FULLWIDTH_DIGITS)),
        inside.map(lambda v: _plain(v).translate(DEVANAGARI_DIGITS)),
        inside.map(lambda v: f"{v:e}"),  # an exponent
        inside.map(lambda v: f"+{_plain(v)}"),
        inside.map(lambda v: f"{_plain(v)}." if "." not in _plain(v) else _plain(v) + "0"),
        inside.map(lambda v: "000" + _plain(v)),
        inside.map(lambda v: "_".join(_plain(v))),
    )
    return st.one_of(
        ok.map(lambda v: (v, OK)),
        beyond.map(lambda v: (v, BAD)),
        too_precise.map(lambda v: (v, BAD)),
        junk.map(lambda v: (v, BAD)),
        maybe.map(lambda v: (v, EITHER)),
        st.just(("", OK)),
    )


def choice(values):
    """(text, expectation) for a single-choice field (``values``: the choices, without the empty one)."""
    values = list(values)
    return st.one_of(
        st.sampled_from(values).map(lambda v: (v, OK)),
        st.just(("", OK)),
        st.sampled_from(values).map(lambda v: (v.upper() if v.upper() != v else v.lower() + "x", BAD)),
        st.sampled_from(values).map(lambda v: (f" {v}x", BAD)),
        markup.map(lambda v: (v, BAD)),
        st.sampled_from(SQL).map(lambda v: (v, BAD)),
        CONTROL.map(lambda v: (v, BAD)),
        st.integers(min_value=1, max_value=5000).map(lambda n: ("bz" * n, BAD)),
    )


def condition_choice(slugs):
    """The plan's condition: a slug or a name, in any case, stripped; anything else is refused."""
    return st.one_of(
        st.sampled_from(slugs).map(lambda v: (v, OK)),
        st.sampled_from(slugs).map(lambda v: (f" {v.upper()} ", OK)),
        st.just(("", OK)),
        st.sampled_from(slugs).map(lambda v: (v + "x", BAD)),
        markup.map(lambda v: (v, BAD)),
        st.sampled_from(SQL).map(lambda v: (v, BAD)),
        st.sampled_from(["pain\x00ful", "a\x1bb"]).map(lambda v: (v, BAD)),
        st.integers(min_value=81, max_value=5000).map(lambda n: ("c" * n, BAD)),
    )


def multi(values):
    """A list of (text, expectation) for a multiple-choice field: repeated keys or one comma list. Items are
    split on commas and stripped (``forms.CommaCheckboxSelectMultiple``): accepted when every part is a choice."""
    values = list(values)
    item = st.one_of(
        st.sampled_from(values),
        markup,
        st.sampled_from(SQL),
        st.sampled_from(values).map(str.upper),
        st.sampled_from(values).map(lambda v: f" {v} , {v}"),
        st.text(min_size=1, max_size=20),
    )

    def expect(text):
        parts = [p.strip() for p in text.split(",") if p.strip()]
        return OK if all(p in values for p in parts) else BAD

    def pack(items, comma):
        if not items:
            return [("", OK)]
        if comma:
            items = [",".join(items)]
        return [(text, expect(text)) for text in items]

    return st.builds(pack, st.lists(item, max_size=12), st.booleans())


# Medicine names: known, brand, slug, unknown, hostile; duplicates and long lists.
KNOWN_MEDICINES = ["pregabalin", "Lyrica", "gabapentin", "duloxetine", "Cymbalta", "amitriptyline", "tramadol"]
OTHER_MEDICINES = ["sertraline", "warfarin", "Zoloft", "paracetamol", "metformin"]  # recognised, not plan drugs
UNKNOWN_NAMES = ["zzqxnotadrug", "Ⅻ", "💊", "\u202eniLAbagerp", "SELECT", "null", "undefined", "None"]
ODD_NAMES = ["pregabalinn", "aspirin 500 mg", "ﬁ", "İ", "PREGABALIN", " pregabalin ", "pregabalin;"]


def name_list(*, strict=False, known=KNOWN_MEDICINES, soft_max=None):
    """(values, expectation): medicine names as repeated keys or comma lists. Lenient (current medicines):
    unknown names are listed back, refused only for control characters, > 80 characters or > 20 names. Strict
    (plan drugs, procedures): an unknown name is refused too. ``soft_max``: more names than this may be refused
    (the plan's size limit counts medicines, not names)."""
    name = st.one_of(
        st.sampled_from(known).map(lambda v: (v, OK)),
        st.sampled_from(OTHER_MEDICINES).map(lambda v: (v, EITHER if strict else OK)),
        st.sampled_from(UNKNOWN_NAMES).map(lambda v: (v, BAD if strict else OK)),
        st.sampled_from(ODD_NAMES).map(lambda v: (v, EITHER if strict else OK)),
        markup.map(lambda v: (v, BAD if strict else OK)),
        st.sampled_from(SQL).map(lambda v: (v, BAD if strict else OK)),
        st.sampled_from(["\x00pregabalin", "pre\x00gabalin", "a\x1bb", "pre\x7fgabalin", "a\nb"]).map(
            lambda v: (v, BAD)
        ),
        st.integers(min_value=81, max_value=100_000).map(lambda n: ("p" * n, BAD)),
        st.text(max_size=30).map(lambda v: (v, EITHER)),
    )

    def pack(items, comma, repeat_first):
        if repeat_first and items:
            items = items + [items[0]] * 3  # duplicates count once
        names = [v for v, _ in items]
        kinds = {k for _, k in items}
        distinct = list(dict.fromkeys(p.strip() for v in names for p in v.split(",") if p.strip()))
        if len(distinct) > forms.MAX_CURRENT_MEDICATIONS:
            kinds.add(BAD if kinds == {OK} else EITHER)
        elif soft_max is not None and len(distinct) > soft_max:
            kinds.add(EITHER)
        expectation = BAD if BAD in kinds else EITHER if EITHER in kinds else OK
        return ([",".join(names)] if comma else names), expectation

    return st.builds(pack, st.lists(name, max_size=forms.MAX_CURRENT_MEDICATIONS + 6), st.booleans(), st.booleans())


def _choices(form, name):
    return [value for value, _label in form.base_fields[name].choices if value]


PATIENT_NUMBERS = {
    "age": number(forms.AGE_MIN, forms.AGE_MAX, 0, integer=True),
    "weight": number(forms.WEIGHT_MIN, forms.WEIGHT_MAX, 1),
    "height": number(forms.HEIGHT_MIN, forms.HEIGHT_MAX, 1),
    "scr": number(forms.SCR_MIN, forms.SCR_MAX, 2),
    "scr_umol": number(forms.SCR_UMOL_MIN, forms.SCR_UMOL_MAX, 1),
    "crcl": number(forms.CRCL_MIN, forms.CRCL_MAX, 1),
}
PATIENT_CHOICES = {
    name: choice(_choices(forms.PatientForm, name)) for name in ("sex", "dialysis", "child_pugh", *forms.GENE_FIELDS)
}
FILTER_CHOICES = {
    name: choice(_choices(forms.ExplorerForm, name))
    for name in ("min_strength", "min_quality", "approved_in", "controlled")
}
FILTER_MULTI = {name: multi(_choices(forms.ExplorerForm, name)) for name in ("kind", "line", "route", "site")}
FACTORS = multi(m.PatientFactor.SLUGS)
BOOLEAN = st.one_of(st.sampled_from(["on", "true", "1", "", "false", "0", "off", "no"]), markup, st.text(max_size=10))


@st.composite
def parameter(draw, name, kb, api=False):
    """One parameter's drawn values: [(text, expectation)], several for a repeated key."""
    singles = {
        **PATIENT_NUMBERS,
        **PATIENT_CHOICES,
        **FILTER_CHOICES,
        "guideline": choice(kb["guidelines"]),
        "condition": condition_choice(kb["conditions"]),
    }
    if name in singles:
        first = draw(singles[name])
        if draw(st.integers(0, 5)) == 0:  # a repeated key: the last one counts
            return [draw(singles[name]), first]
        return [first]
    if name in FILTER_MULTI:
        return draw(FILTER_MULTI[name])
    if name == "factors":
        return draw(FACTORS)
    if name == "drug_class":
        return draw(multi(kb["classes"]))
    if name == "hide_contraindicated":
        return [(draw(BOOLEAN), OK)]
    if name in ("current", "plan", "drugs", "procedures"):
        strategy = {
            "current": name_list(),
            "plan": name_list(strict=True),
            "drugs": name_list(strict=True, soft_max=plan.MAX_ITEMS - 1),
            "procedures": name_list(strict=True, known=kb["procedures"], soft_max=plan.MAX_ITEMS - 1),
        }[name]
        values, expectation = draw(strategy)
        return [(v, expectation) for v in values] or [("", OK)]
    if name == "lang":
        lang = draw(st.one_of(st.sampled_from(handout.LANGUAGES).map(lambda v: (v, OK)), choice(handout.LANGUAGES)))
        return [(lang[0], EITHER if lang[0] == "" else lang[1])]  # the API refuses an empty lang
    if name == "size":
        return [(draw(st.one_of(st.just("large"), markup, st.text(max_size=10))), OK)]
    raise AssertionError(name)


PATIENT = list(forms.PATIENT_PARAMETERS)
EXPLORER = [*PATIENT, "plan", "kind", "line", "min_strength", "min_quality", "guideline", "route", "site"]
EXPLORER += ["drug_class", "approved_in", "controlled", "hide_contraindicated"]
PLAN = [*PATIENT, "drugs", "procedures", "condition"]


@st.composite
def query(draw, names, kb, *, fixed=()):
    """(pairs, expectations): a query string of some of ``names`` with hostile values; ``expectations`` maps each
    drawn name to what the form must do with it (the last value for a single-valued field)."""
    chosen = draw(st.lists(st.sampled_from(names), unique=True, min_size=1, max_size=6))
    drawn = [(name, text, kind) for name in chosen for text, kind in draw(parameter(name, kb))]
    drawn = draw(st.permutations(drawn))
    pairs, expectations = [*fixed, *((name, text) for name, text, _ in drawn)], {}
    for name in chosen:
        kinds = [kind for n, _, kind in drawn if n == name]
        if name in MULTI_VALUED:
            expectations[name] = BAD if BAD in kinds else EITHER if EITHER in kinds else OK
        else:
            expectations[name] = kinds[-1]
    # Creatinine once: both units at once is an error on scr_umol.
    if all(_given(pairs, n) for n in ("scr", "scr_umol")):
        expectations["scr_umol"] = BAD if {expectations["scr"], expectations["scr_umol"]} == {OK} else EITHER
    # The plan's size limit counts drugs and procedures together.
    together = [v for n, v in pairs if n in ("drugs", "procedures")]
    if len({p.strip() for v in together for p in v.split(",") if p.strip()}) >= plan.MAX_ITEMS:
        for name in ("drugs", "procedures"):
            if expectations.get(name) == OK:
                expectations[name] = EITHER
    return pairs, expectations


MULTI_VALUED = {"factors", "current", "plan", "drugs", "procedures", "kind", "line", "route", "site", "drug_class"}


def _given(pairs, name):
    values = [v for n, v in pairs if n == name]
    return bool(values and values[-1].strip())


def verdict(expectations):
    kinds = set(expectations.values())
    return BAD if BAD in kinds else EITHER if EITHER in kinds else OK


# --- checks ---------------------------------------------------------------------------------------------


def get(client, path, pairs, **headers):
    response = client.get(f"{path}?{urlencode(pairs)}" if pairs else path, **headers)
    where = f"{path}?{urlencode(pairs)[:400]}"
    assert response.status_code < 500, where
    return response, where


def assert_not_reflected(response, pairs, where):
    """No drawn markup comes back unescaped in an HTML page (a marker token proves it is ours)."""
    if not response["Content-Type"].startswith("text/html"):
        return
    body = response.content.decode()
    for _name, value in pairs:
        for payload in {value, *value.split(",")}:
            if MARKER.search(payload) and ("<" in payload or '"' in payload or "'" in payload):
                assert payload.strip() not in body, (where, payload)


def api_errors(response, where):
    assert response["Content-Type"].startswith("application/json"), where
    return set(json.loads(response.content))


def check_api(response, where, expectations):
    """400 naming a refused parameter; 200 for accepted ones; an error never names a parameter drawn valid."""
    body = json.loads(response.content)  # valid JSON, always
    expected = verdict(expectations)
    if response.status_code == 400:
        named = set(body)
        assert named and expected != OK, (where, body, expectations)
        accepted = {n for n, k in expectations.items() if k == OK}
        # The plan form's size limit is reported on drugs, whatever made the plan long.
        assert not (named & accepted) or named <= {"drugs"}, (where, body, expectations)
        bad = {n for n, k in expectations.items() if k == BAD}
        assert not bad or named & (bad | {"drugs"}), (where, body, expectations)
    else:
        assert response.status_code == 200 and expected != BAD, (where, response.status_code, expectations)
    return body


def exact(text):
    """The number a person typed, read as Python reads it (unicode digits, exponents), or None."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def check_patient_echo(patient, pairs, expectations):
    """The API's patient is the one the address gave: the age and the entered CrCl are the typed numbers."""
    for name in ("age", "crcl"):
        values = [v for n, v in pairs if n == name]
        if not values or not values[-1].strip():
            continue
        typed = exact(values[-1])
        assert typed is not None, (name, values[-1], "accepted a value that is not a number")
        if name == "age":
            assert Decimal(patient["age"]) == typed, (values[-1], patient["age"])
        else:
            # Doses use CrCl in whole mL/min, as the labels' bands are written (explorer.kidney_function).
            assert patient["crcl"]["method"] == "entered", patient["crcl"]
            assert Decimal(str(patient["crcl"]["value"])) == typed.quantize(Decimal(1), ROUND_HALF_UP), (
                values[-1],
                patient["crcl"],
            )


@pytest.fixture
def kb(real_kb):
    published = lambda model, field="slug": list(model.objects.published().values_list(field, flat=True))  # noqa: E731
    condition = m.Condition.objects.published().get(slug=CONDITION)
    guidelines = list(
        m.Recommendation.objects.published().filter(condition=condition).values_list("guideline__key", flat=True)
    )
    return {
        "conditions": published(m.Condition)[:12],
        # The condition's own classes are the explorer's drug_class choices; the others are refused.
        "classes": [slug for slug, _name in kb_cache.condition_data(condition).drug_classes],
        "all_classes": published(m.DrugClass),
        "procedures": published(m.Procedure)[:8],
        "guidelines": sorted(set(guidelines)),
    }


@pytest.fixture
def client():
    return Client(raise_request_exception=False)


# --- the condition page, its CSV and the explore API -------------------------------------------------------


@fuzz(20)
@given(data=st.data())
def test_condition_page_shows_options_only_for_accepted_inputs(client, kb, data):
    pairs, expectations = data.draw(query(EXPLORER, kb))
    htmx = {"HTTP_HX_REQUEST": "true"} if data.draw(st.booleans()) else {}  # the partial htmx swaps in
    response, where = get(client, f"/conditions/{CONDITION}/", pairs, **htmx)
    assert response.status_code == 200, where
    assert_not_reflected(response, pairs, where)
    body = response.content.decode()
    shown, refused = 'class="result-meta"' in body, 'class="error-summary"' in body
    assert shown != refused, where  # options, or the fields to fix: never both, never neither
    expected = verdict(expectations)
    if expected == BAD:
        assert refused and "options shown" not in body, (where, expectations)
    elif expected == OK:
        assert shown, (where, expectations)


@fuzz(30)
@given(data=st.data())
def test_condition_csv_refuses_what_the_form_refuses(client, kb, data):
    pairs, expectations = data.draw(query(EXPLORER, kb))
    response, where = get(client, f"/conditions/{CONDITION}/options.csv", pairs)
    expected = verdict(expectations)
    if response.status_code == 400:
        # The error names the refused values as typed: plain text the browser must not sniff as HTML.
        assert response["Content-Type"].startswith("text/plain"), where
        assert response["X-Content-Type-Options"] == "nosniff", where
        assert expected != OK, (where, expectations)
        text = response.content.decode()
        bad = [n for n, k in expectations.items() if k == BAD]
        assert not bad or any(f"{n}:" in text or "__all__:" in text for n in bad), (where, text[:300])
    else:
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv"), where
        assert expected != BAD, (where, expectations)


EXPLORE_API = [n for n in EXPLORER if n != "plan"]  # the API has no plan tray


@fuzz(80)
@given(data=st.data())
def test_explore_api_refuses_by_name_and_echoes_what_it_accepted(client, kb, data):
    pairs, expectations = data.draw(query(EXPLORE_API, kb, fixed=[("condition", CONDITION)]))
    response, where = get(client, "/api/v1/explore/", pairs)
    body = check_api(response, where, expectations)
    if response.status_code == 200:
        check_patient_echo(body["patient"], pairs, expectations)


@fuzz(30)
@given(condition=st.one_of(st.just(""), markup, st.sampled_from(SQL), st.text(max_size=200), CONTROL))
def test_explore_api_refuses_a_hostile_condition(client, condition):
    response, where = get(client, "/api/v1/explore/", [("condition", condition)])
    assert response.status_code == 400 and "condition" in json.loads(response.content), where


def test_explore_api_refuses_the_page_only_plan_parameter(client):
    response = client.get("/api/v1/explore/", {"condition": CONDITION, "plan": "pregabalin"})
    assert response.status_code == 400 and response.json() == {"plan": ["Unknown parameter."]}


# --- the plan, its summaries, the note and compare ---------------------------------------------------------

PLAN_PAGES = ["/plan/", "/plan/summary/", "/plan/clinician/", "/plan/note.txt", "/compare/"]


@pytest.mark.parametrize("path", PLAN_PAGES)
@fuzz(25)
@given(data=st.data())
def test_plan_pages_refuse_what_the_plan_form_refuses(client, kb, path, data):
    names = [*PLAN, "lang", "size"] if path in ("/plan/summary/", "/plan/clinician/") else PLAN
    pairs, expectations = data.draw(query(names, kb))
    expectations.pop("lang", None), expectations.pop("size", None)  # the HTML summary falls back to English
    response, where = get(client, path, pairs)
    assert_not_reflected(response, pairs, where)
    expected = verdict(expectations)
    body = response.content.decode()
    if expected == BAD:  # refused: no plan and no patient worked out from the values
        assert response.status_code == 400, (where, expectations)
        if path.endswith(".txt"):
            assert body.startswith("Invalid plan: ") and response["X-Content-Type-Options"] == "nosniff", where
        else:
            assert 'id="plan-items-h"' not in body and 'class="patient-echo"' not in body, where
    elif expected == OK and path != "/compare/":  # compare also refuses 1 or more than 4 drugs
        assert response.status_code == 200, (where, expectations)
        assert path != "/plan/" or 'id="plan-items-h"' in body, where


@fuzz(4)
@given(data=st.data())
def test_summary_pdf_survives_hostile_plans(client, kb, data):
    """Few examples: weasyprint takes about a second a page."""
    pairs, expectations = data.draw(query([*PLAN, "lang", "size"], kb, fixed=[("drugs", "pregabalin")]))
    expectations.pop("lang", None), expectations.pop("size", None)
    response, where = get(client, "/plan/summary.pdf", pairs)
    if verdict(expectations) == BAD:
        assert response.status_code == 400, where
    if response.status_code == 200:
        assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF"), where


def test_summary_pdf_refuses_a_hostile_age_without_rendering(client):
    response = client.get("/plan/summary.pdf", {"drugs": "pregabalin", "age": '"><script>zq123456zq</script>'})
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert "<script>zq123456zq" not in response.content.decode()


@fuzz(40)
@given(data=st.data())
def test_interactions_check_api(client, kb, data):
    names = [name for name in PLAN if name != "procedures"]  # a plan check has no procedures
    pairs, expectations = data.draw(query(names, kb, fixed=[("drugs", "pregabalin")]))
    response, where = get(client, "/api/v1/interactions/check/", pairs)
    body = check_api(response, where, expectations)
    if response.status_code == 200:
        check_patient_echo(body["patient"], pairs, expectations)


@fuzz(40)
@given(data=st.data())
def test_summary_api_refuses_an_unknown_language(client, kb, data):
    pairs, expectations = data.draw(query([*PLAN, "lang"], kb, fixed=[("drugs", "pregabalin")]))
    response, where = get(client, "/api/v1/summary/", pairs)
    body = check_api(response, where, expectations)
    if response.status_code == 200:
        langs = [v for n, v in pairs if n == "lang"]
        assert body["lang"] == (langs[-1] if langs else "en"), where
        assert response["Content-Language"] == body["lang"]


@pytest.mark.parametrize("lang", ["xx", "ES", "es-MX", "<b>zq111111zq</b>", "", "en\x00"])
def test_the_html_summary_falls_back_to_english_for_an_unknown_language(client, lang):
    response = client.get("/plan/summary/", {"drugs": "pregabalin", "lang": lang})
    assert response.status_code == 200 and response["Content-Language"] == "en"
    assert "<b>zq111111zq" not in response.content.decode()


# --- search ---------------------------------------------------------------------------------------------


@fuzz(40)
@given(
    q=st.one_of(
        markup,
        st.sampled_from(SQL),
        st.text(max_size=120),
        CONTROL,
        st.sampled_from(["E11.42", "e1142", "%", "_", "\\", "SNRI", "Lyrica", " ", "٣"]),
        st.integers(90, 5000).map(lambda n: "q" * n),
    ),
    repeat=st.booleans(),
)
def test_search_never_reflects_its_query(client, q, repeat):
    pairs = [("q", "first"), ("q", q)] if repeat else [("q", q)]
    response, where = get(client, "/search/", pairs)
    assert_not_reflected(response, pairs, where)
    refused = len(q.strip()) > 100 or any(unicodedata.category(c) == "Cc" for c in q.strip())
    assert response.status_code == (400 if refused else 200), where


@pytest.mark.parametrize("q", ["\x00", "pregabalin\x00", "\x00' OR '1'='1"])
def test_search_with_a_nul_character_is_not_a_500(client, q):
    """Found by this module: a NUL reached PostgreSQL from views._search (psycopg.DataError, a 500; SQLite took
    it). views.search now refuses control characters with a 400."""
    response = client.get("/search/", {"q": q})
    assert response.status_code == 400 and "control characters" in response.content.decode()


def test_markup_sent_to_search_comes_back_escaped(client):
    """The reflection check looks at what a page echoes: search echoes ``q``."""
    payload = '"><script>zq123456zq</script>'
    response = client.get("/search/", {"q": payload})
    assert "&quot;&gt;&lt;script&gt;zq123456zq&lt;/script&gt;" in response.content.decode()


# --- the API's lists and records ----------------------------------------------------------------------

LIST_FILTERS = {
    "/api/v1/conditions/": {
        "search": st.one_of(
            st.text(max_size=100).map(lambda v: (v, OK)), st.integers(101, 3000).map(lambda n: ("s" * n, BAD))
        ),
        "icd10": st.one_of(
            st.sampled_from(["E11.42", "E1142", "e11", "G62.9", "M79.7"]).map(lambda v: (v, OK)),
            st.sampled_from(["E11.42.1", "11", "E", "E11.42345", "<b>", "' OR 1=1", "E11%", "E1_"]).map(
                lambda v: (v, BAD)
            ),
        ),
        "category": choice(m.ConditionCategory.values),
    },
    "/api/v1/drugs/": {
        "search": st.one_of(st.text(max_size=100).map(lambda v: (v, EITHER)), markup.map(lambda v: (v, OK))),
        "atc": st.one_of(
            st.sampled_from(["N03AX", "N", "n03ax16", "N06AX21"]).map(lambda v: (v, OK)),
            st.sampled_from(["N03AX161", "03", "N03-AX", "<i>", "%", "N03AX16 "]).map(lambda v: (v, EITHER)),
        ),
        "drug_class": None,  # the knowledge base's classes
    },
    "/api/v1/medicines/": {
        "search": st.one_of(st.text(max_size=100).map(lambda v: (v, EITHER)), markup.map(lambda v: (v, OK))),
        "property": choice(m.Property.values),
    },
    **{path: {} for path in ("/api/v1/drug-classes/", "/api/v1/procedures/", "/api/v1/diagnostics/")},
    "/api/v1/sources/": {},
    "/api/v1/patient-factors/": {},
}
PAGE = st.one_of(
    st.just(("1", OK)),
    st.sampled_from(["2", "0", "-1", "abc", "1.5", "9" * 40, "last", "<b>zq222222zq</b>", "NaN"]).map(
        lambda v: (v, EITHER)
    ),
)


@pytest.mark.parametrize("path", list(LIST_FILTERS))
@fuzz(15)
@given(data=st.data())
def test_list_endpoints_refuse_bad_filters_by_name(client, kb, path, data):
    filters = dict(LIST_FILTERS[path])
    if "drug_class" in filters:
        filters["drug_class"] = choice(kb["all_classes"])
    filters["page"] = PAGE
    chosen = data.draw(st.lists(st.sampled_from(sorted(filters)), unique=True, max_size=3))
    pairs, expectations = [], {}
    for name in chosen:
        text, expectation = data.draw(filters[name])
        pairs.append((name, text))
        expectations[name] = expectation
    if data.draw(st.booleans()):  # a parameter this endpoint does not have
        pairs.append((data.draw(st.sampled_from(["q", "route", "page_size", "age", "limit", "ordering"])), "1"))
        expectations["_unknown"] = BAD
    response, where = get(client, path, pairs)
    body = json.loads(response.content)
    if response.status_code == 400:
        assert verdict(expectations) != OK, (where, body)
        if "_unknown" in expectations:
            assert pairs[-1][0] in body and body[pairs[-1][0]] == ["Unknown parameter."], (where, body)
        if set(body) == {"page"}:
            assert body["page"] == ["Invalid page."] and "page" in expectations, (where, body)
    else:
        assert response.status_code == 200 and verdict(expectations) != BAD, (where, expectations, body)


@fuzz(20)
@given(slug=st.one_of(st.text(min_size=1, max_size=300), st.sampled_from(SQL), markup))
def test_hostile_slugs_get_404_not_500(client, slug):
    for prefix in (
        "/conditions/",
        "/drugs/",
        "/classes/",
        "/procedures/",
        "/diagnostics/",
        "/sources/",
        "/api/v1/drugs/",
        "/api/v1/conditions/",
        "/api/v1/sources/",
    ):
        response = client.get(prefix + quote(slug, safe="") + "/")
        assert response.status_code == 404, (prefix, slug)
    response = client.get(f"/conditions/{quote(slug, safe='')}/options.csv")
    assert response.status_code == 404


# Every path fuzzed above exists (so the examples reach real views, not a 404 page).
REAL_PATHS = [f"/conditions/{CONDITION}/", f"/conditions/{CONDITION}/options.csv", "/search/", *PLAN_PAGES]
REAL_PATHS += ["/plan/summary.pdf", "/api/v1/explore/", "/api/v1/interactions/check/", "/api/v1/summary/"]


@pytest.mark.parametrize("path", REAL_PATHS + list(LIST_FILTERS))
def test_every_fuzzed_path_exists(client, path):
    assert client.get(path).status_code in (200, 400)


@pytest.mark.parametrize(
    "query", ["drugs=pregabalin&drugs=", "drugs=&drugs=pregabalin", "drugs=pregabalin,", "drugs=,pregabalin"]
)
def test_interactions_check_reads_every_drugs_value(client, query):
    """Regression: the required-parameter check read only the last ``drugs`` value (an empty one refused the plan
    the form reads from all of them)."""
    response = client.get(f"/api/v1/interactions/check/?{query}")
    assert response.status_code == 200, response.content
    assert [item["drug"] for item in response.json()["items"]] == ["pregabalin"]


@pytest.mark.parametrize("query", ["", "drugs=", "drugs=,", "drugs=%20&drugs=", "age=70"])
def test_interactions_check_still_requires_a_drug(client, query):
    response = client.get(f"/api/v1/interactions/check/?{query}")
    assert response.status_code == 400 and response.json() == {"drugs": ["This parameter is required."]}


@fuzz(30)
@given(
    path=st.sampled_from(["/api/v1/explore/", "/api/v1/interactions/check/", "/api/v1/summary/", "/api/v1/drugs/"]),
    fmt=st.one_of(st.sampled_from(["json", "csv", "api", "xml", "JSON", "", "csv,json"]), markup, st.text(max_size=8)),
    age=st.sampled_from(["70", "abc", "300"]),
)
def test_the_format_parameter(client, path, fmt, age):
    """``format`` is json or csv (the explore endpoint's CSV); any other is a 400 naming it, never an HTML page."""
    own = {"/api/v1/explore/": [("condition", CONDITION), ("age", age)], "/api/v1/drugs/": []}
    pairs = [*own.get(path, [("drugs", "pregabalin"), ("age", age)]), ("format", fmt)]
    response, where = get(client, path, pairs)
    content_type = response["Content-Type"]
    assert not content_type.startswith("text/html"), where
    if fmt not in ("json", "csv", ""):
        assert response.status_code == 400 and "format" in json.loads(response.content), where
    elif response.status_code == 200:
        assert age == "70" or path == "/api/v1/drugs/", where
        assert content_type.startswith("text/csv" if fmt == "csv" else "application/json"), where
    else:
        assert response.status_code in (400, 406) and age != "70", (where, response.status_code, response.content[:200])
