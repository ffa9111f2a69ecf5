"""What the metrics app announces. Other apps subscribe; metrics never imports them.

Both are plain Django signals, connected by the subscribing app's ``AppConfig.ready``.
"""

from django.dispatch import Signal

# Sent after commit when a person's daily metrics may have changed: a check-in was scored (on a
# worker or on the device) or their data was erased. Keyword arguments: ``user_id`` (int) and
# ``on_date`` (date, the day concerned). Receivers must not raise: scoring is already done.
daily_metrics_changed = Signal()

# Sent inside the transaction that erases a person's data, so that other apps delete what they
# derived from it in the same transaction. Keyword argument: ``user``. Each receiver returns a
# mapping of what it deleted to how many rows, e.g. ``{"alerts": 2}``; an exception rolls the
# whole erasure back.
personal_data_erasing = Signal()

# Sent when a person exports their data, so other apps add what they hold about them. Keyword
# argument: ``user``. Each receiver returns a mapping of section name to a list of JSON-ready
# records, e.g. ``{"alerts": [{...}]}``.
personal_data_exporting = Signal()
