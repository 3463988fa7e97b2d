"""manage.py monthly_report: build the Laporan Bulanan of a month now (the task does it on the 1st)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from jembatan.directory.models import Agency
from jembatan.insights import monthly


class Command(BaseCommand):
    help = "Buat Laporan Bulanan (bawaan: bulan lalu, seluruh instansi dan setiap instansi berpimpinan)."

    def add_arguments(self, parser):
        parser.add_argument("--month", metavar="YYYY-MM", help="Bulan laporan (bawaan: bulan lalu).")
        parser.add_argument("--agency", metavar="KODE", help="Hanya untuk instansi ini.")
        parser.add_argument("--instance", action="store_true", help="Hanya untuk seluruh instansi.")
        parser.add_argument("--output", metavar="FILE", help="Tulis HTML ke berkas (satu laporan saja).")

    def handle(self, *args, month, agency, instance, output, verbosity, **options):
        if month:
            try:
                first = dt.date.fromisoformat(month + "-01")
            except ValueError:
                raise CommandError(_("Bulan harus berbentuk YYYY-MM.")) from None
        else:
            first = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        target = None
        if agency:
            target = Agency.objects.filter(code=agency).first()
            if target is None:
                raise CommandError(_("Instansi %(code)s tidak ada.") % {"code": agency})
        if agency or instance:
            stored = [monthly.store_report(target, first)]
        elif output:
            raise CommandError(_("--output perlu --agency atau --instance."))
        else:
            stored = monthly.store_all(first)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(stored[0].html)
        if verbosity:
            self.stdout.write(
                _("%(n)d laporan bulanan %(month)s disimpan.")
                % {"n": len(stored), "month": first.strftime("%Y-%m")}
            )
