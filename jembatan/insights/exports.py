"""CSV and XLSX files of dashboard tables and report lists; large ones are built by a task.

A report list export never holds the reporter's identity (name, contact) or the report's text:
it is for counting and following up, and the workbench shows the rest to whoever may see it.
"""

import csv
import io
import re
import secrets
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.insights.models import ExportJob, ExportStatus, ReportFact
from jembatan.reports.pii import text_for_viewer

SYNC_LIMIT = 2000  # rows written during the request; more go to a task
PROGRESS_EVERY = 500
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def safe_cell(value):
    """Neutralise spreadsheet formulas: a cell a citizen typed that starts with = + - @ must not run."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_csv(rows, stream):
    writer = csv.writer(stream)
    for row in rows:
        writer.writerow([safe_cell("" if v is None else v) for v in row])


def write_xlsx(rows, stream, title="Data"):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    # A sheet title may not hold / \ ? * : [ ] and has at most 31 characters ("Menurut kabupaten/kota").
    sheet = workbook.create_sheet(re.sub(r"[/\\?*:\[\]]", "-", str(title))[:31].strip() or "Data")
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    workbook.save(stream)


def render(rows, fmt, title="Data"):
    """The bytes of `rows` (header first) as CSV (UTF-8 with BOM, for spreadsheet programs) or XLSX."""
    if fmt == "csv":
        text = io.StringIO()
        write_csv(rows, text)
        return ("\ufeff" + text.getvalue()).encode("utf-8")
    buffer = io.BytesIO()
    write_xlsx(rows, buffer, title)
    return buffer.getvalue()


def report_list_header():
    return [
        _("Nomor pelacakan"),
        _("Diterima"),
        _("Judul"),
        _("Jenis"),
        _("Klasifikasi"),
        _("Kategori"),
        _("Wilayah"),
        _("Instansi penanggung jawab"),
        _("Kanal"),
        _("Status"),
        _("Diverifikasi"),
        _("Ditindaklanjuti"),
        _("Ditutup"),
        _("Penilaian"),
    ]


def title_for(viewer, report):
    """The report's title as `viewer` may read it: personal data typed into an anonymous report's
    title is redacted for those who may not know who reported."""
    may_see = not report.is_anonymous or access.can_see_identity(viewer, report)
    return text_for_viewer(report.title, may_see_identity=may_see)


def report_list_rows(reports, agency_names, viewer):
    """One row per report (reports: a Report queryset with category and region selected), as
    `viewer` may read them."""
    reports = list(reports)
    facts = dict(
        ReportFact.objects.filter(report_id__in=[r.pk for r in reports]).values_list("report_id", "agency")
    )
    for report in reports:
        yield [
            report.tracking_number,
            timezone.localtime(report.submitted_at).strftime("%Y-%m-%d %H:%M"),
            title_for(viewer, report),
            report.get_kind_display(),
            report.get_classification_display(),
            report.category.name if report.category_id else "",
            report.region.name if report.region_id else "",
            agency_names.get(facts.get(report.pk), ""),
            report.get_channel_display(),
            report.get_status_display(),
            _date(report.verified_at),
            _date(report.answered_at),
            _date(report.closed_at),
            report.rating or "",
        ]


def _date(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d") if moment else ""


def export_dir():
    path = Path(settings.INSIGHTS_EXPORT_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def start_job(*, user, title, fmt, params, total):
    """Record an export job and queue the task that builds it (after the job row is committed)."""
    from jembatan.insights.tasks import build_export_task

    job = ExportJob.objects.create(
        user=user, token=secrets.token_hex(16), title=title[:200], format=fmt, params=params, total=total
    )
    transaction.on_commit(lambda: build_export_task(job.pk))
    return job


def build_job(job_id):
    """Write the file of an export job, updating its progress as it goes."""
    from jembatan.directory.models import Agency
    from jembatan.insights import drill

    job = ExportJob.objects.select_related("user").get(pk=job_id)
    if job.status == ExportStatus.DONE:
        return job
    job.status = ExportStatus.RUNNING
    job.save(update_fields=["status"])
    try:
        result = drill.build(job.user, job.params)
        ids = list(result.report_ids())
        job.total = len(ids)
        job.save(update_fields=["total"])
        names = dict(Agency.objects.values_list("pk", "name"))

        def rows():
            yield report_list_header()
            for start in range(0, len(ids), PROGRESS_EVERY):
                chunk = ids[start : start + PROGRESS_EVERY]
                yield from report_list_rows(result.reports(chunk), names, job.user)
                ExportJob.objects.filter(pk=job.pk).update(done=min(start + len(chunk), len(ids)))

        name = f"{job.token}.{job.format}"
        path = export_dir() / name
        with open(path, "wb") as handle:
            if job.format == "csv":
                text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
                text.write("\ufeff")
                write_csv(rows(), text)
                text.flush()
                text.detach()
            else:
                write_xlsx(rows(), handle, title=job.title)
        job.refresh_from_db(fields=["done"])
        job.file_name = name
        job.status = ExportStatus.DONE
        job.done = job.total
        job.finished_at = timezone.now()
        job.save(update_fields=["file_name", "status", "done", "finished_at"])
    except Exception as exc:  # the user must see that it failed, not a spinner forever
        job.status = ExportStatus.FAILED
        job.error = str(exc)[:2000]
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "error", "finished_at"])
        raise
    return job
