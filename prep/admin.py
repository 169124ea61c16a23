from django.contrib import admin

from accounts.audit import RecordsAdminReads

from .models import PreSessionSummary


@admin.register(PreSessionSummary)
class PreSessionSummaryAdmin(RecordsAdminReads, admin.ModelAdmin):
    """Metadata only: the snapshot itself is the patient's and stays out of the admin."""

    audit_patient = "appointment__patient"

    list_display = ["appointment", "version", "status", "shared_at"]
    fields = ["appointment", "version", "status", "period_start", "period_end", "shared_at"]
    readonly_fields = fields
