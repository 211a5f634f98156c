from django.contrib import admin

from insurance.models import Contribution, Institution, InsuredPerson


@admin.register(InsuredPerson)
class InsuredPersonAdmin(admin.ModelAdmin):
    list_display = ["masked_name", "masked_id_number", "scheme", "region_code", "status"]
    list_filter = ["scheme", "region_code", "status"]
    exclude = ["id_number", "phone"]
    readonly_fields = ["masked_id_number", "masked_phone", "public_id"]


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "region_code", "is_active"]
    exclude = ["api_secret"]


@admin.register(Contribution)
class ContributionAdmin(admin.ModelAdmin):
    list_display = ["person", "period", "amount", "paid_on"]
