"""The people of one instance in the federation stage (scripts/federation_test.py).

Run inside one instance's environment (its database), reads JSON lists of steps on stdin and
acts them through the same functions the workbench, the API and the portal call
(jembatan.federation.actions, which wraps reports.actions), as the officers and citizens who
would click them: the verifier verifies and disposes, the agency starts and answers, the citizen
replies, rates and closes with the access code of their receipt. Answers one JSON line per line.
"""

import io
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jembatan.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import transaction  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402
from PIL import Image  # noqa: E402

from jembatan.accounts.access import SECOND_FACTOR_ROLES  # noqa: E402
from jembatan.accounts.models import StaffRole  # noqa: E402
from jembatan.directory.models import Agency, Region  # noqa: E402
from jembatan.federation import actions as federated  # noqa: E402
from jembatan.federation import figures, hubsync  # noqa: E402
from jembatan.federation.models import Instance, RemoteAgency  # noqa: E402
from jembatan.insights import rollups  # noqa: E402
from jembatan.ops.demo import DEMO_PASSWORD, DEMO_TOTP_KEY  # noqa: E402
from jembatan.reports import actions  # noqa: E402
from jembatan.reports.models import Classification, Disposition, Report, ReportType  # noqa: E402

User = get_user_model()
FOLLOW_UP = "Jalan sudah kami periksa dan perbaikan dijadwalkan minggu ini oleh tim lapangan."
SECOND_FOLLOW_UP = "Perbaikan lanjutan sudah selesai dikerjakan; mohon dicek kembali di lokasi."


def user(name):
    return User.objects.get(username=name)


def setup(step):
    federated.register_instance(slug=step["self"], name=step["name"], is_self=True)
    for peer in step["peers"]:
        federated.register_instance(
            slug=peer["slug"], name=peer["name"], base_url=peer["url"], shared_secret=peer["secret"]
        )
    for agency, slug in step["hosts"]:
        federated.host_agency(
            agency=Agency.objects.get(code=agency), instance=Instance.objects.get(slug=slug)
        )
    for username, full_name, role, agency in step.get("officers", []):
        officer(username, full_name, role, agency)
    return {}


def officer(username, full_name, role, agency):
    """An officer of this instance who logs in like the demo's: its password, and for the roles
    that need a second factor its authenticator (jembatan.ops.demo)."""
    person, created = User.objects.get_or_create(username=username, defaults={"full_name": full_name})
    if created:
        person.password = make_password(DEMO_PASSWORD)
        person.save(update_fields=["password"])
    StaffRole.objects.get_or_create(user=person, role=role, agency=Agency.objects.get(code=agency))
    if role in SECOND_FACTOR_ROLES and not TOTPDevice.objects.filter(user=person).exists():
        TOTPDevice.objects.create(
            user=person, name="Autentikator demo", key=DEMO_TOTP_KEY.hex(), confirmed=True
        )


def photo(marker):
    """A small photo of the pothole, different for every report (its pixels carry the marker)."""
    out = io.BytesIO()
    seed = sum(marker.encode())
    Image.new("RGB", (64, 48), (seed % 256, (seed * 7) % 256, (seed * 13) % 256)).save(out, "JPEG")
    return SimpleUploadedFile(f"foto-{marker}.jpg", out.getvalue(), content_type="image/jpeg")


def submit(step):
    region = Region.objects.get(code=step["region"])
    numbers = {}
    for item in step["reports"]:
        report = actions.submit_report(
            new=actions.NewReport(
                kind=ReportType.PENGADUAN,
                title=f"Jalan berlubang {item['marker']}",
                description=f"Jalan rusak parah dekat pasar, penanda {item['marker']}. {item['secret_text']}",
                region=region,
                is_anonymous=item["anonymous"],
                is_confidential=item["confidential"],
                reporter_name=item["name"],
                reporter_email=item["email"],
                reporter_phone=item["phone"],
                attachments=[photo(item["marker"])] if item.get("photo") else [],
            )
        )
        # The receipt: the number and the access code (kept hashed; only the citizen has it now).
        numbers[item["marker"]] = [report.tracking_number, report.access_code]
    return numbers


def dispose(step):
    actor = user(step["verifier"])
    agency = Agency.objects.get(code=step["agency"])
    for number in step["numbers"]:
        report = Report.objects.get(tracking_number=number)
        with transaction.atomic():
            if not report.classification:
                report = actions.verify_report(
                    report=report,
                    actor=actor,
                    classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
                )
            federated.dispose_report(
                report=report, actor=actor, agencies=[agency], instruction="Mohon ditindaklanjuti."
            )
    return {}


def held(step):
    return Report.objects.filter(source_instance=step["origin"], external_id__in=step["numbers"])


def answer(step):
    """The holder's verifier disposes to its own agency; the agency starts and answers."""
    verifier, worker = user(step["verifier"]), user(step["worker"])
    agency = Agency.objects.get(code=step["agency"])
    for report in held(step):
        if not report.classification:
            report = actions.verify_report(
                report=report,
                actor=verifier,
                classification=Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN,
            )
            federated.dispose_report(report=report, actor=verifier, agencies=[agency])
        disposition = Disposition.objects.filter(report=report, agency=agency).order_by("-pk").first()
        if disposition.status == "terdisposisi":
            disposition = federated.start_follow_up(disposition=disposition, actor=worker)
        federated.post_follow_up(disposition=disposition, actor=worker, text=step.get("text", FOLLOW_UP))
    return {}


def sync(step):
    """The directory from the hub: first as a dry run (nothing changes), then applied."""
    before = RemoteAgency.objects.count()
    planned = hubsync.pull(hub=step["hub"], apply=False)
    if RemoteAgency.objects.count() != before:
        raise SystemExit("the dry run changed the host table")
    changes = hubsync.pull(hub=step["hub"], apply=True)
    if [c[:2] for c in changes] != [c[:2] for c in planned]:
        raise SystemExit("the applied sync differs from its dry run")
    counts = {kind: sum(1 for c in changes if c[0] == kind) for kind in hubsync.CHANGES}
    hosts = {
        row.agency.code: row.instance.slug
        for row in RemoteAgency.objects.select_related("agency", "instance")
        if row.agency.code in step["check"]
    }
    return {"counts": counts, "hosts": hosts}


def send_figures(step):
    """Bring the rollups up to date and send the hub this instance's figures (what the periodic
    send_network_figures_task does), again while the faulty network loses the request or answer."""
    rollups.refresh()
    for attempt in range(20):
        try:
            answer = figures.send(hub=step["hub"])
            break
        except figures.SendFailed:
            time.sleep(0.5 + attempt * 0.2)
    else:
        raise SystemExit("the hub never took the figures")
    me = federated.self_instance()
    sent = figures.payload(me=me, hub=Instance.objects.get(slug=step["hub"]))
    received = sum(row["received"] for period in sent["periods"] for row in period["agencies"])
    return {"answer": answer, "received": received}


def give_back(step):
    verifier = user(step["verifier"])
    for report in held(step):
        federated.return_to_origin(
            report=report, actor=verifier, reason="Bukan kewenangan kementerian ini; jalan kota."
        )
    return {}


def citizen(step):
    for number, code in step["codes"].items():
        report = Report.objects.get(tracking_number=number)
        if step["move"] == "reply":
            federated.reply_as_reporter(
                report=report, actor=None, text="Belum selesai, masih berlubang.", access_code=code
            )
        elif step["move"] == "rate":
            federated.rate_report(
                report=report, actor=None, rating=4, comment="Terima kasih.", access_code=code
            )
        elif step["move"] == "close":
            federated.close_report(report=report, actor=None, note="Sudah beres.", access_code=code)
    return {}


STEPS = {
    "setup": setup,
    "submit": submit,
    "dispose": dispose,
    "answer": answer,
    "give_back": give_back,
    "sync": sync,
    "figures": send_figures,
    "citizen": citizen,
}


def main():
    """One JSON list of steps per line in, one JSON list of answers per line out (Django starts once)."""
    for line in sys.stdin:
        results = [STEPS[step["do"]](step) for step in json.loads(line)]
        sys.stdout.write(json.dumps(results) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
