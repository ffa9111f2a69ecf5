"""Team alerts raised before publication existed carried exact contributor counts in their
message ("across 7 contributors") and snapshot. Managers can still read resolved ones, so
those counts are removed; the rest of each alert stays as it was."""

import re

from django.db import migrations

COUNT_KEYS = ("contributors", "previous_contributors", "at_risk")
COUNT_PHRASE = re.compile(r",? across \d+ contributors?")


def drop_counts(apps, schema_editor):
    BurnoutAlert = apps.get_model("alerts", "BurnoutAlert")
    for alert in BurnoutAlert.objects.filter(scope="team").iterator():
        snapshot = {k: v for k, v in (alert.snapshot or {}).items() if k not in COUNT_KEYS}
        message = COUNT_PHRASE.sub("", alert.message)
        if snapshot != alert.snapshot or message != alert.message:
            alert.snapshot, alert.message = snapshot, message
            alert.save(update_fields=["snapshot", "message"])


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]

    operations = [migrations.RunPython(drop_counts, migrations.RunPython.noop)]
