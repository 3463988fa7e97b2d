"""The hub's network page (/data/jaringan/): every instance's figures as it reported them.

Here rather than in insights (which federation builds on): it reads federation's NetworkFigure rows.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jembatan.federation import figures
from jembatan.insights.queries import viewer_scopes
from jembatan.insights.views import dashboard_view


@dashboard_view
@require_GET
def network(request):
    """The hub's view of the whole network: each instance's figures as it reported them."""
    if not figures.is_hub():
        raise Http404(_("Hanya hub jaringan yang mengumpulkan angka seluruh jaringan."))
    scopes = viewer_scopes(request.user)
    if not scopes[0].is_national:
        raise PermissionDenied(_("Angka seluruh jaringan hanya untuk yang dapat melihat seluruh instansi."))
    period = timezone.localdate().replace(day=1)
    chosen = request.GET.get("bulan", "")
    if chosen:
        try:
            period = dt.datetime.strptime(chosen, "%Y-%m").date()
        except ValueError:
            return HttpResponseBadRequest(_("Bulan tidak dikenal."))
    data = figures.network(period)
    return render(request, "insights/network.html", {"data": data, "active": "jaringan"})
