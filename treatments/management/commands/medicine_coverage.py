from django.core.management.base import BaseCommand

from treatments import coverage, medicines


class Command(BaseCommand):
    help = (
        "Report the share of the US top-300 medicines the vocabulary recognises by generic and by brand name, and "
        "the share with a reviewed interaction profile (docs/CONTENT.md quotes the figures)."
    )

    def handle(self, *args, **options):
        result = coverage.measure(medicines.load_vocabulary())
        for line in result.lines():
            self.stdout.write(line)
