"""Every federation state change, one keyword-only function each.

Outgoing: the moves of reports.actions that concern another instance are wrapped here. Each
wrapper runs the report action and writes the outbox row (FederationMessage) in the same
transaction, so the message exists exactly when the local change does. Entry points (workbench,
API, portal) call these wrappers for the moves they wrap; for a report nobody shares they are the
report action and nothing more.

Incoming: `receive_message` applies a peer's message once (dedupe by message id and by stream
sequence) and in order (a message past a gap is buffered until the gap fills), through the same
reports.actions functions as a local move, with the peer's service account as the actor. A peer
is penghubung (liaison) of the agencies it hosts and nothing else, and the reporter of the copies
it forwarded, so accounts.access and reports.lifecycle decide what it may do here, as for anyone.
"""

import logging
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.accounts.audit import record_change
from jembatan.accounts.models import AuditRecord, Role, StaffRole
from jembatan.backoffice import actions as backoffice_actions
from jembatan.directory.models import Agency, Category, Region
from jembatan.federation import attachments as federation_files
from jembatan.federation import figures as network_figures
from jembatan.federation import hubsync, lapor
from jembatan.federation.models import (
    FederationMessage,
    InboundCursor,
    InboundState,
    Instance,
    Link,
    LinkRole,
    MessageKind,
    NetworkFigure,
    NetworkPeriod,
    Protocol,
    ReceivedMessage,
    RemoteAgency,
)
from jembatan.jobs import destinations
from jembatan.jobs.models import OutboxStatus
from jembatan.reports import actions as report_actions
from jembatan.reports.models import (
    VERIFICATION_STATUSES,
    ArchiveReason,
    Channel,
    Disposition,
    DispositionStatus,
    Report,
    Status,
)
from jembatan.reports.submission import NewReport

logger = logging.getLogger(__name__)

# A disposition the peer no longer holds: it gave it back, or passed it on.
_GIVEN_BACK = (DispositionStatus.BUKAN_WEWENANG, DispositionStatus.DIALIHKAN)
RETURN_REASON_CODE = "bukan-wewenang"


class FederationRefused(report_actions.ReportError):
    """A message or a move federation does not allow (unknown peer, wrong sender, not set up)."""

    code = "federation_refused"


# --- The directory of instances ----------------------------------------------------------------------


def self_instance():
    """This instance's own row, or None while federation is not set up here."""
    return Instance.objects.filter(is_self=True).first()


def register_instance(*, slug, name, base_url="", shared_secret="", is_self=False):
    """Add or update an instance of the network (this one with is_self, or a peer with its key)."""
    with transaction.atomic():
        instance, _created = Instance.objects.select_for_update().get_or_create(
            slug=slug, defaults={"name": name, "is_self": is_self}
        )
        if instance.protocol != Protocol.JEMBATAN:
            raise FederationRefused(_("ID ini sudah dipakai SP4N-LAPOR!."), field="slug")
        instance.name, instance.base_url, instance.is_self = name, base_url, is_self
        instance.shared_secret = "" if is_self else (shared_secret or instance.shared_secret)
        if not is_self and instance.user_id is None:
            user = get_user_model().objects.create(
                username=f"instance.{slug}"[:150], full_name=name[:150], is_active=True
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            instance.user = user
        instance.save()
    return instance


def new_shared_secret():
    return secrets.token_urlsafe(32)


def host_agency(*, agency, instance, actor=None):
    """Record that `agency` lives on `instance` (or here again, for the own instance); audited."""
    if instance.protocol != Protocol.JEMBATAN:
        # SP4N-LAPOR! takes reports through its own API and answers nothing back here.
        raise FederationRefused(_("SP4N-LAPOR! tidak mengelola instansi di sini."), field="instance")
    with transaction.atomic():
        before = RemoteAgency.objects.filter(agency=agency).select_related("instance").first()
        RemoteAgency.objects.filter(agency=agency).exclude(instance=instance).delete()
        StaffRole.objects.filter(agency=agency, user__federation_instance__isnull=False).exclude(
            user=instance.user
        ).delete()
        remote = None
        if not instance.is_self:
            remote, _created = RemoteAgency.objects.get_or_create(
                agency=agency, defaults={"instance": instance}
            )
            # The peer answers for this agency here: it is its penghubung, and only its.
            StaffRole.objects.get_or_create(user=instance.user, role=Role.PENGHUBUNG, agency=agency)
        old, new = (before.instance.slug if before else None), (None if instance.is_self else instance.slug)
        if old != new:
            record_change(
                actor=actor,
                kind=AuditRecord.Kind.AGENCY_CHANGED,
                obj=agency,
                before={"hosted_on": old},
                after={"hosted_on": new},
                agency=agency,
            )
    return remote


def sync_directory(*, hub, directory, actor=None, apply=True):
    """Bring the host table in step with the hub's directory; return the changes (see hubsync.plan).

    Agencies the hub has and we lack are added (audited, as by an operator); an agency the hub says
    lives elsewhere is hosted there, one that moved is moved, one that moved here or that the hub
    deactivated is local again. An agency worked here (a person holds a role in it or above it) is
    never made remote by the hub: the change is reported as "local" for an operator to settle.
    """
    me = self_instance()
    if me is None or hub.is_self:
        raise FederationRefused(_("Federasi belum disiapkan di instans ini."))
    if directory["hub"] != hub.slug or directory["for"] != me.slug:
        raise FederationRefused(_("Direktori ini bukan dari hub ini atau bukan untuk instans ini."))
    changes = hubsync.plan(directory=directory, me=me)
    if apply:
        changes = _apply_directory(changes, me=me, actor=actor)
    for _change, code, problem in (c for c in changes if c[0] == "invalid"):
        logger.warning("federation: invalid directory entry from %s skipped: %s: %s", hub.slug, code, problem)
    return changes


def _apply_directory(changes, *, me, actor):
    """Make the planned changes, each on its own: one the actions refuse (an AgencyError) is
    reported as "invalid" with what depends on it (its hosting, its sub-agencies), the rest apply."""
    instances = {instance.slug: instance for instance in Instance.objects.all()}
    done, failed = [], set()
    with transaction.atomic():
        for change, code, detail in changes:
            if code in failed and change in ("host", "unhost"):
                continue  # its creation failed, and was reported
            if change == "create" and detail.get("parent") in failed:
                done.append(("invalid", code, f"parent {detail['parent']} could not be created"))
                failed.add(code)
                continue
            try:
                with transaction.atomic():  # a savepoint: a refused entry leaves nothing behind
                    if change == "create":
                        _create_synced_agency(detail, actor)
                    elif change in ("host", "unhost"):
                        host_agency(
                            agency=Agency.objects.get(code=code),
                            instance=instances[detail] if change == "host" else me,
                            actor=actor,
                        )
            except (backoffice_actions.AgencyError, Agency.DoesNotExist) as exc:
                done.append(("invalid", code, str(exc)))
                failed.add(code)
                continue
            done.append((change, code, detail))
    return done


def hosts_of(codes):
    """{agency code: id of the Instance that works it} for these codes (unknown codes left out).

    An agency is worked where the nearest agency on its path (itself, then the agencies above it)
    with a RemoteAgency row is hosted: an instance that hosts Pemkot Padang also works its dinas.
    None: nobody above it is hosted elsewhere, it is this instance's own.
    """
    paths = dict(Agency.objects.filter(code__in=codes).values_list("code", "path"))
    chains = {code: [int(p) for p in path.strip("/").split("/") if p] for code, path in paths.items()}
    hosted = dict(
        RemoteAgency.objects.filter(
            agency_id__in={pk for chain in chains.values() for pk in chain}, instance__is_active=True
        ).values_list("agency_id", "instance_id")
    )
    return {
        code: next((hosted[pk] for pk in reversed(chain) if pk in hosted), None)
        for code, chain in chains.items()
    }


def record_network_figures(*, sender, figures):
    """Keep an instance's monthly figures at the hub; return ({month: "applied" | "stale"}, [codes left out]).

    `figures` is figures.validated() output. Refused (FederationRefused) unless this instance is the
    hub and the figures name their sender and this hub. An instance speaks only for the agencies it
    works (hosts_of): rows for any other agency are left out and named in the answer. Per month:
    figures computed earlier than the stored ones (`as_of`) are stale and change nothing; otherwise
    they replace the month's (a resend of the same figures leaves the same rows).
    """
    me = self_instance()
    if me is None or not network_figures.is_hub():
        raise FederationRefused(_("Instans ini bukan hub jaringan."))
    if figures["hub"] != me.slug or figures["sender"] != sender.slug:
        raise FederationRefused(_("Angka ini bukan dari pengirimnya atau bukan untuk hub ini."))
    codes = {code for rows in figures["periods"].values() for code in rows} - {""}
    hosts = hosts_of(codes)
    foreign = sorted(code for code in codes if hosts.get(code) != sender.pk)
    now = timezone.now()
    results = {}
    with transaction.atomic():
        # One sender's figures are applied one at a time (two concurrent resends of one month).
        Instance.objects.select_for_update().filter(pk=sender.pk).first()
        stored = {
            p.period: p for p in NetworkPeriod.objects.filter(instance=sender, period__in=figures["periods"])
        }
        for period, rows in sorted(figures["periods"].items()):
            current = stored.get(period)
            if current is not None and current.as_of > figures["as_of"]:
                results[period] = "stale"
                continue
            if current is None:
                current = NetworkPeriod.objects.create(
                    instance=sender, period=period, as_of=figures["as_of"], received_at=now
                )
            else:
                current.as_of, current.received_at = figures["as_of"], now
                current.save(update_fields=["as_of", "received_at"])
                current.figures.all().delete()
            NetworkFigure.objects.bulk_create(
                [
                    NetworkFigure(period=current, agency_code=code, **counts)
                    for code, counts in rows.items()
                    if code not in foreign
                ]
            )
            results[period] = "applied"
    return results, foreign


def _create_synced_agency(entry, actor):
    parent = Agency.objects.get(code=entry["parent"]) if entry["parent"] else None
    region = Region.objects.filter(code=entry["region"]).first() if entry.get("region") else None
    return backoffice_actions.create_agency(
        code=entry["code"], name=entry["name"], kind=entry["kind"], parent=parent, region=region, actor=actor
    )


def host_of(agency):
    """The instance hosting `agency`, or None when it is local."""
    remote = RemoteAgency.objects.filter(agency=agency).select_related("instance").first()
    return remote.instance if remote and remote.instance.is_active else None


# --- Writing to the outbox ---------------------------------------------------------------------------


def _enqueue(link, kind, payload):
    """Write the next message of `link`'s stream (inside the caller's transaction)."""
    from jembatan.federation import tasks  # the task module imports Huey; loaded only when sending

    link = Link.objects.select_for_update().select_related("peer").get(pk=link.pk)
    seq = link.next_seq
    link.next_seq = seq + 1
    link.save(update_fields=["next_seq", "updated_at"])
    message = FederationMessage.objects.create(
        destination=link.peer, link=link, seq=seq, kind=kind, payload=payload, next_attempt_at=timezone.now()
    )
    transaction.on_commit(lambda pk=message.pk: tasks.enqueue_delivery(pk), robust=True)
    return message


def _iso(value):
    return value.isoformat() if value else None


def _forward_payload(report, disposition):
    """What the holder gets: the report's content, flags and files, never the reporter's identity."""
    sent, withheld = federation_files.pack(report)
    return {
        "attachments": sent,
        "attachments_withheld": withheld,
        "agency": disposition.agency.code,
        "kind": report.kind,
        "title": report.title,
        "description": report.description,
        "classification": report.classification,
        "category": report.category.code if report.category_id else None,
        "region": report.region_id,
        "address": report.address,
        "incident_date": _iso(report.incident_date),
        "latitude": report.latitude,
        "longitude": report.longitude,
        "is_anonymous": report.is_anonymous,
        "is_confidential": report.is_confidential,
        "submitted_at": _iso(report.submitted_at),
        "completion_due_at": _iso(disposition.completion_due_at),
        "instruction": disposition.instruction,
    }


def _holder_link(report):
    return Link.objects.filter(report=report, role=LinkRole.HOLDER).select_related("peer").first()


def _origin_links(report):
    """The peers that still hold this report (disposed there and not given back)."""
    return [
        link
        for link in Link.objects.filter(report=report, role=LinkRole.ORIGIN).select_related("disposition")
        if link.disposition is not None and link.disposition.status not in _GIVEN_BACK
    ]


# --- Outgoing: the wrapped moves ---------------------------------------------------------------------


def dispose_report(*, report, actor, agencies, instruction="", expected_version=None):
    """Dispose a report; a disposal to an agency on another instance is forwarded there."""
    agencies = list(dict.fromkeys(agencies or []))
    hosts = {agency.pk: host_of(agency) for agency in agencies}
    remote = [agency for agency in agencies if hosts[agency.pk] is not None]
    if not remote:
        return report_actions.dispose_report(
            report=report,
            actor=actor,
            agencies=agencies,
            instruction=instruction,
            expected_version=expected_version,
        )
    me = _origin_side(report)
    peers = [hosts[agency.pk] for agency in remote]
    if len(set(peers)) != len(peers):
        raise report_actions.ReportError(
            _("Pilih satu instansi untuk setiap instans tujuan."), field="agencies"
        )
    with transaction.atomic():
        report = report_actions.dispose_report(
            report=report,
            actor=actor,
            agencies=agencies,
            instruction=instruction,
            expected_version=expected_version,
        )
        for agency in remote:
            _forward(report, agency, hosts[agency.pk], me)
    return report


def _origin_side(report):
    """This instance, if it may send `report` on to another instance (it must be its origin)."""
    me = self_instance()
    if me is None:
        raise FederationRefused(_("Federasi belum disiapkan di instans ini."), field="agencies")
    if _holder_link(report) is not None:
        # A chain (origin → here → a third instance) is not supported: the answers would stop
        # here. Give the report back to its origin, which disposes it again.
        raise FederationRefused(
            _("Laporan ini berasal dari instans lain: kembalikan ke instans asal untuk dilimpahkan."),
            field="agencies",
        )
    return me


def forward_disposition(*, disposition, actor, agency, reason, expected_version=None):
    """Forward a disposition (pelimpahan); to an agency on another instance, the report goes there."""
    peer = host_of(agency)
    if peer is None:
        return report_actions.forward_disposition(
            disposition=disposition,
            actor=actor,
            agency=agency,
            reason=reason,
            expected_version=expected_version,
        )
    me = _origin_side(disposition.report)
    with transaction.atomic():
        new = report_actions.forward_disposition(
            disposition=disposition,
            actor=actor,
            agency=agency,
            reason=reason,
            expected_version=expected_version,
        )
        _forward(new.report, agency, peer, me)
    return new


def _forward(report, agency, peer, me):
    disposition = (
        Disposition.objects.filter(report=report, agency=agency)
        .select_related("agency")
        .order_by("-pk")
        .first()
    )
    link, _created = Link.objects.get_or_create(
        peer=peer,
        origin_instance=me.slug,
        origin_number=report.tracking_number,
        defaults={"report": report, "role": LinkRole.ORIGIN},
    )
    if link.disposition_id and link.disposition.status not in (*_GIVEN_BACK, DispositionStatus.DIBATALKAN):
        raise report_actions.IllegalTransition(
            _("Laporan ini sudah ditangani di %(name)s.") % {"name": peer.name}
        )
    link.disposition = disposition
    link.save(update_fields=["disposition", "updated_at"])
    _enqueue(link, MessageKind.REPORT_FORWARDED, _forward_payload(report, disposition))


def start_follow_up(*, disposition, actor, expected_version=None):
    """Start a disposition's follow-up; the origin of a report held here hears of it."""
    with transaction.atomic():
        disposition = report_actions.start_follow_up(
            disposition=disposition, actor=actor, expected_version=expected_version
        )
        link = _holder_link(disposition.report)
        if link is not None:
            _enqueue(link, MessageKind.FOLLOW_UP_STARTED, {"agency": disposition.agency.name})
    return disposition


def post_follow_up(*, disposition, actor, text, attachments=(), expected_version=None):
    """Post the agency's answer; for a report held for another instance it goes to the origin."""
    with transaction.atomic():
        disposition = report_actions.post_follow_up(
            disposition=disposition,
            actor=actor,
            text=text,
            attachments=attachments,
            expected_version=expected_version,
        )
        link = _holder_link(disposition.report)
        if link is not None:
            _enqueue(link, MessageKind.FOLLOW_UP_POSTED, {"agency": disposition.agency.name, "text": text})
    return disposition


def held_for(report):
    """The instance this report is held for (it was forwarded here), or None."""
    link = _holder_link(report)
    return link.peer if link else None


def may_return_to_origin(report, user):
    """May `user` give this report back to the instance it came from? Its verifier, while it is open."""
    return (
        held_for(report) is not None
        and report.status in (*VERIFICATION_STATUSES, Status.TERDISPOSISI, Status.DIPROSES)
        and access.can_verify(user, report)
    )


def return_to_origin(*, report, actor, reason, expected_version=None):
    """Give a report held for another instance back as not this instance's authority (bukan wewenang)."""
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise report_actions.ReportError(_("Tuliskan alasan pengembalian."), field="reason")
    link = _holder_link(report)
    if link is None:
        raise FederationRefused(_("Laporan ini tidak berasal dari instans lain."))
    if not may_return_to_origin(report, actor):
        raise PermissionDenied(_("Hanya verifikator laporan ini yang dapat mengembalikannya."))
    archive_reason, _created = ArchiveReason.objects.get_or_create(
        code=RETURN_REASON_CODE, defaults={"name": "Bukan wewenang"}
    )
    with transaction.atomic():
        if report.status in VERIFICATION_STATUSES:
            report = report_actions.archive_report(
                report=report,
                actor=actor,
                reason=archive_reason,
                note=reason,
                expected_version=expected_version,
            )
        else:
            report = report_actions.close_report(
                report=report, actor=actor, note=reason, expected_version=expected_version
            )
        _enqueue(link, MessageKind.RETURNED, {"reason": reason})
    return report


def reply_as_reporter(*, report, actor, text, **kwargs):
    """Reply as the reporter; the instances holding the report get the reply."""
    with transaction.atomic():
        report = report_actions.reply_as_reporter(report=report, actor=actor, text=text, **kwargs)
        for link in _origin_links(report):
            _enqueue(link, MessageKind.REPORTER_REPLIED, {"text": text})
    return report


def rate_report(*, report, actor, rating, comment="", access_code=None):
    """Rate the answer; the instances holding the report get the rating."""
    with transaction.atomic():
        report = report_actions.rate_report(
            report=report, actor=actor, rating=rating, comment=comment, access_code=access_code
        )
        for link in _origin_links(report):
            _enqueue(link, MessageKind.RATED, {"rating": report.rating, "comment": report.rating_comment})
    return report


def close_report(*, report, actor, note="", access_code=None, expected_version=None):
    """Close the report; a reporter's closing reaches the instances holding it."""
    with transaction.atomic():
        links = _origin_links(report)
        report = report_actions.close_report(
            report=report, actor=actor, note=note, access_code=access_code, expected_version=expected_version
        )
        if report.status == Status.DITUTUP_PELAPOR:
            for link in links:
                _enqueue(link, MessageKind.CLOSED, {"note": note or ""})
    return report


# --- Incoming ------------------------------------------------------------------------------------------


def receive_message(*, sender, envelope):
    """Apply a peer's message once and in its stream's order; return (state, error).

    The state is "applied", "buffered" (waiting for an earlier message), "rejected" (the move was
    refused here; the stream goes on) or "duplicate" (seen before: acknowledged again, no effect).
    Everything happens in one transaction with the dedupe row, so an effect and its record of
    having been applied commit together or not at all.
    """
    me = self_instance()
    if me is None or envelope["destination"] != me.slug:
        raise FederationRefused(_("Pesan ini bukan untuk instans ini."))
    stream = {
        "sender": sender,
        "origin_instance": envelope["origin_instance"],
        "origin_number": envelope["origin_number"],
    }
    with transaction.atomic():
        seen = ReceivedMessage.objects.filter(message_id=envelope["message_id"]).first()
        if seen is not None:
            return "duplicate", seen.error
        InboundCursor.objects.get_or_create(**stream)
        cursor = InboundCursor.objects.select_for_update().get(**stream)
        if (
            envelope["seq"] <= cursor.last_seq
            or ReceivedMessage.objects.filter(**stream, seq=envelope["seq"]).exists()
        ):
            return "duplicate", ""
        message = ReceivedMessage.objects.create(
            **stream,
            message_id=envelope["message_id"],
            seq=envelope["seq"],
            kind=envelope["kind"],
            payload=envelope["payload"],
            state=InboundState.BUFFERED,
        )
        _drain(cursor, me)
        message.refresh_from_db(fields=["state", "error"])
    return message.state, message.error


def _drain(cursor, me):
    """Apply the buffered messages that follow the cursor, one by one, until the next gap."""
    while True:
        message = (
            ReceivedMessage.objects.filter(
                sender=cursor.sender,
                origin_instance=cursor.origin_instance,
                origin_number=cursor.origin_number,
                seq=cursor.last_seq + 1,
                state=InboundState.BUFFERED,
            )
            .select_related("sender__user")
            .first()
        )
        if message is None:
            break
        try:
            with transaction.atomic():
                HANDLERS[message.kind](message=message, me=me)
            message.state, message.error = InboundState.APPLIED, ""
        except (
            report_actions.ReportError,
            PermissionDenied,
            ObjectDoesNotExist,
            KeyError,
            ValueError,
        ) as exc:
            # Refused here (an illegal move, a sender that may not speak for the report): recorded,
            # acknowledged with the reason, and the stream goes on.
            message.state, message.error = InboundState.REJECTED, f"{type(exc).__name__}: {exc}"[:2000]
        message.applied_at = timezone.now()
        message.save(update_fields=["state", "error", "applied_at"])
        cursor.last_seq += 1
    cursor.save(update_fields=["last_seq"])


def _link(message, role):
    """The stream's link, after checking the sender may speak for this report in this role."""
    if role == LinkRole.HOLDER and message.origin_instance != message.sender.slug:
        raise FederationRefused(_("Hanya instans asal yang berbicara untuk pelapor."))
    return Link.objects.select_related("report", "disposition").get(
        peer=message.sender,
        role=role,
        origin_instance=message.origin_instance,
        origin_number=message.origin_number,
    )


def _parse_time(value):
    return parse_datetime(value) if value else None


def _apply_report_forwarded(*, message, me):
    """A peer disposed one of its reports to an agency hosted here: it enters our verification queue."""
    if message.origin_instance != message.sender.slug:
        raise FederationRefused(_("Hanya instans asal yang dapat meneruskan laporannya."))
    data = message.payload
    agency = Agency.objects.get(code=data["agency"], is_active=True)
    if host_of(agency) is not None or RemoteAgency.objects.filter(agency=agency).exists():
        raise FederationRefused(_("Instansi %(code)s tidak dikelola di sini.") % {"code": agency.code})
    new = NewReport(
        kind=data["kind"],
        title=data["title"],
        description=data["description"],
        channel=Channel.IMPORT,
        region=Region.objects.filter(code=data.get("region")).first() if data.get("region") else None,
        category=Category.objects.filter(code=data.get("category")).first() if data.get("category") else None,
        target_agency=agency,
        incident_date=parse_date(data["incident_date"]) if data.get("incident_date") else None,
        address=data.get("address") or "",
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        is_anonymous=bool(data.get("is_anonymous")),
        is_confidential=bool(data.get("is_confidential")),
        source_instance=message.sender.slug,
        external_id=message.origin_number,
        submitted_at=_parse_time(data.get("submitted_at")),
        completion_due_at=_parse_time(data.get("completion_due_at")),
        attachments=tuple(federation_files.unpack(data.get("attachments") or [])),
    )
    # The origin instance is the copy's reporter: it speaks for the citizen, who stays there.
    report = report_actions.submit_report(new=new, actor=message.sender.user)
    Link.objects.update_or_create(
        peer=message.sender,
        origin_instance=message.origin_instance,
        origin_number=message.origin_number,
        defaults={"report": report, "role": LinkRole.HOLDER},
    )
    if data.get("attachments"):
        # The files are stored now: the dedupe row keeps their names and hashes, not the bytes.
        kept = [{k: v for k, v in item.items() if k != "data"} for item in data["attachments"]]
        ReceivedMessage.objects.filter(pk=message.pk).update(payload={**data, "attachments": kept})


def _apply_follow_up_started(*, message, me):
    disposition = _link(message, LinkRole.ORIGIN).disposition
    if disposition.status == DispositionStatus.TERDISPOSISI:
        report_actions.start_follow_up(disposition=disposition, actor=message.sender.user)


def _apply_follow_up_posted(*, message, me):
    disposition = _link(message, LinkRole.ORIGIN).disposition
    report_actions.post_follow_up(
        disposition=disposition, actor=message.sender.user, text=message.payload["text"]
    )


def _apply_returned(*, message, me):
    disposition = _link(message, LinkRole.ORIGIN).disposition
    report_actions.return_disposition(
        disposition=disposition, actor=message.sender.user, reason=message.payload["reason"]
    )


def _apply_reporter_replied(*, message, me):
    report = _link(message, LinkRole.HOLDER).report
    report_actions.reply_as_reporter(report=report, actor=message.sender.user, text=message.payload["text"])


def _apply_rated(*, message, me):
    report = _link(message, LinkRole.HOLDER).report
    report_actions.rate_report(
        report=report,
        actor=message.sender.user,
        rating=message.payload["rating"],
        comment=message.payload.get("comment", ""),
    )


def _apply_closed(*, message, me):
    report = _link(message, LinkRole.HOLDER).report
    report_actions.close_report(
        report=report, actor=message.sender.user, note=message.payload.get("note", "")
    )


HANDLERS = {
    MessageKind.REPORT_FORWARDED: _apply_report_forwarded,
    MessageKind.FOLLOW_UP_STARTED: _apply_follow_up_started,
    MessageKind.FOLLOW_UP_POSTED: _apply_follow_up_posted,
    MessageKind.RETURNED: _apply_returned,
    MessageKind.REPORTER_REPLIED: _apply_reporter_replied,
    MessageKind.RATED: _apply_rated,
    MessageKind.CLOSED: _apply_closed,
}


# --- The operator's moves ------------------------------------------------------------------------------


def retry_message(*, message):
    """Send an undelivered (or dead) message again now, with a fresh count of attempts."""
    with transaction.atomic():
        updated = FederationMessage.objects.filter(
            pk=message.pk, status__in=(OutboxStatus.PENDING, OutboxStatus.FAILED)
        ).update(
            status=OutboxStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), updated_at=timezone.now()
        )
    if updated:
        from jembatan.federation import tasks

        transaction.on_commit(lambda pk=message.pk: tasks.enqueue_delivery(pk), robust=True)
    return bool(updated)


def park_message(*, message, note=""):
    """Stop trying a message (dead letter), keeping it as the record; `retry_message` revives it."""
    return bool(
        FederationMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING).update(
            status=OutboxStatus.FAILED,
            next_attempt_at=None,
            last_error=(f"parked: {note}" if note else "parked")[:2000],
            updated_at=timezone.now(),
        )
    )


# --- SP4N-LAPOR! (federation/lapor.py, docs/lapor-adapter.md) ----------------------------------------------


def register_lapor_peer(*, slug, name, endpoint, token=""):
    """Add or update the SP4N-LAPOR! peer: its integration endpoint and the key token LAPOR! issued."""
    problem = destinations.url_problem(endpoint)
    if problem:
        raise FederationRefused(problem, field="url")
    with transaction.atomic():
        peer = Instance.objects.select_for_update().filter(slug=slug).first()
        if peer is not None and peer.protocol != Protocol.LAPOR:
            raise FederationRefused(_("ID ini sudah dipakai instans Jembatan."), field="slug")
        peer = peer or Instance(slug=slug, protocol=Protocol.LAPOR)
        if not (token or peer.shared_secret):
            raise FederationRefused(_("Token kunci dari SP4N-LAPOR! wajib diisi."), field="token")
        peer.name, peer.base_url = name, endpoint
        peer.shared_secret = token or peer.shared_secret
        peer.save()
    return peer


def lapor_peer():
    """The active SP4N-LAPOR! peer, or None while none is set up."""
    return Instance.objects.filter(protocol=Protocol.LAPOR, is_active=True).order_by("pk").first()


def may_send_to_lapor(report, user):
    """Offer "Kirim ke SP4N-LAPOR!"? Its verifier, a classified non-confidential report not sent yet."""
    if report.is_confidential or not report.classification or not access.can_verify(user, report):
        return False
    me, peer = self_instance(), lapor_peer()
    if me is None or peer is None:
        return False
    sent = Link.objects.filter(peer=peer, origin_instance=me.slug, origin_number=report.tracking_number)
    return not sent.exists()


def send_to_lapor(*, report, actor, peer=None):
    """Send a verified report to SP4N-LAPOR! through the federation outbox; never a confidential one."""
    if not access.can_verify(actor, report):  # first: nobody else learns whether it is confidential
        raise PermissionDenied(_("Hanya verifikator laporan ini yang dapat mengirimkannya ke SP4N-LAPOR!."))
    if report.is_confidential:
        raise FederationRefused(_("Laporan rahasia tidak dikirim ke SP4N-LAPOR!."))
    if not report.classification:
        raise report_actions.IllegalTransition(
            _("Verifikasi dan klasifikasikan laporan sebelum mengirimkannya ke SP4N-LAPOR!.")
        )
    me, peer = self_instance(), peer or lapor_peer()
    if me is None or peer is None or peer.protocol != Protocol.LAPOR:
        raise FederationRefused(_("SP4N-LAPOR! belum disiapkan di instans ini."))
    with transaction.atomic():
        # Locked and read again: a report marked confidential meanwhile is refused, not sent.
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.is_confidential:
            raise FederationRefused(_("Laporan rahasia tidak dikirim ke SP4N-LAPOR!."))
        link, created = Link.objects.get_or_create(
            peer=peer,
            origin_instance=me.slug,
            origin_number=report.tracking_number,
            defaults={"report": report, "role": LinkRole.ORIGIN},
        )
        if not created:
            raise report_actions.IllegalTransition(
                _("Laporan ini sudah dikirim ke %(name)s.") % {"name": peer.name}
            )
        message = _enqueue(link, MessageKind.LAPOR_REPORT, lapor.render(report))
        # On the report's timeline, for staff only (an internal note: the existing event for it).
        report_actions.add_note(report=report, actor=actor, text=_("Dikirim ke SP4N-LAPOR!."))
    return message


def record_lapor_answer(*, message, answer):
    """Keep what SP4N-LAPOR! answered on the report's link: its tracking id and the status it gives."""
    updates = {}
    remote_id = lapor.tracking_id(answer)
    if remote_id:
        updates["remote_id"] = remote_id
    label = answer.get(lapor.field_names()["status"]) if isinstance(answer, dict) else None
    if lapor.status_from_lapor(label):
        updates["remote_status"] = label[:80]
    if updates:
        Link.objects.filter(pk=message.link_id).update(**updates, updated_at=timezone.now())
    return updates
