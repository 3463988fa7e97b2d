from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from jembatan.api import errors, staff, views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script=): no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("docs/redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    # Citizens and the public
    path("reports/", views.submit, name="submit"),
    path("reports/<str:number>/", views.track, name="report"),
    path("reports/<str:number>/reply/", views.reply, name="reply"),
    path("reports/<str:number>/rate/", views.rate, name="rate"),
    path("reports/<str:number>/close/", views.close, name="close"),
    path("me/reports/", views.my_reports, name="my-reports"),
    path("public/reports/", views.public_reports, name="public-reports"),
    path("categories/", views.categories, name="categories"),
    path("agencies/", views.agencies, name="agencies"),
    path("archive-reasons/", views.archive_reasons, name="archive-reasons"),
    path("auth/token/", views.token_create, name="token"),
    path("auth/token/current/", views.token_delete, name="token-current"),
    # Officers and agency systems
    path("staff/reports/", staff.report_list, name="staff-reports"),
    path("staff/reports/enter/", staff.enter_report, name="staff-enter"),
    path("staff/reports/<str:number>/", staff.report_detail, name="staff-report"),
    path("staff/reports/<str:number>/verify/", staff.verify, name="staff-verify"),
    path(
        "staff/reports/<str:number>/request-information/",
        staff.request_information,
        name="staff-request-information",
    ),
    path("staff/reports/<str:number>/archive/", staff.archive, name="staff-archive"),
    path("staff/reports/<str:number>/dispose/", staff.dispose, name="staff-dispose"),
    path("staff/reports/<str:number>/close/", staff.close, name="staff-close"),
    path("staff/reports/<str:number>/mark-duplicate/", staff.mark_duplicate, name="staff-mark-duplicate"),
    path("staff/reports/<str:number>/notes/", staff.add_note, name="staff-note"),
    path(
        "staff/reports/<str:number>/return-to-origin/",
        staff.return_to_origin,
        name="staff-return-to-origin",
    ),
    path("staff/dispositions/<int:pk>/assign-liaison/", staff.assign_liaison, name="staff-assign-liaison"),
    path("staff/dispositions/<int:pk>/start/", staff.start_follow_up, name="staff-start"),
    path("staff/dispositions/<int:pk>/follow-up/", staff.post_follow_up, name="staff-follow-up"),
    path("staff/dispositions/<int:pk>/return/", staff.return_disposition, name="staff-return"),
    path("staff/dispositions/<int:pk>/forward/", staff.forward, name="staff-forward"),
    path("staff/attachments/<int:pk>/", staff.attachment, name="staff-attachment"),
    path("staff/webhooks/", staff.webhooks, name="staff-webhooks"),
    path("staff/webhooks/<int:pk>/", staff.webhook_delete, name="staff-webhook"),
    re_path(r"^.*$", errors.not_found),
]
