"""One address per page type, public and admin, shared by the accessibility and layout tests."""

from urllib.parse import urlencode

PDN = "/conditions/painful-diabetic-neuropathy/"
PATIENT = {"age": 72, "crcl": 25, "factors": "depression"}
PLAN_QUERY = urlencode(
    [
        ("condition", "painful-diabetic-neuropathy"),
        ("drugs", "pregabalin"),
        ("drugs", "duloxetine"),
        ("age", 72),
        ("crcl", 25),
        ("factors", "depression"),
    ]
)

PUBLIC = {
    "home": "/",
    "search": "/search/?q=diabetic",
    "search-error": "/search/?q=" + "x" * 101,
    "condition": PDN,
    "condition-patient": PDN + "?" + urlencode(PATIENT),
    "condition-error": PDN + "?age=300&crcl=-4",
    "drug": "/drugs/pregabalin/",
    "drug-class": "/classes/gabapentinoids/",
    "procedure": "/procedures/spinal-cord-stimulation/",
    "diagnostic": "/diagnostics/emg/",
    "source": "/sources/label-cymbalta/",
    "compare": "/compare/?drugs=pregabalin&drugs=duloxetine&drugs=amitriptyline",
    "plan": "/plan/?" + PLAN_QUERY,
    "patient-summary": "/plan/summary/?" + PLAN_QUERY,
    "patient-summary-es": "/plan/summary/?" + PLAN_QUERY + "&lang=es",
    "patient-summary-large": "/plan/summary/?" + PLAN_QUERY + "&size=large",
    "clinician-summary": "/plan/clinician/?" + PLAN_QUERY,
    "report-problem": "/report/drug/pregabalin/",
}

ADMIN = {
    "admin-index": "/admin/",
    "admin-changelist": "/admin/treatments/drug/",
    "admin-change-form": "/admin/treatments/drug/{pregabalin}/change/",
    "admin-history": "/admin/treatments/drug/{pregabalin}/history/",
}

# The pages people use most: screenshots and the 320 px and target-size checks.
MAIN = ["home", "search", "condition-patient", "drug", "compare", "plan", "patient-summary"]
