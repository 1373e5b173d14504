import json
def src(key, kind, short, title, year, url, notes):
    return {"model": "treatments.source", "fields": {"status": "published", "last_reviewed": "2026-12-02",
     "next_review_due": "2027-12-02", "key": key, "kind": kind, "short_name": short, "title": title,
     "authors": "US Food and Drug Administration", "year": year, "publisher": "FDA", "doi": "", "pmid": "",
     "url": url, "region": "US", "superseded": False, "notes": notes}}
S = [
 src("fda-ddi-table", "regulatory", "FDA DDI table",
     "Drug Development and Drug Interactions: Table of Substrates, Inhibitors and Inducers", 2023,
     "https://www.fda.gov/drugs/drug-interactions-labeling/drug-development-and-drug-interactions-table-substrates-inhibitors-and-inducers",
     "Clinical index/example inhibitors, inducers and sensitive/moderate sensitive substrates (CYP1A2, 2C9, 2C19, 2D6, 3A). The lists name clinical index drugs, not every drug with the effect. Full page text was not retrievable from stored copies on 2026-12-02; entries used were cross-checked against stored secondary copies (see profiles_pk/REPORT.md)."),
 src("fda-ddi-examples-hcp", "regulatory", "FDA CYP/transporter examples (HCP)",
     "For Healthcare Professionals | FDA's Examples of Drugs that Interact with CYP Enzymes and Transporter Systems", 2026,
     "https://www.fda.gov/drugs/drug-interactions-labeling/healthcare-professionals-fdas-examples-drugs-interact-cyp-enzymes-and-transporter-systems",
     "FDA's healthcare-professional examples table (Table 1) of strong/moderate inhibitors and inducers; introduction read from stored page copy 2026-12-02; CYP2D6 inhibitor examples read via stored copies quoting the page (content current as of 05/29/2026)."),
]
json.dump(S, open("/work/scratch/i15/profiles_pk/new_sources.json", "w"), indent=1)
