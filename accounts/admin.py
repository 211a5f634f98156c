from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.actions import revoke_trusted_phone
from accounts.models import RevokedWhy, Role, TrustedDevice, User
from core.client_address import client_ip

# Who a user is (phone, real-name binding) and what they may do in the admin are never edited here:
# the phone and the binding only change through the flows that prove them, and rights only by a superuser.
_ALWAYS_READ_ONLY = ["masked_phone", "public_id", "person", "last_login", "date_joined"]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["masked_phone", "display_name", "role", "institution", "is_active"]
    list_filter = ["role", "is_active"]
    exclude = ["phone", "password"]

    def has_add_permission(self, request) -> bool:
        return False  # an account starts with its phone: SMS sign-in, or a worker set up by a superuser

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and (obj.is_staff or obj.is_superuser or obj.role == Role.STAFF) \
                and not request.user.is_superuser:
            return False  # staff cannot change staff (or themselves)
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return _ALWAYS_READ_ONLY
        return [*_ALWAYS_READ_ONLY, "is_staff", "is_superuser"]

    def get_exclude(self, request, obj=None):
        if request.user.is_superuser:
            return self.exclude
        return [*self.exclude, "groups", "user_permissions"]

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [(value, label) for value, label in Role.choices if value != Role.STAFF]
        return super().formfield_for_choice_field(db_field, request, **kwargs)



@admin.register(TrustedDevice)
class TrustedDeviceAdmin(admin.ModelAdmin):
    """Her trusted phones (记住的手机): staff see them and remove them (e.g. she calls 12393 from another
    phone); nothing else is edited here, and the secret's hash is never shown."""

    list_display = ["label", "user", "created_at", "last_used_at", "revoked_at", "revoked_why"]
    list_filter = ["revoked_why"]
    fields = ["label", "user", "created_at", "last_used_at", "revoked_at", "revoked_by", "revoked_why"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # only her own phone, after she proved it is her, becomes trusted

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # removed, never deleted: her account record keeps which phone it was

    @admin.action(description=_("移除所选手机（它们不再能直接打开医保码）"), permissions=["change"])
    def revoke(self, request, queryset) -> None:
        for device in queryset.filter(revoked_at__isnull=True):
            revoke_trusted_phone(device, by=request.user, why=RevokedWhy.STAFF, ip=client_ip(request))
