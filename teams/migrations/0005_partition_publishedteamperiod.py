"""Published team periods partitioned by month on PostgreSQL (resonance/partitions.py);
SQLite keeps one plain table. The table is rebuilt: a partitioned table beside it, a copy,
a swap (the primary key becomes (id, date))."""

from django.db import migrations
from django.utils import timezone


def partition(apps, schema_editor):
    from resonance import partitions

    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        partitions.convert_to_partitioned(
            cursor, table=partitions.PUBLISHED_PERIODS, today=timezone.localdate()
        )


def unpartition(apps, schema_editor):
    from resonance import partitions

    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        partitions.convert_to_plain(cursor, table=partitions.PUBLISHED_PERIODS)


class Migration(migrations.Migration):
    dependencies = [("teams", "0004_published_periods_and_privacy_ledger")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
