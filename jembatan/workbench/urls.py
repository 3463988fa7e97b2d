from django.urls import path

from jembatan.workbench import views

app_name = "workbench"

urlpatterns = [
    path("", views.index, name="index"),
    path("cari/", views.find, name="find"),
    path("antrean/<slug:slug>/", views.queue_view, name="queue"),
    path("antrean/<slug:slug>/csv/", views.queue_csv, name="queue-csv"),
    path("antrean/<slug:slug>/massal/", views.queue_bulk, name="queue-bulk"),
    path("filter/simpan/", views.filter_save, name="filter-save"),
    path("filter/<int:pk>/hapus/", views.filter_delete, name="filter-delete"),
    path("laporan/baru/", views.enter_report_view, name="enter-report"),
    path("laporan/baru/saran/", views.enter_report_suggest, name="enter-report-suggest"),
    path("laporan/<str:tracking_number>/", views.report_view, name="report"),
    path("laporan/<str:tracking_number>/verifikasi/", views.verify_view, name="verify"),
    path(
        "laporan/<str:tracking_number>/minta-informasi/",
        views.request_information_view,
        name="request-information",
    ),
    path("laporan/<str:tracking_number>/arsipkan/", views.archive_view, name="archive"),
    path("laporan/<str:tracking_number>/disposisi/", views.dispose_view, name="dispose"),
    path("laporan/<str:tracking_number>/tutup/", views.close_view, name="close"),
    path("laporan/<str:tracking_number>/kembalikan-ke-asal/", views.return_origin_view, name="return-origin"),
    path("laporan/<str:tracking_number>/kirim-lapor/", views.send_lapor_view, name="send-lapor"),
    path("laporan/<str:tracking_number>/duplikat/", views.duplicate_view, name="duplicate"),
    path("laporan/<str:tracking_number>/catatan/", views.note_view, name="note"),
    path(
        "laporan/<str:tracking_number>/gabungkan/<str:original>/",
        views.merge_confirm_view,
        name="merge-confirm",
    ),
    path("laporan/<str:tracking_number>/batal-gabung/", views.unmerge_view, name="unmerge"),
    path("laporan/<str:tracking_number>/tangani/", views.claim_view, name="claim"),
    path("laporan/<str:tracking_number>/lepas/", views.release_view, name="release"),
    path("disposisi/<int:pk>/penghubung/", views.assign_liaison_view, name="assign-liaison"),
    path("disposisi/<int:pk>/mulai/", views.start_follow_up_view, name="start-follow-up"),
    path("disposisi/<int:pk>/tindak-lanjut/", views.follow_up_view, name="follow-up"),
    path("disposisi/<int:pk>/perkembangan/", views.progress_view, name="progress"),
    path("disposisi/<int:pk>/kembalikan/", views.return_view, name="return"),
    path("disposisi/<int:pk>/limpahkan/", views.forward_view, name="forward"),
    path("lampiran/<int:pk>/", views.attachment_view, name="attachment"),
    path("lampiran/<int:pk>/kecil/", views.attachment_thumbnail_view, name="attachment-thumbnail"),
    path("templat/", views.templates_view, name="templates"),
    path("templat/<int:pk>/", views.templates_view, name="template-edit"),
]
