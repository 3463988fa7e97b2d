"""Changes people make to the map of government one at a time: agencies, categories, routing
rules and region names, from the Django admin and from imports that find new agencies (an
SP4N-LAPOR! export).

Each checks the actor's power in accounts/access.py and writes an AuditRecord in the same
transaction. An `actor` of None is the command line (an operator on the server), which needs no
check. The bulk loading of regions and categories is the directory's own (directory/actions.py).
"""

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction
from django.utils.translation import gettext as _

from jembatan.accounts import access
from jembatan.accounts.audit import changed_fields, record_change, snapshot
from jembatan.accounts.models import AuditRecord
from jembatan.directory.models import Agency, AgencyKind, Category, Region, RoutingRule


class AgencyError(ValueError):
    """The agency cannot be added as asked; the message says why, in the user's language."""


AGENCY_FIELDS = [
    "name",
    "short_name",
    "code",
    "kind",
    "parent",
    "region",
    "email",
    "phone",
    "address",
    "website",
    "is_active",
]
CATEGORY_FIELDS = [
    "code",
    "name",
    "parent",
    "default_agency_kind",
    "default_agency_keyword",
    "keywords",
    "is_active",
]
RULE_FIELDS = ["category", "region", "agency", "note"]


def _check_agency_fields(*, code, name, kind):
    if not name:
        raise AgencyError(_("Nama instansi wajib diisi."))
    if len(name) > Agency._meta.get_field("name").max_length:
        raise AgencyError(_("Nama instansi terlalu panjang: %(name)s") % {"name": name})
    try:
        validate_slug(code)
        if len(code) > Agency._meta.get_field("code").max_length:
            raise ValidationError("too long")
    except ValidationError:
        raise AgencyError(
            _("Kode instansi tidak valid: “%(code)s” (huruf, angka dan tanda hubung).") % {"code": code}
        ) from None
    if kind not in AgencyKind.values:
        raise AgencyError(_("Jenis instansi tidak dikenal: %(kind)s") % {"kind": kind})


def create_agency(
    *, code, name, kind, parent=None, region=None, short_name="", actor=None, contact=None, is_active=True
):
    """Add one agency (instansi) to the tree, under `parent`; return it.

    `region` is its service area; when not given it inherits the parent's (an office of a kota
    serves that kota). `contact` may hold email, phone, address and website. An officer may add an
    agency only inside their own subtree, serving a region inside their scope's.
    """
    code, name, short_name = (code or "").strip(), (name or "").strip(), (short_name or "").strip()
    _check_agency_fields(code=code, name=name, kind=kind)
    if region is None and parent is not None:
        region = parent.region
    if actor is not None:
        access.require(
            access.can_place_agency_under(actor, parent),
            _("Anda hanya dapat menambah instansi di bawah instansi yang Anda kelola."),
        )
        access.require(
            parent is None or access.can_assign_region(actor, parent, region),
            _("Wilayah layanan harus berada di dalam wilayah instansi yang Anda kelola."),
        )
    with transaction.atomic():
        if Agency.objects.filter(code=code).exists():
            raise AgencyError(_("Kode instansi %(code)s sudah dipakai.") % {"code": code})
        agency = Agency.objects.create(
            code=code,
            name=name,
            short_name=short_name[:60],
            kind=kind,
            parent=parent,
            region=region,
            is_active=bool(is_active),
            **{
                k: (v or "").strip()
                for k, v in (contact or {}).items()
                if k in ("email", "phone", "address", "website")
            },
        )
        record_change(
            actor=actor,
            kind=AuditRecord.Kind.AGENCY_CREATED,
            obj=agency,
            after=snapshot(agency, AGENCY_FIELDS),
            agency=agency,
        )
    return agency


def change_agency(*, agency, actor, **changes):
    """Rename, re-describe, move or deactivate an agency; return it.

    `changes` holds new values of AGENCY_FIELDS (the code is set once and never changes). Renaming
    and contact details: anywhere in the actor's subtree. Moving, a new service region, a new kind
    and deactivating: only strictly below the root of the actor's scope, and a new parent only
    inside it, so an admin instansi can neither pull another government's agency into their subtree
    nor push one of theirs out of it or above it. Moving rewrites the subtree's paths (Agency.save).
    """
    unknown = set(changes) - (set(AGENCY_FIELDS) - {"code"})
    if unknown:
        raise TypeError(f"change_agency() got unexpected fields: {sorted(unknown)}")
    with transaction.atomic():
        current = (
            Agency.objects.select_for_update(of=("self",))
            .select_related("parent", "region")
            .get(pk=agency.pk)
        )
        access.require(
            actor is None or access.can_change_agency(actor, current),
            _("Instansi ini berada di luar cakupan Anda."),
        )
        before = snapshot(current, AGENCY_FIELDS)
        for name, value in changes.items():
            if isinstance(value, str):
                value = value.strip()
            setattr(current, name, value)
        _check_agency_fields(code=current.code, name=current.name, kind=current.kind)
        after = snapshot(current, AGENCY_FIELDS)
        before, after = changed_fields(before, after)
        if not after:
            return current
        structural = {"parent", "region", "kind", "is_active"} & set(after)
        if actor is not None and structural:
            access.require(
                access.can_restructure_agency(actor, current),
                _(
                    "Hanya pengelola di atas instansi ini yang dapat memindah, menonaktifkan, atau mengubah "
                    "jenis dan wilayahnya."
                ),
            )
        if actor is not None and "parent" in after:
            access.require(
                current.parent is not None and access.can_place_agency_under(actor, current.parent),
                _("Induk baru harus berada di dalam cakupan Anda."),
            )
        if actor is not None and "region" in after:
            access.require(
                access.can_assign_region(actor, current, current.region),
                _("Wilayah layanan harus berada di dalam wilayah instansi yang Anda kelola."),
            )
        try:
            current.save()  # refuses a parent inside the agency's own subtree (Agency._check_parent)
        except ValidationError as exc:
            raise AgencyError(" ".join(exc.messages)) from None
        if "parent" in after:
            kind = AuditRecord.Kind.AGENCY_MOVED
        elif after.get("is_active") is False:
            kind = AuditRecord.Kind.AGENCY_DEACTIVATED
        else:
            kind = AuditRecord.Kind.AGENCY_CHANGED
        record_change(actor=actor, kind=kind, obj=current, before=before, after=after, agency=current)
    agency.__dict__.update({k: v for k, v in current.__dict__.items() if not k.startswith("_")})
    return current


def _save_audited(current, *, actor, kind, fields, before, agency=None):
    """Validate and save `current` (a category or a routing rule, locked or new) and audit it.

    `before` is the snapshot of a changed object ({} for a new one): a change that changes nothing
    writes no audit row.
    """
    try:
        current.full_clean()
    except ValidationError as exc:
        raise AgencyError(" ".join(exc.messages)) from None
    current.save()
    after = snapshot(current, fields)
    if before:
        before, after = changed_fields(before, after)
        if not after:
            return current
    record_change(actor=actor, kind=kind, obj=current, before=before, after=after, agency=agency)
    return current


def save_category(*, actor, category=None, **values):
    """Create a category (or group) or change one; categories are national data.

    `values` holds CATEGORY_FIELDS (the code only for a new category).
    """
    access.require(
        actor is None or access.can_manage_national_data(actor),
        _("Kategori berlaku nasional: hanya admin nasional dan sysadmin yang dapat mengubahnya."),
    )
    unknown = set(values) - set(CATEGORY_FIELDS)
    if unknown:
        raise TypeError(f"save_category() got unexpected fields: {sorted(unknown)}")
    with transaction.atomic():
        if category is None:
            current, before = Category(), {}
        else:
            current = Category.objects.select_for_update().get(pk=category.pk)
            before = snapshot(current, CATEGORY_FIELDS)
            values.pop("code", None)
        for name, value in values.items():
            setattr(current, name, value.strip() if isinstance(value, str) else value)
        if not current.code or not current.name:
            raise AgencyError(_("Kode dan nama kategori wajib diisi."))
        kind = AuditRecord.Kind.CATEGORY_CREATED if category is None else AuditRecord.Kind.CATEGORY_CHANGED
        return _save_audited(current, actor=actor, kind=kind, fields=CATEGORY_FIELDS, before=before)


def save_routing_rule(*, actor, category, agency, region=None, note="", rule=None):
    """Create or change a routing rule (category, region) → agency.

    A national rule (no region) is national data; a regional one needs the agency in the actor's
    subtree and the region inside their scope's region, both before and after the change.
    """

    def allowed(region, agency):
        return actor is None or access.can_manage_routing_rule(actor, region=region, agency=agency)

    message = _("Aturan penerusan ini berada di luar cakupan Anda.")
    with transaction.atomic():
        if rule is None:
            current, before = RoutingRule(), {}
        else:
            current = (
                RoutingRule.objects.select_for_update(of=("self",))
                .select_related("region", "agency")
                .get(pk=rule.pk)
            )
            access.require(allowed(current.region, current.agency), message)
            before = snapshot(current, RULE_FIELDS)
        access.require(allowed(region, agency), message)
        current.category, current.region, current.agency = category, region, agency
        current.note = (note or "").strip()
        kind = AuditRecord.Kind.RULE_CREATED if rule is None else AuditRecord.Kind.RULE_CHANGED
        return _save_audited(
            current, actor=actor, kind=kind, fields=RULE_FIELDS, before=before, agency=agency
        )


def delete_routing_rule(*, actor, rule):
    """Delete a routing rule the actor may manage."""
    with transaction.atomic():
        current = (
            RoutingRule.objects.select_for_update(of=("self",))
            .select_related("region", "agency")
            .get(pk=rule.pk)
        )
        access.require(
            actor is None
            or access.can_manage_routing_rule(actor, region=current.region, agency=current.agency),
            _("Aturan penerusan ini berada di luar cakupan Anda."),
        )
        before, pk = snapshot(current, RULE_FIELDS), current.pk
        record_change(
            actor=actor,
            kind=AuditRecord.Kind.RULE_DELETED,
            obj=current,
            before=before,
            agency=current.agency,
            object_id=pk,
        )
        current.delete()


def rename_region(*, region, name, actor):
    """Correct a region's name (its code, level and parent come only from load_regions)."""
    access.require(
        actor is None or access.can_manage_national_data(actor),
        _("Data wilayah berlaku nasional: hanya admin nasional dan sysadmin yang dapat mengubahnya."),
    )
    name = (name or "").strip()
    if not name:
        raise AgencyError(_("Nama wilayah wajib diisi."))
    with transaction.atomic():
        current = Region.objects.select_for_update().get(pk=region.pk)
        if current.name == name:
            return current
        before = {"name": current.name}
        current.name = name[:120]
        current.save(update_fields=["name", "search_name"])
        record_change(
            actor=actor,
            kind=AuditRecord.Kind.REGION_RENAMED,
            obj=current,
            before=before,
            after={"name": current.name},
        )
    return current
