"""Plain-language sentences for each audited action, as the citizen reads them."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from audit.kinds import Kind

# Kinds without a sentence here (staff-side ones: terminals, authenticators) show as their kind.
ACTION_TEXT: dict[Kind, Promise] = {
    Kind.SIGNED_IN: _("登录了医保通"),
    Kind.REAL_NAME_BOUND: _("完成了实名认证"),
    Kind.STAFF_SIGNED_IN: _("工作人员登录"),
    Kind.TRUSTED_PHONE_ADDED: _("记住了一台手机，以后打开就能直接出示医保码"),
    Kind.TRUSTED_PHONE_SIGNED_IN: _("用记住的手机打开了医保通"),
    Kind.TRUSTED_PHONE_REVOKED: _("不再记住手机"),
    Kind.STEPPED_UP: _("改动账户前确认了是本人"),
    Kind.STEP_UP_PIN_SET: _("设置了数字密码"),
    Kind.STEP_UP_PIN_LOCKED: _("数字密码错了5次，锁定15分钟"),
    Kind.PASSKEY_ADDED: _("开通了指纹或面容解锁"),
    Kind.PASSKEY_REMOVED: _("关掉了一台手机的指纹或面容解锁"),
    Kind.VOUCHER_ACTIVATED: _("开通了医保码"),
    Kind.VOUCHER_REACTIVATED: _("重新启用了医保码"),
    Kind.VOUCHER_SUSPENDED: _("暂停了医保码（手机丢失）"),
    Kind.CODE_SHOWN: _("打开了医保码"),
    Kind.CODE_VERIFIED: _("医院或药店核验了医保码"),
    Kind.CODE_USED: _("医保码已用于结算"),
    Kind.RECORDS_VIEWED: _("查看了参保和消费记录"),
    Kind.FAMILY_REQUESTED: _("申请成为亲情账户家人"),
    Kind.FAMILY_GRANTED: _("亲情账户授权生效"),
    Kind.FAMILY_REFUSED: _("拒绝了亲情账户申请"),
    Kind.FAMILY_REVOKED: _("解除了亲情账户授权"),
    Kind.FAMILY_HELP_REQUESTED: _("请家人帮忙"),
    Kind.FAMILY_RENEWED: _("亲情账户授权续期一年"),
    Kind.FAMILY_RESTORED: _("撤销了刚才的解除，亲情账户授权恢复"),
    Kind.KIOSK_REGISTERED: _("登记了帮办终端"),
    Kind.ASSIST_STARTED: _("社区帮办员开始为您办理"),
    Kind.ASSIST_FAMILY_ASKED: _("帮办员请家人远程同意"),
    Kind.ASSIST_CONSENTED: _("同意了帮办"),
    Kind.ASSIST_REFUSED: _("不同意帮办"),
    Kind.ASSIST_ENDED: _("帮办结束"),
    Kind.ASSIST_REVIEWED: _("医保局复核了见证同意"),
    Kind.ASSIST_UNDONE: _("医保局复核后撤销了帮办员见证时办的事"),
    Kind.SETTLEMENT_RECEIVED: _("医院或药店提交了结算"),
    Kind.SETTLEMENT_SETTLED: _("结算完成"),
    Kind.SETTLEMENT_FAILED: _("结算没有成功"),
    Kind.SETTLEMENT_MANUAL: _("结算转到人工窗口"),
    Kind.ADMIN_ADDED: _("在管理后台添加了您的资料"),
    Kind.ADMIN_CHANGED: _("在管理后台更改了您的资料"),
    Kind.ADMIN_DELETED: _("在管理后台删除了您的一条资料"),
    Kind.SETTLEMENT_OFFLINE_FLAGGED: _("同一医保码几分钟内在两家机构离线结算，已交医保局核实"),
    Kind.SETTLEMENT_DISPUTED: _("报告了一笔离线结算“不是我本人”"),
    Kind.SETTLEMENT_DISPUTE_CLOSED: _("医保局处理了“不是我本人”的报告"),
    Kind.SETTLEMENT_FLAG_CLEARED: _("医保局核实了这笔离线结算"),
    Kind.FILING_SUBMITTED: _("提交了异地就医备案"),
    Kind.FILING_CHANGED: _("修改了异地就医备案"),
    Kind.FILING_CANCELLED: _("取消了异地就医备案"),
    Kind.FILING_APPROVED: _("异地就医备案已通过"),
    Kind.FILING_RETURNED: _("异地就医备案被退回补充材料"),
    Kind.FILING_REFUSED: _("异地就医备案没有通过"),
    Kind.ENTITLEMENT_APPLIED: _("申请了门诊慢特病待遇"),
    Kind.ENTITLEMENT_CHANGED: _("修改了门诊慢特病申请"),
    Kind.ENTITLEMENT_CANCELLED: _("取消了门诊慢特病申请"),
    Kind.ENTITLEMENT_APPROVED: _("门诊慢特病待遇已认定"),
    Kind.ENTITLEMENT_RETURNED: _("门诊慢特病申请被退回补充材料"),
    Kind.ENTITLEMENT_REFUSED: _("门诊慢特病申请没有通过"),
    Kind.ATTACHMENT_VIEWED: _("查看了您上传的材料照片"),
}


def describe(action: str) -> str:
    return str(ACTION_TEXT.get(action, action))
