from django.contrib import admin

from .models import PreSessionSummary


@admin.register(PreSessionSummary)
class PreSessionSummaryAdmin(admin.ModelAdmin):
    """Metadata only: the snapshot itself is the patient's and stays out of the admin."""

    list_display = ["appointment", "version", "status", "shared_at"]
    fields = ["appointment", "version", "status", "period_start", "period_end", "shared_at"]
    readonly_fields = fields
