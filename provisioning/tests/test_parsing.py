"""Filters and PATCH operations, read without a database."""

import pytest

from provisioning.attributes import (
    group_fields_from_patch,
    parse_operations,
    user_fields_from_patch,
    user_fields_from_resource,
)
from provisioning.errors import ScimError
from provisioning.filters import Condition, parse_filter


def test_it_reads_equality_filters_joined_with_and():
    assert parse_filter('userName eq "a\\"b"') == [Condition("username", 'a"b')]
    assert parse_filter('id eq "7" AND members[value eq "42"]') == [
        Condition("id", "7"),
        Condition("members", None, (Condition("value", "42"),)),
    ]
    assert parse_filter('emails[type eq "work"].value eq "a@b.c"') == [
        Condition("emails.value", "a@b.c", (Condition("type", "work"),))
    ]
    assert parse_filter("active eq False") == [Condition("active", False)]
    assert parse_filter('(externalId eq "x")') == [Condition("externalid", "x")]


@pytest.mark.parametrize(
    "text",
    ["", "userName", "userName pr", 'userName eq "a" or x eq "b"', 'not (a eq "b")', "a eq ["],
)
def test_it_refuses_other_filters(text):
    with pytest.raises(ScimError) as refused:
        parse_filter(text)
    assert refused.value.scim_type == "invalidFilter"


def _ops(*operations):
    return parse_operations({"Operations": list(operations)})


def test_it_reads_entra_ids_string_booleans_and_capitalised_ops():
    fields = user_fields_from_patch(_ops({"op": "Replace", "path": "active", "value": "False"}))

    assert fields.active is False
    assert fields.changed == ["active"]


def test_it_reads_a_replace_without_path_in_both_nested_and_dotted_forms():
    fields = user_fields_from_patch(
        _ops(
            {
                "op": "replace",
                "value": {
                    "active": "true",
                    "name": {"familyName": "Nguyen"},
                    "name.givenName": "An",
                    "emails": [
                        {"value": "x@y.z", "primary": False},
                        {"value": "p@y.z", "primary": "True"},
                    ],
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                        "department": "R&D"
                    },
                },
            }
        )
    )

    assert (fields.active, fields.first_name, fields.last_name, fields.email) == (
        True,
        "An",
        "Nguyen",
        "p@y.z",
    )


def test_later_operations_win():
    fields = user_fields_from_patch(
        _ops(
            {"op": "replace", "path": "active", "value": False},
            {"op": "replace", "path": "active", "value": True},
        )
    )

    assert fields.active is True


def test_a_put_keeps_active_timezone_and_external_id_it_leaves_out():
    fields = user_fields_from_resource({"userName": "a"}, creating=False)

    assert fields.active is None and fields.time_zone is None and fields.external_id is None
    assert (fields.email, fields.first_name, fields.last_name) == ("", "", "")
    assert user_fields_from_resource({"userName": "a"}, creating=True).active is True


def test_group_member_steps_keep_their_order():
    fields = group_fields_from_patch(
        _ops(
            {"op": "Add", "path": "members", "value": [{"value": "1"}, {"value": 2}]},
            {"op": "Remove", "path": 'members[value eq "1"]'},
            {"op": "replace", "value": {"id": "9", "displayName": "New"}},
        ),
        group_id="9",
    )

    assert fields.member_steps == [("add", ["1", "2"]), ("remove", ["1"])]
    assert fields.display_name == "New"


def test_a_group_patch_may_not_change_the_id():
    with pytest.raises(ScimError) as refused:
        group_fields_from_patch(_ops({"op": "replace", "value": {"id": "10"}}), group_id="9")
    assert refused.value.scim_type == "mutability"
