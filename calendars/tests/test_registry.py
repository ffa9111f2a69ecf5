"""The calendar's figures are declared once, in the indicator registry, and stored here."""

from calendars.models import CalendarDay
from resonance import indicators


def test_every_day_figure_has_its_column_and_stays_out_of_scores_and_publication(settings):
    columns = {f.name for f in CalendarDay._meta.concrete_fields}
    for profile in ("standard", "eu"):
        settings.SIGNAL_PROFILE = profile
        day_figures = indicators.day_figures()
        assert {i.key for i in day_figures} <= columns
        assert "meeting_hours" in indicators.day_figure_keys()
        for item in day_figures:
            # Workload is lawful under every profile; not a FlowScore component; not published.
            assert item.category == indicators.Category.WORKLOAD
            assert item.flow_weight == 0 and not item.publishable
            assert item.key not in indicators.score_keys()
            assert item.key not in indicators.published_keys()
