from django.contrib import admin

from .models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "therapist", "patient", "kind", "outcome", "sequence"]
    list_filter = ["outcome", "kind"]
    raw_id_fields = ["therapist", "patient"]
    date_hierarchy = "starts_at"
