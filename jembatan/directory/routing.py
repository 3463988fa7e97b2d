"""Which agency should handle a report of this category in this place?

The most specific region wins: desa/kelurahan > kecamatan > kabupaten/kota > provinsi > national
(FixMyStreet's body × category × area contacts, flattened into one rule table).
"""

from dataclasses import dataclass

from jembatan.directory.models import Agency, RoutingRule, region_ancestor_codes


@dataclass(frozen=True)
class RoutingProposal:
    agency: Agency
    rule: RoutingRule | None
    reason: str  # "rule" | "parent_category_rule" | "default_kind"


def _best_rule(category_ids, region_code):
    codes = region_ancestor_codes(region_code) if region_code else []
    rules = list(
        RoutingRule.objects.filter(category_id__in=category_ids, agency__is_active=True)
        .filter(region_id__in=codes)
        .select_related("agency", "region")
    ) + list(
        RoutingRule.objects.filter(category_id__in=category_ids, region__isnull=True, agency__is_active=True)
        .select_related("agency")
    )
    if not rules:
        return None

    def specificity(rule):
        depth = len(rule.region_id.split(".")) if rule.region_id else 0
        own_category = rule.category_id == category_ids[0]
        return (depth, own_category)

    return max(rules, key=specificity)


def propose_agency(*, category, region_code):
    """Return the RoutingProposal for a category and a region code, or None when nothing fits."""
    if category is None:
        return None
    rule = _best_rule([category.pk], region_code)
    if rule is not None:
        return RoutingProposal(agency=rule.agency, rule=rule, reason="rule")
    if category.parent_id:
        rule = _best_rule([category.parent_id], region_code)
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
    best = None
    for agency in candidates.select_related("region"):
        depth = len(agency.region_id.split(".")) if agency.region_id else 0
        if best is None or depth > best[0]:
            best = (depth, agency)
    return best[1] if best else None


