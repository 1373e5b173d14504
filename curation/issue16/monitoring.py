"""Issue 16: what to monitor per drug (MonitoringItem), merged into fixtures/drugs.json from
monitoring_curated.json (curated from the labels cited on each item). Items the curator could read only in
secondary pages, or that rest on a source whose date was not seen, are left out (see DROPPED). Idempotent."""

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parents[1] / "fixtures"

# Read only in secondary paraphrase, or the curator could not confirm the label's wording.
DROPPED = {
    "oxcarbazepine--sodium",
    "methadone--qt",
    "methadone--delayed-respiratory-depression",
    "topiramate--bicarbonate",
    "baclofen--epilepsy-eeg",
    "baclofen--labs",
    "milnacipran--bp-hr",
    "milnacipran--suicidality",
    "ivig--renal",
    "ivig--thrombosis",
    "ivig--infusion-reactions",
    "desvenlafaxine--blood-pressure",
    "desvenlafaxine--lipids",
    "imipramine--glucose-fever",
    "tizanidine--aminotransferases",
    "tizanidine--hypotension-renal",
    "celecoxib--renal-bp-fluid",
    "celecoxib--anaemia-liver",
    "warfarin--inr",
    "thiamine--parenteral-anaphylaxis",
}
# New sources kept: only those whose date was seen.
KEPT_NEW_SOURCES = {"mhra-dsu-valproate-ppp"}


def main():
    curated = json.loads((HERE / "monitoring_curated.json").read_text())
    drugs = json.loads((FIXTURES / "drugs.json").read_text())
    drugs = [r for r in drugs if r["model"] != "treatments.monitoringitem"]
    items = [
        i
        for i in curated["items"]
        if i["key"] not in DROPPED and set(i["new_source_keys"]) <= KEPT_NEW_SOURCES
    ]
    review = {"status": "published", "last_reviewed": "2026-12-02", "next_review_due": "2027-12-02"}
    for i in items:
        drugs.append(
            {
                "model": "treatments.monitoringitem",
                "fields": {
                    **review,
                    "key": i["key"],
                    "drug": [i["drug"]],
                    "text": i["text"],
                    "sources": [[k] for k in sorted(set(i["source_keys"]) | set(i["new_source_keys"]))],
                },
            }
        )
    (FIXTURES / "drugs.json").write_text(json.dumps(drugs, indent=1, ensure_ascii=False) + "\n")
    sources = json.loads((FIXTURES / "sources.json").read_text())
    have = {r["fields"]["key"] for r in sources}
    for s in curated["new_sources"]:
        if s["key"] in KEPT_NEW_SOURCES and s["key"] not in have:
            fields = {**review, "doi": "", "pmid": "", "region": "UK", "superseded": False, "notes": "", **s}
            sources.append({"model": "treatments.source", "fields": fields})
    (FIXTURES / "sources.json").write_text(json.dumps(sources, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(items)} monitoring items")


if __name__ == "__main__":
    main()
