"""Proxy grants (亲情账户): a user may act for an insured person, within scopes she agreed to."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    SHOW_CODE = "show_code", _("出示她的医保码")
    VIEW_RECORDS = "view_records", _("查看她的参保和消费记录")
    VIEW_SETTLEMENTS = "view_settlements", _("实时收到她的结算结果")
    ACT = "act", _("替她办理（开通医保码等）")


ALL_SCOPES = [s.value for s in Scope]


class Relationship(models.TextChoices):
    CHILD = "child", _("子女")
    SPOUSE = "spouse", _("配偶")
    PARENT = "parent", _("父母")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他亲属")


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("等待同意")
    ACTIVE = "active", _("已生效")
    EXPIRED = "expired", _("已过期")
    REVOKED = "revoked", _("已解除")
    REFUSED = "refused", _("已拒绝")


class ConsentVia(models.TextChoices):
    CODE = "code", _("本人手机验证码")
    ACCOUNT = "account", _("本人在医保通里同意")
    PRINCIPAL_INVITE = "invite", _("本人主动添加")
    HOUSEHOLD = "household", _("同户未满16岁子女")
    HELPER = "helper", _("帮办时本人验证码或家人同意")


OPEN_STATUSES = (GrantStatus.PENDING, GrantStatus.ACTIVE)
MAX_PROXIES = 5


class ProxyGrantQuerySet(models.QuerySet):
    def active(self) -> ProxyGrantQuerySet:
        return self.filter(status=GrantStatus.ACTIVE, expires_at__gt=timezone.now())

    def with_scope(self, scope: str) -> list[ProxyGrant]:
        # A person has at most five proxies and a proxy a handful of principals: filter in Python,
        # which works the same on SQLite and PostgreSQL.
        return [grant for grant in self.active().select_related("principal") if scope in grant.scopes]


class ProxyGrant(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    principal = models.ForeignKey("insurance.InsuredPerson", on_delete=models.PROTECT, related_name="proxy_grants")
    proxy = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="proxy_grants")
    relationship = models.CharField(_("关系"), max_length=16, choices=Relationship.choices)
    scopes = models.JSONField(default=list)
    requested_scopes = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=GrantStatus.choices, default=GrantStatus.PENDING)
    requested_by_principal = models.BooleanField(default=False)
    consent_via = models.CharField(max_length=16, choices=ConsentVia.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ProxyGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["principal", "proxy"], condition=models.Q(status__in=["pending", "active"]),
                                    name="one_open_grant_per_pair"),
        ]
        verbose_name = _("亲情授权")
        verbose_name_plural = _("亲情授权")

    def __str__(self) -> str:
        return f"{self.proxy} → {self.principal} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == GrantStatus.ACTIVE and self.expires_at is not None and self.expires_at > timezone.now()

    def allows(self, scope: str) -> bool:
        return self.is_active and scope in self.scopes

    def scope_labels(self, scopes: list[str] | None = None) -> list[str]:
        return [str(Scope(s).label) for s in (self.scopes if scopes is None else scopes) if s in ALL_SCOPES]
