"""Bad requests get a 4xx SCIM error with a readable detail, and change nothing."""

import pytest

from accounts.models import User
from provisioning.models import ProvisioningEvent
from teams.models import Team

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def assert_scim_error(response, status: int, scim_type: str | None = None, words: str = ""):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert words.lower() in body["detail"].lower()
    return body


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_wrong_content_type_is_refused(scim, content_type):
    response = scim.request(
        "POST", "/scim/v2/Users", '{"userName": "alice"}', content_type=content_type
    )

    assert_scim_error(response, 400, "invalidSyntax", "application/scim+json")
    assert not User.objects.filter(username="alice").exists()


@pytest.mark.parametrize("body", ['{"userName": "alice"', "not json", "\xff\xfe", "[1, 2]", '"x"'])
def test_malformed_json_is_refused(scim, body, employee):
    for method, path in [("POST", "/scim/v2/Users"), ("PATCH", f"/scim/v2/Users/{employee.pk}")]:
        response = scim.request(method, path, body)
        assert_scim_error(response, 400, "invalidSyntax")
    assert User.objects.count() == 1


def test_plain_application_json_is_accepted(scim):
    response = scim.request(
        "POST", "/scim/v2/Users", '{"userName": "alice"}', content_type="application/json"
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("favouriteColour", "blue"),
        ("name.nickname", "Al"),
        ('emails[type eq "work"].colour', "blue"),
        ("urn:ietf:params:scim:schemas:core:2.0:User:shoeSize", 42),
    ],
)
def test_an_unknown_user_attribute_path_is_refused(scim, employee, path, value):
    response = scim.patch(
        f"/scim/v2/Users/{employee.pk}",
        {"op": "replace", "path": "name.givenName", "value": "Changed"},
        {"op": "replace", "path": path, "value": value},
    )

    assert_scim_error(response, 400, "invalidPath", "unknown attribute path")
    employee.refresh_from_db()
    assert employee.first_name == ""  # the whole PATCH is refused, not half of it
    assert not ProvisioningEvent.objects.exists()


def test_an_unknown_group_attribute_path_is_refused(scim, team):
    response = scim.patch(
        f"/scim/v2/Groups/{team.pk}", {"op": "add", "path": "owners", "value": []}
    )

    assert_scim_error(response, 400, "invalidPath", "owners")


@pytest.mark.parametrize(
    ("operation", "status", "scim_type", "words"),
    [
        (
            {"op": "Replace", "path": "active", "value": "maybe"},
            400,
            "invalidValue",
            "true or false",
        ),
        ({"op": "remove", "path": "active"}, 400, "mutability", "active"),
        ({"op": "remove"}, 400, "noTarget", "path"),
        ({"op": "move", "path": "active", "value": True}, 400, "invalidSyntax", "op must be"),
        ({"op": "replace", "value": "not an object"}, 400, "invalidValue", "object"),
        ({"op": "add", "path": "groups", "value": [{"value": "1"}]}, 400, "mutability", "/Groups"),
        (
            {"op": "replace", "path": "timezone", "value": "Mars/Olympus"},
            400,
            "invalidValue",
            "IANA",
        ),
        (
            {"op": "replace", "path": 'emails[type eq "work"].value', "value": "nope"},
            400,
            "invalidValue",
            "email",
        ),
        (
            {"op": "replace", "path": "userName", "value": "spaces are not allowed"},
            400,
            "invalidValue",
            "letters",
        ),
        ({"op": "replace", "path": "userName", "value": ""}, 400, "invalidValue", "required"),
    ],
)
def test_bad_patch_operations_are_refused(scim, employee, operation, status, scim_type, words):
    response = scim.patch(f"/scim/v2/Users/{employee.pk}", operation)

    assert_scim_error(response, status, scim_type, words)
    employee.refresh_from_db()
    assert employee.is_active and employee.username == "erin"


def test_a_patch_without_operations_is_refused(scim, employee):
    response = scim.request("PATCH", f"/scim/v2/Users/{employee.pk}", {"schemas": []})

    assert_scim_error(response, 400, "invalidSyntax", "Operations")


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ('userName sw "a"', "not supported"),
        ('userName eq "a" or userName eq "b"', "'or' is not supported"),
        ("userName eq", "value must follow"),
        ('userName eq "unterminated', "cannot read"),
        ('title eq "boss"', "cannot be filtered by"),
        ("userName eq alice", "quote strings"),
        ('active eq "yes"', "true or false"),
    ],
)
def test_bad_filters_are_refused(scim, query, words):
    response = scim.get(f"/scim/v2/Users?filter={query}")

    assert_scim_error(response, 400, "invalidFilter", words)


def test_creating_needs_a_user_name_and_refuses_a_taken_one(scim, employee):
    assert_scim_error(
        scim.post("/scim/v2/Users", {"active": True}), 400, "invalidValue", "userName is required"
    )

    clash = scim.post("/scim/v2/Users", {"userName": "ERIN"})

    assert_scim_error(clash, 409, "uniqueness", 'filter=userName eq "ERIN"')
    assert User.objects.count() == 1


def test_renaming_onto_a_taken_name_is_refused(scim, employee, teammate):
    response = scim.patch(
        f"/scim/v2/Users/{employee.pk}", {"op": "replace", "path": "userName", "value": "Tomas"}
    )

    assert_scim_error(response, 409, "uniqueness")


def test_group_names_are_unique(scim, team):
    assert_scim_error(scim.post("/scim/v2/Groups", {"displayName": "atlas"}), 409, "uniqueness")
    assert_scim_error(
        scim.post("/scim/v2/Groups", {"members": []}),
        400,
        "invalidValue",
        "displayName is required",
    )
    assert Team.objects.count() == 1


@pytest.mark.parametrize("member", ["999999", "abc", ""])
def test_an_unknown_member_is_refused(scim, team, employee, member):
    response = scim.patch(
        f"/scim/v2/Groups/{team.pk}",
        {"op": "remove", "path": "members", "value": [{"value": str(employee.pk)}]},
        {"op": "add", "path": "members", "value": [{"value": member}]},
    )

    assert_scim_error(response, 400, "invalidValue")
    employee.refresh_from_db()
    assert employee.team == team


def test_unknown_ids_are_404(scim):
    assert_scim_error(scim.get("/scim/v2/Users/12345"), 404, None, "No User with id")
    assert_scim_error(scim.get("/scim/v2/Users/not-a-number"), 404)
    assert_scim_error(scim.delete("/scim/v2/Groups/12345"), 404, None, "No Group")


def test_a_method_the_endpoint_lacks_is_405(scim):
    response = scim.request("DELETE", "/scim/v2/Users")

    assert_scim_error(response, 405, None, "use GET, POST")


def test_paging_values_must_be_numbers(scim):
    assert_scim_error(scim.get("/scim/v2/Users?count=many"), 400, "invalidValue", "whole numbers")


def test_an_oversized_body_is_refused(scim, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = scim.post("/scim/v2/Users", {"userName": "big", "title": "x" * 2000})

    assert_scim_error(response, 413, None, "too large")
    assert not User.objects.filter(username="big").exists()
