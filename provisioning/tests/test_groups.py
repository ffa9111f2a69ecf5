"""Teams as SCIM Groups: a person belongs to at most one team, so the last group that adds
them wins; lists page and trim attributes as identity providers ask."""

from accounts.models import User
from provisioning.models import ProvisioningEvent
from teams.models import Team


def test_a_second_group_adding_a_person_moves_them(scim, employee, team, other_team):
    response = scim.patch(
        f"/scim/v2/Groups/{other_team.pk}",
        {"op": "add", "path": "members", "value": [{"value": str(employee.pk)}]},
    )

    assert response.status_code == 200
    employee.refresh_from_db()
    assert employee.team == other_team
    first = scim.get(f"/scim/v2/Groups/{team.pk}").json()
    assert str(employee.pk) not in [m["value"] for m in first["members"]]
    assert scim.get(f"/scim/v2/Users/{employee.pk}").json()["groups"] == [
        {
            "value": str(other_team.pk),
            "display": "Borealis",
            "$ref": f"http://testserver/scim/v2/Groups/{other_team.pk}",
            "type": "direct",
        }
    ]
    moved = ProvisioningEvent.objects.get(action="member_moved")
    assert (moved.username, moved.team_name, moved.detail) == ("erin", "Borealis", "from Atlas")


def test_removing_a_person_from_a_group_they_already_left_changes_nothing(
    scim, employee, team, other_team
):
    scim.patch(
        f"/scim/v2/Groups/{other_team.pk}",
        {"op": "add", "path": "members", "value": [{"value": str(employee.pk)}]},
    )

    response = scim.patch(
        f"/scim/v2/Groups/{team.pk}", {"op": "remove", "path": f'members[value eq "{employee.pk}"]'}
    )

    assert response.status_code == 200
    employee.refresh_from_db()
    assert employee.team == other_team


def test_replace_members_sets_exactly_those(scim, employee, teammate, outsider, team):
    response = scim.patch(
        f"/scim/v2/Groups/{team.pk}",
        {"op": "replace", "path": "members", "value": [{"value": str(outsider.pk)}]},
    )

    assert [m["value"] for m in response.json()["members"]] == [str(outsider.pk)]
    assert list(User.objects.filter(team=team)) == [outsider]


def test_remove_members_without_a_value_empties_the_team(scim, employee, teammate, team):
    response = scim.patch(f"/scim/v2/Groups/{team.pk}", {"op": "remove", "path": "members"})

    assert response.json()["members"] == []
    assert not User.objects.filter(team=team).exists()


def test_lists_page_and_trim_attributes(scim, settings, db):
    settings.SCIM_MAX_RESULTS = 2
    for name in ["Alpha", "Beta", "Gamma"]:
        Team.objects.create(name=name)

    first = scim.get("/scim/v2/Groups?startIndex=1&count=10&attributes=displayName").json()
    second = scim.get("/scim/v2/Groups?startIndex=3").json()

    assert (first["totalResults"], first["itemsPerPage"], first["startIndex"]) == (3, 2, 1)
    assert first["Resources"] == [
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": r["id"],
            "displayName": n,
        }
        for r, n in zip(first["Resources"], ["Alpha", "Beta"], strict=True)
    ]
    assert [r["displayName"] for r in second["Resources"]] == ["Gamma"]
    assert scim.get("/scim/v2/Groups?count=0").json()["Resources"] == []


def test_a_deleted_group_name_can_be_created_again_as_the_same_team(scim, employee, team):
    assert scim.delete(f"/scim/v2/Groups/{team.pk}").status_code == 204

    again = scim.post(
        "/scim/v2/Groups", {"displayName": "Atlas", "members": [{"value": str(employee.pk)}]}
    )

    assert again.status_code == 201
    assert again.json()["id"] == str(team.pk)
    employee.refresh_from_db()
    assert employee.team == team


def test_discovery_documents_describe_what_is_supported(scim):
    config = scim.get("/scim/v2/ServiceProviderConfig").json()
    types = scim.get("/scim/v2/ResourceTypes").json()
    schemas = scim.get("/scim/v2/Schemas").json()

    assert config["patch"]["supported"] is True
    assert config["bulk"]["supported"] is False
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert {t["endpoint"] for t in types["Resources"]} == {"/Users", "/Groups"}
    user_schema = next(s for s in schemas["Resources"] if s["name"] == "User")
    assert {a["name"] for a in user_schema["attributes"]} >= {"userName", "emails", "active"}
