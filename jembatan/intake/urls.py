from django.urls import path

from jembatan.intake import views

app_name = "intake"

urlpatterns = [
    path("sms/", views.sms, name="sms"),
    path("whatsapp/", views.whatsapp, name="whatsapp"),
    path("email/", views.email, name="email"),
]
