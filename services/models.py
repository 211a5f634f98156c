"""Document photos attached to a service request (filing materials, a hospital certificate, later claim
invoices). Re-encoded on upload (services/uploads.py), kept in private storage, shown only through a view
that checks who is asking."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from services.storage import private_storage


def _attachment_path(instance: Attachment, filename: str) -> str:
    # Never the name she uploaded: a random name in a folder per person.
    return f"attachments/{instance.person.public_id}/{uuid.uuid4().hex}.jpg"


class Attachment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey("insurance.InsuredPerson", on_delete=models.CASCADE, related_name="attachments",
                               verbose_name=_("参保人"))
    filing = models.ForeignKey("insurance.Filing", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="attachments", verbose_name=_("异地就医备案"))
    entitlement = models.ForeignKey("insurance.Entitlement", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="attachments", verbose_name=_("门诊慢特病认定"))
    label = models.CharField(_("材料名称"), max_length=60)
    image = models.FileField(_("照片"), storage=private_storage, upload_to=_attachment_path, max_length=200)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(_("大小（字节）"), default=0)
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("上传人"))
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("材料照片")
        verbose_name_plural = _("材料照片")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(filing__isnull=False, entitlement__isnull=True)
                | models.Q(filing__isnull=True, entitlement__isnull=False),
                name="attachment_belongs_to_one_request"),
        ]

    def __str__(self) -> str:
        return self.label
