from django.core.management.base import BaseCommand, CommandError

from treatments import knowledge_base


class Command(BaseCommand):
    help = "Validate and load the knowledge base from fixtures/ in one transaction (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--directory", help="Load from this folder instead of fixtures/.")

    def handle(self, *args, directory=None, **options):
        try:
            report = knowledge_base.load(directory)
        except knowledge_base.KnowledgeBaseError as exc:
            raise CommandError(f"Knowledge base not loaded; the database is unchanged.\n{exc}") from exc
        for name, counts in report.per_file.items():
            self.stdout.write(
                f"{name}: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Knowledge base loaded: {report.created} created, {report.updated} updated, "
                f"{report.unchanged} unchanged."
            )
        )
