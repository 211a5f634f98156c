"""Who is who, said from the side of the person reading.

A grant stores what the proxy is to her (`relationship`: "child" = he is her son or daughter). She reads it as
it is ("他是您的：儿子或女儿"); he reads the other side ("她是您的：父亲或母亲"). What a grant allows is said with
您的 to her and 她的 to him (the labels of `Scope` are his side)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from family.models import ALL_SCOPES, Relationship, Scope

# What he is to her, as she reads it (the stored value as is).
PROXY_TO_HER = {
    Relationship.CHILD: _("儿子或女儿"),
    Relationship.SPOUSE: _("老伴（配偶）"),
    Relationship.PARENT: _("父亲或母亲"),
    Relationship.SIBLING: _("兄弟姐妹"),
    Relationship.OTHER: _("其他亲属"),
}
# What she is to him, for the same stored value: he is her child, so she is his parent.
HER_TO_PROXY = {
    Relationship.CHILD: _("父亲或母亲"),
    Relationship.SPOUSE: _("老伴（配偶）"),
    Relationship.PARENT: _("儿子或女儿"),
    Relationship.SIBLING: _("兄弟姐妹"),
    Relationship.OTHER: _("其他亲属"),
}
# The stored value, offered as the one filling in the form reads it.
CHOICES_SHE_FILLS = [(value.value, label) for value, label in PROXY_TO_HER.items()]
CHOICES_HE_FILLS = [(value.value, label) for value, label in HER_TO_PROXY.items()]

# What a grant allows, said to her.
SCOPE_TO_HER = {
    Scope.SHOW_CODE: _("出示您的医保码"),
    Scope.VIEW_RECORDS: _("查看您的参保和消费记录"),
    Scope.VIEW_SETTLEMENTS: _("实时收到您的结算结果"),
    Scope.ACT: _("替您办理（开通医保码等）"),
}
SCOPE_CHOICES_SHE_FILLS = [(value.value, label) for value, label in SCOPE_TO_HER.items()]


def proxy_as_she_sees_him(relationship: str) -> str:
    return str(PROXY_TO_HER.get(relationship, Relationship.OTHER.label))


def her_as_he_sees_her(relationship: str) -> str:
    return str(HER_TO_PROXY.get(relationship, Relationship.OTHER.label))


def scopes_as_she_reads_them(scopes: list[str]) -> list[str]:
    return [str(SCOPE_TO_HER[Scope(s)]) for s in scopes if s in ALL_SCOPES]
