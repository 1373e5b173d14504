"""Issue 16: structured titration schedules, renal-band starts and schedules, and age adjustments, merged into
fixtures/drugs.json. Curated from the labels cited on each dose row (read in label copies; see each row's
evidence in the issue note). Idempotent: rerunning replaces what it wrote. Run, then load and export to
normalise."""

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "drugs.json"

# (drug, region, the start of the row's context) -> (starting_text, starting_times_a_day, [(after_days, daily_dose, times_a_day, text)])
REGIMENS = {
    ("gabapentin", "US", "Postherpetic neuralgia"): (
        "300 mg once on day 1",
        1,
        [(1, "600", 2, "300 mg twice a day"), (2, "900", 3, "300 mg three times a day")],
    ),
    ("gabapentin", "US", "Postherpetic neuralgia (Gralise"): (
        "300 mg once daily with the evening meal on day 1",
        1,
        [
            (1, "600", 1, "600 mg once daily with the evening meal"),
            (2, "900", 1, "900 mg once daily with the evening meal"),
            (6, "1200", 1, "1200 mg once daily with the evening meal"),
            (10, "1500", 1, "1500 mg once daily with the evening meal"),
            (14, "1800", 1, "1800 mg once daily with the evening meal"),
        ],
    ),
    ("gabapentin-enacarbil", "US", "Postherpetic neuralgia"): (
        "600 mg each morning for 3 days",
        1,
        [(3, "1200", 2, "600 mg twice a day")],
    ),
    ("pregabalin", "US", "Diabetic peripheral neuropathy"): (
        "50 mg three times a day",
        3,
        [(7, "300", 3, "100 mg three times a day, within 1 week")],
    ),
    ("pregabalin", "US", "Postherpetic neuralgia"): (
        "75 mg twice a day or 50 mg three times a day",
        2,
        [(7, "300", 2, "150 mg twice a day or 100 mg three times a day, within 1 week")],
    ),
    ("pregabalin", "US", "Fibromyalgia"): (
        "75 mg twice a day",
        2,
        [(7, "300", 2, "150 mg twice a day, within 1 week")],
    ),
    ("pregabalin", "US", "Neuropathic pain associated with spinal cord injury"): (
        "75 mg twice a day",
        2,
        [(7, "300", 2, "150 mg twice a day, within 1 week")],
    ),
    ("pregabalin", "US", "Diabetic peripheral neuropathy (Lyrica CR"): (
        "165 mg once daily after the evening meal",
        1,
        [(7, "330", 1, "330 mg once daily after the evening meal, within 1 week")],
    ),
    ("pregabalin", "US", "Postherpetic neuralgia (Lyrica CR"): (
        "165 mg once daily after the evening meal",
        1,
        [(7, "330", 1, "330 mg once daily after the evening meal, within 1 week")],
    ),
    ("duloxetine", "US", "Fibromyalgia and chronic"): (
        "30 mg once daily for 1 week",
        1,
        [(7, "60", 1, "60 mg once daily")],
    ),
    ("duloxetine", "US", "Diabetic peripheral neuropathic"): ("60 mg once daily", 1, []),
    ("milnacipran", "US", "Fibromyalgia"): (
        "12.5 mg once on day 1",
        1,
        [
            (1, "25", 2, "12.5 mg twice a day"),
            (3, "50", 2, "25 mg twice a day"),
            (7, "100", 2, "50 mg twice a day"),
        ],
    ),
    ("tramadol", "US", "Chronic pain, immediate-release tablets (label)"): (
        "25 mg each morning",
        1,
        [
            (3, "50", 2, "25 mg twice a day"),
            (6, "75", 3, "25 mg three times a day"),
            (9, "100", 4, "25 mg four times a day"),
            (12, "150", None, "150 mg a day in divided doses"),
            (15, "200", 4, "50 mg four times a day"),
        ],
    ),
    ("tapentadol", "US", "Diabetic peripheral neuropathy, extended-release"): (
        "50 mg twice a day (about every 12 hours), if not opioid tolerant",
        2,
        [],
    ),
    ("carbamazepine", "US", "Trigeminal neuralgia"): ("100 mg twice a day on the first day", 2, []),
    ("baclofen", "US", "Spasticity, oral tablets"): (
        "5 mg three times a day for 3 days",
        3,
        [
            (3, "30", 3, "10 mg three times a day"),
            (6, "45", 3, "15 mg three times a day"),
            (9, "60", 3, "20 mg three times a day"),
        ],
    ),
    ("tizanidine", "US", "Spasticity (Zanaflex label)"): (
        "2 mg as a single dose; may be repeated every 6 to 8 hours, up to 3 doses in 24 hours",
        None,
        [],
    ),
    ("lacosamide", "US", "Labelled dose (partial-onset"): (
        "50 mg twice a day (adjunctive) or 100 mg twice a day (monotherapy)",
        2,
        [],
    ),
    ("levetiracetam", "EU", "Epilepsy: partial-onset"): (
        "250 mg twice a day",
        2,
        [(14, "1000", 2, "500 mg twice a day")],
    ),
    ("ziconotide", "US", "Severe chronic pain"): (
        "No more than 2.4 micrograms a day (0.1 microgram an hour) intrathecally",
        None,
        [],
    ),
    ("desvenlafaxine", "US", "Labelled dose (major"): (
        "50 mg once daily, with or without food",
        1,
        [],
    ),
    ("dronabinol", "US", "Anorexia with weight loss in AIDS (US label; not a pain indication)"): (
        "2.5 mg twice a day, one hour before lunch and one hour before supper",
        2,
        [],
    ),
    ("valproate", "US", "Epilepsy, complex partial"): (
        "10 to 15 mg/kg a day",
        None,
        [],
    ),
    ("mexiletine", "US", "Ventricular arrhythmias"): (
        "200 mg every 8 hours, when rapid control is not essential",
        3,
        [],
    ),
    ("phenytoin", "US", "Epilepsy: tonic-clonic"): (
        "One 100 mg extended capsule three times a day",
        3,
        [],
    ),
    ("venlafaxine", "US", "Major depressive disorder, extended"): (
        "37.5 to 75 mg once daily with food",
        1,
        [],
    ),
    ("cyclobenzaprine", "US", "Acute musculoskeletal"): (
        "5 mg three times a day",
        3,
        [],
    ),
}

# Rows whose starting dose was missing: the Gralise label's titration table starts at 300 mg on day 1.
START_DOSES = {("gabapentin", "US", "Postherpetic neuralgia (Gralise"): "300.000"}

# The Lyrica label's renal table (Table 1, total daily dose by CrCl): each band's column for the label's
# 150 mg/day start and its 300 mg/day step. Bands are those of the KB (condition None = any indication).
# (drug, region, condition, crcl_min) -> (starting dose, [(after_days, daily dose, times, text)])
BAND_SCHEDULES = {}
for condition in (None, "fibromyalgia", "painful-diabetic-neuropathy"):
    BAND_SCHEDULES[("pregabalin", "US", condition, 30)] = ("75", [(7, "150", None, "150 mg a day in 2 or 3 doses, within 1 week")])
    BAND_SCHEDULES[("pregabalin", "US", condition, 15)] = ("25", [(7, "75", None, "75 mg a day in 1 or 2 doses, within 1 week")])
    BAND_SCHEDULES[("pregabalin", "US", condition, 0)] = ("25", [])
# Horizant label Table 2 (postherpetic neuralgia by CrCl), titration column.
BAND_SCHEDULES[("gabapentin-enacarbil", "US", None, 30)] = ("300", [(3, "600", 2, "300 mg twice a day")])
BAND_SCHEDULES[("gabapentin-enacarbil", "US", None, 15)] = ("300", [])

# Rows whose band schedules apply: the dose rows that use those bands.
BAND_ROWS = {
    ("pregabalin", None): [("pregabalin", "US", "Postherpetic neuralgia"), ("pregabalin", "US", "Neuropathic pain associated with spinal cord injury")],
    ("pregabalin", "fibromyalgia"): [("pregabalin", "US", "Fibromyalgia")],
    ("pregabalin", "painful-diabetic-neuropathy"): [("pregabalin", "US", "Diabetic peripheral neuropathy")],
    ("gabapentin-enacarbil", None): [("gabapentin-enacarbil", "US", "Postherpetic neuralgia")],
}

ADJUSTMENTS = [
    {
        "key": "tramadol--over-75",
        "drug": ["tramadol"],
        "region": "US",
        "condition": None,
        "age_min": 75,
        "child_pugh": [],
        "starting_dose": None,
        "max_daily_dose": "300.000",
        "unit": "mg/day",
        "text": "Ultram label: in patients over 75 years, do not exceed 300 mg a day in total; start at the low end of "
        "the dosing range in older adults.",
        "sources": [["label-ultram"]],
    },
]


def main():
    records = json.loads(FIXTURES.read_text())
    keep = [r for r in records if r["model"] not in ("treatments.titrationstep", "treatments.doseadjustment")]
    rows = [r for r in keep if r["model"] == "treatments.doseguidance"]

    def find(key):
        drug, region, start = key
        same = [r for r in rows if r["fields"]["drug"][0] == drug and r["fields"]["region"] == region]
        found = [r for r in same if r["fields"]["context"] == start] or [
            r for r in same if r["fields"]["context"].startswith(start)
        ]
        assert len(found) == 1, (key, [r["fields"]["context"] for r in found])
        return found[0]

    bands = {
        (r["fields"]["drug"][0], r["fields"]["region"], (r["fields"]["condition"] or [None])[0], r["fields"]["crcl_min"]): r
        for r in keep
        if r["model"] == "treatments.renaldoseband"
    }
    steps = []
    for key, (text, times, schedule) in REGIMENS.items():
        fields = find(key)["fields"]
        fields["starting_text"] = text
        if key in START_DOSES:
            fields["starting_dose"] = START_DOSES[key]
        fields["starting_times_a_day"] = times
        for after, daily, n, words in schedule:
            steps.append((key, None, after, daily, n, words))
    for (drug, region, condition, crcl_min), (start, schedule) in BAND_SCHEDULES.items():
        bands[(drug, region, condition, crcl_min)]["fields"]["starting_dose"] = f"{start}.000"
        for key in BAND_ROWS[(drug, condition)]:
            for after, daily, n, words in schedule:
                steps.append((key, crcl_min, after, daily, n, words))
    out = []
    for r in keep:
        out.append(r)
    step_records = [
        {
            "model": "treatments.titrationstep",
            "fields": {
                "dose": [find(key)["fields"]["drug"][0], key[1], find(key)["fields"]["context"]],
                "crcl_min": crcl_min,
                "after_days": after,
                "daily_dose": f"{daily}.000",
                "times_a_day": n,
                "text": words,
            },
        }
        for key, crcl_min, after, daily, n, words in steps
    ]
    adjustments = [
        {"model": "treatments.doseadjustment", "fields": {"status": "published", "last_reviewed": "2026-12-02", "next_review_due": "2027-12-02", **a}}
        for a in ADJUSTMENTS
    ]
    FIXTURES.write_text(json.dumps(out + step_records + adjustments, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
