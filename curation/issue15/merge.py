"""Merge the reviewed issue-15 curation into fixtures/ (run from the repository root: python3 curation/issue15/merge.py).

What it does, in order (each step is a decision recorded in docs/CONTENT.md and the issue note):
- medicines: the vocabulary records, linked to their knowledge-base drug (same slug) and class; RxCUI/ATC
  gaps filled from ``codes.csv`` where a second open file gave them; ``profiled`` for the top-300 and
  knowledge-base medicines both profile passes reviewed.
- properties: the four profile passes merged; the second pass wins a duplicate (it was read against the
  current FDA table or a label); the FDA-graded corrections applied; label keys that do not grade other drugs
  removed; rows whose only support was an ATC group written from memory dropped unless the vocabulary's ATC
  code (from CPIC's open data) confirms the group; contraception rows replaced by ``contraception.json``.
- rules, curated pairs, cautions, the mexiletine boxed warning and the new sources.
"""

import csv
import json
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
FIX = ROOT / "fixtures"
TODAY = "2026-12-02"
NEXT = "2027-12-02"


def load(path):
    return json.loads((HERE / path).read_text())


def dump(path, rows):
    path.write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


kb = json.loads((FIX / "drugs.json").read_text())
kb_drugs = {x["fields"]["slug"]: x["fields"] for x in kb if x["model"] == "treatments.drug"}
vocab = load("vocab/medicines.json")
by_slug = {x["fields"]["slug"]: x for x in vocab}

# Names two records claimed: the systemic medicine keeps its salt name, the topical product its brands.
NAME_FIXES = {
    "clonidine-topical": {"other_names": ["clonidine gel"]},
    "lidocaine": {"brand_names_us": []},
    # ClinCalc lists pancrelipase by its three enzymes.
    "pancrelipase": {
        "other_names": [
            *by_slug["pancrelipase"]["fields"]["other_names"],
            "pancrelipase amylase; pancrelipase lipase; pancrelipase protease",
        ]
    },
    # US prescription labels abbreviate acetaminophen as APAP ("hydrocodone/APAP").
    "acetaminophen": {"other_names": [*by_slug["acetaminophen"]["fields"]["other_names"], "APAP"]},
    "lidocaine-plaster": {"other_names": ["lignocaine plaster", "lidocaine 5% medicated plaster"]},
}
for slug, fix in NAME_FIXES.items():
    by_slug[slug]["fields"].update(fix)

# --- properties --------------------------------------------------------------------------------
dropped = []
rows = {}
for folder in ("profiles_pk", "profiles_pd", "profiles_pk2", "profiles_pd2"):  # later passes win
    for r in load(f"{folder}/properties.json"):
        key = (r["medicine"], r["property"])
        rows[key] = dict(r, sources=list(dict.fromkeys(r["sources"])), _from=folder)

for c in load("profiles_pk2/corrections_to_profiles_pk.json"):
    if "fda_hcp_table1_level" in c and "," not in c["medicine"]:
        key = (c["medicine"], c["property"])
        if key in rows and rows[key]["_from"] == "profiles_pk":
            rows[key]["level"] = c["fda_hcp_table1_level"]
            rows[key]["note"] = c.get("note", rows[key]["note"])[:400]
for key, r in rows.items():
    if r["property"] == "cyp2d6-inhibitor":
        own = {"fluoxetine": "label-prozac", "duloxetine": "label-cymbalta"}.get(r["medicine"])
        r["sources"] = [s for s in r["sources"] if s not in {"label-prozac", "label-cymbalta"} or s == own]

ATC_GROUPS = {"anticoagulant": "B01A", "antiplatelet": "B01AC", "nsaid": "M01A", "barbiturate": "N03AA"}
contraception = HERE / "contraception.json"
recited = {}
if contraception.exists():
    for c in json.loads(contraception.read_text()):
        recited[(c["medicine"], c["property"])] = c
for key in list(rows):
    r = rows[key]
    if key in recited:
        c = recited[key]
        if c["verdict"] == "drop":
            dropped.append((key, "contraception review: " + c["note"]))
            del rows[key]
            continue
        r["sources"] = c["sources"]
        r["note"] = c["note"][:400]
        continue
    if r["property"] in {"hormonal-contraceptive", "contraceptive-inducer"} and "fsrh-2022-drug-interactions" in r[
        "sources"
    ]:
        r["sources"] = [s for s in r["sources"] if s not in {"fsrh-2022-drug-interactions", "who-atc-index"}]
    if "who-atc-index" in r["sources"]:
        atc = by_slug[r["medicine"]]["fields"]["atc_code"]
        group = ATC_GROUPS.get(r["property"])
        if group and atc.startswith(group):
            r["sources"] = list(dict.fromkeys(r["sources"] + ["cpic-data-drugs"]))
        else:
            r["sources"] = [s for s in r["sources"] if s != "who-atc-index"]
    if not r["sources"]:
        dropped.append((key, "no source read for it (ATC group from memory or unread guidance)"))
        del rows[key]

# --- medicines ------------------------------------------------------------------------------------
codes = {}
codes_file = HERE / "codes.csv"
if codes_file.exists():
    with codes_file.open() as f:
        codes = {row["slug"]: row for row in csv.DictReader(f)}

reviewed = set(load("profiles_pk/reviewed.json")) & set(load("profiles_pd/reviewed.json"))
CLASS_BY_PROPERTY = {
    "benzodiazepine": "benzodiazepines",
    "nsaid": "nsaids",
    "anticoagulant": "anticoagulants",
    "antiplatelet": "antiplatelets",
}
CLASS_BY_ATC = {"N06AB": "ssris", "N06AA": "tricyclic-antidepressants"}
props_of = {}
for (slug, prop), r in rows.items():
    props_of.setdefault(slug, set()).add(prop)

# The ingredients of a ranked product are among the most prescribed too (codeine in co-codamol).
ranked_ingredients = {
    i if isinstance(i, str) else i[0]
    for x in vocab
    if x["fields"]["us_rank"] is not None or x["fields"]["england_rank"] is not None
    for i in x["fields"]["ingredients"]
}
singles, combos = [], []
for record in vocab:
    f = record["fields"]
    slug = f["slug"]
    f["status"], f["last_reviewed"], f["next_review_due"] = "published", TODAY, NEXT
    code = codes.get(slug)
    sources = [s[0] for s in f["sources"]]
    if code:
        if code.get("rxcui") and not f["rxcui"]:
            f["rxcui"] = code["rxcui"]
            sources.append(code["rxcui_source"])
        if code.get("atc_code") and not f["atc_code"]:
            f["atc_code"] = code["atc_code"]
            sources.append(code["atc_source"])
    f["sources"] = [[s] for s in sorted(set(sources))]
    drug = kb_drugs.get(slug)
    f["drug"] = [slug] if drug else None
    cls = drug["drug_class"][0] if drug else None
    if cls is None:
        for prop, klass in CLASS_BY_PROPERTY.items():
            if prop in props_of.get(slug, ()):
                cls = klass
        cls = cls or CLASS_BY_ATC.get(f["atc_code"][:5])
    f["drug_class"] = [cls] if cls else None
    ranked = (
        f["us_rank"] is not None or f["england_rank"] is not None or drug is not None or slug in ranked_ingredients
    )
    f["profiled"] = bool(ranked and slug in reviewed and not f["ingredients"])
    f["ingredients"] = [[s] if isinstance(s, str) else s for s in f["ingredients"]]
    fields = {
        k: f[k]
        for k in (
            "status last_reviewed next_review_due slug name other_names brand_names_us brand_names_uk rxcui "
            "atc_code unii ingredients drug drug_class us_rank england_rank profiled sources"
        ).split()
    }
    (combos if f["ingredients"] else singles).append({"model": "treatments.medicine", "fields": fields})

# A combination is profiled when every ingredient is.
profiled = {r["fields"]["slug"] for r in singles if r["fields"]["profiled"]}
for r in combos:
    f = r["fields"]
    f["profiled"] = all(i[0] in profiled for i in f["ingredients"])

# Rows read in the labels already cited elsewhere in this file (review of 2026-12-02).
EXTRA_ROWS = {
    ("amitriptyline", "serotonin-reuptake-inhibitor"): {
        "level": "",
        "score": None,
        "note": "Amitriptyline product monograph: inhibits serotonin (and noradrenaline) reuptake, the mechanism "
        "behind the bleeding risk of SSRIs and SNRIs with anticoagulants, antiplatelets and NSAIDs.",
        "sources": ["label-pms-amitriptyline-ca"],
    },
    **{
        (ppi, "cyp2c19-inhibitor"): {
            "level": "label",
            "score": None,
            "note": "Plavix label: avoid omeprazole or esomeprazole, which inhibit CYP2C19 and lower clopidogrel's "
            "active metabolite and antiplatelet effect.",
            "sources": ["label-plavix"],
        }
        for ppi in ("omeprazole", "esomeprazole")
        if ppi in by_slug
    },
}
rows.update(EXTRA_ROWS)

# A member of a knowledge-base class (by its ATC code) has the class's mechanisms: the sources state them for
# the class (FDA 2016 lists SSRIs, SNRIs, TCAs and MAOIs as serotonergic; Beers 2023 counts antidepressants,
# antiepileptics, benzodiazepines, opioids and muscle relaxants as CNS-active).
CLASS_MECHANISMS = {
    "serotonergic": (
        {"ssris", "snris", "tricyclic-antidepressants", "maois"},
        ["fda-dsc-opioids-2016", "ema-atc-unicom"],
        "Member of its antidepressant class by ATC code; FDA (2016) lists this class among serotonergic drugs.",
    ),
    "beers-cns-active": (
        {"ssris", "snris", "tricyclic-antidepressants", "benzodiazepines"},
        ["ags-beers-2023", "ema-atc-unicom"],
        "Member of its class by ATC code; Beers 2023 counts this class towards the 3 or more CNS-active drugs rule.",
    ),
}
for record in singles:
    f = record["fields"]
    cls = f["drug_class"][0] if f["drug_class"] else None
    for prop, (classes, cite, note) in CLASS_MECHANISMS.items():
        if cls in classes and (f["slug"], prop) not in rows and f["atc_code"]:
            rows[(f["slug"], prop)] = {"level": "", "score": None, "note": note, "sources": cite}

# The source's own condition of use, where it gives one (shown with the property in every finding).
APPLIES_WHEN = {
    ("topiramate", "contraceptive-inducer"): "at 200 mg/day or more",
    ("oxcarbazepine", "cyp2c19-inhibitor"): "mainly above 1200 mg/day",
    ("cenobamate", "cyp2c19-inhibitor"): "graded at 200 mg/day (may be stronger at 400 mg/day)",
    ("modafinil", "cyp3a4-inducer"): "graded at 200 mg/day (more at 400 mg/day)",
}

properties = []
for (slug, prop), r in sorted(rows.items()):
    if slug not in by_slug:
        dropped.append(((slug, prop), "not in the vocabulary"))
        continue
    properties.append(
        {
            "model": "treatments.medicineproperty",
            "fields": {
                "status": "published",
                "last_reviewed": TODAY,
                "next_review_due": NEXT,
                "medicine": [slug],
                "property": prop,
                "level": r["level"]
                or ("label" if prop.startswith("cyp") and prop.endswith(("-inhibitor", "-inducer")) else ""),
                "score": r["score"],
                "applies_when": APPLIES_WHEN.get((slug, prop), ""),
                "note": r["note"][:400],
                "sources": [[s] for s in sorted(set(r["sources"]))],
            },
        }
    )

medicines = sorted(singles, key=lambda r: r["fields"]["slug"]) + sorted(combos, key=lambda r: r["fields"]["slug"])
dump(FIX / "medicines.json", medicines + properties)

# --- sources ------------------------------------------------------------------------------------
existing = json.loads((FIX / "sources.json").read_text())
have = {x["fields"]["key"] for x in existing}
new = {}
for folder in ("vocab", "profiles_pk", "profiles_pd", "profiles_pd2", "profiles_pk2", "rules"):
    for x in load(f"{folder}/new_sources.json"):
        new.setdefault(x["fields"]["key"], x)
for x in load("profiles_pk2/shared_key_details.json"):
    new[x["fields"]["key"]] = x
extra = HERE / "sources_extra.json"
if extra.exists():
    for x in json.loads(extra.read_text()):
        new[x["fields"]["key"]] = x
cited = {s[0] for r in medicines + properties for s in r["fields"]["sources"]}
rules = load("rules/rules.json") + load("rules_extra.json")
pairs = load("rules/interactions.json")
cautions = load("rules/cautions.json") + load("cautions_extra.json")
for r in rules + pairs + cautions:
    cited |= {s[0] for s in r["fields"]["sources"]}
missing = sorted(cited - have - set(new))
added = [new[k] for k in sorted(set(new) - have) if k in cited]
for x in added:
    x["fields"]["status"] = "published"
sources = sorted(existing + added, key=lambda x: x["fields"]["key"])

print("medicines", len(medicines), "properties", len(properties), "new sources", len(added))
print("properties by kind", Counter(p["fields"]["property"] for p in properties).most_common())
print("profiled", sum(r["fields"]["profiled"] for r in medicines))
print("cited but missing sources:", missing)
print("dropped:")
for key, why in dropped:
    print("  ", key, why)
dump(HERE / "merge_sources.json", sources)
dump(HERE / "merge_dropped.json", [[list(k), w] for k, w in dropped])

# --- rules, pairs, cautions, drug patch -----------------------------------------------------------
DROPPED_RULES = {
    # A pair rule cannot express "total ACB >= 3"; the explorer and the plan check add the scores instead.
    "anticholinergic--anticholinergic-older-adult",
}
kept_rules = [r for r in rules if r["fields"]["key"] not in DROPPED_RULES]
# Moderate sensitive substrates (FDA: 2- to 5-fold exposure with a strong inhibitor) count too: S-warfarin and
# phenytoin (CYP2C9) and nortriptyline (CYP2D6) are "moderate" in the FDA table. A CYP2C19 inhibitor named in
# clopidogrel's own label (omeprazole, esomeprazole) counts for the CYP2C19 rule.
RULE_PATCHES = {
    "cyp2c9-inhibitor--cyp2c9-substrate": ("right", "cyp2c9-substrate:moderate"),
    "cyp2d6-inhibitor--cyp2d6-substrate": ("right", "cyp2d6-substrate:moderate"),
    "cyp3a4-inhibitor-strong--cyp3a4-substrate": ("right", "cyp3a4-substrate:moderate"),
    "cyp3a4-inducer-strong--cyp3a4-substrate": ("right", "cyp3a4-substrate:moderate"),
    "cyp2c19-inhibitor--cyp2c19-activated": ("left", "cyp2c19-inhibitor:label"),
}
for r in kept_rules:
    patch = RULE_PATCHES.get(r["fields"]["key"])
    if patch and patch[1] not in r["fields"][patch[0]]:
        r["fields"][patch[0]].append(patch[1])
for r in kept_rules:
    r["fields"]["status"] = "published"
dump(FIX / "mechanism_rules.json", sorted(kept_rules, key=lambda r: r["fields"]["key"]))

interactions = json.loads((FIX / "interactions.json").read_text())
keys = {x["fields"]["key"] for x in interactions}
for p in pairs:
    if p["fields"]["key"] not in keys:
        interactions.append(p)
overrides = HERE / "overrides.json"
if overrides.exists():
    extra_overrides = json.loads(overrides.read_text())
    for x in interactions:
        more = extra_overrides.get(x["fields"]["key"])
        if more:
            x["fields"]["overrides"] = sorted({*map(tuple, x["fields"]["overrides"]), *((k,) for k in more)})
            x["fields"]["overrides"] = [list(k) for k in x["fields"]["overrides"]]
dump(FIX / "interactions.json", sorted(interactions, key=lambda x: x["fields"]["key"]))

existing_cautions = json.loads((FIX / "cautions.json").read_text())
ckeys = {x["fields"]["key"] for x in existing_cautions}
existing_cautions += [c for c in cautions if c["fields"]["key"] not in ckeys]
dump(FIX / "cautions.json", existing_cautions)

patch = load("rules/drugs_patch.json")
for x in kb:
    if x["model"] == "treatments.drug":
        for flag in ("cns_active", "serotonergic", "anticholinergic_burden"):  # now medicine properties
            x["fields"].pop(flag, None)
        for p in patch:
            if p["drug"] == x["fields"]["slug"]:
                x["fields"][p["field"]] = p["value"]
                cited_now = {s[0] for s in x["fields"]["sources"]}
                assert set(p["sources"]) <= cited_now, (p["drug"], p["sources"])
dump(FIX / "drugs.json", kb)
dump(FIX / "sources.json", sources)
print("rules", len(kept_rules), "interactions", len(interactions), "cautions", len(existing_cautions))
