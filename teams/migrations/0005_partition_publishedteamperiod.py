"""Published team periods partitioned by month on PostgreSQL (resonance/partitions.py);
SQLite keeps one plain table. The table is rebuilt: a partitioned table beside the old one, a
copy, a swap (the primary key becomes (id, date))."""

from django.db import migrations

from resonance import partitions


class Migration(migrations.Migration):
    dependencies = [("teams", "0004_published_periods_and_privacy_ledger")]

    operations = [partitions.migration(partitions.PUBLISHED_PERIODS)]
