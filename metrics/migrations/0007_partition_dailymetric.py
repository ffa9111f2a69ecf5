"""Daily metrics partitioned by month on PostgreSQL (resonance/partitions.py); SQLite keeps one
plain table. The table is rebuilt: a partitioned table beside the old one, a copy, a swap."""

from django.db import migrations

from resonance import partitions


class Migration(migrations.Migration):
    dependencies = [("metrics", "0006_dailymetric_date_index")]

    operations = [partitions.migration(partitions.DAILY_METRICS)]
