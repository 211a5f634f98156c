"""Read-only queries on the insurance core."""

from __future__ import annotations

from insurance.models import Institution, InsuredPerson


def person_by_id_number(id_number: str) -> InsuredPerson | None:
    return InsuredPerson.objects.with_id_number(id_number).first()


def institution_by_key_id(key_id: str) -> Institution | None:
    return Institution.objects.filter(api_key_id=key_id).first()


def recent_contributions(person: InsuredPerson, limit: int = 12):
    return person.contributions.all()[:limit]
