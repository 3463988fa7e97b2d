from django.urls import path

from jembatan.workbench import views

app_name = "workbench"

urlpatterns = [
    path("", views.index, name="index"),
]
