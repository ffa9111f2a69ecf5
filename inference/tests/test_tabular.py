"""Burnout feature encoding (pure functions, no database)."""

import math
from datetime import date

import numpy as np
import pytest

from inference import tabular
from inference.errors import InvalidMedia
from inference.testing import BURNOUT_ENCODING, BURNOUT_FEATURES


def encode(features):
    return tabular.encode_features(
        features, feature_names=BURNOUT_FEATURES, encoding=BURNOUT_ENCODING
    )[0]


def test_it_encodes_each_type_in_feature_order():
    row = encode(
        {
            "tenure_days": 120,
            "designation": 7,
            "company_type": "Service",
            "wfh_available": "Yes",
            "resource_allocation": 0,
            "mental_fatigue": 5.5,
        }
    )

    np.testing.assert_allclose(row, [120, 5, 1, 1, 1, 5.5])  # designation/allocation clamped


def test_missing_values_become_nan():
    row = encode({"company_type": None, "wfh_available": "", "mental_fatigue": float("nan")})

    assert all(math.isnan(value) for value in row)


@pytest.mark.parametrize(
    ("value", "expected"), [(True, 1.0), ("no", 0.0), ("TRUE", 1.0), (0, 0.0), ("maybe", None)]
)
def test_bool_encoding(value, expected):
    encoded = tabular.encode_value(
        "w", {"wfh_available": value}, {"type": "bool", "source": "wfh_available"}
    )

    assert math.isnan(encoded) if expected is None else encoded == expected


def test_map_encoding_and_unknown_text():
    spec = {"type": "map", "source": "company_type", "map": {"service": 1, "product": 0}}

    assert tabular.encode_value("c", {"company_type": "Product"}, spec) == 0.0
    assert math.isnan(tabular.encode_value("c", {"company_type": "agency"}, spec))


def test_hackerearth_rows_map_to_service_inputs():
    row = {
        "Employee ID": "x",
        "Date of Joining": "2008-12-01",
        "Company Type": "Product",
        "WFH Setup Available": "No",
        "Designation": "2",
        "Resource Allocation": "",
        "Mental Fatigue Score": "6.3",
    }

    features = tabular.features_from_hackerearth_row(row, reference_date=date(2009, 1, 1))

    assert features == {
        "tenure_days": 31,
        "designation": "2",
        "company_type": "Product",
        "wfh_available": "No",
        "resource_allocation": None,
        "mental_fatigue": "6.3",
    }


def test_it_refuses_text_where_a_number_is_needed():
    with pytest.raises(InvalidMedia, match="not a number"):
        encode({"designation": "senior"})
