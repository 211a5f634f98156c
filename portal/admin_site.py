"""The admin site for bureau staff: the worker sign-in (password + TOTP), only what staff need, every change audited.

- Signing in: the admin has no password form of its own. ``/admin/login/`` sends everyone to the worker
  sign-in (``/accounts/worker/login/``, password with django-axes' lockout, then the TOTP step), keeping
  ``next``; a page of the admin opens only for an active staff user whose session passed TOTP
  (``request.user.is_verified()``, set by django-otp's middleware).
- Auditing: every add, change and delete made in the admin writes an audit event (via ``staff``) in the
  same transaction as the change, from one mixin this site puts under every ModelAdmin registered on it.
- What staff may do: the group ``STAFF_GROUP`` gets exactly ``STAFF_PERMISSIONS`` after every migrate;
  models holding secrets or raw logs (TOTP devices, one-time codes, axes' tables) are not in the admin.

See docs/decisions.md ("The admin is a worker page").
"""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.db.models.signals import post_migrate
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy

from core.client_address import client_ip
from core.safe_next import safe_next

STAFF_GROUP = "医保局工作人员"

# model label -> the actions staff may take on it in the admin. Everything else is superuser-only.
STAFF_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "insurance.policyrule": ("view", "add", "change", "delete"),  # the reimbursement tables (docs/design.md §5)
    "insurance.institution": ("view", "add", "change"),  # hospitals and pharmacies; deactivate, never delete
    "insurance.filing": ("view",),  # 异地就医备案: decided on the review page (/staff/services/), audited there
    "insurance.entitlement": ("view",),  # 门诊慢特病 likewise
    "insurance.filingrule": ("view", "change"),  # which filing types take effect at once, review limits
    "insurance.filingrequirement": ("view", "add", "change", "delete"),  # materials per destination
    "insurance.chroniccondition": ("view", "add", "change"),  # conditions and their outpatient terms
    "insurance.holiday": ("view", "add", "change", "delete"),  # the working-day calendar of promised limits
    "insurance.insuredperson": ("view",),  # look-up only: the bureau's records are not edited here
    "assist.kiosk": ("view", "change"),  # help-point kiosks: rename, deactivate a lost one
    "insurance.offlineterminal": ("view", "add", "change"),  # offline counters: register, revoke
    "settlement.settlementdispute": ("view", "change"),  # "不是我本人" reports: note, close
    "accounts.user": ("view", "change"),  # helpers and operators: name, role, institution, active
    "accounts.trusteddevice": ("view", "change"),  # her trusted phones: remove one (she lost it, she asks)
}

# Registered by third-party apps but never shown: secrets (TOTP keys) and raw sign-in records.
NOT_IN_ADMIN = ("otp_totp.totpdevice", "otp_static.staticdevice", "otp_email.emaildevice",
                "otp_hotp.hotpdevice", "axes.accessattempt", "axes.accesslog", "axes.accessfailurelog")


def _is_verified_staff(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active or not user.is_staff:
        return False
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def _audit_subject(obj: Any, *, deleting: bool) -> Any:
    """The insured person a change is about, so it shows in her own account record."""
    label = obj._meta.label
    if label == "insurance.InsuredPerson":
        # Her own row being deleted cannot be referenced by the event that records it (PROTECT).
        return None if deleting else obj
    person = getattr(obj, "person", None)
    if person is not None and person._meta.label == "insurance.InsuredPerson":
        return person
    return None


class AuditedAdminMixin:
    """Mixed under every ModelAdmin of the staff site: Django's LogEntry plus one audit event per object."""

    def _record(self, request: HttpRequest, obj: Any, action: str, changes: Any = None) -> None:
        from audit.actions import record_event  # audit's models: this module loads before the app registry
        from audit.models import Via  # (see above)

        detail: dict[str, Any] = {"model": obj._meta.label_lower, "object_id": str(obj.pk)}
        if isinstance(changes, list):
            # Django's change message: the names of the fields changed, never their values.
            detail["changes"] = changes
        record_event(action=action, via=Via.STAFF, actor=request.user,
                     subject=_audit_subject(obj, deleting=action == "admin.deleted"), detail=detail,
                     ip=client_ip(request))

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._record(request, obj, "admin.added", message)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        self._record(request, obj, "admin.changed", message)
        return entry

    def log_deletions(self, request, queryset):
        objects = list(queryset)
        entries = super().log_deletions(request, objects)
        for obj in objects:
            self._record(request, obj, "admin.deleted")
        return entries

    def response_action(self, request, queryset, *args, **kwargs):
        # Bulk actions ("delete selected") log before they delete: one transaction, so the audit events
        # and the change stand or fall together, as they do in the add/change/delete views.
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super().response_action(request, queryset, *args, **kwargs)


class StaffAdminSite(admin.AdminSite):
    site_header = gettext_lazy("医保通 管理")
    site_title = gettext_lazy("医保通 管理")
    index_title = gettext_lazy("医保局工作台")

    def has_permission(self, request: HttpRequest) -> bool:
        return _is_verified_staff(request)

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        """No password form here: the worker sign-in (password, lockout, TOTP) is the only way in."""
        index = reverse("admin:index", current_app=self.name)
        target = safe_next(request, request.GET.get("next") or index, default=index)
        if _is_verified_staff(request):
            return HttpResponseRedirect(target)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(user, "is_verified", lambda: False)():
            # A helper or operator who passed TOTP: signing in again would not make them staff.
            raise PermissionDenied
        from django.contrib.auth.views import redirect_to_login  # auth's forms load models: not at start-up

        return redirect_to_login(target, reverse("accounts:worker_login"))

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(admin_class.__name__, (AuditedAdminMixin, admin_class),
                               {"__module__": admin_class.__module__})
        super().register(model_or_iterable, admin_class, **options)


def sync_staff_group(using: str = "default", apps: Any = None, **_: Any) -> Any:
    """Create the staff group and give it exactly STAFF_PERMISSIONS. Safe to run any number of times."""
    from django.contrib.auth.management import create_permissions  # auth's models: loads before the registry

    apps = apps or global_apps
    try:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    except LookupError:
        return None
    wanted = []
    for label, actions in STAFF_PERMISSIONS.items():
        app_label, model = label.split(".")
        try:
            apps.get_model(app_label, model)
        except LookupError:
            continue  # not migrated yet (e.g. a partial migrate): the next migrate fills it in
        # Permissions are normally created after the last app's post_migrate; make sure they exist now.
        create_permissions(global_apps.get_app_config(app_label), verbosity=0, using=using, apps=apps)
        wanted += list(Permission.objects.using(using).filter(
            content_type__app_label=app_label, content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions]))
    group, _created = Group.objects.using(using).get_or_create(name=STAFF_GROUP)
    group.permissions.set(wanted)
    return group


def _sync_after_migrate(sender: Any, using: str = "default", apps: Any = None, **kwargs: Any) -> None:
    if getattr(sender, "label", None) == "accounts":
        sync_staff_group(using=using, apps=apps)


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.StaffAdminSite"

    def ready(self) -> None:
        super().ready()  # autodiscover: every app's admin.py registers on the staff site

        for label in NOT_IN_ADMIN:
            try:
                model = global_apps.get_model(label)
            except (LookupError, ValueError):
                continue
            if self.module.site.is_registered(model):
                self.module.site.unregister(model)
        post_migrate.connect(_sync_after_migrate, dispatch_uid="portal.admin_site.sync_staff_group")
