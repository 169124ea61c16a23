from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from accounts import views as accounts_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    # At the root: a service worker looks after the pages under its own path only.
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.web_manifest, name="web_manifest"),
    # allauth's pages for emailed links, answering 410 when a link is dead.
    re_path(
        r"^accounts/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        accounts_views.PasswordResetFromKeyView.as_view(),
    ),
    re_path(
        r"^accounts/confirm-email/(?P<key>[-:\w]+)/$", accounts_views.ConfirmEmailView.as_view()
    ),
    path("accounts/signup/", accounts_views.SignupView.as_view(), name="account_signup"),
    path("accounts/logout/", accounts_views.LogoutView.as_view(), name="account_logout"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("journal.urls")),
    path("", include("notifications.urls")),
    path("", include("appointments.urls")),
    path("", include("prep.urls")),
    path("", include("feedback.urls")),
    # The admin has no sign-in of its own: the app's (throttled, two-factor) one.
    path("admin/login/", views.admin_login),
    path("admin/", admin.site.urls),
]

if settings.BENCH_BARE_VIEW:
    from bench.views import ok

    urlpatterns.append(path("bench/ok", ok))
