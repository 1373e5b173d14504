import unicodedata
from functools import wraps

import segno
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from . import answer, cache, explorer, forms, handout, plan, smart, spreadsheet
from . import models as m
from .validation import normalise_icd10

MAX_QUERY_LENGTH = 100
MAX_COMPARE = 4


@require_GET
@cache.cached_page
def home(request):
    conditions = m.Condition.objects.published().only("name", "slug", "category", "synonyms", "pain_mechanism")
    labels = dict(m.ConditionCategory.choices)
    groups = {}
    for condition in conditions:
        groups.setdefault(condition.category, []).append(condition)
    ordered = [(labels[c], groups[c]) for c in m.ConditionCategory.values if c in groups]
    return render(request, "treatments/home.html", {"groups": ordered, "record": smart.record_panel(request)})


def _search(q):
    """Conditions, drugs, classes, procedures and diagnostics matching q (case-insensitive)."""
    text = Q(name__icontains=q) | Q(synonyms__icontains=q)
    code = normalise_icd10(q)
    conditions = m.Condition.objects.published().filter(text | Q(icd10_codes__icontains=code))
    drugs = (
        m.Drug.objects.published()
        .filter(Q(generic_name__icontains=q) | Q(brand_names__icontains=q) | Q(drug_class__abbreviation__iexact=q))
        .select_related("drug_class")
    )
    classes = m.DrugClass.objects.published().filter(Q(name__icontains=q) | Q(abbreviation__iexact=q))
    procedures = m.Procedure.objects.published().filter(text)
    diagnostics = m.Diagnostic.objects.published().filter(text)

    def exact_first(objects, names):
        needle = q.lower()
        return sorted(objects, key=lambda o: (needle not in [n.lower() for n in names(o)], str(o).lower()))

    return {
        "conditions": exact_first(conditions, lambda c: [c.name, *c.synonyms, *c.icd10_codes]),
        "drugs": exact_first(drugs, lambda d: [d.generic_name, *d.brand_names]),
        "classes": exact_first(classes, lambda c: [c.name, c.abbreviation]),
        "procedures": exact_first(procedures, lambda p: [p.name, *p.synonyms]),
        "diagnostics": exact_first(diagnostics, lambda d: [d.name, *d.synonyms]),
    }


@require_GET
def search(request):
    q = request.GET.get("q", "").strip()
    error = ""
    results = None
    if len(q) > MAX_QUERY_LENGTH:
        error = f"Search for at most {MAX_QUERY_LENGTH} characters."
    elif any(unicodedata.category(c) == "Cc" for c in q):  # e.g. a NUL, which PostgreSQL text cannot hold
        error = "Search text cannot contain control characters."
    elif q:
        results = _search(q)
    total = sum(len(v) for v in results.values()) if results else 0
    shown = "".join(c for c in q[:MAX_QUERY_LENGTH] if unicodedata.category(c) != "Cc")
    return render(
        request,
        "treatments/search.html",
        {"q": shown, "results": results, "total": total, "error": error},
        status=400 if error else 200,
    )


@require_GET
@cache.cached_page
def condition_detail(request, slug):
    condition = cache.condition(slug, cache.request_version(request))
    if condition is None:
        raise Http404("No published condition matches this address.")
    data, form, result = forms.bind_explorer(request, condition)
    drug_names = {slug: d.name for slug, d in {**form.found.items, **data.current_drugs}.items()}
    context = {
        "condition": condition,
        "form": form,
        "result": result,
        "procedures": [t for t in data.targets if t.kind == explorer.KIND_PROCEDURE],
        # Initial tests first, then targeted ones.
        "workup": [
            w for p in (m.WorkupPriority.INITIAL, m.WorkupPriority.TARGETED) for w in data.workup if w.priority == p
        ],
        "drug_names": drug_names,
        "plan_slugs": [],
        "record": smart.record_panel(request, condition),
    }
    if result:
        plan_slugs = list(dict.fromkeys(form.cleaned_data.get("plan") or []))
        drug_slugs = {o.slug for o in result.options if o.kind == explorer.KIND_DRUG}
        drug_slugs |= {d.slug for o in result.options for d in o.members}
        factor_names = dict(form.fields["factors"].choices)
        current_names = [med.name for med in result.patient.medicines if med.recognised]
        context.update(
            unrecognised=_unrecognised(request, result.patient),
            unprofiled=_unprofiled(result.patient),
            plan_slugs=plan_slugs,
            add_urls={s: "?" + _plan_query(request, plan=[*plan_slugs, s]) for s in drug_slugs if s not in plan_slugs},
            plan_url=reverse("treatments:plan")
            + "?"
            + _query_string(condition=[condition.slug], drugs=plan_slugs, **dict(form.patient_query())),
            description=explorer.describe(condition.name, result.patient, factor_names, current_names),
            answer=answer.answer(result),
            patient_line=explorer.patient_line(result.patient),
        )
    template = "treatments/condition.html"
    if request.headers.get("HX-Request") == "true":
        template += "#explorer"
    return render(request, template, context)


@require_GET
@cache.cached_page
def condition_csv(request, slug):
    condition = cache.condition(slug, cache.request_version(request))
    if condition is None:
        raise Http404("No published condition matches this address.")
    _data, form, result = forms.bind_explorer(request, condition)
    if result is None:
        errors = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in form.errors.items())
        return HttpResponse(f"Invalid filter: {errors}\n", status=400, content_type="text/plain; charset=utf-8")
    return spreadsheet.explore_csv_response(result, f"{condition.slug}-options.csv")


@require_GET
@cache.cached_page
def drug_detail(request, slug):
    drug = get_object_or_404(m.Drug.objects.for_drug_page(), slug=slug)
    info = explorer.drug_info(drug)
    interactions = list(explorer.interaction_refs([drug.pk], [drug.drug_class_id]))
    interactions.sort(key=lambda i: list(m.Severity.values).index(i.severity))
    return render(
        request,
        "treatments/drug.html",
        {"drug": drug, "info": info, "interactions": interactions, "recommendations": drug.recommendations.all()},
    )


@require_GET
@cache.cached_page
def drug_class_detail(request, slug):
    drug_class = get_object_or_404(m.DrugClass.objects.for_class_page(), slug=slug)
    return render(request, "treatments/drug_class.html", {"drug_class": drug_class})


@require_GET
@cache.cached_page
def procedure_detail(request, slug):
    procedure = get_object_or_404(m.Procedure.objects.for_procedure_page(), slug=slug)
    return render(request, "treatments/procedure.html", {"procedure": procedure})


@require_GET
@cache.cached_page
def diagnostic_detail(request, slug):
    diagnostic = get_object_or_404(m.Diagnostic.objects.for_diagnostic_page(), slug=slug)
    return render(request, "treatments/diagnostic.html", {"diagnostic": diagnostic})


# Everything that can cite a source, with the attribute that names the cited record.
CITING = [
    (m.Condition, "Conditions", None),
    (m.DrugClass, "Drug classes", None),
    (m.Drug, "Drugs", None),
    (m.Procedure, "Procedures", None),
    (m.Diagnostic, "Diagnostics", None),
    (m.DoseGuidance, "Dose guidance", ("drug",)),
    (m.RenalDoseBand, "Renal dose bands", ("drug",)),
    (m.ControlledSchedule, "Controlled-drug schedules", ("drug",)),
    (m.RegulatoryApproval, "Regulatory approvals", ("drug", "condition")),
    (m.Recommendation, "Recommendations (as supporting source)", ("condition", "guideline", "drug", "drug_class")),
    (m.ProcedureIndication, "Procedure indications", ("condition", "procedure")),
    (m.WorkupItem, "Work-up items", ("condition", "diagnostic")),
    (m.Caution, "Cautions", ("factor", "drug", "drug_class")),
    (m.Interaction, "Interactions", ("drug_a", "class_a", "drug_b", "class_b")),
]


@require_GET
@cache.cached_page
def source_detail(request, key):
    source = get_object_or_404(m.Source.objects.published(), key=key)
    guideline_positions = (
        m.Recommendation.objects.published()
        .filter(guideline=source)
        .select_related("condition", "drug", "drug_class")
        .order_by("condition__name", "line")
    )
    citing = []
    for model, label, related in CITING:
        qs = model.objects.published().filter(sources=source)
        if related:
            qs = qs.select_related(*related)
        records = list(qs)
        if records:
            citing.append((label, records))
    return render(
        request,
        "treatments/source.html",
        {"source": source, "guideline_positions": guideline_positions, "citing": citing},
    )


@require_GET
@cache.cached_page
def compare(request):
    """Two to four drugs side by side, each judged for the patient of the address (the plan's form and rules)."""
    form, _data, result, _condition = forms.bind_plan(request)
    slugs = list(result.criteria.drugs) if result else []
    error = ""
    if result is None:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    elif len(slugs) > MAX_COMPARE:
        error = f"Compare at most {MAX_COMPARE} drugs at a time."
    elif len(slugs) == 1:
        error = "Choose at least two drugs to compare."
    columns = []
    if slugs and not error:
        found = {
            d.slug: d
            for d in m.Drug.objects.for_explorer()
            .filter(slug__in=slugs)
            .prefetch_related(
                Prefetch(
                    "recommendations",
                    queryset=m.Recommendation.objects.published().select_related("condition", "guideline"),
                )
            )
        }
        columns = [(found[item.drug.slug], item) for item in result.items]
    condition_slug = result.criteria.condition if result else ""
    rows = {}
    for drug, item in columns:
        # This condition's guideline positions on the drug itself (or on its class), and its interactions with the
        # patient's current medicines.
        positions = [
            r
            for r in drug.recommendations.all()
            if condition_slug and r.condition.slug == condition_slug and r.status == m.ReviewStatus.PUBLISHED
        ]
        pairs = [p for p in result.pairs if item.drug.slug in (p.a, p.b)]
        rows[drug.slug] = {"positions": positions, "pairs": pairs}
    columns = [(drug, item, rows[drug.slug]) for drug, item in columns]
    choices = (
        m.Drug.objects.published()
        .select_related("drug_class")
        .only("slug", "generic_name", "drug_class__name")
        .order_by("drug_class__name", "generic_name")
    )
    return render(
        request,
        "treatments/compare.html",
        {
            "columns": columns,
            "error": error,
            "choices": choices,
            "selected": slugs,
            "patient": result.criteria.patient if result else None,
            "form": form,
            "condition": _condition,
        },
        status=400 if error else 200,
    )


# --- plans and summaries ----------------------------------------------------------------------


def _unprofiled(patient):
    """Names of the recognised current medicines without a reviewed interaction profile (not checked)."""
    return list(dict.fromkeys(med.name for med in patient.unprofiled))


def _unrecognised(request, patient):
    """The current medicines the vocabulary does not know, each with links that swap in a suggestion."""
    typed = [med.slug or med.text for med in patient.medicines]
    rows = []
    for i, med in enumerate(patient.medicines):
        if med.recognised:
            continue
        links = [
            (name, "?" + _plan_query(request, current=[*typed[:i], slug, *typed[i + 1 :]]))
            for slug, name in med.suggestions
        ]
        rows.append({"text": med.text, "suggestions": links})
    return rows


def _query_string(**params):
    query = QueryDict(mutable=True)
    for key, values in params.items():
        query.setlist(key, [str(v) for v in values if v not in (None, "")])
    return query.urlencode()


def _plan_state(form):
    """A valid plan form's state as a query string of slugs, whatever names were typed."""
    c = form.cleaned_data
    return _query_string(
        drugs=c.get("drugs") or [],
        procedures=c.get("procedures") or [],
        condition=[c.get("condition")],
        **dict(form.patient_query()),
    )


def _plan_query(request, **changes):
    """The current query string with some parameters replaced (lists become repeated values),
    parameters in name order, so a page is the same for every order of its query (see cache.page_key)."""
    query = QueryDict(mutable=True)
    for key, values in sorted({**dict(request.GET.lists()), **changes}.items()):
        query.setlist(key, [v for v in values if v])
    return query.urlencode()


@require_GET
@cache.cached_page
def plan_page(request):
    form, data, result, condition = forms.bind_plan(request)
    context = {"form": form, "result": result, "condition": condition}
    if result is not None:
        chosen = list(result.criteria.drugs)
        context.update(
            unrecognised=_unrecognised(request, result.criteria.patient),
            unprofiled=_unprofiled(result.criteria.patient),
            remove_urls={s: _plan_query(request, drugs=[d for d in chosen if d != s]) for s in chosen},
            remove_procedure_urls={
                s: _plan_query(request, procedures=[p for p in result.criteria.procedures if p != s])
                for s in result.criteria.procedures
            },
            query=_plan_state(form),
            note=plan.clinical_note(result, condition.name if condition else ""),
        )
    return render(request, "treatments/plan.html", context, status=200 if result is not None else 400)


def summary_language(request):
    """The handout's language: ``lang`` in the address, else English."""
    lang = request.GET.get("lang", "")
    return lang if lang in handout.LANGUAGES else "en"


def in_summary_language(view):
    """Summary pages speak the patient's language: ``lang=es`` in the address, or, when the address names
    none, the browser's preferred language (a redirect to the address with ``lang``, so every cached page
    has one language). The view runs with that language active."""

    @wraps(view)
    def inner(request, *args, **kwargs):
        if "lang" not in request.GET:
            preferred = translation.get_language_from_request(request)
            if preferred and preferred.split("-")[0] == "es":
                query = request.GET.copy()
                query["lang"] = "es"
                return redirect(f"{request.path}?{query.urlencode()}")
        lang = summary_language(request)
        with translation.override(lang):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = lang
        patch_vary_headers(response, ["Accept-Language"])
        return response

    return inner


def _summary_context(request, pdf=False):
    form, data, result, condition = forms.bind_plan(request)
    if result is None:
        return None, form
    lang = summary_language(request)
    summary = plan.summary_for(data, result, condition, lang)
    # The printed link opens the same handout: the doses on it are this patient's, so it carries the plan and the
    # patient inputs they depend on (never a name or a record identifier), the language and the print size.
    query = _plan_state(form)
    extra = {"lang": lang} if lang != "en" else {}
    large = request.GET.get("size") == "large"
    if large:
        extra["size"] = "large"
    live_query = "&".join(q for q in (query, _query_string(**{k: [v] for k, v in extra.items()})) if q)
    live_url = request.build_absolute_uri(reverse("treatments:summary") + "?" + live_query)
    here = dict(request.GET.lists())
    return {
        "summary": summary,
        "result": result,
        "condition": condition,
        "as_of": cache.content_as_of(cache.request_version(request)),
        "version": settings.CONTENT_VERSION,
        "live_url": live_url,
        "qr": segno.make(live_url, error="m").png_data_uri(scale=3, border=2),
        "pdf": pdf,
        "query": query,
        "lang": lang,
        "large": large,
        "other_language_query": _query_string(**{**here, "lang": ["en" if lang == "es" else "es"]}),
        "size_query": _query_string(**{**here, "size": [] if large else ["large"]}),
        "untranslated_condition": summary.condition_untranslated,
    }, form


@require_GET
@cache.cached_page
def plan_note(request):
    """The plan and its checks as plain text for the clinical record (no identifiers)."""
    form, data, result, condition = forms.bind_plan(request)
    if result is None:
        errors = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in form.errors.items())
        return HttpResponse(f"Invalid plan: {errors}\n", status=400, content_type="text/plain; charset=utf-8")
    note = plan.clinical_note(result, condition.name if condition else "")
    return HttpResponse(note, content_type="text/plain; charset=utf-8")


@require_GET
@in_summary_language
@cache.cached_page
def summary_page(request):
    context, form = _summary_context(request)
    if context is None:
        return render(request, "treatments/plan.html", {"form": form, "result": None}, status=400)
    return render(request, "treatments/summary.html", context)


@require_GET
@cache.cached_page
def clinician_summary_page(request):
    context, form = _summary_context(request)
    if context is None:
        return render(request, "treatments/plan.html", {"form": form, "result": None}, status=400)
    return render(request, "treatments/clinician_summary.html", context)


@require_GET
@in_summary_language
@cache.cached_page
def summary_pdf(request):
    context, form = _summary_context(request, pdf=True)
    if context is None:
        return render(request, "treatments/plan.html", {"form": form, "result": None}, status=400)
    html = render_to_string("treatments/summary.html", context, request=request)
    import weasyprint  # here, not at import: about 40 MB per worker, for the PDF only

    stylesheets = [weasyprint.CSS(filename=finders.find(name)) for name in ("css/summary.css", "css/summary-print.css")]
    pdf = weasyprint.HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(stylesheets=stylesheets)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = "plan-de-tratamiento" if context["lang"] == "es" else "treatment-summary"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


@require_GET
def healthz(request):
    """Liveness for load balancers and the benchmark's trivial view: no database, no template."""
    return HttpResponse("ok\n", content_type="text/plain")


def page_not_found(request, exception=None):
    """404: JSON under the API (even for paths no route matches), the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)
