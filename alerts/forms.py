from django import forms


class NotificationPreferencesForm(forms.Form):
    email_alerts = forms.BooleanField(
        required=False, label="Email me when an alert about me (or a team I manage) is raised"
    )
    email_reminders = forms.BooleanField(
        required=False, label="Email me a reminder on days I have not checked in"
    )
