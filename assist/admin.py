from django.contrib import admin

from assist.models import HelperArea, HelpPoint, Kiosk


@admin.register(Kiosk)
class KioskAdmin(admin.ModelAdmin):
    list_display = ["name", "location", "is_active", "created_at"]
    list_filter = ["is_active"]
    fields = ["name", "location", "is_active", "registered_by", "created_at"]
    readonly_fields = ["registered_by", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False  # a helper registers a kiosk from the kiosk's own browser (it gets the cookie there)


@admin.register(HelpPoint)
class HelpPointAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "district", "is_active", "updated_at"]
    list_filter = ["kind", "district", "is_active"]
    search_fields = ["name", "address"]


@admin.register(HelperArea)
class HelperAreaAdmin(admin.ModelAdmin):
    list_display = ["helper", "district"]
    list_filter = ["district"]
