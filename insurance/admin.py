import secrets

from django.contrib import admin

from insurance.filings import ChronicCondition, Filing, FilingRequirement, FilingRule, Holiday
from insurance.models import Institution, InsuredPerson
from insurance.policy import PolicyRule


@admin.register(InsuredPerson)
class InsuredPersonAdmin(admin.ModelAdmin):
    list_display = ["masked_name", "masked_id_number", "scheme", "region_code", "status"]
    list_filter = ["scheme", "region_code", "status"]
    exclude = ["id_number", "phone"]
    readonly_fields = ["masked_id_number", "masked_phone", "public_id"]


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "region_code", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name", "code"]
    exclude = ["api_secret"]

    def get_readonly_fields(self, request, obj=None):
        # The key id names the hospital's credential: fixed once issued.
        return ["api_key_id", "public_id"] if obj is not None else ["public_id"]

    def save_model(self, request, obj, form, change) -> None:
        if not change and not obj.api_secret:
            # Never an empty (guessable) secret. The secret is issued to the hospital outside the admin.
            obj.api_secret = secrets.token_urlsafe(32)
        super().save_model(request, obj, form, change)


@admin.register(PolicyRule)
class PolicyRuleAdmin(admin.ModelAdmin):
    list_display = ["region_code", "scheme", "level", "visit_type", "locality", "deductible", "ratio", "annual_cap",
                    "b_self_share"]
    list_filter = ["region_code", "scheme", "level", "visit_type", "locality"]


@admin.register(Filing)
class FilingAdmin(admin.ModelAdmin):
    list_display = ["person", "filing_type", "region_code", "valid_from", "valid_until", "status", "due_by"]
    list_filter = ["status", "filing_type", "region_code"]
    readonly_fields = [f.name for f in Filing._meta.fields if f.name != "id"]

    def has_add_permission(self, request) -> bool:
        return False  # she files it herself (or with a proxy or helper); staff decide at /staff/services/

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # decisions go through the review page, which audits and tells her


@admin.register(FilingRule)
class FilingRuleAdmin(admin.ModelAdmin):
    list_display = ["filing_type", "plain_name", "takes_effect_at_once", "review_working_days", "max_days"]


@admin.register(FilingRequirement)
class FilingRequirementAdmin(admin.ModelAdmin):
    list_display = ["filing_type", "region_code", "name", "required", "order"]
    list_filter = ["filing_type", "region_code", "required"]


@admin.register(ChronicCondition)
class ChronicConditionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "deductible", "ratio_employee", "ratio_resident", "annual_cap", "is_active"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["day", "name", "is_working_day"]
