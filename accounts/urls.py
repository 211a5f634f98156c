from django.urls import path

from accounts import phone_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("worker/login/", views.worker_sign_in, name="worker_login"),
    path("worker/totp/", views.worker_totp, name="worker_totp"),
    # 我的手机: trusted phones, PIN and passkeys; the step-up page (accounts/phone_views.py)
    path("phones/", phone_views.my_phones, name="my_phones"),
    path("phones/trust/", phone_views.trust_phone, name="trust_phone"),
    path("phones/<uuid:device_id>/remove/", phone_views.remove_phone, name="remove_phone"),
    path("phones/pin/", phone_views.set_pin, name="set_pin"),
    path("phones/passkey/", phone_views.add_passkey, name="add_passkey"),
    path("phones/passkey/<int:passkey_id>/remove/", phone_views.remove_passkey, name="remove_passkey"),
    path("phones/passkey/options/", phone_views.passkey_register_options, name="passkey_register_options"),
    path("phones/passkey/register/", phone_views.passkey_register, name="passkey_register"),
    path("step-up/", phone_views.step_up, name="step_up"),
    path("step-up/passkey/options/", phone_views.passkey_assert_options, name="passkey_assert_options"),
    path("step-up/passkey/", phone_views.passkey_assert, name="passkey_assert"),
]
