"""The lead's forms for the evaluation pages."""

from __future__ import annotations

from typing import Any

from django import forms

from tracelead.academy.models import Event, Programme

from .models import FormKind, Level, Measure, QuoteSource

KIND_CHOICES = [
    (FormKind.FEEDBACK.value, "Feedback after an event (by QR code at the end of the session)"),
    (FormKind.REFLECTION.value, "Reflections after a session (three prompts)"),
    (FormKind.BEFORE.value, "Self-ratings before the programme"),
    (FormKind.AFTER.value, "Self-ratings after the programme"),
    (FormKind.THEN_NOW.value, "Then and now, for those who missed the first"),
    (FormKind.FOLLOW_UP.value, "Follow-up months after the programme"),
]


class FormNewForm(forms.Form):
    kind = forms.ChoiceField(label="Which form", choices=KIND_CHOICES, widget=forms.RadioSelect,
                             error_messages={"required": "Choose which form to add"})
    event = forms.TypedChoiceField(
        label="Event", required=False, coerce=int, empty_value=None,
        help_text="For feedback and reflections: the session they are about.")
    send_on = forms.DateField(
        label="Email members their own link on", required=False,
        help_text="Leave empty to share the QR code or the member page only. For a "
                  "follow-up, six to twelve months after the programme's last event.",
        error_messages={"invalid": "Enter the sending date as a real date"},
        widget=forms.DateInput(attrs={"type": "date"}))
    closes_on = forms.DateField(
        label="Closes on", required=False,
        error_messages={"invalid": "Enter the closing date as a real date"},
        widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        events = Event.objects.filter(programme=programme, cancelled_at__isnull=True).order_by(
            "starts_at")
        self.fields["event"].choices = [("", "Choose an event")] + [
            (e.pk, f"{e.title} ({e.starts_at:%-d %b %Y})") for e in events]


class MeasureForm(forms.Form):
    name = forms.CharField(label="Measure", max_length=200,
                           help_text="For example: people waiting over 18 weeks for "
                                     "community therapy.",
                           error_messages={"required": "Enter the measure's name"})
    unit = forms.CharField(label="Unit (optional)", max_length=60, required=False)
    better = forms.ChoiceField(label="Which way is better", choices=Measure.Better.choices,
                               widget=forms.RadioSelect,
                               error_messages={"required": "Choose which way is better"})
    contribution = forms.CharField(
        label="The programme's contribution", required=False, widget=forms.Textarea,
        help_text="What the programme did towards it, in your words. Others contributed "
                  "too: say so.")


class ValueForm(forms.Form):
    on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}),
                         error_messages={"required": "Enter the date of the value",
                                         "invalid": "Enter the date as a real date"})
    value = forms.FloatField(label="Value", error_messages={
        "required": "Enter the value", "invalid": "Enter the value as a number"})
    note = forms.CharField(label="Note (optional)", max_length=300, required=False)


class EvidenceForm(forms.Form):
    title = forms.CharField(label="What the file shows", max_length=200,
                            error_messages={"required": "Say what the file shows"})
    file = forms.FileField(label="File (PDF, Word, Excel, CSV, text, PNG or JPEG; under 10 MB)",
                           error_messages={"required": "Choose a file",
                                           "empty": "The file is empty"})


class QuoteForm(forms.Form):
    text = forms.CharField(label="Words to quote", widget=forms.Textarea, max_length=2000,
                           error_messages={"required": "Enter the words to quote"})
    level = forms.TypedChoiceField(label="Level", coerce=int, choices=Level.choices,
                                   widget=forms.RadioSelect,
                                   error_messages={"required": "Choose a level"})
    source = forms.ChoiceField(label="Where they come from", choices=[
        (QuoteSource.INTERVIEW.value, QuoteSource.INTERVIEW.label),
        (QuoteSource.POLL.value, QuoteSource.POLL.label),
        (QuoteSource.THEME.value, QuoteSource.THEME.label)],
        error_messages={"required": "Choose where the words come from"})
    consent = forms.BooleanField(
        label="The person agreed that these words may be quoted", required=False,
        help_text="Quotes without consent are kept for you but never shown in the "
                  "evaluation or its PDF.")


class WordsForm(forms.Form):
    summary = forms.CharField(label="Summary", widget=forms.Textarea, required=False,
                              max_length=5000)
    recommendations = forms.CharField(label="Recommendations", widget=forms.Textarea,
                                      required=False, max_length=5000,
                                      help_text="One recommendation a line.")
