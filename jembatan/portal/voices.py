"""One problem, many voices, on the citizen's side: what is already reported nearby while writing,
following a report ("Ikuti laporan ini"), stopping from any message, and a merged report's view
of the problem it joined.

Only Report.objects.public() is ever listed or mapped: never a confidential, unverified or
archived report, and never anything about a reporter (public_name/redact, as the public pages).
"""

import math
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jembatan.accounts.throttle import client_ip
from jembatan.directory.models import Category, prefix_q
from jembatan.insights.svg import place_map
from jembatan.portal import presenters
from jembatan.reports import actions, lifecycle
from jembatan.reports.actions import MIN_DESCRIPTION_LENGTH
from jembatan.reports.models import ACTIVE_STATUSES, Follower, Report
from jembatan.reports.notifications import follower_for_token
from jembatan.reports.pii import redact
from jembatan.reports.voices import voices_of

NEARBY_LIMIT = 8
NEARBY_RADIUS_M = 500  # a pin's neighbourhood: a few hundred metres of the same street or market
SESSION_FOLLOW = "portal_follow_pending"  # tracking number -> Follower id waiting for its code


def following_message():
    return _("Anda mengikuti laporan ini. Kabar penanganannya akan dikirim kepada Anda.")


# --- While writing: the open reports nearby ----------------------------------------------------------


def _value(form, name):
    data = form.data if form.is_bound else form.initial
    value = data.get(name)
    return "" if value is None else str(value).strip()


def _coordinate(raw, low, high):
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        return None
    return value if low <= value <= high else None


def _category_q(category):
    """The same category or a related one: its siblings under the same parent."""
    family = category.parent_id or category.pk
    return Q(category_id=category.pk) | Q(category__parent_id=family) | Q(category_id=family)


def _distance_m(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = map(math.radians, (float(lat1), float(lon1), float(lat2), float(lon2)))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6_371_000 * 2 * math.asin(math.sqrt(a))


def nearby_reports(*, region, category, latitude=None, longitude=None, text=""):
    """Open public reports of the same problem near the citizen: near the pin, else in the same
    desa/kelurahan or kecamatan with a related category, then any whose words match (the triage
    look-up). Empty until the citizen has given enough to look with."""
    base = Report.objects.public().filter(status__in=ACTIVE_STATUSES).select_related("category", "region")
    found = []
    if latitude is not None and longitude is not None:
        degrees = Decimal(NEARBY_RADIUS_M / 111_000)
        box = base.filter(
            latitude__range=(latitude - degrees, latitude + degrees),
            longitude__range=(longitude - degrees, longitude + degrees),
        )
        if category is not None:
            box = box.filter(_category_q(category))
        near = [
            r
            for r in box[:200]
            if _distance_m(latitude, longitude, r.latitude, r.longitude) <= NEARBY_RADIUS_M
        ]
        found += sorted(near, key=lambda r: _distance_m(latitude, longitude, r.latitude, r.longitude))
    if region is not None and category is not None and region.code.count(".") >= 2:
        place = base.filter(Q(region_id=region.code) | prefix_q(base, "region__code", region.code + "."))
        found += list(place.filter(_category_q(category)).order_by("-support_count", "-submitted_at")[:20])
    if region is not None and len((text or "").strip()) >= MIN_DESCRIPTION_LENGTH:
        from jembatan.portal.views import similar_public_reports

        found += [r for r in similar_public_reports(text, region) if r.status in ACTIVE_STATUSES]
    unique = {}
    for report in found:
        unique.setdefault(report.pk, report)
    return list(unique.values())[:NEARBY_LIMIT]


def nearby_context(form, *, with_text=False):
    """The submit page's "Sudah ada laporan di sekitar" box: the list and the small map.

    `with_text`: also look the description up by its words (the caller has counted the look-up
    against the per-address limit)."""
    region = form.chain.region
    category_pk = _value(form, "category")
    category = (
        Category.objects.filter(pk=category_pk, is_active=True).first() if category_pk.isdigit() else None
    )
    latitude = _coordinate(_value(form, "latitude"), -90, 90)
    longitude = _coordinate(_value(form, "longitude"), -180, 180)
    if latitude is None or longitude is None:
        latitude = longitude = None
    reports = nearby_reports(
        region=region,
        category=category,
        latitude=latitude,
        longitude=longitude,
        text=_value(form, "description") if with_text else "",
    )
    asked = bool(region or latitude is not None)
    kabkota = region.code[:5] if region is not None else ""
    points = [
        (i, r.latitude, r.longitude, redact(r.title))
        for i, r in enumerate(reports, start=1)
        # An anonymous reporter's pin may be their own doorstep: listed, never mapped.
        if r.latitude is not None and not r.is_anonymous and r.region_id and r.region_id[:5] == kabkota
    ]
    pin = (latitude, longitude) if latitude is not None else None
    svg = place_map(kabkota, points, title=_("Laporan terbuka di sekitar Anda"), pin=pin) if kabkota else None
    return {"nearby": reports, "nearby_map": svg if reports else None, "nearby_asked": asked}


# --- Following ---------------------------------------------------------------------------------------


class FollowForm(forms.Form):
    kontak = forms.CharField(
        label=gettext_lazy("E-mail atau nomor ponsel"),
        max_length=254,
        help_text=gettext_lazy("Kami kirim kode untuk memastikan alamat ini milik Anda."),
    )


class FollowCodeForm(forms.Form):
    kode = forms.CharField(label=gettext_lazy("Kode dari pesan kami"), max_length=12)


def voice_counts(report):
    """How many people reported the problem (this report and those merged into it) and support it."""
    return voices_of([report], with_followers=True)[report.pk]


def public_report_context(request, report, follow_form=None):
    user = request.user
    following = user.is_authenticated and Follower.objects.active().filter(report=report, user=user).exists()
    return {
        "voices": voice_counts(report),
        "following": following,
        "follow_form": follow_form or FollowForm(),
        "can_follow": bool(lifecycle.may_follow(report)),
    }


def _public_or_404(number):
    report = get_object_or_404(Report.objects.select_related("category", "region"), tracking_number=number)
    # 404, never 403: a confidential or unverified report must not even be confirmed to exist.
    if not report.is_public:
        raise Http404
    return report


def _start_follow(request, report, contact):
    """Follow as the account, or send a guest the code; returns the response."""
    target = reverse("portal:report", args=[report.tracking_number])
    actor = request.user if request.user.is_authenticated else None
    follower = actions.follow_report(
        report=report, actor=actor, contact=contact, language=get_language(), ip_address=client_ip(request)
    )
    if follower.is_active and actor is not None:
        messages.success(request, following_message())
        return redirect(target + "#ikuti")
    pending = dict(request.session.get(SESSION_FOLLOW) or {})
    pending[report.tracking_number] = follower.pk
    request.session[SESSION_FOLLOW] = pending
    return redirect("portal:follow-code", number=report.tracking_number)


@require_POST
def follow(request, number):
    """ "Ikuti laporan ini": an account follows at once; a guest gets a code at the address given."""
    report = _public_or_404(number)
    form = FollowForm(request.POST)
    if request.user.is_authenticated or form.is_valid():
        contact = "" if request.user.is_authenticated else form.cleaned_data["kontak"]
        try:
            return _start_follow(request, report, contact)
        except actions.ReportError as exc:
            form.add_error("kontak", exc.message)
    from jembatan.portal.views import public_report

    return public_report(request, number, follow_form=form, status=400)


@never_cache
def follow_code(request, number):
    report = _public_or_404(number)
    pk = (request.session.get(SESSION_FOLLOW) or {}).get(number)
    follower = Follower.objects.filter(pk=pk, report=report).first() if pk else None
    if follower is None:
        return redirect(reverse("portal:report", args=[number]) + "#ikuti")
    form = FollowCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.confirm_follow(follower=follower, code=form.cleaned_data["kode"])
        except actions.ReportError as exc:
            form.add_error("kode", exc.message)
        else:
            pending = dict(request.session.get(SESSION_FOLLOW) or {})
            pending.pop(number, None)
            request.session[SESSION_FOLLOW] = pending
            messages.success(request, following_message())
            return redirect(reverse("portal:report", args=[number]) + "#ikuti")
    status = 400 if form.errors else 200
    return render(request, "portal/follow_code.html", {"report": report, "form": form}, status=status)


@require_POST
def unfollow_account(request, number):
    """The account's own "Berhenti mengikuti" button on the report's page."""
    report = _public_or_404(number)
    target = reverse("portal:report", args=[number])
    if not request.user.is_authenticated:
        return redirect_to_login(target)
    follower = Follower.objects.active().filter(report=report, user=request.user).first()
    if follower is not None:
        actions.unfollow_report(follower=follower)
        messages.success(request, _("Anda tidak lagi mengikuti laporan ini."))
    return redirect(target + "#ikuti")


@never_cache
def unfollow(request, token):
    """The signed link in every message: GET asks (mail scanners open links), POST stops."""
    follower = follower_for_token(token)
    if follower is None:
        raise Http404
    done = follower.ended_at is not None
    if request.method == "POST" and not done:
        actions.unfollow_report(follower=follower)
        done = True
    # The number only: the page may be opened by whoever holds the message, and says nothing else.
    context = {"number": follower.report.tracking_number, "done": done, "token": token}
    return render(request, "portal/unfollow.html", context)


@require_POST
def join(request, number):
    """ "Ini masalah yang sama: dukung dan ikuti" from the submit form's nearby list."""
    report = _public_or_404(number)
    target = reverse("portal:report", args=[number])
    user = request.user
    if user.is_authenticated:
        if lifecycle.may_support(report, user):
            actions.support_report(report=report, actor=user)
        actions.follow_report(report=report, actor=user)
        messages.success(request, _("Terima kasih. Anda mendukung dan mengikuti laporan ini."))
        return redirect(target + "#ikuti")
    contact = (request.POST.get("reporter_email") or request.POST.get("reporter_phone") or "").strip()
    if contact:
        try:
            return _start_follow(request, report, contact)
        except actions.ReportError as exc:
            messages.error(request, exc.message)
    return redirect(target + "#ikuti")


# --- A merged report: the problem it joined ----------------------------------------------------------


def merged_context(report):
    """For a merged report's tracking page: the original's live status and public timeline."""
    if not report.duplicate_of_id:
        return {}
    original = report.duplicate_of
    while original.duplicate_of_id:
        original = original.duplicate_of
    public = original.is_public
    return {
        "original": original if public else None,
        "original_status": original.get_status_display(),
        "original_timeline": presenters.timeline(original, for_reporter=False) if public else [],
        "original_voices": voice_counts(original) if public else None,
    }
