from django.urls import path

from jembatan.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("peta/", views.map_view, name="map"),
    path("kinerja/", views.league, name="league"),
    path("tren/", views.trends, name="trends"),
    path("laporan/", views.reports, name="reports"),
    path("ekspor/<str:token>/", views.export_job, name="export-job"),
    path("ekspor/<str:token>/unduh/", views.export_download, name="export-download"),
    path("laporan-bulanan/", views.monthly_index, name="monthly"),
    path("laporan-bulanan/lihat/", views.monthly_view, name="monthly-view"),
    path("laporan-bulanan/simpan/", views.monthly_generate, name="monthly-generate"),
    path("laporan-bulanan/arsip/<int:pk>/", views.monthly_snapshot, name="monthly-snapshot"),
    path("statistik/", views.public_stats, name="public-stats"),
    path("terbuka/", views.open_data, name="open-data"),
    path("terbuka/<str:name>", views.open_data_file, name="open-data-file"),
]
