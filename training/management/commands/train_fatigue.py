"""``manage.py train_fatigue``: the same as ``manage.py train fatigue``."""

from training.management.commands.train import Command as TrainCommand


class Command(TrainCommand):
    help = "Train the fatigue model (see manage.py train --help)."
    kind = "fatigue"
