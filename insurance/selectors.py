"""Read-only queries on the insurance core."""

from __future__ import annotations

from insurance.models import Institution, InsuredPerson


def person_by_id_number(id_number: str) -> InsuredPerson | None:
    return InsuredPerson.objects.with_id_number(id_number).first()


def institution_by_key_id(key_id: str) -> Institution | None:
    return Institution.objects.filter(api_key_id=key_id).first()


def recent_contributions(person: InsuredPerson, limit: int = 12):
    return person.contributions.all()[:limit]


class NoMatchingPerson(Exception):
    """Raised with a plain sentence; `field` says which input to point at."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message, self.field = message, field


def person_matching(name: str, id_number: str) -> InsuredPerson:
    """The insured person with this ID number, if the name matches it too (someone else looking her up)."""
    from django.utils.translation import gettext as _

    from insurance.identity import InvalidIdentifier, normalize_name, parse_id_number

    try:
        clean_name = normalize_name(name)
        parsed = parse_id_number(id_number)
    except InvalidIdentifier as exc:
        raise NoMatchingPerson(str(exc), "id_number") from None
    person = person_by_id_number(parsed.value)
    if person is None or person.name != clean_name:
        raise NoMatchingPerson(_("姓名和身份证号对不上，或没有这个人的参保信息。请核对后再试。"), "name")
    return person
