"""Plain-language sentences for each audited action, as the citizen reads them."""

from django.utils.translation import gettext_lazy as _

ACTION_TEXT = {
    "account.signed_in": _("登录了医保通"),
    "account.real_name_bound": _("完成了实名认证"),
    "account.staff_signed_in": _("工作人员登录"),
    "voucher.activated": _("开通了医保码"),
    "voucher.reactivated": _("重新启用了医保码"),
    "voucher.suspended": _("暂停了医保码（手机丢失）"),
    "voucher.code_shown": _("打开了医保码"),
    "voucher.code_verified": _("医院或药店核验了医保码"),
    "voucher.code_used": _("医保码已用于结算"),
    "records.viewed": _("查看了参保和消费记录"),
    "family.requested": _("申请成为亲情账户家人"),
    "family.granted": _("亲情账户授权生效"),
    "family.refused": _("拒绝了亲情账户申请"),
    "family.revoked": _("解除了亲情账户授权"),
    "family.help_requested": _("请家人帮忙"),
    "family.renewed": _("亲情账户授权续期一年"),
    "assist.kiosk_registered": _("登记了帮办终端"),
    "assist.started": _("社区帮办员开始为您办理"),
    "assist.family_asked": _("帮办员请家人远程同意"),
    "assist.consented": _("同意了帮办"),
    "assist.refused": _("不同意帮办"),
    "assist.ended": _("帮办结束"),
    "assist.reviewed": _("医保局复核了见证同意"),
    "assist.undone": _("医保局复核后撤销了帮办员见证时办的事"),
    "settlement.received": _("医院或药店提交了结算"),
    "settlement.settled": _("结算完成"),
    "settlement.failed": _("结算没有成功"),
    "settlement.manual": _("结算转到人工窗口"),
    "admin.added": _("在管理后台添加了您的资料"),
    "admin.changed": _("在管理后台更改了您的资料"),
    "admin.deleted": _("在管理后台删除了您的一条资料"),
    "settlement.offline_flagged": _("同一医保码几分钟内在两家机构离线结算，已交医保局核实"),
    "settlement.disputed": _("报告了一笔离线结算“不是我本人”"),
    "settlement.dispute_closed": _("医保局处理了“不是我本人”的报告"),
}


def describe(action: str) -> str:
    return str(ACTION_TEXT.get(action, action))
