"""``manage.py train_burnout``: the same as ``manage.py train burnout``."""

from training.management.commands.train import Command as TrainCommand


class Command(TrainCommand):
    help = "Train the burnout model (see manage.py train --help)."
    kind = "burnout"
