"""Each rule at its boundaries, without a database."""

import pytest

from alerts import rules

T = rules.Thresholds()


class TestSustainedRisk:
    def test_it_fires_on_three_of_the_last_five_days(self):
        finding = rules.sustained_risk([0.7, 0.1, 0.7, 0.2, 0.9], T)
        assert finding is not None
        assert finding.severity == "high"
        assert finding.snapshot["high_risk_days"] == 3

    def test_it_needs_three_hits(self):
        assert rules.sustained_risk([0.7, 0.1, 0.7, 0.2, 0.2], T) is None

    def test_threshold_is_inclusive(self):
        assert rules.sustained_risk([0.7, 0.7, 0.7], T) is not None
        assert rules.sustained_risk([0.699, 0.7, 0.7], T) is None

    def test_only_the_last_five_check_in_days_count(self):
        # Newest first: the three high values are days 6-8, outside the last five.
        assert rules.sustained_risk([0.1, 0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9], T) is None

    def test_no_data(self):
        assert rules.sustained_risk([], T) is None


class TestLowFlow:
    @pytest.mark.parametrize(
        ("mean", "severity"),
        [(39.99, "medium"), (30.0, "medium"), (29.99, "high"), (0.0, "high")],
    )
    def test_severity_bands(self, mean, severity):
        finding = rules.low_flow(mean, 3, T)
        assert finding is not None
        assert finding.severity == severity

    def test_forty_is_not_low(self):
        assert rules.low_flow(40.0, 7, T) is None

    def test_it_needs_three_days(self):
        assert rules.low_flow(10.0, 2, T) is None
        assert rules.low_flow(None, 0, T) is None


class TestDecline:
    def test_fifteen_points_fires(self):
        finding = rules.decline(55.0, 3, 70.0, 3, T)
        assert finding is not None
        assert finding.severity == "medium"
        assert finding.snapshot["drop"] == 15.0

    def test_just_under_fifteen_does_not(self):
        assert rules.decline(55.1, 7, 70.0, 7, T) is None

    def test_both_windows_need_three_days(self):
        assert rules.decline(40.0, 2, 80.0, 7, T) is None
        assert rules.decline(40.0, 7, 80.0, 2, T) is None
        assert rules.decline(40.0, 7, None, 0, T) is None

    def test_a_rise_is_not_a_decline(self):
        assert rules.decline(80.0, 7, 40.0, 7, T) is None


class TestTeamRules:
    def test_team_low_flow_below_fifty(self):
        assert rules.team_low_flow(49.9, 5, T) is not None
        assert rules.team_low_flow(50.0, 5, T) is None

    def test_team_rules_need_min_group_size(self):
        assert rules.team_low_flow(10.0, 4, T) is None
        assert rules.team_decline(10.0, 4, 90.0, 9, T) is None
        assert rules.team_decline(10.0, 9, 90.0, 4, T) is None
        assert rules.team_at_risk(4, 4, T) is None

    def test_min_group_size_follows_the_setting(self):
        strict = rules.Thresholds(min_group_size=8)
        assert rules.team_low_flow(10.0, 7, strict) is None
        assert rules.team_low_flow(10.0, 8, strict) is not None

    def test_team_decline_ten_points(self):
        assert rules.team_decline(60.0, 5, 70.0, 5, T) is not None
        assert rules.team_decline(60.1, 5, 70.0, 5, T) is None

    def test_team_at_risk_share_boundary(self):
        finding = rules.team_at_risk(10, 3, T)
        assert finding is not None
        assert finding.snapshot == {"share_at_risk_band": "30-49%", "contributors": 10}
        assert "30-49% of the team" in finding.message
        assert rules.team_at_risk(10, 2, T) is None

    def test_team_findings_hold_only_team_level_numbers(self):
        findings = rules.team_findings(
            mean_flow=35.0,
            contributors=6,
            previous_mean_flow=60.0,
            previous_contributors=6,
            at_risk=3,
            t=T,
        )
        assert {f.rule for f in findings} == {"team_low_flow", "team_decline", "team_at_risk"}
        allowed = {
            "mean_flow",
            "previous_mean_flow",
            "drop",
            "contributors",
            "previous_contributors",
            "share_at_risk_band",
        }
        for finding in findings:
            assert set(finding.snapshot) <= allowed


def test_thresholds_from_settings_mapping():
    t = rules.Thresholds.from_mapping({"low_flow_medium": 45.0, "unknown": 1}, min_group_size=6)
    assert t.low_flow_medium == 45.0
    assert t.min_group_size == 6


def test_escalation_order():
    assert rules.is_escalation("medium", "high")
    assert not rules.is_escalation("high", "medium")
    assert not rules.is_escalation("medium", "medium")


@pytest.mark.parametrize(
    ("share", "band"),
    [
        (0.3, "30-49%"),
        (0.49, "30-49%"),
        (0.5, "50-74%"),
        (0.74, "50-74%"),
        (0.75, "75% or more"),
        (1.0, "75% or more"),
    ],
)
def test_the_at_risk_share_is_shown_as_a_band(share, band):
    assert rules.share_band(share) == band
