"""What an employee chooses when writing an excuse email: the reason, the tone, the language."""

REASONS: dict[str, str] = {
    "focus": "Focus time / deadline",
    "conflict": "Conflicting commitment",
    "wellbeing": "Wellbeing / need a break",
    "overbooked": "Already over-booked",
    "not_right_attendee": "Not the right attendee",
    "personal": "Personal appointment",
}
TONES: dict[str, str] = {"formal": "Formal", "friendly": "Friendly", "brief": "Brief"}
LANGUAGES: dict[str, str] = {"en": "English"}
