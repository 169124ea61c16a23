from django.contrib import admin

from accounts.audit import RecordsAdminReads

from .models import Message, PracticeSettings


@admin.register(Message)
class MessageAdmin(RecordsAdminReads, admin.ModelAdmin):
    audit_patient = "recipient"
    """The outbox, for operations: what is due, sent, retrying or failed."""

    list_display = [
        "kind",
        "variant",
        "target_id",
        "recipient",
        "due_at",
        "status",
        "attempts",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "kind"]
    date_hierarchy = "due_at"
    search_fields = ["recipient__email", "key"]
    raw_id_fields = ["recipient"]
    readonly_fields = ["key", "variant", "claimed_at", "sent_at", "created_at"]
    actions = ["retry_now"]

    @admin.action(description="Send again at the next dispatch")
    def retry_now(self, request, queryset):
        # An expired one stays expired: its moment has passed, and the dispatcher
        # would only drop it again.
        queryset.exclude(status__in=[Message.Status.SENT, Message.Status.EXPIRED]).update(
            status=Message.Status.PENDING, next_attempt_at=None, claimed_at=None
        )


admin.site.register(PracticeSettings)
