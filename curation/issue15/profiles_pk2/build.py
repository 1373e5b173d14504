#!/usr/bin/env python3
"""Build profiles_pk2/properties.json and new_sources.json (issue 15, gap-filling after profiles_pk).

Every row below was checked against a stored copy named in REPORT.md. Run: python3 build.py
"""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
rows = []


def add(med, prop, level, note, sources, score=None):
    rows.append({"medicine": med, "property": prop, "level": level, "score": score,
                 "note": note, "sources": sources})


FDA = ["fda-ddi-examples-hcp", "fda-ddi-table"]

# ---------------------------------------------------------------- 1. CYP2C9 (FDA HCP Table 1, current as of 2026-05-29)
for m in ["amiodarone", "fluconazole", "miconazole"]:
    add(m, "cyp2c9-inhibitor", "moderate",
        "FDA CYP/transporter examples table: moderate CYP2C9 inhibitor (FDA lists no strong CYP2C9 inhibitor).", FDA)
for m in ["enzalutamide", "rifampin"]:
    add(m, "cyp2c9-inducer", "moderate",
        "FDA CYP/transporter examples table: moderate CYP2C9 inducer (FDA lists no strong CYP2C9 inducer).", FDA)
add("carbamazepine", "cyp2c9-inducer", "weak",
    "FDA CYP/transporter examples table: weak CYP2C9 inducer only (strong CYP3A and CYP2B6 inducer).", FDA)
add("celecoxib", "cyp2c9-substrate", "sensitive",
    "FDA CYP/transporter examples table: sensitive CYP2C9 substrate.", FDA)
for m in ["glimepiride", "phenytoin", "warfarin"]:
    add(m, "cyp2c9-substrate", "moderate",
        "FDA CYP/transporter examples table: moderate sensitive CYP2C9 substrate.", FDA)

# ---------------------------------------------------------------- CYP2D6 substrates
for m in ["atomoxetine", "desipramine", "dextromethorphan", "nebivolol", "perphenazine", "tolterodine", "eliglustat"]:
    add(m, "cyp2d6-substrate", "sensitive",
        "FDA CYP/transporter examples table: sensitive CYP2D6 substrate.", FDA)
add("venlafaxine", "cyp2d6-substrate", "sensitive",
    "FDA table lists the enantiomers: R-venlafaxine sensitive and S-venlafaxine moderate sensitive CYP2D6 substrate; racemate given the higher grade.",
    FDA)
for m in ["imipramine", "metoprolol", "nortriptyline", "pimozide", "propafenone", "propranolol", "tramadol", "trimipramine"]:
    add(m, "cyp2d6-substrate", "moderate",
        "FDA CYP/transporter examples table: moderate sensitive CYP2D6 substrate.", FDA)

# ---------------------------------------------------------------- CYP2C19 / CYP1A2 / CYP3A substrates the first pass lacked
add("diazepam", "cyp2c19-substrate", "moderate", "FDA CYP/transporter examples table: moderate sensitive CYP2C19 substrate.", FDA)
for m in ["lansoprazole", "rabeprazole", "voriconazole"]:
    add(m, "cyp2c19-substrate", "moderate", "FDA CYP/transporter examples table: moderate sensitive CYP2C19 substrate.", FDA)
for m in ["alosetron", "melatonin", "ramelteon", "tasimelteon"]:
    add(m, "cyp1a2-substrate", "sensitive", "FDA CYP/transporter examples table: sensitive CYP1A2 substrate.", FDA)
add("duloxetine", "cyp1a2-substrate", "sensitive",
    "FDA CYP/transporter examples table: sensitive CYP1A2 substrate (Cymbalta label also says avoid potent CYP1A2 inhibitors).",
    FDA + ["label-cymbalta"])
for m in ["clozapine", "pirfenidone", "theophylline"]:
    add(m, "cyp1a2-substrate", "moderate", "FDA CYP/transporter examples table: moderate sensitive CYP1A2 substrate.", FDA)
for m in ["budesonide", "quetiapine", "sildenafil", "ticagrelor", "felodipine", "lurasidone", "eletriptan", "eplerenone",
          "ivabradine", "maraviroc", "dasatinib", "tolvaptan", "venetoclax", "dronedarone", "isavuconazole", "indinavir"]:
    add(m, "cyp3a4-substrate", "sensitive", "FDA CYP/transporter examples table: sensitive CYP3A substrate.", FDA)
for m in ["brigatinib", "loperamide"]:
    add(m, "cyp3a4-substrate", "moderate", "FDA CYP/transporter examples table: moderate sensitive CYP3A substrate.", FDA)

# ---------------------------------------------------------------- 2. P-gp (FDA table gives no potency grade -> level "")
for m in ["amiodarone", "clarithromycin", "cobicistat", "cyclosporine", "dronedarone", "erythromycin", "itraconazole",
          "ketoconazole", "lapatinib", "propafenone", "quinidine", "ranolazine", "verapamil"]:
    add(m, "pgp-inhibitor", "",
        "FDA CYP/transporter examples table: P-gp inhibitor (FDA gives no strong/moderate grade for transporters).", FDA)
add("rolapitant", "pgp-inhibitor", "",
    "FDA CYP/transporter examples table: P-gp (and BCRP) inhibitor when oral; IV rolapitant does not inhibit P-gp. No potency grade.", FDA)
for m in ["digoxin", "fexofenadine", "edoxaban", "loperamide"]:
    add(m, "pgp-substrate", "",
        "FDA CYP/transporter examples table: P-gp substrate (FDA gives no sensitivity grade for transporters).", FDA)
add("dabigatran", "pgp-substrate", "label",
    "FDA table lists dabigatran etexilate as a P-gp substrate; Pradaxa label says generally avoid P-gp inducers such as rifampin.",
    FDA + ["label-pradaxa"])
add("apixaban", "pgp-substrate", "label",
    "Eliquis label: avoid combined P-gp and strong CYP3A4 inducers; halve dose or avoid with combined strong CYP3A4 and P-gp inhibitors.",
    ["label-eliquis"])
add("apixaban", "cyp3a4-substrate", "label",
    "Eliquis label: combined strong CYP3A4 and P-gp inhibitors raise and combined inducers lower apixaban exposure.",
    ["label-eliquis"])
add("rivaroxaban", "pgp-substrate", "label",
    "Xarelto label: avoid drugs that are combined P-gp and strong CYP3A inhibitors or inducers.",
    ["label-xarelto"])
add("rivaroxaban", "cyp3a4-substrate", "label",
    "Xarelto label: avoid combined P-gp and strong CYP3A inducers (carbamazepine, phenytoin, rifampin, St John's wort).",
    ["label-xarelto"])
for m, extra in [("rifampin", []), ("carbamazepine", []), ("phenytoin", []), ("st-johns-wort", [])]:
    add(m, "pgp-inducer", "",
        "Eliquis and Xarelto labels name it as a combined P-gp and strong CYP3A inducer to avoid (no potency grade for P-gp).",
        ["label-eliquis", "label-xarelto"] + extra)

# ---------------------------------------------------------------- 3. QT (drug's own FDA label; no CredibleMeds citation)
QT = [
    ("citalopram", "known", "Citalopram label (W&P): causes dose-dependent QTc prolongation associated with torsade de pointes; max 40 mg/day, 20 mg/day with CYP2C19 inhibitors or in poor metabolisers.", ["label-citalopram"]),
    ("escitalopram", "possible", "Escitalopram label: QT prolongation in the thorough QT study; torsade de pointes appears only among postmarketing reports, with no torsades warning (graded from the label alone).", ["label-escitalopram"]),
    ("ondansetron", "known", "Ondansetron label (W&P 5.2): prolongs QT, postmarketing torsade de pointes; ECG monitoring advised with other QT-prolonging drugs.", ["label-ondansetron"]),
    ("haloperidol", "known", "Haloperidol label (Warnings): sudden death, QT prolongation and torsades reported; risk higher with IV use or above-recommended doses.", ["label-haloperidol"]),
    ("clarithromycin", "known", "Clarithromycin label (W&P): QT prolongation and arrhythmia; torsades reported after marketing, some fatal.", ["label-clarithromycin"]),
    ("erythromycin", "known", "Erythromycin label (Warnings): QT prolongation and reported torsades; avoid with class IA/III antiarrhythmics.", ["label-erythromycin"]),
    ("azithromycin", "known", "Azithromycin label (W&P): macrolides including azithromycin prolong repolarisation and QT, with a risk of arrhythmia and torsades.", ["label-azithromycin"]),
    ("hydroxychloroquine", "known", "Hydroxychloroquine label (W&P): can prolong QT, torsades reported; not recommended with other QT-prolonging drugs.", ["label-hydroxychloroquine"]),
    ("ziprasidone", "possible", "Ziprasidone label (Contraindications): additive QT effect with other QT-prolonging drugs cannot be excluded, so named QT drugs are contraindicated; the section read does not mention torsades.", ["label-ziprasidone"]),
    ("levofloxacin", "known", "Levofloxacin label (W&P 5.9): QT prolongation and rare postmarketing torsades; avoid with class IA/III antiarrhythmics.", ["label-levofloxacin"]),
    ("fluconazole", "known", "Fluconazole label: QT prolongation and rare postmarketing torsades, mostly in seriously ill patients with other risk factors; use with caution.", ["label-fluconazole"]),
    ("sotalol", "known", "Sotalol label boxed warning: can cause life-threatening ventricular tachycardia associated with QT prolongation; start in a monitored facility.", ["label-sotalol"]),
    ("thioridazine", "known", "Thioridazine label boxed warning: dose-related QTc prolongation; associated with torsade de pointes and sudden death.", ["label-thioridazine"]),
    ("trazodone", "known", "Trazodone label (W&P 5.3): prolongs QT/QTc; torsade de pointes reported, including at 100 mg or less; avoid with other QT-prolonging drugs.", ["label-trazodone"]),
    ("amiodarone", "possible", "Amiodarone label: raises QT by about 10%, and rarely QT prolongation has been linked with worsening arrhythmia; boxed warning on proarrhythmia (no torsades wording in the part read).", ["label-amiodarone"]),
    ("quetiapine", "conditional", "Quetiapine (Seroquel) label change: postmarketing QT prolongation in overdose, concomitant illness or with drugs causing electrolyte imbalance or QT prolongation; avoid such combinations.", ["medletter-2011-quetiapine-qt"]),
    ("donepezil", "known", "EU regulators' DHPC (AIFA 2022): postmarketing QTc prolongation and torsade de pointes with donepezil; caution with QT-affecting drugs.", ["aifa-dhpc-donepezil-2022"]),
]
for med, lvl, note, src in QT:
    add(med, "qt-prolonging", lvl, note, src)


# ---------------------------------------------------------------- 4. label rows with new keys
add("clopidogrel", "cyp2c19-activated", "",
    "Plavix label boxed warning: weaker antiplatelet effect in CYP2C19 poor metabolisers; avoid omeprazole or esomeprazole.",
    ["label-plavix"])
add("fentanyl", "cyp3a4-substrate", "label",
    "Duragesic label boxed warning: CYP3A4 inhibitors, or stopping a CYP3A4 inducer, can cause fatal fentanyl overdose.",
    ["label-duragesic"])
add("hydrocodone", "cyp3a4-substrate", "label",
    "Hydrocodone/acetaminophen label boxed warning: CYP3A4 inhibitors raise and inducers lower hydrocodone levels.",
    ["label-hydrocodone-apap"])
add("oxcarbazepine", "cyp3a4-inducer", "",
    "Trileptal label: induces CYP3A4/5 (lowers some calcium-channel blockers, cyclosporine, oral contraceptives); no FDA potency grade.",
    ["label-trileptal"])
add("oxcarbazepine", "cyp2c19-inhibitor", "",
    "Trileptal label: inhibits CYP2C19 and can raise phenytoin levels, mainly above 1200 mg/day; no FDA potency grade.",
    ["label-trileptal"])

# ---------------------------------------------------------------- extra FDA-graded perpetrators the first pass lacked
add("primidone", "cyp3a4-inducer", "moderate", "FDA CYP/transporter examples table: moderate CYP3A inducer.", FDA)
add("cenobamate", "cyp2c19-inhibitor", "moderate",
    "FDA CYP/transporter examples table: moderate CYP2C19 inhibitor (graded at 200 mg/day; may be stronger at 400 mg/day).", FDA)
add("cenobamate", "cyp3a4-inducer", "moderate", "FDA CYP/transporter examples table: moderate CYP3A inducer.", FDA)
add("voriconazole", "cyp2c19-inhibitor", "moderate", "FDA CYP/transporter examples table: moderate CYP2C19 inhibitor (also strong CYP3A inhibitor).", FDA)
add("isavuconazole", "cyp3a4-inhibitor", "moderate", "FDA CYP/transporter examples table: moderate CYP3A inhibitor.", FDA)
add("conivaptan", "cyp3a4-inhibitor", "moderate", "FDA CYP/transporter examples table: moderate CYP3A inhibitor (based on IV conivaptan).", FDA)
add("telithromycin", "cyp3a4-inhibitor", "strong", "FDA CYP/transporter examples table: strong CYP3A inhibitor.", FDA)
add("methoxsalen", "cyp1a2-inhibitor", "moderate", "FDA CYP/transporter examples table: moderate CYP1A2 inhibitor.", FDA)
add("vemurafenib", "cyp1a2-inhibitor", "moderate", "FDA CYP/transporter examples table: moderate CYP1A2 inhibitor.", FDA)
add("teriflunomide", "cyp1a2-inducer", "moderate", "FDA CYP/transporter examples table: moderate CYP1A2 inducer.", FDA)
add("dabrafenib", "cyp3a4-inducer", "moderate", "FDA CYP/transporter examples table: moderate CYP3A inducer.", FDA)

# ----------------------------------------------------------------
EXTRA = HERE / "extra_rows.json"
if EXTRA.exists():
    rows.extend(json.loads(EXTRA.read_text()))

# sanity: unique (medicine, property)
seen = {}
for r in rows:
    k = (r["medicine"], r["property"])
    assert k not in seen, f"duplicate {k}"
    seen[k] = r
(HERE / "properties.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
print(len(rows), "rows")
