from django.urls import path, register_converter

from learn import tutorial_views
from learn.tutorials import TutorialSlugConverter

register_converter(TutorialSlugConverter, "tutorial")

urlpatterns = [
    path("", tutorial_views.tutorials, name="tutorials"),
    path("<tutorial:slug>/", tutorial_views.step, name="tutorial"),
    path("<tutorial:slug>/print/", tutorial_views.handout, name="tutorial_print"),
    path("<tutorial:slug>/<int:number>/", tutorial_views.step, name="tutorial_step"),
]
