"""Text search over reports, shared by the portal, the workbench and the API.

`search_reports(queryset, text)` is the one entry point; callers never build text filters
themselves, so the search engine can change underneath them.
"""

import re

from django.db.models import Q


def search_reports(queryset, text):
    """Filter `queryset` to reports matching `text` (words AND-ed; a tracking number matches exactly)."""
    text = (text or "").strip()
    if not text:
        return queryset
    if re.fullmatch(r"#?\d{6,12}", text):
        return queryset.filter(tracking_number=text.lstrip("#"))
    for word in text.split()[:8]:
        queryset = queryset.filter(Q(title__icontains=word) | Q(description__icontains=word))
    return queryset
