"""The SP4N-LAPOR! connector: a report rendered in LAPOR!'s words and sent with the key token.

What is published about LAPOR!'s integration API, and what is not, is in docs/lapor-adapter.md
(with sources). In short: JSON over HTTP POST, authenticated by a key token the LAPOR! team
issues ("KEYTOKEN"); the API never carries confidential reports or reporters' identities in
its public data; a report is known by its "TrackingID". The integration endpoint, the body's key
names and the answer's shape are documented only inside LAPOR!'s admin pages (developer role),
so they are settings here, not guesses: the endpoint is the peer's URL, the keys default to the
column names of LAPOR!'s own export (the only published names for a report's fields), the token's
place and name and the answer's id field are settings.

Sending goes through the federation outbox (delivery.py, jobs/outbox.py): the same claim, lease,
retries with backoff, dead letter and operator retry/park as a Jembatan peer. Only the HTTP
request differs. The destination address is checked like an outgoing webhook's
(jobs/destinations.py, as for webhooks): https, global addresses only, pinned against DNS rebinding;
loopback only with WEBHOOK_ALLOW_LOOPBACK (development and tests).
"""

import http.client
import json
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone, translation

from jembatan.directory.models import Region, RegionLevel, region_ancestor_codes
from jembatan.jobs import destinations, outbox
from jembatan.reports.models import Channel, Classification, Status
from jembatan.reports.pii import stored_redaction

# LAPOR!'s export columns (intake/lapor.py COLUMNS): the keys of the body by default.
TITLE = "Judul Laporan"
TEXT = "Isi Laporan Awal"
REPORTER = "Nama Pelapor"
CLASSIFICATION = "Klasifikasi Laporan"
CATEGORY_ID = "ID Kategori"
CATEGORY = "Kategori"
TYPE = "Tipe Laporan (Anonim/Rahasia)"
SOURCE = "Sumber Laporan"
STATUS = "Status Laporan"
DATE = "Tanggal Laporan Masuk"
TIME = "Waktu Laporan Masuk"
REGION_KEYS = {
    RegionLevel.PROVINSI: "Provinsi",
    RegionLevel.KABUPATEN_KOTA: "Kota/Kabupaten",
    RegionLevel.KECAMATAN: "Kecamatan",
    RegionLevel.DESA_KELURAHAN: "Kelurahan",
}

# The labels LAPOR! writes in its export (seen in a 2024 export, or accepted by the importer).
CLASSIFICATION_LABELS = {
    Classification.PENGADUAN_BERKADAR_PENGAWASAN: "Pengaduan Berkadar Pengawasan",
    Classification.PENGADUAN_TIDAK_BERKADAR_PENGAWASAN: "Pengaduan Tidak Berkadar Pengawasan",
    Classification.ASPIRASI: "Aspirasi",
    Classification.PERMINTAAN_INFORMASI: "Permintaan Informasi",
}
STATUS_LABELS = {
    Status.BELUM_TERVERIFIKASI: "Belum Terverifikasi",
    Status.MENUNGGU_KELENGKAPAN: "Menunggu Kelengkapan Informasi",
    Status.TERDISPOSISI: "Terverifikasi dan Terdisposisi",
    Status.DIPROSES: "Sedang Diproses",
    Status.SELESAI: "Selesai Ditindaklanjuti",
    Status.DITUTUP_PELAPOR: "Ditutup oleh Pelapor",
    Status.DITUTUP_ADMIN: "Ditutup oleh Admin",
    Status.DITUTUP_SISTEM: "Ditutup oleh Sistem",
    Status.DIARSIPKAN_ADMIN: "Diarsipkan oleh Admin",
    Status.DIARSIPKAN_SISTEM: "Diarsipkan oleh Sistem",
    Status.DIARSIPKAN_PELAPOR: "Diarsipkan oleh Pelapor",
}
# "Sumber Laporan": only the channels LAPOR! itself names; the others are left empty.
SOURCE_LABELS = {
    Channel.WEB: "Website",
    Channel.ANDROID: "Android",
    Channel.WHATSAPP: "Whatsapp",
    Channel.SMS: "SMS",
}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
MAX_ANSWER = 65536


def field_names():
    """Jembatan's field → the key LAPOR! expects; LAPOR_FIELD_NAMES overrides some of them."""
    names = {
        "title": TITLE,
        "text": TEXT,
        "reporter": REPORTER,
        "classification": CLASSIFICATION,
        "category_id": CATEGORY_ID,
        "category": CATEGORY,
        "type": TYPE,
        "source": SOURCE,
        "status": STATUS,
        "date": DATE,
        "time": TIME,
        **{f"region_{level}": key for level, key in REGION_KEYS.items()},
    }
    unknown = set(settings.LAPOR_FIELD_NAMES) - set(names)
    if unknown:
        raise ImproperlyConfigured(f"LAPOR_FIELD_NAMES names unknown fields: {', '.join(sorted(unknown))}")
    return {**names, **settings.LAPOR_FIELD_NAMES}


def _regions(report):
    """LAPOR! names the region at each level (province down to kelurahan), not by code."""
    if not report.region_id:
        return {}
    chain = Region.objects.filter(code__in=region_ancestor_codes(report.region_id))
    return {f"region_{region.level}": region.name for region in chain}


def _when(report):
    local = timezone.localtime(report.submitted_at or report.created_at)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}", local.strftime("%H:%M:%S")


def render(report):
    """The body LAPOR! receives for `report`: never a confidential one, never an anonymous name.

    Rendered when the message is queued (actions.send_to_lapor, which refuses confidential
    reports first). The sender looks at the report again before each attempt (`_post`,
    `_request`): made confidential meanwhile, it is not sent; made anonymous, the name goes.
    """
    if report.is_confidential:
        raise outbox.SendFailed("confidential reports are never sent to SP4N-LAPOR!", permanent=True)
    day, clock = _when(report)
    values = {
        **_texts(report),
        # Anonymous: no identity at all. Otherwise the name only, as LAPOR!'s export shows it.
        "reporter": "" if report.is_anonymous else (report.reporter_name or _account_name(report)),
        "classification": CLASSIFICATION_LABELS.get(report.classification, ""),
        "category_id": report.category.code if report.category_id else "",
        "category": report.category.name if report.category_id else "",
        "type": "Anonim" if report.is_anonymous else "",
        "source": SOURCE_LABELS.get(report.channel, ""),
        "status": STATUS_LABELS.get(report.status, ""),
        "date": day,
        "time": clock,
        **{f"region_{level}": "" for level in REGION_KEYS},
        **_regions(report),
    }
    names = field_names()
    return {names[key]: value for key, value in values.items()}


def _texts(report):
    """Title and text as LAPOR! gets them: an anonymous reporter's own name, NIK, phone number or
    e-mail written into them is redacted (pii.py, as on the public page), since an anonymous
    identity never leaves; a named report's texts go as written, for LAPOR!'s officers."""
    if report.is_anonymous:
        return {"title": stored_redaction(report.title), "text": stored_redaction(report.description)}
    return {"title": report.title, "text": report.description}


def _account_name(report):
    return report.reporter.display_name if report.reporter_id else ""


def _norm(text):
    return re.sub(r"[^a-z0-9]+", " ", str(text or "").lower().replace("&", " dan ")).strip()


# LAPOR!'s status labels (and the short forms the importer also reads) → Jembatan's statuses.
STATUS_OF_LABEL = {_norm(label): status for status, label in STATUS_LABELS.items()} | {
    "belum terverifikasi": Status.BELUM_TERVERIFIKASI,
    "menunggu kelengkapan data": Status.MENUNGGU_KELENGKAPAN,
    "terdisposisi": Status.TERDISPOSISI,
    "belum ditindaklanjuti": Status.TERDISPOSISI,
    "proses": Status.DIPROSES,
    "selesai": Status.SELESAI,
}


def status_from_lapor(label):
    """The Jembatan status a LAPOR! status label stands for, or None if it is not one."""
    return STATUS_OF_LABEL.get(_norm(label)) if isinstance(label, str) and label else None


# --- Sending ---------------------------------------------------------------------------------------------


def _request(message):
    """(body bytes, headers) of one message: the rendered report and the key token."""
    peer = message.destination
    body = dict(message.payload)
    report = message.link.report
    if report.is_anonymous:  # made anonymous after it was queued: no name leaves, in any field
        names = field_names()
        body[names["reporter"]], body[names["type"]] = "", "Anonim"
        texts = _texts(report)
        body[names["title"]], body[names["text"]] = texts["title"], texts["text"]
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Accept": "application/json",
        "User-Agent": "Jembatan-lapor/1",
        "Idempotency-Key": message.idempotency_key or str(message.message_id),
    }
    if settings.LAPOR_TOKEN_IN == "body":
        body[settings.LAPOR_TOKEN_NAME] = peer.shared_secret
    else:
        headers[settings.LAPOR_TOKEN_NAME] = peer.shared_secret
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), headers


def _exchange(url, body, headers):
    """POST to the checked, pinned address; return (status, raw answer)."""
    scheme, host, port, address = destinations.resolve_destination(url)
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = destinations.PinnedHTTPSConnection if scheme == "https" else destinations.PinnedHTTPConnection
    conn = kind(host, port, address, timeout=settings.FEDERATION_TIMEOUT)
    try:
        conn.request("POST", target, body=body, headers={"Host": parts.netloc.rsplit("@", 1)[-1], **headers})
        response = conn.getresponse()
        return response.status, response.read(MAX_ANSWER)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise outbox.SendFailed(f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()


def tracking_id(answer):
    """The LAPOR! tracking id in a JSON answer (LAPOR_TRACKING_ID_FIELDS, also one level down)."""
    if not isinstance(answer, dict):
        return ""
    for scope in (answer, *(v for v in answer.values() if isinstance(v, dict))):
        for name in settings.LAPOR_TRACKING_ID_FIELDS:
            value = scope.get(name)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
                return str(value).strip()[:60]
    return ""


def post(message):
    """Send one LAPOR! message; return the fields to record, or raise SendFailed.

    2xx: taken. 401/403: the token is refused, and 400/422: the body is, so resending cannot help:
    the message is dead at once, visible in `federation status`, for the operator to fix and
    `federation retry`. Anything else (no answer, a timeout, 5xx, 429) is retried with backoff.
    """
    with translation.override("en"):  # errors are recorded for operators, in one language
        return _post(message)


def _post(message):
    peer = message.destination
    if message.link.report.is_confidential:  # marked confidential after it was queued
        raise outbox.SendFailed("the report is confidential now: never sent to SP4N-LAPOR!", permanent=True)
    if not peer.shared_secret:
        raise outbox.SendFailed("no SP4N-LAPOR! key token is configured for this peer", permanent=True)
    body, headers = _request(message)
    status, data = _exchange(peer.base_url, body, headers)
    # LAPOR! may quote a refused key token back in its error: it never reaches last_error or a log.
    text = data.decode("utf-8", "replace").replace(peer.shared_secret, "[KEYTOKEN]")[:300]
    if status in (400, 401, 403, 422):
        raise outbox.SendFailed(f"HTTP {status}: {text}", permanent=True, response_status=status)
    if not 200 <= status < 300:
        raise outbox.SendFailed(f"HTTP {status}: {text}", response_status=status)
    try:
        answer = json.loads(data) if data.strip() else {}
    except ValueError:
        answer = {}
    return {"response_status": status, "outcome": "accepted", "last_error": "", "answer": answer}
