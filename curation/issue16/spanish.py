"""Issue 16: plain English (Flesch–Kincaid grade ≤ 6) and Spanish (Szigriszt-Pazos ≥ 55) patient texts,
merged into the fixtures from spanish/drugs.json and spanish/others.json. Each entry carries the English it
replaced (``en_original``): an entry whose original no longer matches the fixture is skipped and reported,
so an editor's later change is never overwritten. The Spanish is marked reviewed against the new English
(date and fingerprints, as ``SpanishReview.mark_spanish_reviewed`` does). Idempotent."""

import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parents[1] / "fixtures"
REVIEWED = "2026-12-02"
FILES = {"drug": "drugs.json", "condition": "conditions.json", "procedure": "procedures.json", "diagnostic": "diagnostics.json"}


def fingerprint(text):
    return hashlib.sha256((text or "").strip().encode()).hexdigest()[:16]


def main():
    entries = [{**e, "model": "drug"} for e in json.loads((HERE / "spanish" / "drugs.json").read_text())]
    entries += [e for e in json.loads((HERE / "spanish" / "others.json").read_text()) if e["model"] in FILES]
    skipped = []
    for model, filename in FILES.items():
        path = FIXTURES / filename
        records = json.loads(path.read_text())
        by_slug = {r["fields"]["slug"]: r for r in records if r["model"] == f"treatments.{model}"}
        touched = set()
        for e in (e for e in entries if e["model"] == model):
            fields = by_slug[e["slug"]]["fields"]
            current = fields[e["field"]]
            if current not in (e["en_original"], e["en"]):
                skipped.append((model, e["slug"], e["field"]))
                continue
            fields[e["field"]] = fields[f"{e['field']}_en"] = e["en"]
            fields[f"{e['field']}_es"] = e["es"]
            touched.add(e["slug"])
        for slug in touched:
            fields = by_slug[slug]["fields"]
            names = [k.removesuffix("_es") for k in fields if k.endswith("_es")]
            fields["spanish_reviewed"] = REVIEWED
            fields["spanish_source"] = {
                n: fingerprint(fields[f"{n}_en"]) for n in sorted(names, key=lambda n: (len(n), n)) if fields.get(f"{n}_en") and fields.get(f"{n}_es")
            }
        path.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(entries) - len(skipped)} texts merged; skipped (English changed since): {skipped}")


if __name__ == "__main__":
    main()
