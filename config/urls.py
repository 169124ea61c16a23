from django.contrib import admin
from django.urls import include, path

from . import mailbox, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("journal.urls")),
    path("", include("prep.urls")),
    path("", include("feedback.urls")),
    path("admin/", admin.site.urls),
]

# The development mailbox answers 404 unless DEBUG is on (config/mailbox.py).
urlpatterns += [
    path("dev/mailbox/", mailbox.inbox, name="dev_mailbox"),
    path(
        "dev/mailbox/<str:name>/<int:index>/",
        mailbox.message_detail,
        name="dev_mailbox_message",
    ),
    path(
        "dev/mailbox/<str:name>/<int:index>/<int:number>/",
        mailbox.attachment,
        name="dev_mailbox_attachment",
    ),
]
