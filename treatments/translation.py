"""Patient-facing fields stored in English and Spanish with django-modeltranslation.

Each field gets ``<field>_en`` (the source of truth) and ``<field>_es``. The historical models of
django-simple-history are registered too, so every Spanish edit is in the history like any other field.
Whether a Spanish text may be shown (reviewed, and not older than its English) is decided in
``treatments.spanish``, never by the library's fallback.
"""

from modeltranslation.translator import TranslationOptions, translator

from .validation import PATIENT_TEXT_FIELDS


def _options(fields):
    return type("Options", (TranslationOptions,), {"fields": tuple(fields)})


for model, fields in PATIENT_TEXT_FIELDS.items():
    translator.register(model, _options(fields))
    translator.register(model.history.model, _options(fields))
