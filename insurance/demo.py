"""Demo data for `make run` and the tests: one family, workers, institutions and 50+ residents."""

from __future__ import annotations

import base64
import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, transaction

from insurance.filings import ChronicCondition, FilingRequirement, FilingRule, Holiday
from insurance.identity import id_check_char
from insurance.models import (
    Contribution,
    ContributionRate,
    EnrollmentStatus,
    Institution,
    InstitutionLevel,
    InsuredPerson,
    OfflineTerminal,
    Scheme,
)
from insurance.policy import PolicyRule

DEMO_PASSWORD = "yibaotong-demo-2026"
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"  # RFC 6238's test key: demo only
DEMO_API_KEY_ID = "demo-zy1"
DEMO_API_SECRET = "demo-secret-zy1-7f3c9a52d1e84b6f"
# The offline counter of the demo operator's hospital (docs/architecture.md, "Offline counters"): its own
# credential. Enrolment at /counter/offline/ only accepts a terminal of the operator's own institution, so it
# belongs to the same institution as the demo operator (WORKERS, portal/demo.py).
DEMO_OFFLINE_TERMINAL = ("H33010001", "门诊收费处1号", "门诊楼一楼收费处", "offline-demo-zy1-1",
                         "demo-offline-secret-zy1-2c6e91d0")
DEMO_OPERATOR_INSTITUTION = "H33010001"


def make_id_number(region: str, birth: dt.date, serial: int, male: bool) -> str:
    seq = serial % 100
    gender_digit = (serial % 5) * 2 + (1 if male else 0)
    first17 = f"{region}{birth:%Y%m%d}{seq:02d}{gender_digit}"
    return first17 + id_check_char(first17)


@dataclass(frozen=True)
class DemoPerson:
    key: str
    name: str
    birth: dt.date
    male: bool
    region: str
    scheme: str
    phone: str
    household: str
    balance: Decimal


FAMILY = [
    DemoPerson("mother", "王秀英", dt.date(1944, 3, 12), False, "330100", Scheme.EMPLOYEE, "+8613800138001",
               "HZ-0001", Decimal("2380.50")),
    DemoPerson("son", "李建国", dt.date(1970, 8, 5), True, "310000", Scheme.EMPLOYEE, "+8613900139002",
               "SH-0102", Decimal("5120.00")),
    DemoPerson("daughter", "李建华", dt.date(1974, 1, 21), False, "330100", Scheme.RESIDENT, "+8613700137003",
               "HZ-0001", Decimal("0")),
]

WORKERS = [
    ("helper", "张志强", "+8613600136004"),
    ("operator", "陈静", "+8613500135005"),
    ("staff", "赵敏", "+8613300133006"),
]

INSTITUTIONS = [
    ("H33010001", "浙江大学医学院附属第一医院", InstitutionLevel.TERTIARY, "330100", DEMO_API_KEY_ID, DEMO_API_SECRET),
    ("H33010002", "杭州市西湖区人民医院", InstitutionLevel.SECONDARY, "330100", "demo-xh2", "demo-secret-xh2-b41e0c77"),
    ("H33010003", "翠苑街道社区卫生服务中心", InstitutionLevel.PRIMARY, "330100", "demo-cy3", "demo-secret-cy3-9d2a6e15"),
    ("P33010004", "老百姓大药房（文三路店）", InstitutionLevel.PHARMACY, "330100", "demo-lbx4", "demo-secret-lbx4-58c0f3aa"),
]

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = ["秀兰", "桂英", "玉珍", "建军", "国强", "志明", "淑芬", "凤英", "德华", "海燕", "伟", "芳", "静", "磊",
          "秀珍", "文华", "春梅", "永红", "建平", "丽娟"]


def _residents(count: int) -> list[DemoPerson]:
    rng = random.Random(20261123)  # fixed: the same people on every machine
    people = []
    regions = ["330100", "330100", "310000", "110000", "440100", "510100"]
    for i in range(count):
        # Two in three are over 60: the people this portal is first of all for.
        age = rng.randint(60, 95) if i % 3 else rng.randint(18, 59)
        birth = dt.date(2026 - age, rng.randint(1, 12), rng.randint(1, 28))
        male = i % 2 == 0
        scheme = Scheme.EMPLOYEE if i % 2 else Scheme.RESIDENT
        phone = f"+86158{i:08d}"
        balance = Decimal(rng.randint(0, 600000)) / 100 if scheme == Scheme.EMPLOYEE else Decimal("0")
        people.append(DemoPerson(f"r{i}", rng.choice(_SURNAMES) + rng.choice(_GIVEN), birth, male,
                                 regions[i % len(regions)], scheme, phone, f"R-{i:04d}", balance))
    return people


def demo_people() -> list[DemoPerson]:
    return FAMILY + _residents(52)


def demo_id_number(person: DemoPerson, serial: int) -> str:
    return make_id_number(person.region, person.birth, serial, person.male)


@transaction.atomic
def seed_people() -> dict[str, InsuredPerson]:
    """Create or refresh the demo insured people; returns them by key."""
    created: dict[str, InsuredPerson] = {}
    for serial, demo in enumerate(demo_people(), start=11):
        id_number = demo_id_number(demo, serial)
        person = InsuredPerson.objects.with_id_number(id_number).first() or InsuredPerson(id_number=id_number)
        person.name = demo.name
        person.phone = demo.phone
        person.gender = "M" if demo.male else "F"
        person.birth_date = demo.birth
        person.scheme = demo.scheme
        person.region_code = demo.region
        person.status = EnrollmentStatus.ENROLLED
        person.enrolled_since = dt.date(max(1998, demo.birth.year + 22), 1, 1)
        person.household_id = demo.household
        if person.pk is None:
            person.account_balance = demo.balance
        if not person.bank_account:  # where the bureau pays her back (手工报销): a demo card number
            person.bank_name = "中国工商银行"
            person.bank_account = f"6222 0212 {serial:04d} {7000 + serial:04d}"
        person.save()
        created[demo.key] = person
        _seed_contributions(person)
    return created


def _seed_contributions(person: InsuredPerson) -> None:
    today = dt.date(2026, 11, 1)
    if person.scheme == Scheme.EMPLOYEE:
        for back in range(12):
            month = (today.month - back - 1) % 12 + 1
            year = today.year + (today.month - back - 1) // 12
            Contribution.objects.get_or_create(
                person=person, period=f"{year}-{month:02d}",
                defaults={"amount": Decimal("620.00"), "account_credit": Decimal("186.00"),
                          "paid_on": dt.date(year, month, 15), "payer": "单位和个人"},
            )
    else:
        for year in (2024, 2025, 2026):
            Contribution.objects.get_or_create(
                person=person, period=str(year),
                defaults={"amount": Decimal("400.00"), "account_credit": Decimal("0"),
                          "paid_on": dt.date(year - 1, 12, 10), "payer": "个人"},
            )


@transaction.atomic
def seed_institutions() -> list[Institution]:
    result = []
    for code, name, level, region, key_id, secret in INSTITUTIONS:
        inst = Institution.objects.filter(code=code).first() or Institution(code=code)
        inst.name, inst.level, inst.region_code = name, level, region
        inst.api_key_id, inst.api_secret, inst.is_active = key_id, secret, True
        inst.save()
        result.append(inst)
    return result


@transaction.atomic
def seed_offline_terminals(created_by=None) -> list[OfflineTerminal]:
    """The demo operator's offline terminal, active again with its demo secret (its browser, if one was
    enrolled, stays enrolled)."""
    code, name, location, key_id, secret = DEMO_OFFLINE_TERMINAL
    terminal = OfflineTerminal.objects.filter(key_id=key_id).first() or OfflineTerminal(key_id=key_id)
    terminal.institution = Institution.objects.get(code=code)
    terminal.name, terminal.location, terminal.secret = name, location, secret
    terminal.is_active, terminal.revoked_at = True, None
    terminal.created_by = terminal.created_by or created_by
    terminal.save()
    return [terminal]


def demo_totp_base32() -> str:
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode()


# Demo reimbursement tables: 2 regions x 2 schemes x 4 levels x visit types x 3 localities.
_BASE_RATIO = {"tertiary": Decimal("0.80"), "secondary": Decimal("0.85"), "primary": Decimal("0.90"),
               "pharmacy": Decimal("0.80")}
_INPATIENT_RATIO = {"tertiary": Decimal("0.85"), "secondary": Decimal("0.90"), "primary": Decimal("0.95")}
_INPATIENT_DEDUCTIBLE = {"tertiary": Decimal("800"), "secondary": Decimal("500"), "primary": Decimal("300")}
POLICY_REGIONS = ("330100", "310000", "110000", "440100", "440300", "510100")


def demo_rule_values(scheme: str, level: str, visit: str, locality: str) -> dict[str, Decimal]:
    if visit == "inpatient":
        ratio, deductible = _INPATIENT_RATIO[level], _INPATIENT_DEDUCTIBLE[level]
        cap = Decimal("400000") if scheme == Scheme.EMPLOYEE else Decimal("300000")
    else:
        ratio = _BASE_RATIO[level]
        deductible = Decimal("0") if level in ("primary", "pharmacy") else Decimal("300")
        cap = Decimal("10000") if scheme == Scheme.EMPLOYEE else Decimal("5000")
    if scheme == Scheme.RESIDENT:
        ratio -= Decimal("0.15")
    if locality == "out_filed":
        ratio -= Decimal("0.05")
    elif locality == "out_unfiled":
        ratio -= Decimal("0.20")
        deductible = deductible * Decimal("1.5")
    return {"ratio": max(Decimal("0"), ratio), "deductible": deductible, "annual_cap": cap,
            "b_self_share": Decimal("0.10")}


RuleKey = tuple[str, str, str, str, str]  # scheme, region_code, level, visit_type, locality
RULE_KEY_FIELDS = ("scheme", "region_code", "level", "visit_type", "locality")
RULE_VALUE_FIELDS = ("ratio", "deductible", "annual_cap", "b_self_share")


def demo_policy_table() -> dict[RuleKey, dict[str, Decimal]]:
    """Every demo reimbursement rule, by its case: 252 rows."""
    table: dict[RuleKey, dict[str, Decimal]] = {}
    for region in POLICY_REGIONS:
        for scheme in (Scheme.EMPLOYEE.value, Scheme.RESIDENT.value):  # plain strings: the keys meet the rows'
            for level in ("tertiary", "secondary", "primary", "pharmacy"):
                visits = ("pharmacy",) if level == "pharmacy" else ("outpatient", "inpatient")
                for visit in visits:
                    for locality in ("in_region", "out_filed", "out_unfiled"):
                        table[(scheme, region, level, visit, locality)] = demo_rule_values(
                            scheme, level, visit, locality)
    return table


def seed_policy_rules(using: str = DEFAULT_DB_ALIAS) -> int:
    """Create the demo rules that are missing and put back the numbers of those a person changed; returns
    how many rules the demo has. A few set-wise queries, not one per rule: the test suite runs this after
    every flush (conftest.py)."""
    table = demo_policy_table()
    with transaction.atomic(using=using):
        rules = PolicyRule.objects.using(using)
        existing = {tuple(getattr(rule, f) for f in RULE_KEY_FIELDS): rule for rule in rules.filter(
            region_code__in=POLICY_REGIONS)}
        missing, changed = [], []
        for key, values in table.items():
            rule = existing.get(key)
            if rule is None:
                missing.append(PolicyRule(**dict(zip(RULE_KEY_FIELDS, key, strict=True)), **values))
            elif any(getattr(rule, field) != value for field, value in values.items()):
                for field, value in values.items():
                    setattr(rule, field, value)
                changed.append(rule)
        rules.bulk_create(missing)
        rules.bulk_update(changed, RULE_VALUE_FIELDS)
    return len(table)


# --- services: filing types, materials per destination, chronic conditions, holidays ---------------------

# (type, plain name, takes effect at once, review working days, needs an end date, longest in days)
FILING_RULES = [
    ("temporary", "临时去外地看病，比如去子女那里住一阵、旅游时生病", True, 0, True, 180),
    ("residence", "退休后长期住在外地，比如跟子女同住、候鸟式养老", True, 0, False, None),
    ("work", "在外地长期上班", True, 0, False, None),
    ("referral", "本地医院开了转诊单，去外地大医院看病", False, 3, True, 180),
]

# (type, destination city or "" for every one, material, how to prepare it, required)
FILING_REQUIREMENTS = [
    ("temporary", "", "个人承诺书", "在本页勾选同意即可，不用另外准备纸质材料", True),
    ("residence", "", "居住证明或个人承诺书", "居住证、房产证或租房合同的照片都可以；没有的话勾选承诺", True),
    ("residence", "460100", "海南居住证或社区居住证明", "海口要求多一份：社区居委会开的居住证明照片", True),
    ("residence", "460200", "海南居住证或社区居住证明", "三亚要求多一份：社区居委会开的居住证明照片", True),
    ("work", "", "工作证明", "单位开的在外地工作的证明，或者劳动合同首页的照片", True),
    ("referral", "", "转诊转院证明", "本地二级以上医院开的转诊单，盖章的那一页拍照", True),
    ("referral", "", "病历首页", "最近一次看病的病历首页照片", False),
]

# (code, name, plain name, deductible, employee ratio, resident ratio, annual cap)
CHRONIC_CONDITIONS = [
    ("M03900", "高血压", "血压长期偏高，需要长期吃降压药", "0", "0.85", "0.70", "3000"),
    ("M01600", "糖尿病", "血糖长期偏高，需要长期吃药或打胰岛素", "0", "0.85", "0.70", "4000"),
    ("M04801", "慢性心力衰竭", "心脏功能不好，需要长期治疗", "0", "0.85", "0.70", "6000"),
    ("M07800", "尿毒症透析", "肾衰竭需要定期透析", "0", "0.90", "0.85", "60000"),
    ("M00500", "恶性肿瘤门诊治疗", "癌症在门诊做放疗、化疗或吃靶向药", "0", "0.90", "0.80", "80000"),
]

# The bureau's working-day calendar for promised limits (the State Council's holiday notice each year).
HOLIDAYS = [
    ("2026-10-01", "国庆节", False), ("2026-10-02", "国庆节", False), ("2026-10-05", "国庆节", False),
    ("2026-10-06", "国庆节", False), ("2026-10-07", "国庆节", False), ("2026-10-10", "国庆节调休", True),
    ("2027-01-01", "元旦", False),
]


# Residents' yearly contribution by region (城乡居民医保个人缴费标准): (amount, opens, closes) for 2027.
CONTRIBUTION_RATES_2027 = {"330100": "420.00", "310000": "455.00", "110000": "430.00", "440100": "410.00",
                           "440300": "410.00", "510100": "400.00"}


def seed_service_rules(using: str = DEFAULT_DB_ALIAS) -> None:
    """The filing rules, the materials each destination asks for, the chronic conditions and the holiday
    calendar: created where missing, never changed once there (staff own them in the admin). Runs after
    every flush in the tests, like the policy tables, so a few set-wise queries."""
    with transaction.atomic(using=using):
        have = set(FilingRule.objects.using(using).values_list("filing_type", flat=True))
        FilingRule.objects.using(using).bulk_create([
            FilingRule(filing_type=t, plain_name=plain, takes_effect_at_once=at_once, review_working_days=days,
                       needs_end_date=needs_end, max_days=longest, order=n)
            for n, (t, plain, at_once, days, needs_end, longest) in enumerate(FILING_RULES) if t not in have])
        have_req = set(FilingRequirement.objects.using(using).values_list("filing_type", "region_code", "name"))
        FilingRequirement.objects.using(using).bulk_create([
            FilingRequirement(filing_type=t, region_code=region, name=name, help_text=how, required=required, order=n)
            for n, (t, region, name, how, required) in enumerate(FILING_REQUIREMENTS)
            if (t, region, name) not in have_req])
        have_cond = set(ChronicCondition.objects.using(using).values_list("code", flat=True))
        ChronicCondition.objects.using(using).bulk_create([
            ChronicCondition(code=code, name=name, plain_name=plain, deductible=Decimal(ded),
                             ratio_employee=Decimal(emp), ratio_resident=Decimal(res), annual_cap=Decimal(cap),
                             order=n)
            for n, (code, name, plain, ded, emp, res, cap) in enumerate(CHRONIC_CONDITIONS) if code not in have_cond])
        have_rates = set(ContributionRate.objects.using(using).values_list("region_code", "year"))
        ContributionRate.objects.using(using).bulk_create([
            ContributionRate(region_code=region, year=2027, scheme=Scheme.RESIDENT, amount=Decimal(amount),
                             opens_on=dt.date(2026, 9, 1), closes_on=dt.date(2026, 12, 31))
            for region, amount in CONTRIBUTION_RATES_2027.items() if (region, 2027) not in have_rates])
        have_days = {str(d) for d in Holiday.objects.using(using).values_list("day", flat=True)}
        Holiday.objects.using(using).bulk_create([
            Holiday(day=dt.date.fromisoformat(day), name=name, is_working_day=working)
            for day, name, working in HOLIDAYS if day not in have_days])
