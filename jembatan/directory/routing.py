"""Which agency should handle a report of this category in this place?

The most specific region wins: desa/kelurahan > kecamatan > kabupaten/kota > provinsi > national
(FixMyStreet's body × category × area contacts, flattened into one rule table). A category's own
rules are tried before its group's, whatever their regions: a group rule is the default for the
categories nobody configured one by one, so a national rule "Administrasi BPJS Kesehatan → BPJS
Kesehatan" still beats Kota Padang's "Kesehatan → Dinas Kesehatan Kota Padang". When no rule fits,
the category's (or its group's) default agency kind and name keyword pick the matching office of
the most local government serving the place.

Rules and defaults that point at an inactive agency are ignored, so deactivating an office makes
reports fall through to the next candidate instead of landing in a dead inbox.
"""

from dataclasses import dataclass

from django.db.models import Q

from jembatan.directory.models import Agency, RoutingRule, region_ancestor_codes


@dataclass(frozen=True)
class RoutingProposal:
    agency: Agency
    rule: RoutingRule | None
    reason: str  # "rule" | "parent_category_rule" | "default_kind"


def _region_depth(code):
    return len(code.split(".")) if code else 0


def _best_rule(category_id, region_code):
    """The category's rule for the most specific region containing `region_code`, or national."""
    places = Q(region__isnull=True)
    if region_code:
        places |= Q(region_id__in=region_ancestor_codes(region_code))
    rules = RoutingRule.objects.filter(
        places, category_id=category_id, agency__is_active=True
    ).select_related("agency", "region")
    # (category, region) is unique, so depths never tie.
    return max(rules, key=lambda rule: _region_depth(rule.region_id), default=None)


def propose_agency(*, category, region_code):
    """Return the RoutingProposal for a category and a region code, or None when nothing fits."""
    if category is None:
        return None
    rule = _best_rule(category.pk, region_code)
    if rule is not None:
        return RoutingProposal(agency=rule.agency, rule=rule, reason="rule")
    if category.parent_id:
        rule = _best_rule(category.parent_id, region_code)
        if rule is not None:
            return RoutingProposal(agency=rule.agency, rule=rule, reason="parent_category_rule")
    agency = _default_kind_agency(category, region_code)
    if agency is not None:
        return RoutingProposal(agency=agency, rule=None, reason="default_kind")
    return None


def _default_kind_agency(category, region_code):
    """Fall back on the category's default agency kind, served by the most local government."""
    source = category if category.default_agency_kind else (category.parent if category.parent_id else None)
    if source is None or not source.default_agency_kind:
        return None
    candidates = Agency.objects.active().filter(kind=source.default_agency_kind)
    if source.default_agency_keyword:
        candidates = candidates.filter(name__icontains=source.default_agency_keyword)
    if region_code:
        candidates = candidates.serving_region(region_code)
    else:
        # Without a place only a national agency can be right; any local office would be a guess.
        candidates = candidates.filter(region__isnull=True)
    # Deepest service area wins; among equals the one highest in the agency tree (a dinas over
    # its own UPT), then the oldest, so the answer never depends on the database's row order.
    return min(
        candidates,
        key=lambda agency: (-_region_depth(agency.region_id), agency.path.count("/"), agency.pk),
        default=None,
    )
