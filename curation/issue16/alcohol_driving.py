"""Issue 16: the patient alcohol/driving texts (``Drug.patient_alcohol_driving``, English and Spanish) for drugs
that had none, each from label text read on 2026-12-04, with the source it was read in.

Loads fixtures/ into a scratch database, then through the ORM adds each new source record, sets the drug's
English and Spanish text, cites the source on the drug, and marks the drug's Spanish reviewed against its English
with the model's own method (``SpanishReview.mark_spanish_reviewed``), so the stored fingerprints are the ones the
app checks; then exports with the project's exporter and copies back fixtures/drugs.json and sources.json only.
A drug whose alcohol/driving text is already set to something else is left alone and reported. Idempotent: run
it again and nothing changes.

    rm -f /tmp/alcohol.db
    DJANGO_DEBUG=1 DEBUG=1 DATABASE_URL=sqlite:////tmp/alcohol.db .venv/bin/python curation/issue16/alcohol_driving.py
"""

import datetime
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIXTURES = ROOT / "fixtures"
READ = "2026-12-04"
READ_NOTE = "Read 2026-12-04 for the patient alcohol/driving text (tracker issue 16). Year is the year consulted."


def source(key, short_name, title, url, publisher, region, notes, authors=""):
    """A label source record in the fixtures' field order (as the recent ones, e.g. ativan-pfizer-canada-safety)."""
    return {
        "model": "treatments.source",
        "fields": {
            "status": "published",
            "last_reviewed": READ,
            "next_review_due": "2027-12-04",
            "key": key,
            "kind": "label",
            "short_name": short_name,
            "title": title,
            "authors": authors,
            "year": 2026,
            "publisher": publisher,
            "doi": "",
            "pmid": "",
            "url": url,
            "region": region,
            "superseded": False,
            "notes": f"{notes} {READ_NOTE}",
        },
    }


SOURCES = [
    source(
        "rxdruglabels-fluoxetine-counseling",
        "Fluoxetine US label, patient counseling (rxdruglabels)",
        "Fluoxetine (US prescribing information), 17 Patient Counseling Information, reproduced by rxdruglabels.com",
        "https://rxdruglabels.com/lib/rx/rx-meds/fluoxetine-71/page/11/",
        "rxdruglabels.com (reproduction of the US FDA label)",
        "US",
        "US prescribing information for a generic fluoxetine product as reproduced by rxdruglabels.com. Read, 17.9 "
        "Potential for Cognitive and Motor Impairment: fluoxetine may impair judgment, thinking, or motor skills; "
        "patients should be advised to avoid driving a car or operating hazardous machinery until they are "
        "reasonably certain that their performance is not affected. 17.10 Use of Concomitant Medications: patients "
        "should be advised to inform their physician if they are taking, or plan to take, any prescription "
        "medication, over-the-counter drugs, herbal supplements or alcohol.",
    ),
    source(
        "medlibrary-paroxetine-patient-info",
        "Paroxetine US label, information for patients (MedLibrary)",
        "Paroxetine tablets (US prescribing information), Precautions: Information for Patients, reproduced by "
        "MedLibrary.org",
        "https://medlibrary.org/lib/rx/meds/paroxetine-26/page/7/",
        "MedLibrary.org (reproduction of the US FDA label)",
        "US",
        "US prescribing information for a generic paroxetine tablet as reproduced by MedLibrary.org. Read, "
        "Information for Patients, Interference with Cognitive and Motor Performance: any psychoactive drug may "
        "impair judgment, thinking, or motor skills; although in controlled studies paroxetine tablets have not been "
        "shown to impair psychomotor performance, patients should be cautioned about operating hazardous machinery, "
        "including automobiles, until they are reasonably certain that therapy with paroxetine does not affect their "
        "ability to engage in such activities. The label's alcohol paragraph was not on the part read.",
    ),
    source(
        "rxlist-qutenza-patient-info",
        "Qutenza US label, information for patients (RxList)",
        "Qutenza (capsaicin 8% patch) US prescribing information, Information for Patients, reproduced by RxList",
        "http://www.rxlist.com/qutenza-drug/medication-guide.htm",
        "RxList (reproduction of the US FDA label)",
        "US",
        "US prescribing information for Qutenza as reproduced by RxList (page last reviewed on RxList 2009-12-02, so "
        "an early version of the label). Read, Information for Patients: inform patients that they may be given "
        "medication to treat acute pain during and after the Qutenza application procedure; some of these "
        "medications, such as opioids, may affect the ability to perform potentially hazardous activities such as "
        "driving or operating machinery. Alcohol was not mentioned in the part read.",
    ),
    source(
        "medicinous-ruxience-driving",
        "Ruxience (rituximab) EU SmPC 4.7 (medicinous, Czech)",
        "Ruxience (rituximab): Summary of Product Characteristics, section 4.7 Effects on ability to drive and use "
        "machines, Czech text reproduced by medicinous.com",
        "https://medicinous.com/ko/info/Ruxience-schopnost-rizeni/car160186",
        "medicinous.com (reproduction of the EU product information)",
        "EU",
        "EU product information of Ruxience, a rituximab biosimilar, section 4.7 as reproduced by medicinous.com, "
        "read in Czech; the whole section was read. Read: no studies of the effects of rituximab on the ability to "
        "drive and use machines have been performed, but its pharmacological activity and the adverse reactions "
        "reported to date indicate that rituximab has no or negligible influence on the ability to drive and use "
        "machines. Alcohol is not mentioned. The US Rituxan label (label-rituxan) was not read for this.",
    ),
    source(
        "medikamio-esidrex-ch-pil",
        "Esidrex (hydrochlorothiazide) Swiss patient information (medikamio)",
        "Esidrex (hydrochlorothiazide): Swiss patient information, reproduced by medikamio",
        "https://medikamio.com/de-ch/medikamente/esidrex/pil",
        "medikamio",
        "INTL",
        "Swiss patient information for Esidrex (hydrochlorothiazide) as reproduced by medikamio, read in German. "
        "Read, under when caution is needed when taking Esidrex: this medicine can impair the ability to react, the "
        "ability to drive and the ability to use tools or machines. Alcohol was not on the part read; no US label "
        "text on driving was read.",
    ),
]

# slug -> (English, Spanish, source key). The English is grade 6 or below (Flesch–Kincaid) and the Spanish
# 55 or more (Szigriszt-Pazos), as the content tests require; the Spanish says what the English says.
TEXTS = {
    "fluoxetine": (
        "Fluoxetine may affect your judgment, thinking or movement. Do not drive or use dangerous machines until "
        "you are sure it does not affect you. Tell your doctor if you drink alcohol.",
        "La fluoxetina puede afectar su juicio, su forma de pensar o sus movimientos. No conduzca ni use máquinas "
        "peligrosas hasta estar seguro de que no le afecta. Dígale a su médico si toma alcohol.",
        "rxdruglabels-fluoxetine-counseling",
    ),
    "paroxetine": (
        "Medicines that act on the brain can change your judgment, thinking or movement. In studies, paroxetine "
        "did not change how well people moved and reacted. Still, take care when you drive or use machines until "
        "you are sure it does not affect you.",
        "Los medicamentos que actúan en el cerebro pueden cambiar su juicio, su forma de pensar o sus "
        "movimientos. En estudios, la paroxetina no cambió los movimientos ni los reflejos de las personas. Aun "
        "así, tenga cuidado al conducir o usar máquinas hasta estar seguro de que no le afecta.",
        "medlibrary-paroxetine-patient-info",
    ),
    "rituximab": (
        "There are no studies of rituximab and driving or using machines. From what is known so far, it is not "
        "likely to affect them, or only a little.",
        "No hay estudios sobre el rituximab y la capacidad de conducir o usar máquinas. Por lo que se sabe hasta "
        "ahora, no es probable que la afecte, o solo un poco.",
        "medicinous-ruxience-driving",
    ),
    "capsaicin-patch": (
        "You may get pain medicine during and after the patch treatment. Some of these medicines, like opioids, can "
        "make it harder to drive or use machines.",
        "Puede recibir medicamentos para el dolor durante y después del tratamiento con el parche. Algunos de "
        "ellos, como los opioides, pueden hacer más difícil conducir o usar máquinas.",
        "rxlist-qutenza-patient-info",
    ),
    "hydrochlorothiazide": (
        "This medicine can affect how quickly you react. It can also affect your driving and your use of tools or "
        "machines.",
        "Este medicamento puede afectar la rapidez con la que reacciona. También puede afectar su forma de conducir "
        "y el uso de herramientas o máquinas.",
        "medikamio-esidrex-ch-pil",
    ),
}


def apply():
    """Set the texts and sources through the ORM (the database holds the loaded knowledge base)."""
    from treatments import models as m
    from treatments.validation import reading_grade, spanish_reading_ease

    for record in SOURCES:
        fields = dict(record["fields"])
        m.Source.objects.update_or_create(key=fields.pop("key"), defaults=fields)
    skipped = []
    for slug, (en, es, key) in TEXTS.items():
        assert reading_grade(en) <= 6.0, (slug, reading_grade(en))
        assert spanish_reading_ease(es) >= 55.0, (slug, spanish_reading_ease(es))
        drug = m.Drug.objects.get(slug=slug)
        if drug.patient_alcohol_driving_en not in (None, "", en):
            skipped.append(slug)
            continue
        drug.patient_alcohol_driving_en = en
        drug.patient_alcohol_driving_es = es
        # The Spanish was checked against the English it has now: the model's own date and fingerprints.
        drug.mark_spanish_reviewed(datetime.date.fromisoformat(READ))
        drug.save()
        drug.sources.add(m.Source.objects.get(key=key))
    return skipped


def main():
    """Load fixtures/ into the (scratch) database, apply, and write back drugs.json and sources.json only."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuro.settings")
    os.environ.setdefault("LOCAL_RUN", "1")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from treatments import knowledge_base

    call_command("migrate", verbosity=0)
    knowledge_base.load()
    with transaction.atomic():
        skipped = apply()
    with tempfile.TemporaryDirectory() as tmp:
        knowledge_base.export(tmp)
        for name in ("drugs.json", "sources.json"):
            shutil.copyfile(Path(tmp) / name, FIXTURES / name)
    print(f"{len(TEXTS) - len(skipped)} texts written; skipped (text already set otherwise): {skipped}")


if __name__ == "__main__":
    main()
