"""Writes of the alerts app, one module per job.

- ``evaluation``: run the rules over daily metrics and published team-days, raise and resolve.
- ``notifications``: email new and escalated alerts (at most one per alert per day).
- ``reminders``: email employees who have not checked in today.
- ``acknowledgement``: a manager acknowledges a team alert; a person's alerts are erased.
- ``preferences``: what a person wants to be emailed about.
"""
