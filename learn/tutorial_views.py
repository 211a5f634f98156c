"""教程专区: the list, one step per page (works without JavaScript), and the printable one-page handout.

Read-only pages open to everyone (a class, a visitor, her son): they show no one's data, only the tutorials."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext

from elder_mode.voice.guides import guide_text
from learn.tutorials import BY_SLUG, TUTORIALS, Step, Tutorial

SCREENS = "learn/screens/"  # under static/: written by `manage.py build_tutorial_screens`


@dataclass(frozen=True)
class ShownStep:
    number: int
    step: Step
    guide_key: str
    screen_url: str
    button: str  # the button's text in the page's language
    words: str  # the step's sentence in the page's language (what its voice guide shows)


def _shown(tutorial: Tutorial, number: int) -> ShownStep:
    step = tutorial.steps[number - 1]
    return ShownStep(number=number, step=step, guide_key=tutorial.guide_key(number),
                     screen_url=static(SCREENS + tutorial.screen_name(number)), button=gettext(step.button),
                     words=guide_text(tutorial.guide_key(number)))


def _practice_url() -> str:
    """Practice mode's start page, once it exists (it is built alongside): no link rather than a broken one."""
    try:
        return reverse("learn:practice_start")
    except NoReverseMatch:
        return ""


def tutorials(request: HttpRequest) -> HttpResponse:
    return render(request, "learn/tutorial_list.html", {"tutorials": TUTORIALS, "practice_url": _practice_url()})


def step(request: HttpRequest, slug: str, number: int = 1) -> HttpResponse:
    tutorial = BY_SLUG[slug]  # the URL converter accepts only known slugs
    total = len(tutorial.steps)
    if not 1 <= number <= total:
        raise Http404("no such step")  # the friendly 404 page, with the way home
    return render(request, "learn/tutorial_step.html", {
        "tutorial": tutorial, "shown": _shown(tutorial, number), "total": total,
        "previous": number - 1 if number > 1 else None, "next": number + 1 if number < total else None,
        "practice_url": _practice_url(),
    })


def handout(request: HttpRequest, slug: str) -> HttpResponse:
    tutorial = BY_SLUG[slug]
    shown = [_shown(tutorial, n) for n in range(1, len(tutorial.steps) + 1)]
    return render(request, "learn/tutorial_print.html", {"tutorial": tutorial, "shown": shown})
