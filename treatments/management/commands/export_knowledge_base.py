from django.core.management.base import BaseCommand

from treatments import knowledge_base


class Command(BaseCommand):
    help = "Write the database back to fixtures/ in the committed format and order."

    def add_arguments(self, parser):
        parser.add_argument("--directory", help="Write to this folder instead of fixtures/.")

    def handle(self, *args, directory=None, **options):
        for path in knowledge_base.export(directory):
            self.stdout.write(f"wrote {path}")
