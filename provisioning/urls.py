from django.urls import path

from . import views

app_name = "scim"

urlpatterns = [
    path(
        "scim/v2/ServiceProviderConfig",
        views.ServiceProviderConfigView.as_view(),
        name="service-provider-config",
    ),
    path("scim/v2/ResourceTypes", views.ResourceTypesView.as_view(), name="resource-types"),
    path("scim/v2/Schemas", views.SchemasView.as_view(), name="schemas"),
    path("scim/v2/Users", views.UsersView.as_view(), name="users"),
    path("scim/v2/Users/<str:user_id>", views.UserView.as_view(), name="user"),
    path("scim/v2/Groups", views.GroupsView.as_view(), name="groups"),
    path("scim/v2/Groups/<str:team_id>", views.GroupView.as_view(), name="group"),
]
