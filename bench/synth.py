"""A synthetic knowledge base N times the real one, with the same shapes.

Loads the real fixtures, then adds N-1 copies of every clinical record (sources, conditions, classes,
drugs and their dose rows, procedures, diagnostics, recommendations, indications, work-up, cautions,
interactions). Copy c renames every slug and key with a ``-c<c>`` suffix and points every relation
and source citation at copy c of its target, so each copied condition has exactly as many options,
sources and interactions per drug as the real one, while the totals (drugs, interactions, sources,
history rows) grow N times. Patient factors are a fixed vocabulary and are shared, not copied.
Rows are written with ``bulk_create_with_history``, so the history tables grow too.

Usage (in a throwaway database only): DATABASE_URL=sqlite:////tmp/kb.sqlite3 python bench/synth.py 100
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "neuro.settings")


def grow(scale):
    from django.db import transaction
    from simple_history.utils import bulk_create_with_history

    from treatments import knowledge_base
    from treatments import models as m

    knowledge_base.load()
    copied = [model for _file, models in knowledge_base.FAMILIES for model in models if model is not m.PatientFactor]
    originals = {model: list(model.objects.all()) for model in copied}
    with transaction.atomic():
        for c in range(1, scale):
            new_pk = {}  # (model, old pk) -> new pk, for this copy
            for model in copied:
                rows, olds = [], []
                for old in originals[model]:
                    row = model(**{f.attname: getattr(old, f.attname) for f in model._meta.concrete_fields})
                    row.pk = None
                    for field in model._meta.concrete_fields:
                        if field.name in ("slug", "key"):
                            setattr(row, field.attname, f"{getattr(old, field.attname)}-c{c}")
                        elif field.is_relation and field.related_model is not m.PatientFactor:
                            value = getattr(old, field.attname)
                            if value is not None:
                                setattr(row, field.attname, new_pk[(field.related_model, value)])
                    rows.append(row)
                    olds.append(old)
                bulk_create_with_history(rows, model, batch_size=500, default_change_reason="Synthetic benchmark data")
                new_pk.update({(model, old.pk): row.pk for old, row in zip(olds, rows, strict=True)})
                sources = getattr(model, "sources", None)
                if sources is not None:
                    through = sources.through
                    own, other = f"{model._meta.model_name}_id", "source_id"
                    links = through.objects.filter(**{f"{own}__in": [o.pk for o in olds]}).values_list(own, other)
                    through.objects.bulk_create(
                        [through(**{own: new_pk[(model, a)], other: new_pk[(m.Source, b)]}) for a, b in links],
                        batch_size=1000,
                    )
    knowledge_base.refresh_planner_statistics()  # as load_knowledge_base does after a load
    return {model._meta.label: model.objects.count() for model in copied}


if __name__ == "__main__":
    import django

    django.setup()
    print(grow(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
