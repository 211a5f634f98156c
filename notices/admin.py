from django.contrib import admin

from notices.models import Digest, Notice


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """Read-only: what was sent to whom and whether it arrived. The body and phone stay encrypted and unshown."""

    list_display = ("created_at", "kind", "channel", "status", "failed_reason")
    list_filter = ("status", "channel", "category")
    fields = ("created_at", "kind", "category", "channel", "status", "failed_reason", "hold_until")
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = ("week", "visits", "created_at")
    readonly_fields = ("week", "visits", "unusual", "created_at")
    exclude = ("proxy", "message")

    def has_add_permission(self, request) -> bool:
        return False
