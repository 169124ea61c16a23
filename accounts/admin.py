from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .audit import RecordsAdminReads
from .models import AccessRecord, CareLink, Invitation, User


@admin.register(User)
class UserAdmin(RecordsAdminReads, BaseUserAdmin):
    audit_patient = ""
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "role", "timezone", "reminder_time"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "role", "password1", "password2"]}),
    ]


@admin.register(CareLink)
class CareLinkAdmin(RecordsAdminReads, admin.ModelAdmin):
    list_display = ["therapist", "patient", "started_at", "ended_at"]
    raw_id_fields = ["therapist", "patient"]


@admin.register(Invitation)
class InvitationAdmin(RecordsAdminReads, admin.ModelAdmin):
    audit_patient = "accepted_by"
    list_display = ["email", "therapist", "sent_at", "accepted_at", "revoked_at"]
    raw_id_fields = ["therapist", "accepted_by"]


@admin.register(AccessRecord)
class AccessRecordAdmin(admin.ModelAdmin):
    """The access log, read-only: nobody adds, changes or deletes a row here."""

    list_display = ["at", "viewer", "patient", "patient_erased", "kind", "object_id"]
    list_filter = ["kind", "patient_erased"]
    date_hierarchy = "at"
    raw_id_fields = ["viewer", "patient"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
