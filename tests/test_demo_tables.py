"""The demo's reimbursement tables: written in a few queries, not one per rule, and there in every test
database without a test asking, also after a flush (conftest.py)."""

from __future__ import annotations

from decimal import Decimal

from django.core.management import call_command

from insurance.demo import demo_policy_table, seed_policy_rules
from insurance.policy import PolicyRule

RULES = 252  # 6 regions x 2 schemes x (3 levels x 2 visit types + pharmacies) x 3 localities


def test_every_test_database_holds_the_demo_tables_and_gets_them_back_after_a_flush(db):
    assert len(demo_policy_table()) == PolicyRule.objects.count() == RULES
    call_command("flush", interactive=False, verbosity=0)  # what follows each test that commits
    assert PolicyRule.objects.count() == RULES


def test_seeding_takes_a_few_queries_puts_back_a_changed_rule_and_adds_a_deleted_one(
        db, django_assert_max_num_queries):
    PolicyRule.objects.all().delete()
    with django_assert_max_num_queries(6):
        assert seed_policy_rules() == RULES
    assert PolicyRule.objects.count() == RULES

    hangzhou = {"scheme": "employee", "region_code": "330100", "level": "tertiary", "visit_type": "outpatient"}
    PolicyRule.objects.filter(**hangzhou, locality="in_region").update(ratio=Decimal("0.5"))
    PolicyRule.objects.filter(**hangzhou, locality="out_filed").delete()
    with django_assert_max_num_queries(6):
        assert seed_policy_rules() == RULES
    assert PolicyRule.objects.count() == RULES
    assert PolicyRule.objects.get(**hangzhou, locality="in_region").ratio == Decimal("0.800")
    assert PolicyRule.objects.get(**hangzhou, locality="out_filed").ratio == Decimal("0.750")
