from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from jembatan import health, observability
from jembatan.federation import dashboard as federation_dashboard

admin.site.site_header = _("Administrasi Jembatan")
admin.site.site_title = _("Jembatan")
admin.site.index_title = _("Pengelolaan data")

handler500 = "jembatan.middleware.server_error"  # a busy database answers 503, not 500

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", observability.metrics_view, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("akun/", include("jembatan.accounts.urls")),
    path("admin/", admin.site.urls),
    path("kerja/", include("jembatan.workbench.urls")),
    path("api/v1/", include("jembatan.api.urls")),
    path("open311/v2/", include("jembatan.api.open311.urls")),
    path("kanal/", include("jembatan.intake.urls")),
    path("data/jaringan/", federation_dashboard.network, name="network"),
    path("data/", include("jembatan.insights.urls")),
    path("federation/", include("jembatan.federation.urls")),
    path("", include("jembatan.portal.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
