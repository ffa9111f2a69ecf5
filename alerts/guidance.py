"""Plain-language guidance shown next to an alert, by rule code."""

GUIDANCE: dict[str, str] = {
    "sustained_risk": (
        "Your burnout indicators have been high on most recent check-in days. Protect your "
        "evenings this week, block a recovery slot in your calendar, and consider talking to "
        "your manager or an employee-assistance counsellor about your workload."
    ),
    "low_flow": (
        "Your FlowScore has been low for a week. Short breaks every 90 minutes, regular sleep "
        "and one meeting-free block a day help most people recover; declining a non-essential "
        "meeting is fine."
    ),
    "decline": (
        "Your FlowScore dropped clearly compared with the week before. Look at what changed "
        "(deadlines, sleep, meetings) and pick one thing to lighten this week."
    ),
    "below_usual": (
        "Your FlowScore has been clearly lower than is usual for you on recent days, even if it "
        "is not low for others. Notice what is different this week and give yourself one "
        "easier day; if it continues, talk to someone you trust."
    ),
    "team_low_flow": (
        "The team's average FlowScore has been low this week. Review workload and meeting load "
        "with the team, and make room for focus time."
    ),
    "team_decline": (
        "The team's average FlowScore fell compared with the previous week. Check in with the "
        "team about recent changes in scope, deadlines or on-call load."
    ),
    "team_at_risk": (
        "A notable share of the team shows individual burnout signals. Consider reprioritising, "
        "postponing non-essential work and reminding everyone of available support."
    ),
}


def guidance_for(rule: str) -> str:
    return GUIDANCE.get(rule, "")
