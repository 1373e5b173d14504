"""The patient handout's words: this patient's dose as a week-by-week calendar, in English or Spanish.

Numbers come from the patient's regimen (``explorer.Regimen``); the sentences around them are interface
strings translated with Django's i18n (locale/es). Knowledge-base texts are chosen per language by
``texts``: Spanish only when it was reviewed against the English it has now (``models.SpanishReview``),
else the English, marked so the page can say so.
"""

from dataclasses import dataclass

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from .explorer import format_number

LANGUAGES = ("en", "es")
MIN_WEEKS, MAX_WEEKS = 2, 8


@dataclass(frozen=True)
class Text:
    """A patient-facing text in the language asked for, or in English when its Spanish is missing or out of
    date (``translated`` is then False)."""

    text: str
    translated: bool = True


def texts(obj, fields, lang):
    """{field: Text} for a record with ``SpanishReview``: the English, or the reviewed current Spanish."""
    out = {}
    for field in fields:
        english = obj.english(field)
        if lang == "es" and english:
            current = obj.spanish_current(field)
            out[field] = Text(obj.spanish(field) if current else english, current)
        else:
            out[field] = Text(english)
    return out


def _verb(unit):
    return _("Use") if unit.split("/")[0] in ("patches", "applications", "sprays") else _("Take")


def dose_words(amount):
    """'Take 75 mg 2 times a day.' for a daily dose split into a stated number of doses, else the daily total."""
    if amount is None:
        return ""
    unit = amount.dose_unit
    if amount.per_dose is not None:
        times = amount.times
        how_often = (
            _("once a day") if times == 1 else ngettext("%(n)s time a day", "%(n)s times a day", times) % {"n": times}
        )
        return _("%(verb)s %(dose)s %(unit)s %(how_often)s.") % {
            "verb": _verb(amount.unit),
            "dose": format_number(amount.per_dose),
            "unit": unit,
            "how_often": how_often,
        }
    if amount.unit.endswith("/day"):
        return _("%(verb)s %(dose)s %(unit)s in total each day, split as your doctor says.") % {
            "verb": _verb(amount.unit),
            "dose": format_number(amount.value),
            "unit": unit,
        }
    return _("%(verb)s %(dose)s %(unit)s.") % {
        "verb": _verb(amount.unit),
        "dose": format_number(amount.value),
        "unit": amount.unit,
    }


def never_more(amount):
    if amount is None or not amount.unit.endswith("/day"):
        return ""
    return _("Never take more than %(dose)s %(unit)s in one day.") % {
        "dose": format_number(amount.value),
        "unit": amount.dose_unit,
    }


@dataclass(frozen=True)
class Segment:
    first_day: int
    last_day: int
    words: str


@dataclass(frozen=True)
class Week:
    number: int
    first_day: int
    last_day: int
    segments: tuple  # Segment: the doses this week, by day

    @property
    def days(self):
        return range(self.first_day, self.last_day + 1)


def calendar(regimen):
    """Weeks to tick off, from day 1 to the week after the last dose change (at least MIN_WEEKS, at most
    MAX_WEEKS). None when the regimen has no start (the doctor gives the dose)."""
    if regimen is None or regimen.avoid or regimen.start is None:
        return None
    schedule = regimen.schedule  # RegimenStep from day 1 (after_days 0)
    last_change = schedule[-1].after_days + 1
    weeks = min(MAX_WEEKS, max(MIN_WEEKS, (last_change + 6) // 7 + 1))
    out = []
    for number in range(1, weeks + 1):
        first, last = 7 * (number - 1) + 1, 7 * number
        segments = []
        for i, step in enumerate(schedule):
            start = step.after_days + 1
            end = schedule[i + 1].after_days if i + 1 < len(schedule) else 10**6
            lo, hi = max(start, first), min(end, last)
            if lo <= hi:
                segments.append(Segment(lo, hi, dose_words(step.dose)))
        out.append(Week(number, first, last, tuple(segments)))
    return tuple(out)


def days_words(segment, week):
    """'Days 1 to 3' for part of a week, '' for the whole week."""
    if segment.first_day == week.first_day and segment.last_day == week.last_day:
        return ""
    if segment.first_day == segment.last_day:
        return _("Day %(day)s") % {"day": segment.first_day}
    return _("Days %(first)s to %(last)s") % {"first": segment.first_day, "last": segment.last_day}


# Drug classes as the sheet names them in each language other than English (the knowledge base names classes
# in English only; a drug is named by its generic name in every language, as on the rest of the sheet).
GROUP_NAMES = {
    "es": {
        "alpha2-agonists": "Agonistas alfa-2 adrenérgicos (tópicos)",
        "antiarrhythmic-sodium-channel-blockers": "Antiarrítmicos bloqueadores de los canales de sodio",
        "anticoagulants": "Anticoagulantes (antagonistas de la vitamina K)",
        "antiplatelets": "Antiagregantes plaquetarios",
        "benzodiazepines": "Benzodiazepinas",
        "botulinum-toxins": "Toxinas botulínicas",
        "cannabinoids": "Cannabinoides",
        "capsaicin": "Capsaicina (agonistas TRPV1)",
        "corticosteroids": "Corticoesteroides (glucocorticoides)",
        "dual-action-opioids": "Opioides de acción dual",
        "gabapentinoids": "Gabapentinoides",
        "immunoglobulins": "Inmunoglobulinas (IgIV e IgSC)",
        "immunosuppressants": "Inmunosupresores",
        "maois": "Inhibidores de la monoaminooxidasa (IMAO)",
        "n-type-calcium-channel-blockers": "Bloqueadores de los canales de calcio de tipo N",
        "nmda-antagonists": "Antagonistas del receptor NMDA",
        "nsaids": "Antiinflamatorios no esteroideos (AINE)",
        "other-antiepileptics": "Otros antiepilépticos",
        "skeletal-muscle-relaxants": "Relajantes musculares esqueléticos",
        "snris": "Inhibidores de la recaptación de serotonina y noradrenalina (IRSN)",
        "sodium-channel-blockers": "Antiepilépticos bloqueadores de los canales de sodio",
        "ssris": "Inhibidores selectivos de la recaptación de serotonina (ISRS)",
        "strong-opioids": "Opioides potentes",
        "thiazide-diuretics": "Diuréticos tiazídicos",
        "topical-local-anaesthetics": "Anestésicos locales tópicos",
        "tricyclic-antidepressants": "Antidepresivos tricíclicos",
        "vitamins": "Vitaminas (B12 y B1)",
    },
}


def group_name(slug, name, lang=None):
    """A drug class's name in ``lang`` (the active language by default): its English ``name`` for English or
    when the class has no name in that language yet."""
    lang = (lang or get_language() or "en").split("-")[0]
    return GROUP_NAMES.get(lang, {}).get(slug, name)


# Interactions with the patient's own medicines, in words a patient can act on (the clinician's page has the
# effect, the mechanism and the management with their sources).
PAIR_SEVERITIES = ("contraindicated", "major", "moderate")


def pair_words(current_name, drug_name, severity):
    if severity in ("contraindicated", "major"):
        return _(
            "You also take %(current)s. %(current)s and %(drug)s can be harmful together. Ask your doctor before "
            "you take them together. Do not stop %(current)s on your own."
        ) % {"current": current_name, "drug": drug_name}
    return _(
        "You also take %(current)s. Taking it with %(drug)s needs care. Ask your doctor or pharmacist about it. "
        "Do not stop %(current)s on your own."
    ) % {"current": current_name, "drug": drug_name}
