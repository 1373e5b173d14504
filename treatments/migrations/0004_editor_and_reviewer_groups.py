"""The two editing roles (see docs/EDITING.md).

Editors view, add and change clinical records and triage problem reports; they cannot publish or
delete. Reviewers can also publish (``publish_<model>``, one per clinical model) and delete.
Running this again (or after adding a clinical model) only adds what is missing.
"""

from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.db import migrations

CLINICAL_MODELS = [
    "source",
    "patientfactor",
    "condition",
    "drugclass",
    "drug",
    "doseguidance",
    "renaldoseband",
    "controlledschedule",
    "regulatoryapproval",
    "procedure",
    "diagnostic",
    "recommendation",
    "procedureindication",
    "workupitem",
    "caution",
    "interaction",
]


def create_groups(apps, schema_editor):
    app_config = apps.get_app_config("treatments")
    # Content types and default permissions are normally made after migrate; the groups need them now.
    app_config.models_module = True
    create_contenttypes(app_config, verbosity=0, apps=apps)
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None

    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")

    editor_perms, reviewer_perms = [], []
    for model in CLINICAL_MODELS:
        content_type = ContentType.objects.get(app_label="treatments", model=model)
        verbose_name = apps.get_model("treatments", model)._meta.verbose_name
        publish, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=f"publish_{model}", defaults={"name": f"Can publish {verbose_name}"}
        )
        own = Permission.objects.filter(content_type=content_type)
        edit = [f"view_{model}", f"add_{model}", f"change_{model}"]
        editor_perms += own.filter(codename__in=edit)
        reviewer_perms += own.filter(codename__in=[*edit, f"delete_{model}"])
        reviewer_perms.append(publish)
    reports = Permission.objects.filter(
        content_type__app_label="treatments", codename__in=["view_problemreport", "change_problemreport"]
    )
    editor_perms += reports
    reviewer_perms += reports

    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(*editor_perms)
    reviewers, _ = Group.objects.get_or_create(name="Reviewers")
    reviewers.permissions.add(*reviewer_perms)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("treatments", "0003_problemreport_protect_drug_details"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
