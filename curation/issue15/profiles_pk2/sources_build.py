#!/usr/bin/env python3
"""new_sources.json for profiles_pk2: only keys not defined in /work/main/fixtures/sources.json or sibling folders."""
import json, glob
from pathlib import Path
HERE = Path(__file__).resolve().parent
READ = "2026-12-02"

def src(key, kind, short, title, authors, year, publisher, url, region, notes, doi="", pmid=""):
    return {"model": "treatments.source", "fields": {
        "status": "published", "last_reviewed": READ, "next_review_due": "2027-12-02",
        "key": key, "kind": kind, "short_name": short, "title": title, "authors": authors,
        "year": year, "publisher": publisher, "doi": doi, "pmid": pmid, "url": url,
        "region": region, "superseded": False, "notes": notes}}

DM = "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid="
W_A = "stored openFDA-reconciled quotation worksheet (read_file id 60986219011, 'Section A')"
W_D = "stored openFDA-reconciled quotation worksheet (read_file id 60913278959, 'Section D')"
S = [
 src("label-eliquis", "label", "Eliquis label", "ELIQUIS (apixaban) tablets — US Prescribing Information", "Bristol-Myers Squibb / Pfizer", 2025, "FDA / DailyMed",
     DM + "7be1f4c1-bb2f-4ded-ae9a-515d2a22f93e", "US",
     f"Section 7 (combined P-gp and strong CYP3A4 inducers/inhibitors). SPL version 1, effective 2025-08-29, quoted in {W_A}; read {READ}. Another stored file cites the Eliquis setid 33752f5d-2ca7-45c0-8292-b54742219b97 (revised 05/2024)."),
 src("label-xarelto", "label", "Xarelto label", "XARELTO (rivaroxaban) — US Prescribing Information", "Janssen Pharmaceuticals", 2026, "FDA / DailyMed",
     DM + "10db92f9-2300-4a80-836b-673e1ae91610", "US",
     f"Section 7 (combined P-gp and strong CYP3A inhibitors/inducers). SPL version 64, effective 2026-01-16, quoted in {W_A}; read {READ}."),
 src("label-pradaxa", "label", "Pradaxa label", "PRADAXA (dabigatran etexilate) — US Prescribing Information", "Boehringer Ingelheim", 2025, "FDA / DailyMed",
     DM + "ba74e3cd-b06f-4145-b284-5fd6b84ff3c9", "US",
     f"Section 7: avoid P-gp inducers (rifampin); P-gp inhibitor dose rules. SPL version 48, effective 2025-06-25, quoted in {W_A}; read {READ}."),
 src("label-plavix", "label", "Plavix label", "PLAVIX (clopidogrel bisulfate) tablets — US Prescribing Information (NDA 020839)", "Sanofi-Aventis US / Bristol-Myers Squibb", 2026, "FDA / DailyMed",
     DM + "e51d4bcc-01df-409d-9179-45e6536ac25b", "US",
     f"Boxed warning (diminished effect in CYP2C19 poor metabolisers) and section 7 (avoid omeprazole/esomeprazole). Setid and 2026-04-02 publication date from a stored openFDA/DailyMed label summary (read_file ids 52131197708, 51902791712); wording cross-checked in a generic clopidogrel label record (DailyMed setid 86ee71f2-850e-4c8e-87f3-c7a618d59d95, rev. 02/2019). Read {READ}."),
 src("label-duragesic", "label", "Duragesic label", "DURAGESIC (fentanyl transdermal system) — US Prescribing Information", "Janssen Pharmaceuticals", 2022, "FDA / DailyMed",
     DM + "4c3a6171-19e4-40c2-83f3-fb54d4736e4b", "US",
     f"Boxed warning 'Cytochrome P450 3A4 interaction' and highlights 5.x (CYP3A4 inhibitors or stopping inducers can cause fatal overdose). Read {READ} in stored copies (fda.report mirror of this DailyMed setid; drugs.com PI 'last updated Aug 21, 2022'; DailyMed archive 83787 of the 2012 label). Year = the drugs.com copy date; the SPL revision date itself was not seen."),
 src("label-hydrocodone-apap", "label", "Hydrocodone/APAP label", "Hydrocodone Bitartrate and Acetaminophen Tablets USP CII — US Prescribing Information", "Alvogen, Inc.", 2026, "FDA / DailyMed",
     DM + "987aa897-1296-946e-b6de-033f114e47b7", "US",
     f"Boxed warning 'Cytochrome P450 3A4 interaction'; Drug Interactions (CYP3A4 inhibitors raise, inducers lower hydrocodone). Read {READ} via the fda.report mirror of this setid and a globalrph copy of the same class label. Revision date not seen; year = year read."),
 src("label-citalopram", "label", "Citalopram label", "Citalopram hydrobromide tablets — US Prescribing Information", "FDA-approved generic labeling (openFDA SPL)", 2023, "FDA / DailyMed",
     DM + "fd761647-e16b-45b3-a4bc-364de0ed7015", "US",
     f"Warnings: dose-dependent QTc prolongation and torsades; 40 mg/day ceiling, 20 mg/day with CYP2C19 inhibitors/poor metabolisers. SPL v9, effective 2023-09-07, quoted in {W_D}; read {READ}."),
 src("label-escitalopram", "label", "Escitalopram label", "Escitalopram oxalate — US Prescribing Information", "FDA-approved labeling (openFDA SPL)", 2026, "FDA / DailyMed",
     DM + "9c68f89b-1d34-4735-9631-817f012935d7", "US",
     f"Adverse reactions: thorough-QT result and postmarketing torsades. SPL v13, effective 2026-03-11, quoted in {W_D}; read {READ}."),
 src("label-ondansetron", "label", "Ondansetron ODT label", "Ondansetron orally disintegrating tablets — US Prescribing Information", "FDA-approved generic labeling (openFDA SPL)", 2026, "FDA / DailyMed",
     DM + "c83821ad-822e-47dc-8108-612312cf3a16", "US",
     f"W&P 5.2 QT prolongation. SPL v2, effective 2026-05-04, quoted in {W_D}; read {READ}."),
 src("label-haloperidol", "label", "Haloperidol label", "Haloperidol tablets — US Prescribing Information", "FDA-approved generic labeling (openFDA SPL)", 2025, "FDA / DailyMed",
     DM + "c559b0b0-4087-d12a-e718-c18ccb6811e6", "US",
     f"Warnings: QT prolongation, torsades, sudden death (also setid e69578b5-3e98-4fc6-a5ad-61e8ec4cb8c1, 2013, for IV/high-dose wording). SPL v22, effective 2025-01-15, quoted in {W_D}; read {READ}."),
 src("label-clarithromycin", "label", "Clarithromycin label", "Clarithromycin tablets — US Prescribing Information", "FDA-approved generic labeling (openFDA SPL)", 2023, "FDA / DailyMed",
     DM + "cde51c9f-f7b8-413f-8b8e-e56370cd5754", "US",
     f"W&P: QT prolongation and torsades. SPL v9, effective 2023-05-26, quoted in {W_D}; read {READ}."),
 src("label-erythromycin", "label", "Erythromycin label", "Erythromycin — US Prescribing Information", "FDA-approved labeling (openFDA SPL)", 2026, "FDA / DailyMed",
     DM + "933049f6-61b9-4ed5-b6b7-60c5037e2115", "US",
     f"Warnings: QT prolongation and torsades; avoid with class IA/III antiarrhythmics. SPL v11, effective 2026-03-05, quoted in {W_D}; read {READ}."),
 src("label-azithromycin", "label", "Azithromycin label", "Azithromycin — US Prescribing Information", "FDA-approved labeling (openFDA SPL)", 2026, "FDA / DailyMed",
     DM + "db52b91e-79f7-4cc1-9564-f2eee8e31c45", "US",
     f"W&P: QT prolongation and torsades with macrolides incl. azithromycin. SPL v48, effective 2026-01-07, quoted in {W_D}; read {READ}."),
 src("label-hydroxychloroquine", "label", "Hydroxychloroquine label", "Hydroxychloroquine sulfate tablets — US Prescribing Information", "FDA-approved generic labeling (openFDA SPL)", 2024, "FDA / DailyMed",
     DM + "2c109188-d28b-4c65-8b52-819bd8547f2e", "US",
     f"W&P: QT prolongation, torsades; not recommended with other QT-prolonging drugs. SPL v1, effective 2024-08-16, quoted in {W_D}; read {READ}."),
 src("label-ziprasidone", "label", "Ziprasidone label", "Ziprasidone capsules — US Prescribing Information", "FDA-approved generic labeling (openFDA SPL)", 2026, "FDA / DailyMed",
     DM + "7e7261d7-4902-4bb5-a268-6c358890f963", "US",
     f"Contraindications 4.1 (QT prolongation). SPL v18, effective 2026-05-21, quoted in {W_D}; read {READ}."),
 src("label-fluconazole", "label", "Diflucan label", "DIFLUCAN (fluconazole) — US Prescribing Information", "Pfizer (openFDA SPL)", 2026, "FDA / DailyMed",
     DM + "f694c617-3383-416c-91b6-b94fda371204", "US",
     f"Drug Interactions: 'moderate CYP2C9 and CYP3A4 inhibitor' (SPL v57, effective 2026-04-02, quoted in {W_A}). QT/torsades wording read {READ} in a stored copy of a US fluconazole injection label (drugsonlineguide.com, 2020)."),
 src("label-levofloxacin", "label", "Levofloxacin label", "Levofloxacin tablets — US Prescribing Information, section 5.9", "FDA-approved generic labeling", 2026, "FDA / DailyMed",
     "https://medlibrary.org/lib/rx/meds/levofloxacin-61/page/5/", "US",
     f"W&P 5.9 Prolongation of the QT interval, read {READ} in a stored medlibrary.org copy of the DailyMed label; DailyMed setid not recorded in that copy; year = year read."),
 src("label-sotalol", "label", "Sotalol label", "Sotalol hydrochloride tablets — US Prescribing Information (boxed warning)", "Par Pharmaceutical (DailyMed copy)", 2026, "FDA / DailyMed",
     "https://pillsync.com/drug/Par-Pharmaceutical/OVAL_BLUE_5876-V/ndc/576905b7-6e6d-4aa0-b690-24be26e70cd2", "US",
     f"Boxed warning 'Life threatening proarrhythmia', read {READ} in a stored DailyMed-derived copy (pillsync.com; same wording in sotaloliv.com ISI and the AHFS monograph on drugs.com). Revision date not seen; year = year read."),
 src("label-thioridazine", "label", "Thioridazine label", "Thioridazine hydrochloride tablets — US Prescribing Information (boxed warning)", "Mylan Pharmaceuticals", 2026, "FDA",
     "https://rxdrugnews.com/thioridazine_hydrochloride_tablets_mylan.php", "US",
     f"Boxed warning on dose-related QTc prolongation, torsades and sudden death, read {READ} in a stored copy of the Mylan label. Revision date not seen; year = year read."),
 src("label-trazodone", "label", "Trazodone label", "Trazodone hydrochloride tablets — US Prescribing Information, section 5.3", "FDA-approved generic labeling", 2026, "FDA / DailyMed",
     "https://medlibrary.org/lib/rx/meds/trazodone-hydrochloride-11/page/2/", "US",
     f"W&P 5.3 Cardiac arrhythmias (QT/QTc prolongation, torsades), read {READ} in a stored medlibrary.org copy of the DailyMed label. Revision date not seen; year = year read."),
 src("label-amiodarone", "label", "Amiodarone label", "Amiodarone hydrochloride tablets — US Prescribing Information", "REMEDYREPACK (DailyMed)", 2026, "FDA / DailyMed",
     DM + "0d1482d3-4ff6-4e19-b062-57c10bd0d093", "US",
     f"Clinical pharmacology (QT +~10%; rare QT-associated worsening of arrhythmia), read {READ} in the stored DailyMed page; boxed warning on proarrhythmia from a stored DailyMed-derived copy. Only the beginning of the page was available, so the W&P proarrhythmia section was not read."),
 src("medletter-2011-quetiapine-qt", "review", "Med Lett: quetiapine and QT", "Quetiapine (Seroquel) and QT-Interval Prolongation", "The Medical Letter", 2011, "The Medical Letter on Drugs and Therapeutics (issue 1374)",
     "https://secure.medicalletter.org/article-share?a=1374d&p=tml&title=Quetiapine%20(Seroquel)%20and%20QT-Interval%20Prolongation&cannotaccesstitle=1", "US",
     f"Summarises the FDA-required Seroquel label warning (postmarketing QT prolongation in overdose, concomitant illness, or with drugs causing electrolyte imbalance/QT prolongation; avoid such combinations). Read {READ} (abstract only). Issue date not seen: 2011 is inferred from the July 2011 label change (NYT 2011-07-18, quoted on drug-injury.com)."),
 src("aifa-dhpc-donepezil-2022", "regulatory", "AIFA DHPC donepezil QT", "Direct communication with healthcare professionals on donepezil-containing medicinal products: QT prolongation and torsade de pointes", "Agenzia Italiana del Farmaco (AIFA)", 2022, "AIFA",
     "https://www.aifa.gov.it/en/-/nota-informativa-importante-su-medicinali-a-base-di-donepezil", "EU",
     f"Published 2022-02-07; postmarketing QTc prolongation and torsades, caution with QT-affecting drugs. Same DHPC on BfArM (2021). Read {READ}. Not a US label."),
]
# Shared keys defined first by a sibling (profiles_pd2) are not redefined here: the rows cite the shared key,
# and the document details read here go to shared_key_details.json for the lead to merge into that definition.
SHARED = {"label-eliquis", "label-xarelto", "label-plavix"}
shared_details = [x for x in S if x["fields"]["key"] in SHARED]
S = [x for x in S if x["fields"]["key"] not in SHARED]
(HERE / "shared_key_details.json").write_text(json.dumps(shared_details, indent=1, ensure_ascii=False) + "\n")
# collision check
existing = {s["fields"]["key"] for s in json.load(open("/work/main/fixtures/sources.json"))}
for f in glob.glob("/work/scratch/i15/*/new_sources.json"):
    if "profiles_pk2" in f: continue
    existing |= {s["fields"]["key"] for s in json.load(open(f))}
for s in S:
    assert s["fields"]["key"] not in existing, s["fields"]["key"]
keys = [s["fields"]["key"] for s in S]
assert len(keys) == len(set(keys))
(HERE / "new_sources.json").write_text(json.dumps(S, indent=1, ensure_ascii=False) + "\n")
print(len(S), "sources")
