"""“Report a problem” on public record pages: a short anonymous form that lands in the editors' queue.

No login. No patient data: the form says so, and text that looks like it carries an identifier (a
date of birth, an NHS or hospital number) is refused. Each client address may send a few reports an
hour (Django's cache; use a shared cache such as Redis or the database cache when running several
app servers, or the limit applies per server process).
"""

import hashlib
import re

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from . import models as m

RecordType = m.ProblemReport.RecordType

# Which records can be reported, and the field their URL names them by.
REPORTABLE = {
    RecordType.CONDITION: (m.Condition, "slug"),
    RecordType.DRUG: (m.Drug, "slug"),
    RecordType.DRUG_CLASS: (m.DrugClass, "slug"),
    RecordType.PROCEDURE: (m.Procedure, "slug"),
    RecordType.DIAGNOSTIC: (m.Diagnostic, "slug"),
    RecordType.SOURCE: (m.Source, "key"),
}

RATE_LIMIT = 5  # reports per client address ...
RATE_WINDOW = 60 * 60  # ... per hour (seconds)
MAX_TEXT = 2000

# Citations are fine to mention (a PMID is 8 digits, a DOI is full of numbers), so they are removed first.
_CITATIONS = re.compile(r"\bpmid:?\s*\d+|\b10\.\d{4,9}/\S+|https?://\S+", re.IGNORECASE)
_IDENTIFIERS = [
    (re.compile(r"\b(?:d\.?o\.?b\.?|date of birth|born on)\W", re.IGNORECASE), "a date of birth"),
    (re.compile(r"\b\d{1,2}([/.-])\d{1,2}\1\d{2,4}\b"), "a date"),
    (re.compile(r"\b(?:19|20)\d\d-\d\d-\d\d\b"), "a date"),
    (
        re.compile(r"\b(?:nhs|chi|mrn|hospital|medical record|patient)\s*(?:no\b|number|num\b|#|id\b)", re.IGNORECASE),
        "a patient or record number",
    ),
    (re.compile(r"\b\d{3}[ -]\d{3}[ -]\d{4}\b|\b\d{6,}\b"), "a long number, like an NHS or hospital number"),
]


def patient_data_in(text):
    """What in ``text`` looks like patient-identifying data ('a date', ...), or '' if nothing does."""
    text = _CITATIONS.sub(" ", text + " ")
    for pattern, what in _IDENTIFIERS:
        if pattern.search(text):
            return what
    return ""


def client_ip(request):
    """The client's address: REMOTE_ADDR, or behind our proxy (BEHIND_PROXY) the address the proxy saw.

    Used for these rate limits and by django-axes (settings.AXES_CLIENT_IP_CALLABLE).
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _rate_key(request):
    # Only a hash of the address is kept, and only for the rate-limit window.
    return "report-problem:" + hashlib.sha256(client_ip(request).encode()).hexdigest()


def rate_limited(request):
    return cache.get(_rate_key(request), 0) >= RATE_LIMIT


def count_report(request):
    key = _rate_key(request)
    if not cache.add(key, 1, RATE_WINDOW):
        cache.incr(key)


class ProblemReportForm(forms.ModelForm):
    class Meta:
        model = m.ProblemReport
        fields = ["text", "email"]
        labels = {"text": "What is wrong?", "email": "Your email (optional)"}
        help_texts = {
            "text": "What is wrong or missing on this page, and the source that says so if you know it.",
            "email": "Only if you would like a reply. It is seen by the editors and nobody else.",
        }
        widgets = {"text": forms.Textarea(attrs={"rows": 6, "maxlength": MAX_TEXT})}

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        what = patient_data_in(text)
        if what:
            raise forms.ValidationError(
                f"This looks like it contains {what}. Please remove any patient details and describe only "
                "the problem with the page."
            )
        return text


@require_http_methods(["GET", "POST"])
def report_problem(request, record_type, key):
    if record_type not in REPORTABLE:
        raise Http404("No such kind of record.")
    model, key_field = REPORTABLE[record_type]
    record = get_object_or_404(model.objects.published(), **{key_field: key})
    context = {"record": record, "sent": request.GET.get("sent") == "1", "limit": RATE_LIMIT}
    if request.method == "POST":
        if rate_limited(request):
            return render(request, "treatments/report_problem.html", {**context, "limited": True}, status=429)
        form = ProblemReportForm(request.POST)
        if form.is_valid():
            report = form.save(commit=False)
            report.record_type, report.record_key, report.link = record_type, key, record.get_absolute_url()
            report.save()
            count_report(request)
            return redirect(request.path + "?sent=1")
    else:
        form = ProblemReportForm()
    return render(request, "treatments/report_problem.html", {**context, "form": form})
