from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("practice/", views.practice_home, name="practice_home"),
]
