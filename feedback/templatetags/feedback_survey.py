"""`{% survey_block "settlement" s.public_id %}`: the three big buttons after one of her settlements or finished
services, read aloud in elder mode; "谢谢您的评价" once she has answered; nothing at all for anyone else (her son
acting for her, a page about an event that is not hers or not finished). Settlement's and services' templates
load it through `feedback/_survey.html`, so no Python of theirs imports feedback.

A fragment pushed live is drawn without a request (once per language, for every page): there it draws only a
placeholder that fetches the block for the page's own viewer."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.template.loader import render_to_string

from core.feedback_events import event_owner
from feedback.models import Rating, SurveyResponse

register = template.Library()


def survey_context(context: dict[str, Any], event_key: str, *, live: bool = False) -> dict[str, Any] | None:
    """The block's context for whoever is looking, or None when nothing should be shown. `live`: the block inside a
    pushed status card, which may sit on the same page as the receipt's own, so its element ids differ."""
    request = context.get("request")
    person = getattr(request, "subject_person", None)
    if person is None or getattr(request, "acting_grant", None) is not None:
        return None
    if event_owner(event_key) != person.pk:
        return None
    answered = SurveyResponse.objects.filter(person=person, event_key=event_key).first()
    return {"event_key": event_key, "response": answered, "ratings": Rating.choices, "message": "",
            "block_id": block_id(event_key, live=live), "live": live,
            "next": request.get_full_path() if hasattr(request, "get_full_path") else "/"}


def block_id(event_key: str, *, live: bool = False) -> str:
    return "survey-" + re.sub(r"[^a-z0-9-]", "", event_key.replace(":", "-")) + ("-live" if live else "")


@register.simple_tag(takes_context=True)
def survey_block(context: template.Context, kind: str, public_id: Any) -> str:
    event_key = f"{kind}:{public_id}"
    request = context.get("request")
    if request is None:
        return render_to_string("feedback/_survey_loader.html", {"event_key": event_key})  # already safe
    found = survey_context(context.flatten(), event_key)
    if found is None:
        return ""
    return render_to_string("feedback/_survey_block.html", found, request=request)
