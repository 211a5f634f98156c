from django.urls import path

from feedback import views

app_name = "feedback"
urlpatterns = [
    path("survey/", views.survey_answer, name="survey"),
    path("survey/block/", views.survey_block, name="survey_block"),
    path("survey/<uuid:public_id>/more/", views.survey_details, name="survey_details"),
    path("complaints/", views.complaints, name="complaints"),
    path("complaints/new/", views.complaint_new, name="complaint_new"),
    path("complaints/<uuid:public_id>/", views.complaint, name="complaint"),
    path("complaints/<uuid:public_id>/recording/", views.complaint_recording, name="complaint_recording"),
    path("complaints/<uuid:public_id>/rate/", views.complaint_rate, name="complaint_rate"),
]
