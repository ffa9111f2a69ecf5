"""Published team-days become published team periods (a day, a week or a month), and a ledger
of what the releases cost each person. Existing rows are kept as period "day"."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("teams", "0003_published_team_days"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="publishedteamday", name="publishedteamday_team_date"
        ),
        migrations.RenameModel(old_name="PublishedTeamDay", new_name="PublishedTeamPeriod"),
        migrations.AddField(
            model_name="publishedteamperiod",
            name="period",
            field=models.CharField(
                choices=[("day", "Day"), ("week", "Week"), ("month", "Month")],
                default="day",
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="publishedteamperiod",
            name="members_band",
            field=models.CharField(blank=True, max_length=32),
        ),
        migrations.RemoveField(model_name="publishedteamperiod", name="epsilon_per_value"),
        migrations.AlterField(
            model_name="publishedteamperiod",
            name="team",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="published_periods",
                to="teams.team",
            ),
        ),
        migrations.AlterModelOptions(
            name="publishedteamperiod", options={"ordering": ["team", "period", "date"]}
        ),
        migrations.AddConstraint(
            model_name="publishedteamperiod",
            constraint=models.UniqueConstraint(
                fields=("team", "period", "date"), name="publishedteamperiod_team_period_date"
            ),
        ),
        migrations.CreateModel(
            name="PrivacySpend",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("month", models.DateField(help_text="The first day of the month.")),
                ("epsilon", models.FloatField(default=0.0)),
                ("releases", models.PositiveIntegerField(default=0)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="privacy_spend",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["user", "month"]},
        ),
        migrations.AddConstraint(
            model_name="privacyspend",
            constraint=models.UniqueConstraint(
                fields=("user", "month"), name="privacyspend_user_month"
            ),
        ),
    ]
