"""Writes of the metrics app, one module per stage of a check-in's life.

- ``submission``: accept an upload as a ``pending`` check-in and enqueue its scoring.
- ``scoring``: claim it, run the models, store the scores and the day's ``DailyMetric``.
- ``housekeeping``: sweep stuck check-ins, retry failed ones, purge old media.
- ``erasure``: delete everything measured about a person on their request.
- ``media``: delete a check-in's raw image and clip (shared by the stages above).
"""
