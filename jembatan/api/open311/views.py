"""Open311 GeoReport v2 at /open311/v2/, by the spec (GeoReport/v2/index.md, open311.github.io).

Plain Django views: the protocol fixes its own formats and error bodies, which DRF's content
negotiation would only fight. Protocol rules kept here:

- Every resource exists as .xml and .json; errors come in the format asked for.
- jurisdiction_id is optional (one jurisdiction); if given it must be ours, else 404.
- An empty parameter is the same as a missing one.
- 403 for a missing or bad api_key, 404 for an unknown service / request / token, 400 for
  anything else that stops a request (missing location, bad dates, a rule of reports/actions.py).
- All services are "realtime": POST returns the service_request_id at once, so a token is
  simply the service_request_id and tokens/{token} maps it to itself.
- GET requests lists public reports (verified, not confidential, not archived) of the last 90
  days by default. A report that is not public (not yet verified, or archived before it was) is
  shown by its number (requests/{id}, tokens/{token}, service_request_id=…) only to the api_key
  that posted it, so a client can follow what it posted and nobody can read others' unverified
  reports by guessing numbers. Each number of a service_request_id list counts against the
  per-address rate limit, and a list holds at most MAX_IDS. Confidential reports never appear.
- Anonymous reports' free-text address is left out and their coordinates rounded
  (presenters.public_location).
- Idempotency-Key is honoured on POST, as on the REST API (a reused key with a different
  request is a 400 here, by this spec's rule).
"""

import logging
import re
from datetime import datetime, time, timedelta
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from jembatan.accounts.throttle import client_ip
from jembatan.api import conditional, idempotency, presenters, throttles
from jembatan.api.auth import find_key, touch
from jembatan.api.models import KeyKind, hash_key
from jembatan.api.open311 import formats, mapping, reading
from jembatan.directory.models import Region
from jembatan.reports import actions, publication
from jembatan.reports.media import MediaRejected
from jembatan.reports.media import fetch as fetch_media
from jembatan.reports.models import Channel, ReportType
from jembatan.reports.submission import NewReport, first_words

logger = logging.getLogger(__name__)

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When the discovery document or the service definitions last changed in a way clients should
# notice (the spec's "changeset"); bump it with such a change.
CHANGESET = "2026-11-28T00:00:00Z"
DEFAULT_SPAN = timedelta(days=90)  # GeoReport v2: "a span of 90 days or first 1000 requests"
MAX_PAGE_SIZE = 1000
MAX_IDS = 20
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]{1,64})\](\[\])?$")
_NUMBER = re.compile(r"^\d{6,12}$")
_REPORT_TYPES = frozenset(ReportType.values)  # built once (Choices.values makes a new list each use)


class Open311Error(Exception):
    def __init__(self, status, description, headers=None):
        super().__init__(description)
        self.status = status
        self.description = str(description)
        self.headers = headers


class Open311Throttled(Open311Error):
    def __init__(self, wait):
        super().__init__(429, _("Terlalu banyak permintaan. Coba lagi nanti."), {"Retry-After": str(wait)})


def jurisdiction():
    """Our jurisdiction_id: OPEN311_JURISDICTION, else SITE_URL's host without "www."."""
    configured = settings.OPEN311_JURISDICTION
    if configured:
        return configured.strip().lower()
    host = (urlsplit(settings.SITE_URL).hostname or "").lower()
    return host.removeprefix("www.")


def param(data, name):
    """The parameter's value, or None when it is missing or empty (the spec treats both alike)."""
    value = data.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _merged(request):
    """POST parameters, falling back to the query string (some clients send api_key there)."""
    if request.method != "POST":
        return request.GET
    if not request.GET:
        return request.POST
    merged = request.GET.copy()
    for key in request.POST:
        merged.setlist(key, request.POST.getlist(key))
    return merged


def _key_ident(raw):
    """What an Open311 key's requests are counted under: the key's hash (known before any query)."""
    return hash_key(raw.strip())


def _known_key_refusal(request, data):
    if request.method != "POST":
        return 0
    raw = param(data, "api_key")
    return throttles.refused("open311_key", _key_ident(raw)) if raw else 0


def refused_response(fmt, wait):
    """The 429 for a caller over a rate limit (also written by api/middleware.py, early)."""
    return _refused(fmt, Open311Throttled(wait))


def _refused(fmt, exc):
    response = formats.error(fmt, exc.status, exc.description, headers=exc.headers)
    response._has_been_logged = True  # a flood of refusals: no WARNING line each
    return response


def endpoint(methods, *, counts_post=False):
    """Method check, rate limit, jurisdiction_id and Open311Error → the spec's error body.

    `counts_post`: the view counts a POST's per-address limit itself, together with its key's in
    one round trip (throttles.hit_many), once it knows the key.
    """

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, fmt, *args, **kwargs):
            if request.method not in methods:
                response = formats.error(fmt, 405, _("Metode HTTP ini tidak didukung di sini."))
                response["Allow"] = ", ".join(methods)
                return response
            data = _merged(request)
            address = client_ip(request) or "unknown"
            # A caller already over a limit is refused from this process's memory, before any
            # query (accounts/ratelimit.py): its key's limit first, then its address's.
            wait = _known_key_refusal(request, data) or throttles.refused(
                "open311_ip", address
            )  # no middleware
            given = param(data, "jurisdiction_id")
            unknown_jurisdiction = given is not None and given.lower() != jurisdiction()
            if not wait and (unknown_jurisdiction or not (counts_post and request.method == "POST")):
                wait = throttles.hit("open311_ip", address)
            if wait:
                return _refused(fmt, Open311Throttled(wait))
            if unknown_jurisdiction:
                return formats.error(
                    fmt, 404, _("jurisdiction_id tidak dikenal: %(id)s") % {"id": given[:100]}
                )
            try:
                return view(request, fmt, data, *args, **kwargs)
            except Open311Throttled as exc:
                return _refused(fmt, exc)
            except Open311Error as exc:
                return formats.error(fmt, exc.status, exc.description, headers=exc.headers)

        return wrapper

    return decorator


# --- Discovery and services --------------------------------------------------------------------------


@endpoint(["GET"])
def discovery(request, fmt, data):
    contact = settings.OPEN311_CONTACT or f"{settings.INSTANCE_NAME}: {settings.DEFAULT_FROM_EMAIL}"
    document = {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": _(
            "api_key diberikan per aplikasi klien oleh admin %(site)s; mintalah melalui kontak di atas."
        )
        % {"site": settings.INSTANCE_NAME},
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": settings.SITE_URL + "/open311/v2",
                "changeset": CHANGESET,
                "type": "test" if settings.DEVELOPMENT else "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return formats.render(fmt, "discovery", document)


@endpoint(["GET"])
def service_list(request, fmt, data):
    return formats.render(fmt, "services", [mapping.service(s) for s in mapping.services()])


@endpoint(["GET"])
def service_definition(request, fmt, data, code):
    category = mapping.service_by_code(code)
    if category is None:
        raise Open311Error(404, _("service_code tidak dikenal: %(code)s") % {"code": code[:60]})
    return formats.render(fmt, "service_definition", mapping.service_definition(category))


# --- Requests ----------------------------------------------------------------------------------------


def _parse_moment(name, raw):
    """A w3c datetime with its offset (or a bare date, taken as midnight here)."""
    if raw is None:
        return None
    # "+07:00" in an unencoded query string arrives as " 07:00".
    value = raw.replace(" ", "+") if "T" in raw else raw
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is not None:
                return timezone.make_aware(datetime.combine(day, time.min))
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(
            400, _("%(name)s bukan tanggal w3c/ISO 8601: %(value)s") % {"name": name, "value": raw[:40]}
        )
    if moment.tzinfo is None:
        raise Open311Error(400, _("%(name)s harus memuat zona waktu (Z atau +07:00).") % {"name": name})
    return moment


def _positive_int(data, name, default, maximum):
    raw = param(data, name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise Open311Error(400, _("%(name)s harus bilangan 1–%(max)d.") % {"name": name, "max": maximum})
    return int(raw)


def _csv(raw):
    return [item.strip() for item in (raw or "").split(",") if item.strip()]


def _extensions(data):
    return (param(data, "extensions") or "").lower() == "true"


def _items(reports, data, *, notice):
    """The service requests of these reports (a base_queryset()); `notice` adds service_notice."""
    text = mapping.service_notice() if notice else None
    if _extensions(data):
        return [
            mapping.request(report, extensions=True, notice=text)
            for report in mapping.with_relations(reports, extensions=True)
        ]
    return mapping.lean_requests(reports, notice=text)


def _render_requests(request, fmt, items, data):
    """The list as a response, with a Last-Modified and an ETag; 304 when the client has it."""
    changed = [item["updated_datetime"] for item in items if item.get("updated_datetime")]
    response = formats.render(fmt, "service_requests", items)
    return conditional.answer(
        request,
        response,
        last_modified=max(changed) if changed else None,
        private=param(data, "api_key") is not None,  # a key may see its own unverified reports
    )


def _source_of(api_key):
    """Report.source_instance of the reports this Open311 key posts (its id, then its name)."""
    return f"open311:{api_key.pk}:{api_key.name}"[:100]


def _visible(reports, data):
    """Of these (non-confidential) reports, the public ones, and those the caller's api_key posted."""
    api_key = find_key(param(data, "api_key"), kinds=(KeyKind.OPEN311,)) if param(data, "api_key") else None
    visible = reports.public()
    if api_key is not None:
        visible = visible | reports.filter(
            channel=Channel.OPEN311, source_instance__startswith=f"open311:{api_key.pk}:"
        )
    return visible


# The parameters that change a list's answer (with the format and the language): its cache key.
_LIST_PARAMETERS = (
    "service_request_id",
    "service_code",
    "status",
    "start_date",
    "end_date",
    "page",
    "page_size",
    "extensions",
)


def _public_read(data):
    """Whether this GET reads what the public reads (cacheable): no api_key, which may see more."""
    return param(data, "api_key") is None and publication.enabled()


def _list_requests(request, fmt, data):
    ids = _csv(param(data, "service_request_id"))
    if ids:
        # "This overrides all other arguments." See the module docstring for what a number opens.
        if len(ids) > MAX_IDS:
            raise Open311Error(400, _("Paling banyak %(n)d service_request_id sekaligus.") % {"n": MAX_IDS})
        # Every number is a look-up: the endpoint counted one, the rest count here (cached or not).
        address = client_ip(request) or "unknown"
        wait = throttles.hit("open311_ip", address, amount=len(ids) - 1) if len(ids) > 1 else 0
        if wait:
            raise Open311Throttled(wait)
    if not _public_read(data):
        items, _valid_until = _list_items(data, ids)
        return _render_requests(request, fmt, items, data)
    parts = (fmt, publication.language(), tuple(param(data, name) for name in _LIST_PARAMETERS))
    return reading.cached(
        request,
        fmt,
        reading.LIST,
        parts,
        lambda: _list_items(data, ids),
        file_singles=not _extensions(data),
    )


def _list_items(data, ids):
    """(the items of this list, until when they are right: None, or the epoch second at which the
    oldest report of a default 90-day window leaves it)."""
    reports = mapping.base_queryset()
    if ids:
        numbers = [i for i in ids if _NUMBER.match(i)]
        reports = _visible(reports.filter(tracking_number__in=numbers), data).order_by("-submitted_at", "-pk")
        return _items(reports, data, notice=False), None
    reports = reports.public()
    codes = _csv(param(data, "service_code"))
    if codes:
        reports = reports.filter(category__code__in=codes)
    statuses = {s.lower() for s in _csv(param(data, "status"))}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, _("status hanya boleh open atau closed."))
    if statuses == {"open"}:
        reports = reports.exclude(status__in=presenters.OPEN311_CLOSED)
    elif statuses == {"closed"}:
        reports = reports.filter(status__in=presenters.OPEN311_CLOSED)
    start = _parse_moment("start_date", param(data, "start_date"))
    end = _parse_moment("end_date", param(data, "end_date"))
    moving = False  # the default window ends now: it moves with the clock
    if start and end:
        if end < start:
            raise Open311Error(400, _("end_date lebih awal dari start_date."))
        if end - start > DEFAULT_SPAN:
            raise Open311Error(400, _("Rentang start_date–end_date paling lama 90 hari."))
    elif start:
        end = start + DEFAULT_SPAN
    elif end:
        start = end - DEFAULT_SPAN
    else:
        end = timezone.now()
        start = end - DEFAULT_SPAN
        moving = True
    reports = reports.filter(submitted_at__gte=start, submitted_at__lte=end)
    page = _positive_int(data, "page", 1, 100_000)
    size = _positive_int(data, "page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    reports = reports.order_by("-submitted_at", "-pk")[(page - 1) * size : page * size]
    # service_notice is the same sentence for every request: said once, in services and on POST.
    items = _items(reports, data, notice=False)
    # Newer public reports only arrive through an action (a new public version); with the clock,
    # reports only leave, oldest first: this page is right until its oldest report leaves.
    valid_until = None
    if moving and items:
        valid_until = (min(item["requested_datetime"] for item in items) + DEFAULT_SPAN).timestamp()
    return items, valid_until


def _attributes(data):
    values = {}
    for key in data:
        match = _ATTRIBUTE.match(key)
        if match:
            items = [v.strip() for v in data.getlist(key) if v.strip()]
            if items:
                values[match.group(1)] = items if match.group(2) else items[-1]
    return values


def _create_request(request, fmt, data, api_key):
    code = param(data, "service_code")
    if code is None:
        raise Open311Error(400, _("service_code wajib diisi."))
    category = mapping.service_by_code(code)
    if category is None:
        raise Open311Error(404, _("service_code tidak dikenal: %(code)s") % {"code": code[:60]})
    lat, long_ = param(data, "lat"), param(data, "long")
    address, address_id = param(data, "address_string"), param(data, "address_id")
    if (lat is None) != (long_ is None):
        raise Open311Error(400, _("lat dan long harus dikirim bersama."))
    if lat is None and address is None and address_id is None:
        raise Open311Error(400, _("Lokasi wajib: lat & long, address_string, atau address_id."))
    try:
        latitude = float(lat) if lat is not None else None
        longitude = float(long_) if long_ is not None else None
    except ValueError:
        raise Open311Error(400, _("lat/long harus angka.")) from None
    region = None
    if address_id is not None:
        region = Region.objects.filter(code=address_id).first()
        if region is None:
            raise Open311Error(400, _("address_id harus kode wilayah Kemendagri yang dikenal, mis. 13.71."))
    email = param(data, "email") or ""
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise Open311Error(400, _("email tidak sah.")) from None
    attributes = _attributes(data)
    kind = attributes.get("report_type") or ReportType.PENGADUAN
    if kind not in _REPORT_TYPES:
        raise Open311Error(400, _("attribute[report_type] tidak dikenal."))
    anonymous = str(attributes.get("anonymous", "false")).lower()
    if anonymous not in ("true", "false"):
        raise Open311Error(400, _("attribute[anonymous] harus true atau false."))
    incident = _parse_moment("attribute[incident_date]", attributes.get("incident_date"))
    description = param(data, "description") or ""
    title = attributes.get("title") or first_words(description)
    uploads = []
    media_url = param(data, "media_url")
    if media_url:
        try:
            uploads.append(fetch_media(media_url))
        except MediaRejected as exc:
            raise Open311Error(400, f"media_url: {exc.message}") from None
    name = " ".join(filter(None, [param(data, "first_name"), param(data, "last_name")]))
    try:
        new = NewReport(
            kind=kind,
            title=title,
            description=description,
            channel=Channel.OPEN311,
            category=category,
            region=region,
            address=address or "",
            latitude=round(latitude, 6) if latitude is not None else None,
            longitude=round(longitude, 6) if longitude is not None else None,
            incident_date=timezone.localdate(incident) if incident else None,
            is_anonymous=anonymous == "true",
            reporter_name=name,
            reporter_email=email,
            reporter_phone=param(data, "phone") or "",
            attachments=tuple(uploads),
            source_instance=_source_of(api_key),
        )
        report = actions.submit_report(new=new)
    except actions.ReportError as exc:
        raise Open311Error(400, f"{exc.field}: {exc.message}" if exc.field else exc.message) from None
    item = {
        "service_request_id": report.tracking_number,
        "service_notice": mapping.service_notice(),
        "account_id": None,
    }
    return formats.render(fmt, "service_requests", [item])


@endpoint(["GET", "POST"], counts_post=True)
def requests(request, fmt, data):
    if request.method == "GET":
        return _list_requests(request, fmt, data)
    address = client_ip(request) or "unknown"
    api_key = find_key(param(data, "api_key"), kinds=(KeyKind.OPEN311,))
    if api_key is None:
        wait = throttles.hit("open311_ip", address)
        if wait:
            return _refused(fmt, Open311Throttled(wait))
        return formats.error(fmt, 403, _("api_key tidak sah atau tidak ada: permintaan tidak dapat dibuat."))
    # The address's limit and the key's own, read in one query and counted in one statement,
    # which on SQLite runs inside the report's own transaction (throttles.hit_many_then_write).
    wait, counting = throttles.hit_many_then_write(
        [("open311_ip", address, 1, None), ("open311_key", api_key.key_hash, 1, api_key.rate_limit)]
    )
    if wait:
        return _refused(fmt, Open311Throttled(wait))
    with counting:
        touch(api_key)
        return _post(request, fmt, data, api_key)


def _post(request, fmt, data, api_key):
    """A new service request from a known key within its limits (idempotent with Idempotency-Key)."""
    raw_key = request.headers.get(idempotency.HEADER)
    if raw_key is None:
        return _create_request(request, fmt, data, api_key)
    try:
        key = idempotency.clean_key(raw_key)
    except ValueError:
        raise Open311Error(400, _("Idempotency-Key harus 1–255 karakter ASCII yang dapat dicetak.")) from None

    def call():
        try:
            return _create_request(request, fmt, data, api_key)
        except Open311Error as exc:
            return formats.error(fmt, exc.status, exc.description)

    try:
        return idempotency.run(
            owner=f"open311:{api_key.pk}",
            key=key,
            method="POST",
            path=request.path,
            request_hash=idempotency.fingerprint(
                "POST", request.path, {"data": data, "files": request.FILES}
            ),
            call=call,
        )
    except idempotency.KeyReused:
        raise Open311Error(
            400, _("Idempotency-Key ini sudah dipakai untuk permintaan lain. Gunakan kunci baru.")
        ) from None


def _one(number, data):
    """The (base) queryset of the one report this number may show the caller, or None."""
    if not _NUMBER.match(number):
        return None
    return _visible(mapping.base_queryset().filter(tracking_number=number), data).order_by()[:1]


def _one_items(number, data):
    report = _one(number, data)
    items = _items(report, data, notice=True) if report is not None else []
    if not items:
        raise Open311Error(404, _("service_request_id tidak ditemukan: %(id)s") % {"id": number[:20]})
    return items, None


@endpoint(["GET"])
def request_detail(request, fmt, data, number):
    if not _public_read(data):
        items, _valid_until = _one_items(number, data)
        return _render_requests(request, fmt, items, data)
    parts = (fmt, publication.language(), number, param(data, "extensions"))
    return reading.cached(request, fmt, reading.ONE, parts, lambda: _one_items(number, data))


@endpoint(["GET"])
def token_detail(request, fmt, data, token):
    report = _one(token, data)
    found = list(report.values_list("tracking_number", flat=True)) if report is not None else []
    if not found:
        raise Open311Error(404, _("token tidak ditemukan: %(token)s") % {"token": token[:20]})
    return formats.render(fmt, "service_requests", [{"service_request_id": found[0], "token": token}])


@csrf_exempt
def not_found(request, path=""):
    fmt = "json" if path.endswith(".json") else "xml"
    return formats.error(fmt, 404, _("Sumber daya Open311 ini tidak ada."))
