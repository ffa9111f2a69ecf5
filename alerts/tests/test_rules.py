"""Each rule at its boundaries, without a database."""

import re

import pytest

from alerts import rules
from teams.privacy import at_risk_band

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
    """Team rules read published team-days: ``days`` is how many the window holds."""

    def test_team_low_flow_below_fifty(self):
        assert rules.team_low_flow(49.9, 3, T) is not None
        assert rules.team_low_flow(50.0, 7, T) is None
        assert rules.team_low_flow(None, 0, T) is None

    def test_team_rules_need_three_published_days(self):
        assert rules.team_low_flow(10.0, 2, T) is None
        assert rules.team_decline(10.0, 2, 90.0, 7, T) is None
        assert rules.team_decline(10.0, 7, 90.0, 2, T) is None
        assert rules.team_decline(10.0, 7, None, 0, T) is None
        assert rules.team_at_risk(0.9, 2, T) is None
        assert rules.team_at_risk(None, 0, T) is None

    def test_min_days_follows_the_thresholds(self):
        strict = rules.Thresholds(min_days=5)
        assert rules.team_low_flow(10.0, 4, strict) is None
        assert rules.team_low_flow(10.0, 5, strict) is not None
        assert rules.team_at_risk(0.9, 4, strict) is None
        assert rules.team_at_risk(0.9, 5, strict) is not None

    def test_team_decline_ten_points(self):
        finding = rules.team_decline(60.0, 5, 70.0, 4, T)
        assert finding is not None
        assert finding.snapshot == {
            "mean_flow": 60.0,
            "previous_mean_flow": 70.0,
            "drop": 10.0,
            "days_published": 5,
            "previous_days_published": 4,
        }
        assert rules.team_decline(60.1, 5, 70.0, 5, T) is None

    def test_team_low_flow_reports_published_days(self):
        finding = rules.team_low_flow(44.04, 6, T)
        assert finding.snapshot == {"mean_flow": 44.0, "days_published": 6}
        assert "about 44.0" in finding.message
        assert "over 6 published days" in finding.message

    def test_team_at_risk_share_boundary(self):
        finding = rules.team_at_risk(0.3, 3, T)
        assert finding is not None
        assert finding.snapshot == {"share_at_risk_band": "30-49%", "days_published": 3}
        assert finding.message.startswith("30-49% of the team")
        assert rules.team_at_risk(0.2999, 7, T) is None

    def test_team_at_risk_shows_a_band_never_the_share(self):
        finding = rules.team_at_risk(1.0, 7, T)
        assert finding.snapshot["share_at_risk_band"] == "75% or more"
        assert finding.message.startswith("75% or more of the team")
        assert "100%" not in finding.message
        assert "1.0" not in finding.message + str(finding.snapshot)

    def test_team_findings_hold_only_team_level_numbers(self):
        findings = rules.team_findings(
            mean_flow=35.0,
            days=6,
            previous_mean_flow=60.0,
            previous_days=6,
            at_risk_share=0.42,
            at_risk_days=6,
            t=T,
        )
        assert {f.rule for f in findings} == {"team_low_flow", "team_decline", "team_at_risk"}
        allowed = {
            "mean_flow",
            "previous_mean_flow",
            "drop",
            "days_published",
            "previous_days_published",
            "share_at_risk_band",
        }
        for finding in findings:
            assert set(finding.snapshot) <= allowed
            assert "contributors" not in finding.message
            assert not re.search(r"\d+ (people|members|contributors)", finding.message)
            assert "0.42" not in finding.message + str(finding.snapshot)

    def test_team_findings_need_published_at_risk_days_of_their_own(self):
        findings = rules.team_findings(
            mean_flow=70.0,
            days=7,
            previous_mean_flow=70.0,
            previous_days=7,
            at_risk_share=0.9,
            at_risk_days=2,
            t=T,
        )
        assert findings == []


def test_thresholds_from_settings_mapping():
    t = rules.Thresholds.from_mapping({"low_flow_medium": 45.0, "unknown": 1})
    assert t.low_flow_medium == 45.0
    assert not hasattr(t, "unknown")


def test_escalation_order():
    assert rules.is_escalation("medium", "high")
    assert not rules.is_escalation("high", "medium")
    assert not rules.is_escalation("medium", "medium")


@pytest.mark.parametrize(
    ("share", "band"),
    [
        (0.0, "under 30%"),
        (0.2999, "under 30%"),
        (0.3, "30-49%"),
        (0.49, "30-49%"),
        (0.5, "50-74%"),
        (0.74, "50-74%"),
        (0.75, "75% or more"),
        (1.0, "75% or more"),
    ],
)
def test_the_at_risk_share_is_shown_as_a_band(share, band):
    assert at_risk_band(share) == band


class TestBelowUsual:
    def comparison(self, z: float, usual: float = 72.0):
        from metrics.baselines import Comparison

        return Comparison(
            metric="flow_score", value=usual + 3 * z, usual=usual, spread=3.0, days=20, z=z
        )

    def test_it_fires_on_two_of_the_last_three_days_well_below_usual(self):
        t = rules.Thresholds()
        finding = rules.below_usual(
            [self.comparison(-2.5), self.comparison(0.1), self.comparison(-2.0)], t
        )
        assert finding.rule == "below_usual"
        assert finding.severity == "low"
        assert finding.snapshot == {"usual_flow": 72.0, "below_days": 2, "checkin_days": 3}
        assert "well below your usual (about 72.0)" in finding.message

    def test_one_bad_day_or_older_ones_do_not_count(self):
        t = rules.Thresholds()
        assert rules.below_usual([self.comparison(-3.0), self.comparison(0.0)], t) is None
        older = [self.comparison(0.0), self.comparison(0.0), self.comparison(-1.0)]
        assert rules.below_usual([*older, self.comparison(-3), self.comparison(-3)], t) is None

    def test_without_a_baseline_nothing_fires(self):
        assert rules.below_usual([], rules.Thresholds()) is None
