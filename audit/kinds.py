"""Every kind of audit event, named once. `record_event` accepts only these, so a misspelt kind fails at
once (in the tests) instead of writing a row nobody can describe or find (docs/architecture.md, "State
changes"). The values are the strings stored in `AuditEvent.action`; they never change, since rows are
append-only and older rows keep theirs. Adding a kind: add it here and, if the citizen reads it in her
account record, its sentence in `audit/descriptions.py`."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    # accounts
    SIGNED_IN = "account.signed_in"
    REAL_NAME_BOUND = "account.real_name_bound"
    STAFF_SIGNED_IN = "account.staff_signed_in"
    TOTP_ENROLLED = "account.totp_enrolled"
    TRUSTED_PHONE_ADDED = "account.trusted_phone_added"
    TRUSTED_PHONE_SIGNED_IN = "account.trusted_phone_signed_in"
    TRUSTED_PHONE_REVOKED = "account.trusted_phone_revoked"
    STEPPED_UP = "account.stepped_up"
    STEP_UP_PIN_SET = "account.step_up_pin_set"
    STEP_UP_PIN_LOCKED = "account.step_up_pin_locked"
    PASSKEY_ADDED = "account.passkey_added"
    PASSKEY_REMOVED = "account.passkey_removed"
    # vouchers
    VOUCHER_ACTIVATED = "voucher.activated"
    VOUCHER_REACTIVATED = "voucher.reactivated"
    VOUCHER_SUSPENDED = "voucher.suspended"
    CODE_SHOWN = "voucher.code_shown"
    CODE_VERIFIED = "voucher.code_verified"
    CODE_USED = "voucher.code_used"
    # records (settlement records, enrollment and contributions)
    RECORDS_VIEWED = "records.viewed"
    # family
    FAMILY_REQUESTED = "family.requested"
    FAMILY_GRANTED = "family.granted"
    FAMILY_REFUSED = "family.refused"
    FAMILY_REVOKED = "family.revoked"
    FAMILY_HELP_REQUESTED = "family.help_requested"
    FAMILY_RENEWED = "family.renewed"
    FAMILY_RESTORED = "family.restored"
    # assist
    KIOSK_REGISTERED = "assist.kiosk_registered"
    ASSIST_STARTED = "assist.started"
    ASSIST_FAMILY_ASKED = "assist.family_asked"
    ASSIST_CONSENTED = "assist.consented"
    ASSIST_REFUSED = "assist.refused"
    ASSIST_ENDED = "assist.ended"
    ASSIST_REVIEWED = "assist.reviewed"
    ASSIST_UNDONE = "assist.undone"
    # settlement
    SETTLEMENT_RECEIVED = "settlement.received"
    SETTLEMENT_SETTLED = "settlement.settled"
    SETTLEMENT_FAILED = "settlement.failed"
    SETTLEMENT_MANUAL = "settlement.manual"
    SETTLEMENT_OFFLINE_FLAGGED = "settlement.offline_flagged"
    SETTLEMENT_DISPUTED = "settlement.disputed"
    SETTLEMENT_DISPUTE_CLOSED = "settlement.dispute_closed"
    SETTLEMENT_FLAG_CLEARED = "settlement.flag_cleared"
    OFFLINE_TERMINAL_REGISTERED = "settlement.offline_terminal_registered"
    OFFLINE_TERMINAL_REVOKED = "settlement.offline_terminal_revoked"
    OFFLINE_BROWSER_ENROLLED = "settlement.offline_browser_enrolled"
    # services (办事): filings and chronic-disease entitlements
    FILING_SUBMITTED = "services.filing_submitted"
    FILING_CHANGED = "services.filing_changed"
    FILING_CANCELLED = "services.filing_cancelled"
    FILING_APPROVED = "services.filing_approved"
    FILING_RETURNED = "services.filing_returned"
    FILING_REFUSED = "services.filing_refused"
    ENTITLEMENT_APPLIED = "services.entitlement_applied"
    ENTITLEMENT_CHANGED = "services.entitlement_changed"
    ENTITLEMENT_CANCELLED = "services.entitlement_cancelled"
    ENTITLEMENT_APPROVED = "services.entitlement_approved"
    ENTITLEMENT_RETURNED = "services.entitlement_returned"
    ENTITLEMENT_REFUSED = "services.entitlement_refused"
    ATTACHMENT_VIEWED = "services.attachment_viewed"
    CLAIM_SUBMITTED = "services.claim_submitted"
    CLAIM_CHANGED = "services.claim_changed"
    CLAIM_CANCELLED = "services.claim_cancelled"
    CLAIM_APPROVED = "services.claim_approved"
    CLAIM_RETURNED = "services.claim_returned"
    CLAIM_REFUSED = "services.claim_refused"
    CLAIM_PAID = "services.claim_paid"
    TAX_STATEMENT_ISSUED = "services.tax_statement_issued"
    DATA_EXPORTED = "services.data_exported"
    # payments (缴费, 亲情代缴, payouts)
    PAYMENT_ORDERED = "payments.ordered"
    PAYMENT_PAID = "payments.paid"
    PAYMENT_REFUNDED = "payments.refunded"
    PAYMENT_FLAGGED = "payments.flagged"
    PAYOUT_REQUESTED = "payments.payout_requested"
    PAYOUT_PAID = "payments.payout_paid"
    PAYOUT_FAILED = "payments.payout_failed"
    # feedback (the survey, complaints and reports)
    SURVEY_ANSWERED = "feedback.survey_answered"
    COMPLAINT_FILED = "feedback.complaint_filed"
    COMPLAINT_ANSWERED = "feedback.complaint_answered"
    COMPLAINT_CLOSED = "feedback.complaint_closed"
    COMPLAINT_RATED = "feedback.complaint_rated"
    COMPLAINT_ESCALATED = "feedback.complaint_escalated"
    COMPLAINT_BREACHED = "feedback.complaint_breached"
    # feedback (give-up rescue: call-backs from a helper)
    CALLBACK_REQUESTED = "feedback.callback_requested"
    CALLBACK_TAKEN = "feedback.callback_taken"
    CALLBACK_DONE = "feedback.callback_done"
    # notices (off-page SMS / voice calls)
    NOTICE_PREFERENCE_CHANGED = "notices.preference_changed"
    # elder_mode (community dialect voice packs); written through core.voice_pack_events, elder_mode imports no audit
    VOICE_CLIP_RECORDED = "voice.clip_recorded"
    VOICE_CLIP_APPROVED = "voice.clip_approved"
    VOICE_CLIP_REJECTED = "voice.clip_rejected"
    # assist (help points and home visits, 上门服务)
    HELP_POINT_SAVED = "assist.help_point_saved"
    VISIT_REQUESTED = "assist.visit_requested"
    VISIT_ACCEPTED = "assist.visit_accepted"
    VISIT_SCHEDULED = "assist.visit_scheduled"
    VISIT_STARTED = "assist.visit_started"
    VISIT_DONE = "assist.visit_done"
    VISIT_CANCELLED = "assist.visit_cancelled"
    # the staff admin
    ADMIN_ADDED = "admin.added"
    ADMIN_CHANGED = "admin.changed"
    ADMIN_DELETED = "admin.deleted"


class UnknownKind(ValueError):
    """`record_event` was given an action that is not a `Kind`."""


def as_kind(action: str) -> Kind:
    try:
        return Kind(action)
    except ValueError:
        raise UnknownKind(f"{action!r} is not an audit event kind; add it to audit/kinds.py") from None
