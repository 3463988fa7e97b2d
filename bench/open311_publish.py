# Run by bench_open311_peer.py as `manage.py shell < bench/open311_publish.py` in the Jembatan bench
# database: verify and dispose, through the real actions, every report still waiting for verification,
# so the Open311 list (public reports only) has the preloaded rows to show, as the peer's list has.
# A national administrator (the benchmark's own user) does it, disposing to one benchmark agency.
# Prints the counts as JSON.
import json

from django.db import transaction

from jembatan.accounts.models import Role, StaffRole, User
from jembatan.directory.models import Agency
from jembatan.directory.tests.factories import make_agency
from jembatan.reports import actions
from jembatan.reports.models import VERIFICATION_STATUSES, Classification, Report

user = User.objects.filter(username="bench.verifier").first()
if user is None:
    with transaction.atomic():
        user = User.objects.create(username="bench.verifier", full_name="Verifikator Bench")
        StaffRole.objects.create(user=user, role=Role.ADMIN_NASIONAL, agency=None)
agency = Agency.objects.filter(code="bench-dinas").first() or make_agency("Dinas Bench", code="bench-dinas")
done = 0
waiting = list(Report.objects.filter(status__in=VERIFICATION_STATUSES).values_list("pk", flat=True))
for start in range(0, len(waiting), 200):
    with transaction.atomic():  # one commit per 200 reports: set-up speed, not what is measured
        for pk in waiting[start : start + 200]:
            report = actions.verify_report(
                report=Report.objects.get(pk=pk),
                actor=user,
                classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
            )
            actions.dispose_report(report=report, actor=user, agencies=[agency])
            done += 1
print(json.dumps({"verified": done, "public": Report.objects.public().count()}))
