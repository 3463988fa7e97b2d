"""Anonymised open data: public reports as CSV and JSON, with a data dictionary.

What is published, and why:
- Only reports anyone may already read on the portal (Report.objects.public(): not confidential,
  verified, not archived). Confidential (Rahasia) reports never appear, not even as a row.
- No personal data: no reporter name, contact, account, or access code; no coordinates, address,
  kecamatan or village (a street in a small village can point at a person): the place is given
  down to the kabupaten/kota only; dates are days, not times.
- The title goes through reports.pii.redact (NIK, phone numbers, e-mail addresses, "nama saya …").
- The report body (description) is not published at all. Redaction only finds patterns; a body
  routinely holds what no pattern catches ("rumah Pak Budi di Jl. Melati 12, RT 03", GPS
  coordinates, postcodes). Public reports stay readable one by one on their portal page, where a
  verifier has looked at them; a bulk file anyone can mine is a different risk.

The files are written by a daily task (publish_open_data_task) to INSIGHTS_OPEN_DATA_DIR, each
to a temporary name then renamed, so a download never sees half a file.
"""

import csv
import datetime as dt
import json
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from jembatan.directory.models import Agency, Category, Region
from jembatan.insights.exports import safe_cell
from jembatan.insights.facts import local_day, region_parts
from jembatan.insights.models import ReportFact
from jembatan.reports.models import Report
from jembatan.reports.pii import redact
from jembatan.reports.sla import WorkingCalendar

BATCH = 2000

# Types of the data dictionary, translated like the descriptions.
TEXT = _("teks")
DAY = _("tanggal (YYYY-MM-DD)")
NUMBER = _("bilangan")

# Why the body of a report is not in the files (the data dictionary, metadata and /data/terbuka/).
BODY_NOT_PUBLISHED = _(
    "Isi laporan tidak diterbitkan dalam data terbuka: penyamaran otomatis tidak dapat menjamin bahwa "
    "isi laporan bebas dari nama dan alamat. Isi laporan publik dapat dibaca di halaman laporannya."
)

# The data dictionary: (field, type, description). Order = column order of the CSV.
DICTIONARY = [
    ("nomor_pelacakan", TEXT, _("Nomor pelacakan laporan, sama dengan di halaman laporan publik.")),
    ("tanggal_diterima", DAY, _("Tanggal laporan diterima (WIB).")),
    ("jenis", TEXT, _("Jenis laporan menurut pelapor: pengaduan, aspirasi, permintaan_informasi.")),
    ("klasifikasi", TEXT, _("Klasifikasi oleh verifikator (PermenPANRB 62/2018).")),
    ("kode_kategori", TEXT, _("Kode kategori SP4N-LAPOR!.")),
    ("kategori", TEXT, _("Nama kategori.")),
    ("kelompok_kategori", TEXT, _("Nama kelompok kategori.")),
    ("kode_provinsi", TEXT, _("Kode provinsi Kemendagri.")),
    ("provinsi", TEXT, _("Nama provinsi.")),
    ("kode_kabupaten_kota", TEXT, _("Kode kabupaten/kota Kemendagri (tidak lebih rinci, demi privasi).")),
    ("kabupaten_kota", TEXT, _("Nama kabupaten/kota.")),
    ("kanal", TEXT, _("Kanal masuk: web, android, sms, whatsapp, email, open311, api, officer, import.")),
    ("status", TEXT, _("Status saat data dibuat (status SP4N-LAPOR!).")),
    (
        "instansi_penanggung_jawab",
        TEXT,
        _("Instansi yang menangani laporan (disposisi utama, atau verifikator)."),
    ),
    ("tanggal_diverifikasi", DAY, _("Tanggal verifikasi; kosong bila belum.")),
    ("hari_kerja_verifikasi", NUMBER, _("Hari kerja dari diterima sampai diverifikasi.")),
    ("tanggal_ditindaklanjuti", DAY, _("Tanggal tindak lanjut (selesai); kosong bila belum.")),
    ("hari_kerja_tindak_lanjut", NUMBER, _("Hari kerja dari diterima sampai ditindaklanjuti.")),
    ("tanggal_ditutup", DAY, _("Tanggal laporan ditutup; kosong bila belum.")),
    ("penilaian", _("bilangan 1–5"), _("Penilaian pelapor atas tindak lanjut; kosong bila belum dinilai.")),
    ("jumlah_dukungan", NUMBER, _("Jumlah warga yang mendukung laporan.")),
    (
        "judul",
        TEXT,
        format_lazy(
            "{} {}", _("Judul laporan; NIK, nomor telepon dan e-mail disamarkan."), BODY_NOT_PUBLISHED
        ),
    ),
]
FIELDS = [name for name, _type, _description in DICTIONARY]


def open_data_dir():
    path = Path(settings.INSIGHTS_OPEN_DATA_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def licence():
    return settings.INSIGHTS_OPEN_DATA_LICENCE


def dictionary():
    return [{"nama": name, "tipe": str(kind), "keterangan": str(text)} for name, kind, text in DICTIONARY]


def public_reports():
    return Report.objects.public().order_by("pk")


def records(cal=None):
    """Every open-data record, in id order (a generator: a million rows never sit in memory)."""
    cal = cal or WorkingCalendar.load()
    regions = dict(
        Region.objects.filter(level__in=("provinsi", "kabupaten_kota")).values_list("code", "name")
    )
    categories = {c.pk: c for c in Category.objects.all()}
    agencies = dict(Agency.objects.values_list("pk", "name"))
    last = 0
    while True:
        batch = list(
            public_reports()
            .filter(pk__gt=last)
            .only(
                "pk",
                "tracking_number",
                "submitted_at",
                "kind",
                "classification",
                "category_id",
                "region_id",
                "channel",
                "status",
                "verified_at",
                "answered_at",
                "closed_at",
                "rating",
                "support_count",
                "title",
            )[:BATCH]
        )
        if not batch:
            return
        responsible = dict(
            ReportFact.objects.filter(report_id__in=[r.pk for r in batch]).values_list("report_id", "agency")
        )
        for report in batch:
            province, region = region_parts(report.region_id)
            category = categories.get(report.category_id)
            group = categories.get(category.parent_id) if category and category.parent_id else category
            yield {
                "nomor_pelacakan": report.tracking_number,
                "tanggal_diterima": local_day(report.submitted_at).isoformat(),
                "jenis": report.kind,
                "klasifikasi": report.classification,
                "kode_kategori": category.code if category else "",
                "kategori": category.name if category else "",
                "kelompok_kategori": group.name if group else "",
                "kode_provinsi": province,
                "provinsi": regions.get(province, ""),
                "kode_kabupaten_kota": region if "." in region else "",
                "kabupaten_kota": regions.get(region, "") if "." in region else "",
                "kanal": report.channel,
                "status": report.status,
                "instansi_penanggung_jawab": agencies.get(responsible.get(report.pk), ""),
                "tanggal_diverifikasi": _day(report.verified_at),
                "hari_kerja_verifikasi": cal.working_days_between(report.submitted_at, report.verified_at)
                if report.verified_at
                else None,
                "tanggal_ditindaklanjuti": _day(report.answered_at),
                "hari_kerja_tindak_lanjut": cal.working_days_between(report.submitted_at, report.answered_at)
                if report.answered_at
                else None,
                "tanggal_ditutup": _day(report.closed_at),
                "penilaian": report.rating,
                "jumlah_dukungan": report.support_count,
                "judul": redact(report.title),
            }
        last = batch[-1].pk


def _day(moment):
    return local_day(moment).isoformat() if moment else ""


def _tmp(path):
    return path.with_suffix(path.suffix + ".tmp")


def publish(now=None):
    """Write laporan.csv, laporan.json, kamus-data.json and metadata.json; return the record count.

    One pass over the reports writes both data files, so they always hold the same rows. The files
    are in Bahasa Indonesia whoever runs this (a task, a command run under LANG=en…).
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _publish(now)


def _publish(now):
    now = now or timezone.now()
    folder = open_data_dir()
    csv_path, json_path = folder / "laporan.csv", folder / "laporan.json"
    count = 0
    with (
        open(_tmp(csv_path), "w", encoding="utf-8", newline="") as csv_file,
        open(_tmp(json_path), "w", encoding="utf-8") as json_file,
    ):
        writer = csv.DictWriter(csv_file, fieldnames=FIELDS)
        writer.writeheader()
        # Streamed by hand: json.dump of a million records would hold them all in memory.
        json_file.write('{"data": [')
        for record in records():
            writer.writerow({k: safe_cell(v) for k, v in record.items()})
            json_file.write(("," if count else "") + "\n" + json.dumps(record, ensure_ascii=False))
            count += 1
        info = {
            "judul": str(_("Laporan pengaduan pelayanan publik (data terbuka)")),
            "penerbit": settings.INSTANCE_NAME,
            "lisensi": licence(),
            "dibuat": now.isoformat(),
            "jumlah_baris": count,
            "cakupan": str(
                _(
                    "Laporan publik saja: laporan rahasia, belum diverifikasi dan diarsipkan tidak dimuat. "
                    "Tanpa data pribadi; lokasi sampai kabupaten/kota; judul disamarkan."
                )
            ),
            "catatan_isi": str(BODY_NOT_PUBLISHED),
        }
        json_file.write("\n], " + '"kamus_data": ' + json.dumps(dictionary(), ensure_ascii=False))
        json_file.write(', "metadata": ' + json.dumps(info, ensure_ascii=False) + "}\n")
    os.replace(_tmp(csv_path), csv_path)
    os.replace(_tmp(json_path), json_path)
    for name, content in (("kamus-data.json", dictionary()), ("metadata.json", info)):
        path = folder / name
        _tmp(path).write_text(json.dumps(content, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(_tmp(path), path)
    return count


def metadata():
    path = open_data_dir() / "metadata.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    try:
        data["dibuat_pada"] = dt.datetime.fromisoformat(data["dibuat"])
    except (KeyError, ValueError):
        data["dibuat_pada"] = None
    return data
