from django.urls import path

from . import api

app_name = "auth-api"
urlpatterns = [
    path("token/", api.TokenObtainApi.as_view(), name="token"),
    path("token/refresh/", api.TokenRefreshApi.as_view(), name="token-refresh"),
    path("logout/", api.LogoutApi.as_view(), name="logout"),
    path("password/", api.PasswordChangeApi.as_view(), name="password-change"),
]
