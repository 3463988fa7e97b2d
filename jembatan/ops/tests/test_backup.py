"""`manage.py backup` and `manage.py restore`: after a wipe, every report, event and attachment
(with its file) is back. Runs on SQLite in the normal suite and on PostgreSQL in its stage."""

import hashlib
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from jembatan.reports.models import Attachment, Event, Report
from jembatan.reports.tests import factories as f


def _state():
    reports = sorted(Report.objects.values_list("tracking_number", "title", "status"))
    events = sorted(Event.objects.values_list("pk", "report__tracking_number"))
    files = sorted(
        (a.pk, a.report.tracking_number, hashlib.sha256(Path(a.file.path).read_bytes()).hexdigest())
        for a in Attachment.objects.select_related("report")
    )
    return reports, events, files


@pytest.mark.django_db(transaction=True)
def test_backup_then_wipe_then_restore_brings_back_every_report_event_and_attachment(tmp_path, capsys):
    w = f.build_world()
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    f.submit(w, attachments=[SimpleUploadedFile("surat.pdf", pdf, content_type="application/pdf")])
    f.disposed(w, title="Lampu jalan mati di Jalan Sudirman")
    before = _state()
    assert len(before[0]) == 2 and before[1] and len(before[2]) == 1

    call_command("backup", str(tmp_path / "backups"))
    folder = capsys.readouterr().out.strip().splitlines()[-1]

    call_command("flush", "--no-input", verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT)
    assert Report.objects.count() == 0 and not Path(settings.MEDIA_ROOT).exists()

    call_command("restore", folder, "--yes")
    assert "2 laporan" in capsys.readouterr().out
    assert _state() == before


def test_restore_refuses_without_yes_and_names_a_folder_that_is_not_a_backup(tmp_path):
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(tmp_path))
    with pytest.raises(CommandError, match="is not a Jembatan backup folder"):
        call_command("restore", str(tmp_path), "--yes")
