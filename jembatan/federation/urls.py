from django.urls import path

from jembatan.federation import views

app_name = "federation"

urlpatterns = [
    path("v1/messages", views.receive, name="messages"),
]
