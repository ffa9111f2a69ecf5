"""Which reads the router sends to a replica: team figures inside ``replica_reads()`` only."""

from accounts.models import User
from alerts.models import BurnoutAlert
from metrics.models import DailyMetric
from resonance.db_router import ReplicaRouter, replica_reads
from teams.models import PublishedTeamPeriod, Team

router = ReplicaRouter()


def test_without_a_replica_everything_reads_the_primary(settings):
    settings.DATABASES = {"default": settings.DATABASES["default"]}
    with replica_reads():
        assert router.db_for_read(PublishedTeamPeriod) is None


def test_team_figures_read_the_replica_only_when_asked(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": dict(settings.DATABASES["default"])}
    assert router.db_for_read(PublishedTeamPeriod) is None
    with replica_reads():
        assert router.db_for_read(PublishedTeamPeriod) == "replica"
        assert router.db_for_read(Team) == "replica"
        assert router.db_for_read(BurnoutAlert) == "replica"
        # People, their sessions and their own numbers stay on the primary.
        assert router.db_for_read(User) is None
        assert router.db_for_read(DailyMetric) is None
        assert router.db_for_write(PublishedTeamPeriod) == "default"
    assert router.db_for_read(PublishedTeamPeriod) is None
    assert router.allow_migrate("replica", "teams") is False
    assert router.allow_migrate("default", "teams") is True
