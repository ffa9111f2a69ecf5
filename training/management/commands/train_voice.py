"""``manage.py train_voice``: the same as ``manage.py train voice``."""

from training.management.commands.train import Command as TrainCommand


class Command(TrainCommand):
    help = "Train the voice model (see manage.py train --help)."
    kind = "voice"
