"""State changes the workbench owns: saved filters, response templates, and bulk work.

Bulk work is a loop over reports/actions.py, one call per report, each in its own transaction:
every report gets its own timeline event, and one report that fails (changed meanwhile, illegal
in its status, out of the officer's scope) does not undo or stop the others.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.accounts.access import Action
from jembatan.accounts.audit import changed_fields, record_change, snapshot
from jembatan.accounts.models import AuditRecord
from jembatan.directory.routing import propose_agency
from jembatan.federation import actions as federated
from jembatan.reports import actions as report_actions
from jembatan.workbench.models import Claim, ResponseTemplate, SavedFilter, unknown_placeholders

MAX_SAVED_FILTERS = 50
TEMPLATE_FIELDS = ["agency", "name", "purpose", "body", "is_active"]


class WorkbenchError(report_actions.ReportError):
    """Bad input to a workbench action (same shape as ReportError: message, field, code)."""


# --- Claims ("saya tangani") -------------------------------------------------------------------------


def claim_report(*, report, actor, now=None):
    """Take a report ("saya tangani") for WORKBENCH_CLAIM_MINUTES; refused while a colleague holds it."""
    access.require(access.can_view_report_internal(actor, report))
    now = now or timezone.now()
    with transaction.atomic():
        claim = Claim.objects.select_for_update().filter(report=report).first()
        if claim is not None and claim.user_id != actor.pk and claim.is_active(now):
            raise WorkbenchError(
                _("%(name)s sedang menangani laporan ini sampai %(time)s.")
                % {
                    "name": claim.user.display_name,
                    "time": formats.time_format(timezone.localtime(claim.expires_at), "H:i"),
                },
                code="claimed",
            )
        expires = now + dt.timedelta(minutes=settings.WORKBENCH_CLAIM_MINUTES)
        if claim is None:
            return Claim.objects.create(report=report, user=actor, claimed_at=now, expires_at=expires)
        claim.user, claim.claimed_at, claim.expires_at = actor, now, expires
        claim.save(update_fields=["user", "claimed_at", "expires_at"])
        return claim


def release_claim(*, report, actor):
    """Give a report back (done with it, or acted on it); only one's own claim is released."""
    return Claim.objects.filter(report=report, user=actor).delete()[0] > 0


def loaded_claim(report, *, now=None):
    """The unexpired claim of a report loaded with select_related("workbench_claim__user")."""
    try:
        claim = report.workbench_claim
    except Claim.DoesNotExist:
        return None
    return claim if claim.is_active(now) else None


def active_claims(reports, *, now=None):
    """{report id: Claim} of the unexpired claims on `reports`."""
    now = now or timezone.now()
    ids = [r.pk for r in reports]
    if not ids:
        return {}
    claims = Claim.objects.filter(report_id__in=ids, expires_at__gt=now).select_related("user")
    return {c.report_id: c for c in claims}


# --- Saved filters -----------------------------------------------------------------------------------


def save_filter(*, user, name, queue, query):
    """Save the current queue filters under a name (replacing a filter of the same name)."""
    name = (name or "").strip()
    if not name:
        raise WorkbenchError(_("Beri nama filter ini."), field="name")
    with transaction.atomic():
        existing = SavedFilter.objects.select_for_update().filter(user=user, name=name).first()
        if existing is None:
            if SavedFilter.objects.filter(user=user).count() >= MAX_SAVED_FILTERS:
                raise WorkbenchError(
                    _("Paling banyak %(n)d filter tersimpan; hapus yang tidak dipakai.")
                    % {"n": MAX_SAVED_FILTERS},
                    field="name",
                )
            return SavedFilter.objects.create(user=user, name=name[:80], queue=queue, query=query[:1000])
        existing.queue, existing.query = queue, query[:1000]
        existing.save(update_fields=["queue", "query", "updated_at"])
        return existing


def delete_filter(*, user, saved_filter):
    """Delete one of the officer's own saved filters."""
    if saved_filter.user_id != user.pk:
        raise PermissionDenied(_("Filter ini milik petugas lain."))
    saved_filter.delete()


# --- Response templates ------------------------------------------------------------------------------


def save_response_template(*, actor, name, purpose, body, agency=None, is_active=True, template=None):
    """Create or change a response template of an agency the actor manages templates for."""
    access.require(access.can(actor, Action.MANAGE_TEMPLATES, agency))
    if template is not None:
        access.require(access.can(actor, Action.MANAGE_TEMPLATES, template.agency))
    name = (name or "").strip()
    body = (body or "").strip()
    if not name:
        raise WorkbenchError(_("Nama templat wajib diisi."), field="name")
    if len(body) < 10:
        raise WorkbenchError(_("Isi templat terlalu pendek: paling sedikit 10 karakter."), field="body")
    unknown = unknown_placeholders(body)
    if unknown:
        raise WorkbenchError(
            _("Penanda tidak dikenal: %(names)s. Yang tersedia: {nomor}, {judul}, {instansi}, {tanggal}.")
            % {"names": ", ".join(f"{{{n}}}" for n in unknown)},
            field="body",
        )
    with transaction.atomic():
        before = {} if template is None else snapshot(template, TEMPLATE_FIELDS)
        created = template is None
        template = template or ResponseTemplate(created_by=actor)
        template.agency = agency
        template.name = name[:120]
        template.purpose = purpose
        template.body = body
        template.is_active = bool(is_active)
        template.save()
        after = snapshot(template, TEMPLATE_FIELDS)
        if not created:
            before, after = changed_fields(before, after)
        if after:
            record_change(
                actor=actor,
                kind=AuditRecord.Kind.TEMPLATE_CREATED if created else AuditRecord.Kind.TEMPLATE_CHANGED,
                obj=template,
                before=before,
                after=after,
                agency=agency,
            )
    return template


# --- Verify and dispose in one step ------------------------------------------------------------------


def verify_and_dispose(
    *,
    report,
    actor,
    classification,
    agencies,
    instruction="",
    category=None,
    title=None,
    is_anonymous=None,
    is_confidential=None,
    expected_version=None,
):
    """Verify a report and dispose it in one step: both happen, or neither does."""
    with transaction.atomic():
        report = report_actions.verify_report(
            report=report,
            actor=actor,
            classification=classification,
            category=category,
            title=title,
            is_anonymous=is_anonymous,
            is_confidential=is_confidential,
            expected_version=expected_version,
        )
        # verify_report bumped the version under our own lock; pass the new one on so a third
        # party's change between the two calls would still be caught.
        return federated.dispose_report(
            report=report,
            actor=actor,
            agencies=agencies,
            instruction=instruction,
            expected_version=report.version,
        )


# --- Bulk work ---------------------------------------------------------------------------------------


@dataclass
class BulkResult:
    done: list = field(default_factory=list)  # the reports (or dispositions) changed
    failed: list = field(default_factory=list)  # (tracking number, message)

    def fail(self, tracking_number, exc):
        message = getattr(exc, "message", None) or (exc.args[0] if exc.args else "") or str(exc)
        self.failed.append((tracking_number, str(message)))


def _each(items, result, call):
    """Run `call(obj, version)` for each (obj, version, tracking_number); collect failures."""
    for obj, version, tracking_number in items:
        try:
            result.done.append(call(obj, version))
        except (report_actions.ReportError, PermissionDenied) as exc:
            result.fail(tracking_number, exc)
    return result


def bulk_verify_and_dispose(*, actor, items, classification, agencies=None, instruction=""):
    """Verify and dispose many reports; with no agencies each goes to its routing proposal."""
    result = BulkResult()

    def one(report, version):
        targets = agencies
        if not targets:
            proposal = propose_agency(category=report.category, region_code=report.region_id)
            if proposal is None:
                raise WorkbenchError(_("Tidak ada usulan instansi; pilih instansi tujuan sendiri."))
            targets = [proposal.agency]
        return verify_and_dispose(
            report=report,
            actor=actor,
            classification=classification,
            agencies=targets,
            instruction=instruction,
            expected_version=version,
        )

    return _each(items, result, one)


def bulk_assign_liaison(*, actor, items, liaison):
    """Assign the same liaison to many dispositions."""
    result = BulkResult()
    return _each(
        items,
        result,
        lambda disposition, version: report_actions.assign_liaison(
            disposition=disposition, actor=actor, liaison=liaison, expected_version=version
        ),
    )


def bulk_mark_duplicate(*, actor, items, original, note=""):
    """Archive many reports as duplicates of one original; their supporters merge into it."""
    result = BulkResult()

    def one(report, version):
        if report.pk == original.pk:
            raise WorkbenchError(_("Laporan asal tidak dapat menjadi duplikat dirinya sendiri."))
        return report_actions.mark_duplicate(
            report=report, original=original, actor=actor, note=note, expected_version=version
        )

    return _each(items, result, one)
