from django.urls import path

from . import mailbox, views

app_name = "notifications"

urlpatterns = [
    # The path emailed links already hold; it stays.
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("settings/email/", views.email_preferences, name="email_preferences"),
    path("practice/settings/", views.practice_settings, name="practice_settings"),
    # The development mailbox answers 404 unless DEBUG is on (notifications/mailbox.py).
    path("dev/mailbox/", mailbox.inbox, name="dev_mailbox"),
    path("dev/mailbox/<str:name>/<id:index>/", mailbox.message_detail, name="dev_mailbox_message"),
    path(
        "dev/mailbox/<str:name>/<id:index>/<id:number>/",
        mailbox.attachment,
        name="dev_mailbox_attachment",
    ),
]
