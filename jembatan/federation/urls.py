from django.urls import path

from jembatan.federation import views

app_name = "federation"

urlpatterns = [
    path("v1/messages", views.receive, name="messages"),
    path("v1/directory", views.directory, name="directory"),
    path("v1/figures", views.figures, name="figures"),
]
