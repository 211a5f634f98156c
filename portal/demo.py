"""Demo users and vouchers for the demo people: the family's accounts and the three kinds of worker."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from assist.help_points import seed_demo_help_points
from elder_mode.models import DialectPack, PackRecorder
from insurance import demo
from portal.admin_site import sync_staff_group
from vouchers.actions import activate_voucher


def seed_users(people: dict, institutions: list) -> int:
    count = 0
    # The son and the daughter already use the portal; the mother has never signed in.
    for key in ("son", "daughter"):
        person = people[key]
        user = User.objects.get_by_phone(person.phone) or User.objects.create_user(person.phone)
        if user.person_id is None and not User.objects.filter(person=person).exists():
            user.person = person
            user.save(update_fields=["person"])
        activate_voucher(person, actor=user)
        count += 1
    for role, name, phone in demo.WORKERS:
        user = User.objects.get_by_phone(phone) or User.objects.create_user(phone)
        user.role = role
        user.display_name = name
        # Staff reach the admin (after password + TOTP) with the staff group's rights only, never as superuser.
        user.is_staff = role == Role.STAFF
        user.is_superuser = False
        # The operator's institution is the one whose offline terminal the README lists.
        user.institution = (next(i for i in institutions if i.code == demo.DEMO_OPERATOR_INSTITUTION)
                            if role == Role.OPERATOR else None)
        user.set_password(demo.DEMO_PASSWORD)
        user.save()
        if role == Role.STAFF:
            user.groups.add(sync_staff_group())
        TOTPDevice.objects.update_or_create(
            user=user, name="demo", defaults={"key": demo.DEMO_TOTP_KEY_HEX, "confirmed": True}
        )
        count += 1
    seed_voice_packs()
    seed_help_points()
    return count


# Community dialect voice packs (elder_mode/models.py): no clips yet, the demo helper 张志强 registered as the
# volunteer for 吴语（杭州话） and 闽南语; staff 赵敏 reviews.
DEMO_PACKS = [("wuu-hz", "吴语（杭州话）", "杭州"), ("nan", "闽南语", "福建南部、台湾"), ("hmn", "苗语", "贵州"),
              ("pcc", "布依语", "贵州"), ("yue-gz", "粤语（广州话）", "广州")]


def seed_voice_packs() -> None:
    packs = {code: DialectPack.objects.update_or_create(code=code, defaults={"name": name, "region": region})[0]
             for code, name, region in DEMO_PACKS}
    helper = User.objects.get_by_phone(next(phone for role, _name, phone in demo.WORKERS if role == Role.HELPER))
    if helper is not None:
        recorder, _created = PackRecorder.objects.get_or_create(user=helper)
        recorder.packs.set([packs["wuu-hz"], packs["nan"]])


def seed_help_points() -> None:
    """The help-point directory and the demo helper's home-visit area (assist/help_points.py)."""
    helper = User.objects.get_by_phone(next(phone for role, _name, phone in demo.WORKERS if role == Role.HELPER))
    seed_demo_help_points(helper)
