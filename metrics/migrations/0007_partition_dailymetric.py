"""Daily metrics partitioned by month on PostgreSQL (resonance/partitions.py); SQLite keeps one
plain table. The table is rebuilt: a partitioned table beside the old one, a copy, a swap."""

from django.db import migrations
from django.utils import timezone


def partition(apps, schema_editor):
    from resonance import partitions

    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        partitions.convert_to_partitioned(
            cursor, table=partitions.DAILY_METRICS, today=timezone.localdate()
        )


def unpartition(apps, schema_editor):
    from resonance import partitions

    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        partitions.convert_to_plain(cursor, table=partitions.DAILY_METRICS)


class Migration(migrations.Migration):
    dependencies = [("metrics", "0006_dailymetric_date_index")]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
