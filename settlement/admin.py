"""Staff tools for offline counters: register and revoke offline terminals, read the "不是我本人" reports.

Registering goes through `register_offline_terminal` (its audit row, a generated key id and secret); the
secret is shown once on the page that answers the add, never stored in clear or put in a message cookie."""

from __future__ import annotations

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from insurance.models import OfflineTerminal
from settlement.actions import close_dispute, register_offline_terminal, revoke_offline_terminal
from settlement.models import DisputeStatus, SettlementDispute


@admin.register(OfflineTerminal)
class OfflineTerminalAdmin(admin.ModelAdmin):
    list_display = ["name", "institution", "location", "key_id", "is_active", "browser_enrolled", "created_at"]
    list_filter = ["is_active", "institution"]
    search_fields = ["name", "location", "key_id", "institution__name"]
    actions = ["revoke"]
    SHOWN = ["institution", "name", "location", "key_id", "is_active", "browser_enrolled", "created_by", "created_at",
             "revoked_at"]

    def get_fields(self, request, obj=None):
        return ["institution", "name", "location"] if obj is None else self.SHOWN

    def get_readonly_fields(self, request, obj=None):
        # A terminal stays with its institution; it is switched off with the "revoke" action, which also
        # logs its browser out, never by editing a field.
        return [] if obj is None else [f for f in self.SHOWN if f not in ("name", "location")]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # settlements point at it: revoke instead

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "institution":  # Django's own "- Select an option -" has no Chinese translation
            kwargs["empty_label"] = _("请选择医院或药店")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(boolean=True, description=_("已登记电脑"))
    def browser_enrolled(self, obj: OfflineTerminal) -> bool:
        return bool(obj.browser_token_hash)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        terminal, secret = register_offline_terminal(institution=obj.institution, name=obj.name,
                                                     location=obj.location, by=request.user)
        obj.pk = terminal.pk
        obj.refresh_from_db()
        obj._state.adding = False
        request._offline_terminal_secret = secret

    def response_add(self, request, obj, post_url_continue=None):
        secret = getattr(request, "_offline_terminal_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "terminal": obj,
                   "secret": secret, "title": _("离线收费终端已登记")}
        response = TemplateResponse(request, "settlement/admin_terminal_credential.html", context)
        response["Cache-Control"] = "no-store, max-age=0"
        return response

    @admin.action(description=_("停用所选终端（它的密钥和登记的电脑立即失效）"), permissions=["change"])
    def revoke(self, request, queryset) -> None:
        for terminal in queryset:
            revoke_offline_terminal(terminal, by=request.user)


@admin.register(SettlementDispute)
class SettlementDisputeAdmin(admin.ModelAdmin):
    list_display = ["opened_at", "institution", "total", "reporter", "status"]
    list_filter = ["status", "reporter"]
    fields = ["settlement", "reporter", "reported_by", "status", "opened_at", "closed_at", "closed_by", "staff_note"]
    readonly_fields = ["settlement", "reporter", "reported_by", "status", "opened_at", "closed_at", "closed_by"]
    actions = ["close"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("settlement__institution")

    def has_add_permission(self, request) -> bool:
        return False  # opened only by the person told by SMS

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("医院或药店"))
    def institution(self, obj: SettlementDispute) -> str:
        return obj.settlement.institution.name

    @admin.display(description=_("金额"))
    def total(self, obj: SettlementDispute) -> str:
        return f"{obj.settlement.total:.2f}"

    @admin.action(description=_("标记为已处理（处理记录写在报告里）"), permissions=["change"])
    def close(self, request, queryset) -> None:
        for dispute in queryset.filter(status=DisputeStatus.OPEN):
            close_dispute(dispute, staff=request.user, note=dispute.staff_note)
