from django.urls import path

from payments import views

app_name = "payments"
urlpatterns = [
    path("contribution/", views.contribution, name="contribution"),
    path("orders/<uuid:public_id>/", views.order, name="order"),
    path("sandbox/cashier/<str:out_trade_no>/", views.sandbox_cashier, name="sandbox_cashier"),
    path("callback/<str:provider>/", views.callback, name="callback"),
]
