from django.db import migrations, models


def create_version_row(apps, schema_editor):
    model = apps.get_model("treatments", "KnowledgeBaseVersion")
    model.objects.using(schema_editor.connection.alias).get_or_create(id=1)


class Migration(migrations.Migration):
    dependencies = [
        ("treatments", "0004_editor_and_reviewer_groups"),
    ]

    operations = [
        migrations.CreateModel(
            name="KnowledgeBaseVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveBigIntegerField(default=0)),
                ("changed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("id", 1)), name="treatments_knowledgebaseversion_singleton")
                ],
            },
        ),
        migrations.RunPython(create_version_row, migrations.RunPython.noop),
    ]
