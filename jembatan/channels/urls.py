from django.urls import path

from jembatan.channels import views

app_name = "channels"

urlpatterns = [
    path("sms/", views.sms, name="sms"),
    path("whatsapp/", views.whatsapp, name="whatsapp"),
    path("email/", views.email, name="email"),
]
