"""The network's figures: each instance sends the hub its aggregate numbers; the hub keeps them.

    POST {hub base_url}/federation/v1/figures
    Content-Type: application/json
    X-Jembatan-Instance: <sender id>
    X-Jembatan-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(pair key, "<t>." + raw body)>

    {"sender": "sumbar", "hub": "hub", "as_of": "<when the rollups were refreshed>",
     "periods": [{"period": "2026-12-01", "agencies": [{"code": "pemprov-sumbar", "received": 12,
                  "verified": 10, ...}, ...]}, ...]}

Only counts per agency and month, computed from the insights facts (the numbers the instance's own
dashboards show): never a report's text, number, reporter or place. An agency another instance
hosts is left out (its work is counted there), so no report is counted twice in the network.

A snapshot, not an effect: it is sent directly (no outbox) every FEDERATION_FIGURES_MINUTES by
`send_network_figures_task`; a lost one is replaced by the next. The hub keeps the newest per
(instance, month) by `as_of`: a resend replaces the month, an older one never overwrites a newer one.
"""

import datetime as dt
import json

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from jembatan.directory.models import Agency
from jembatan.federation import wire
from jembatan.federation.models import Instance, NetworkPeriod, Protocol, RemoteAgency
from jembatan.insights.models import NATIONAL, DispositionFact, ReportFact, RollupState
from jembatan.reports.models import CLOSED_STATUSES, FINAL_STATUSES, Status

PATH = "/federation/v1/figures"
MAX_BODY_BYTES = 4 * 1024 * 1024
COUNTS = (
    "received",
    "verified",
    "verified_on_time",
    "followed_up",
    "followed_up_on_time",
    "closed",
    "breaches",
    "open_backlog",
)
MAX_PERIODS = 120
MAX_AGENCIES = 20000


class SendFailed(Exception):
    """The hub could not be reached, or did not take the figures."""


def months(now=None, count=None):
    """The first days of the last `count` months (FEDERATION_FIGURES_MONTHS), oldest first."""
    count = count or settings.FEDERATION_FIGURES_MONTHS
    first = timezone.localdate(now).replace(day=1)
    result = [first]
    for _ in range(count - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        result.append(first)
    return sorted(result)


def as_of():
    """When the facts were last brought up to date (None: never, nothing to send)."""
    state = RollupState.objects.filter(pk=1).first()
    if state is None:
        return None
    times = [t for t in (state.last_run_at, state.rebuilt_at) if t is not None]
    return max(times) if times else None


def local_figures(periods):
    """{month: {agency code ("" = none yet): counts}} of the agencies worked here, from the facts."""
    remote = set(RemoteAgency.objects.values_list("agency_id", flat=True))
    codes = dict(Agency.objects.values_list("pk", "code"))
    result = {period: {} for period in periods}

    def row(month, agency):
        code = "" if agency == NATIONAL else codes.get(agency)
        if code is None or agency in remote:
            return None  # an agency hosted elsewhere: counted by its instance
        return result[month].setdefault(code, dict.fromkeys(COUNTS, 0) | {"oldest_unverified": None})

    unverified = Q(verified=False, status=Status.BELUM_TERVERIFIKASI)
    reports = (
        ReportFact.objects.filter(month__in=periods)
        .values("month", "agency")
        .annotate(
            received=Count("pk"),
            verified_n=Count("pk", filter=Q(verified=True)),
            on_time=Count("pk", filter=Q(verified_on_time=True)),
            overdue=Count("pk", filter=Q(verify_overdue=True)),
            closed_n=Count("pk", filter=Q(status__in=CLOSED_STATUSES)),
            open_n=Count("pk", filter=~Q(status__in=FINAL_STATUSES)),
            oldest=Min("day", filter=unverified),
        )
    )
    for item in reports:
        counts = row(item["month"], item["agency"])
        if counts is None:
            continue
        counts.update(
            received=item["received"],
            verified=item["verified_n"],
            verified_on_time=item["on_time"],
            closed=item["closed_n"],
            open_backlog=item["open_n"],
            oldest_unverified=item["oldest"].isoformat() if item["oldest"] else None,
        )
        counts["breaches"] += item["overdue"]
    dispositions = (
        DispositionFact.objects.filter(month__in=periods)
        .values("month", "agency")
        .annotate(
            responded_n=Count("pk", filter=Q(responded=True)),
            on_time=Count("pk", filter=Q(responded_on_time=True)),
            overdue=Count("pk", filter=Q(response_overdue=True) | Q(completion_overdue=True)),
        )
    )
    for item in dispositions:
        counts = row(item["month"], item["agency"])
        if counts is None:
            continue
        counts["followed_up"] += item["responded_n"]
        counts["followed_up_on_time"] += item["on_time"]
        counts["breaches"] += item["overdue"]
    return result


def payload(*, me, hub, now=None):
    """The figures this instance sends `hub`, or None when its rollups were never computed."""
    stamp = as_of()
    if stamp is None:
        return None
    periods = months(now)
    figures = local_figures(periods)
    return {
        "sender": me.slug,
        "hub": hub.slug,
        "as_of": stamp.isoformat(),
        "periods": [
            {
                "period": period.isoformat(),
                "agencies": [{"code": code, **counts} for code, counts in sorted(figures[period].items())],
            }
            for period in periods
        ],
    }


def _count(value):
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**31:
        raise ValueError(f"bad count {str(value)[:20]!r}")
    return value


def validated(data):
    """The figures in `data` as {"sender", "hub", "as_of": datetime, "periods": {date: {code: counts}}},
    else raise ValueError. Any field not listed here is refused, so nothing else can ride along."""
    if not isinstance(data, dict) or set(data) != {"sender", "hub", "as_of", "periods"}:
        raise ValueError("not a figures message")
    for name in ("sender", "hub"):
        if not isinstance(data[name], str) or not data[name] or len(data[name]) > 60:
            raise ValueError(f"bad {name}")
    stamp = parse_datetime(data["as_of"]) if isinstance(data["as_of"], str) else None
    if stamp is None or timezone.is_naive(stamp):
        raise ValueError("bad as_of")
    if not isinstance(data["periods"], list) or len(data["periods"]) > MAX_PERIODS:
        raise ValueError("bad periods")
    periods, seen_agencies = {}, 0
    for entry in data["periods"]:
        if not isinstance(entry, dict) or set(entry) != {"period", "agencies"}:
            raise ValueError("bad period")
        period = parse_date(entry["period"]) if isinstance(entry["period"], str) else None
        if period is None or period.day != 1 or period in periods:
            raise ValueError("bad period")
        if not isinstance(entry["agencies"], list):
            raise ValueError("bad agencies")
        seen_agencies += len(entry["agencies"])
        if seen_agencies > MAX_AGENCIES:
            raise ValueError("too many agencies")
        rows = {}
        for item in entry["agencies"]:
            if not isinstance(item, dict) or set(item) != {"code", "oldest_unverified", *COUNTS}:
                raise ValueError("bad agency figures")
            code = item["code"]
            if not isinstance(code, str) or len(code) > 60 or code in rows:
                raise ValueError("bad agency code")
            oldest = item["oldest_unverified"]
            if oldest is not None:
                oldest = parse_date(oldest) if isinstance(oldest, str) else None
                if oldest is None:
                    raise ValueError("bad oldest_unverified")
            rows[code] = {name: _count(item[name]) for name in COUNTS} | {"oldest_unverified": oldest}
        periods[period] = rows
    return {"sender": data["sender"], "hub": data["hub"], "as_of": stamp, "periods": periods}


def send(*, hub=None, now=None):
    """Send this instance's figures to the hub (FEDERATION_HUB); return the hub's answer, or None
    when there is nothing to send yet."""
    from jembatan.federation import actions  # actions imports this module

    me = actions.self_instance()
    if me is None:
        raise SendFailed("federation is not set up here (manage.py federation self)")
    slug = hub or settings.FEDERATION_HUB
    peer = Instance.jembatan_peers().filter(slug=slug).first() if slug else None
    if peer is None:
        raise SendFailed(f"no active peer {slug!r} to report to (FEDERATION_HUB)")
    data = payload(me=me, hub=peer, now=now)
    if data is None:
        return None
    body = wire.encode(data)
    try:
        status, answer, _signature = wire.exchange(peer, me, PATH, body=body)
    except wire.Unreachable as exc:
        raise SendFailed(str(exc)) from exc
    if status != 200:
        raise SendFailed(f"HTTP {status}: {answer[:300].decode('utf-8', 'replace')}")
    try:
        return json.loads(answer)
    except ValueError as exc:
        raise SendFailed("the hub's answer is not JSON") from exc


def is_hub():
    """Does this instance collect the network's figures (federation set up, reporting to nobody)?"""
    me = Instance.objects.filter(is_self=True).first()
    return me is not None and settings.FEDERATION_HUB in ("", me.slug)


def _sum(rows):
    total = dict.fromkeys(COUNTS, 0)
    oldest = None
    for row in rows:
        for name in COUNTS:
            total[name] += row[name]
        if row["oldest_unverified"] and (oldest is None or row["oldest_unverified"] < oldest):
            oldest = row["oldest_unverified"]
    return total | {"oldest_unverified": oldest}


def network(period):
    """The whole network's figures for one month, as the hub shows them.

    {"instances": [{"instance", "is_self", "as_of", "reported_at", "agencies": [...], "total"}],
     "total": {...}, "periods": [months with figures]}: this instance's own figures live from its
    facts, every peer's as it last reported them (None: it has not reported this month).
    """
    me = Instance.objects.get(is_self=True)
    sections = [
        {
            "instance": me,
            "is_self": True,
            "as_of": as_of(),
            "reported_at": None,
            "rows": [
                {"code": code, **counts, "oldest_unverified": parse_date(counts["oldest_unverified"] or "")}
                for code, counts in local_figures([period])[period].items()
            ],
        }
    ]
    stored = {
        p.instance_id: p for p in NetworkPeriod.objects.filter(period=period).prefetch_related("figures")
    }
    for peer in Instance.objects.filter(is_self=False, protocol=Protocol.JEMBATAN):
        reported = stored.get(peer.pk)
        sections.append(
            {
                "instance": peer,
                "is_self": False,
                "as_of": reported.as_of if reported else None,
                "reported_at": reported.received_at if reported else None,
                "rows": [
                    {"code": f.agency_code, "oldest_unverified": f.oldest_unverified}
                    | {name: getattr(f, name) for name in COUNTS}
                    for f in (reported.figures.all() if reported else ())
                ],
            }
        )
    names = dict(
        Agency.objects.filter(code__in={r["code"] for s in sections for r in s["rows"]}).values_list(
            "code", "name"
        )
    )
    for section in sections:
        for row in section["rows"]:
            row["name"] = names.get(row["code"], row["code"])
        section["rows"].sort(key=lambda r: (-r["received"], r["code"]))
        section["total"] = _sum(section["rows"])
    periods = set(NetworkPeriod.objects.values_list("period", flat=True).distinct()) | set(months())
    return {
        "period": period,
        "instances": sections,
        "total": _sum([s["total"] for s in sections]),
        "periods": sorted(periods, reverse=True),
    }
