from django.contrib import admin

from accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["masked_phone", "role", "person", "is_active"]
    list_filter = ["role", "is_active"]
    exclude = ["phone", "password"]
    readonly_fields = ["masked_phone", "public_id", "last_login", "date_joined"]
