from django.contrib import admin

from accounts.audit import RecordsAdminReads

from .models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(RecordsAdminReads, admin.ModelAdmin):
    list_display = ["starts_at", "therapist", "patient", "kind", "outcome", "sequence"]
    list_filter = ["outcome", "kind"]
    raw_id_fields = ["therapist", "patient"]
    date_hierarchy = "starts_at"
