"""How much of what patients take the vocabulary recognises and profiles, measured on the US top-300 list.

The list (``treatments/data/top300_us_2023.csv``) is ClinCalc DrugStats' Top 300 of 2023 (MEPS data, DrugStats
version 2025.08, CC BY-SA 4.0; source key ``clincalc-drugstats-top300-2023``): rank, the name ClinCalc lists,
the ingredient slugs it stands for (";" for a combination, "|" when ClinCalc groups two ingredients under one
name, e.g. "Isosorbide" for the mononitrate or the dinitrate, and "Lidocaine" for the systemic and the plaster
product) and US brand names. Four rows are groups of salts ("Magnesium Salts", "Calcium", "Sodium Salts",
"Lactate") and one ("Isosorbide") names two different medicines: none of them names a medicine a patient takes,
so they are reported apart and the shares are of the rows that do.

Recognised by generic: the listed name resolves to exactly the row's ingredients. By brand: every brand listed
for the row resolves to them (rows without a listed brand are left out of that share). Profiled: every
ingredient has a reviewed interaction profile. Pure apart from reading the CSV.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

TOP_300 = Path(__file__).parent / "data" / "top300_us_2023.csv"


@dataclass
class Coverage:
    groups: list = field(default_factory=list)  # rows that name no single medicine
    rows: int = 0
    generic: int = 0
    brand_rows: int = 0
    brand: int = 0
    profiled: int = 0
    not_generic: list = field(default_factory=list)
    not_brand: list = field(default_factory=list)
    not_profiled: list = field(default_factory=list)

    def share(self, part, whole):
        return part / whole if whole else 0.0

    def lines(self):
        return [
            f"Top-300 rows naming one medicine: {self.rows} (apart: {', '.join(self.groups) or 'none'})",
            f"Recognised by generic name: {self.generic}/{self.rows} ({self.share(self.generic, self.rows):.1%})",
            f"Recognised by every listed brand: {self.brand}/{self.brand_rows} rows with a brand "
            f"({self.share(self.brand, self.brand_rows):.1%})",
            f"Profiled (every ingredient): {self.profiled}/{self.rows} ({self.share(self.profiled, self.rows):.1%})",
            "Not recognised by generic: " + (", ".join(self.not_generic) or "none"),
            "Brands not recognised: " + (", ".join(self.not_brand) or "none"),
            "Not profiled: " + (", ".join(self.not_profiled) or "none"),
        ]


def _ingredients(vocabulary, slugs):
    return {i for slug in slugs if vocabulary.get(slug) for i in vocabulary.ingredients(slug)}


def measure(vocabulary, path=TOP_300):
    result = Coverage()
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        name = row["listed_name"]
        choices = [set(alt.split(";")) for alt in row["ingredients"].split("|")] if row["ingredients"] else []
        if not choices or name.lower() == "isosorbide":
            result.groups.append(name)
            continue
        result.rows += 1
        wanted = [_ingredients(vocabulary, alt) or alt for alt in choices]
        found = _ingredients(vocabulary, vocabulary.recognise(name))
        if found and found in wanted:
            result.generic += 1
        else:
            result.not_generic.append(name)
        brands = [b for b in row["brands"].split(";") if b]
        if brands:
            result.brand_rows += 1
            missing = [b for b in brands if _ingredients(vocabulary, vocabulary.recognise(b)) not in wanted]
            if missing:
                result.not_brand.extend(missing)
            else:
                result.brand += 1
        if any(all(vocabulary.get(i) and vocabulary.get(i).profiled for i in alt) for alt in wanted):
            result.profiled += 1
        else:
            result.not_profiled.append(name)
    return result
