from django.urls import path

from jembatan.portal import views, voices

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("lapor/", views.submit, name="submit"),
    path("lapor/serupa", views.similar, name="similar"),
    path("lapor/saran-kategori", views.suggest_category, name="suggest-category"),
    path("lapor/terkirim/<str:number>/", views.submitted, name="submitted"),
    path("lacak/", views.track_lookup, name="track-lookup"),
    path("lacak/<str:number>/", views.track, name="track"),
    path("lacak/<str:number>/kode/", views.track_code, name="track-code"),
    path("lacak/<str:number>/balas/", views.reply, name="reply"),
    path("lacak/<str:number>/lengkapi/", views.complete, name="complete"),
    path("lacak/<str:number>/nilai/", views.rate, name="rate"),
    path("lacak/<str:number>/tutup/", views.close, name="close"),
    path("lacak/<str:number>/buka-kembali/", views.reopen, name="reopen"),
    path("lampiran/<int:pk>/", views.attachment, name="attachment"),
    path("lampiran/<int:pk>/kecil/", views.attachment_thumbnail, name="attachment-thumbnail"),
    path("saya/", views.my_reports, name="my-reports"),
    path("laporan/", views.public_list, name="reports"),
    path("laporan/<str:number>/", views.public_report, name="report"),
    path("laporan/<str:number>/dukung/", views.support, name="support"),
    path("laporan/<str:number>/ikuti/", voices.follow, name="follow"),
    path("laporan/<str:number>/ikuti/kode/", voices.follow_code, name="follow-code"),
    path("laporan/<str:number>/berhenti-ikuti/", voices.unfollow_account, name="unfollow-account"),
    path("laporan/<str:number>/gabung/", voices.join, name="join"),
    path("ikuti/berhenti/<str:token>/", voices.unfollow, name="unfollow"),
    path("wilayah/cari", views.region_search, name="region-search"),
    path("wilayah/<str:code>/anak", views.region_children, name="region-children"),
]
