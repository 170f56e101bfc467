"""Forms for preparing polls: a poll's settings, where a new poll starts from, and a
question. They only parse what was typed; the rules (a scale that runs upwards, at least
two options, ...) are the services', shown on the form by ``add_service_errors``."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from .models import Poll, Question, QuestionKind

ANONYMOUS_CHOICES = [
    ("yes", "Yes, anonymous: nobody is asked their name"),
    ("no", "No, named: each person gives their name when they join"),
]
ANONYMOUS_HINT = ("In a named poll, each person's name is shown with their open-text answers "
                  "and ideas, on the screen and in the results. Ratings and choices are "
                  "always counted together, never shown with a name. The join page tells "
                  "people which kind of poll they are joining.")

SECTOR_CHOICES = [
    ("yes", "Yes, ask for their sector"),
    ("no", "No"),
]
SECTOR_HINT = ("Answering is optional for participants. It lets you see the results by "
               "sector after the event; sectors with too few people to keep them "
               "anonymous are merged, following the disclosure threshold.")

WHOLE_NUMBER = {"invalid": "Enter a whole number, like 5"}


def _yes(value: str) -> bool:
    return value == "yes"


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


class PollForm(forms.Form):
    """A poll's (or template's) title and who is asked what."""

    title = forms.CharField(label="Title", max_length=200,
                            help_text="Shown on the screen and on people's phones, for example "
                                      "Morning check-in.",
                            error_messages={"required": "Enter a title for the poll"})
    anonymous = forms.TypedChoiceField(
        label="Is the poll anonymous?", choices=ANONYMOUS_CHOICES, coerce=_yes,
        widget=forms.RadioSelect, help_text=ANONYMOUS_HINT, initial="yes",
        error_messages={"required": "Choose whether the poll is anonymous"})
    ask_sector = forms.TypedChoiceField(
        label="Ask people which sector they work in?", choices=SECTOR_CHOICES, coerce=_yes,
        widget=forms.RadioSelect, help_text=SECTOR_HINT, initial="no",
        error_messages={"required": "Choose whether to ask for people's sector"})

    @classmethod
    def for_poll(cls, poll: Poll, data: Any = None) -> PollForm:
        return cls(data, initial={"title": poll.title, "anonymous": _yes_no(poll.anonymous),
                                  "ask_sector": _yes_no(poll.ask_sector)})


class CopyTemplateForm(forms.Form):
    """Start an event's poll from one of the academy's templates."""

    template: forms.ModelChoiceField[Poll] = forms.ModelChoiceField(
        label="Template", queryset=Poll.objects.none(), empty_label="Choose a template",
        error_messages={"required": "Choose the template to copy",
                        "invalid_choice": "Choose one of the academy's templates"})
    title = forms.CharField(label="Title (optional)", max_length=200, required=False,
                            help_text="Leave it empty to keep the template's title.")

    def __init__(self, *args: Any, templates: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "copy")
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]


class SaveTemplateForm(forms.Form):
    title = forms.CharField(label="Title of the template", max_length=200,
                            error_messages={"required": "Enter a title for the template"})


def options_text(options: list[str]) -> str:
    return "\n".join(options)


class QuestionForm(forms.Form):
    """One question. Fields that do not apply to the chosen kind are ignored."""

    kind = forms.ChoiceField(label="Kind of question", choices=QuestionKind.choices,
                             widget=forms.RadioSelect,
                             error_messages={"required": "Choose a kind of question",
                                             "invalid_choice": "Choose a kind of question"})
    prompt = forms.CharField(label="Question", max_length=300,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="What people see on the screen and on their phone.",
                             error_messages={"required": "Enter the question",
                                             "max_length": "Keep the question to 300 characters"})
    options = forms.CharField(
        label="Options", required=False, max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="For single choice, multiple choice and ranking: one option a line, from 2 "
                  "to 12.")
    scale_min = forms.IntegerField(label="From", required=False, initial=1,
                                   error_messages=WHOLE_NUMBER,
                                   widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    scale_max = forms.IntegerField(label="To", required=False, initial=5,
                                   help_text="Any range from 0 to 10, for example 1 to 5 or "
                                             "0 to 10.",
                                   error_messages=WHOLE_NUMBER,
                                   widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    low_label = forms.CharField(label="Label of the lowest number (optional)", required=False,
                                max_length=60, help_text="For example, Strongly disagree.")
    high_label = forms.CharField(label="Label of the highest number (optional)",
                                 required=False, max_length=60,
                                 help_text="For example, Strongly agree.")
    max_entries = forms.IntegerField(
        label="How many each person can give", required=False, initial=3,
        help_text="For a word cloud, the words each person can give (1 to 5); for ideas, "
                  "the ideas each person can add (1 to 5).",
        error_messages=WHOLE_NUMBER, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    results_hidden = forms.BooleanField(
        label="Hide results until I reveal them", required=False,
        help_text="The room sees the results only when you reveal them on the presenter's "
                  "screen, so early votes do not sway later ones.")

    def __init__(self, *args: Any, pulse: bool = False, entries: int = 3, **kwargs: Any
                 ) -> None:
        super().__init__(*args, **kwargs)
        # What a question that takes no words or ideas keeps as its number of entries.
        self.entries_default = entries
        if pulse:
            # The pulse's statements are rated on a scale (the service says so too).
            kind = cast(forms.ChoiceField, self.fields["kind"])
            kind.choices = [(QuestionKind.SCALE, QuestionKind.SCALE.label)]

    @classmethod
    def for_question(cls, question: Question, data: Any = None) -> QuestionForm:
        return cls(data, pulse=question.poll.is_pulse, entries=question.max_entries, initial={
            "kind": question.kind, "prompt": question.prompt,
            "options": options_text(list(question.options)),
            "scale_min": question.scale_min, "scale_max": question.scale_max,
            "low_label": question.low_label, "high_label": question.high_label,
            "max_entries": question.max_entries, "results_hidden": question.results_hidden,
        })

    def draft_values(self) -> dict[str, Any]:
        """The cleaned values as ``QuestionDraft`` fields (defaults for empty numbers)."""
        data = self.cleaned_data

        def number(name: str, default: int) -> int:
            value = data.get(name)
            return default if value is None else int(value)

        return {
            "kind": data["kind"], "prompt": data["prompt"],
            "options": [line for line in data.get("options", "").splitlines() if line.strip()],
            "scale_min": number("scale_min", 1), "scale_max": number("scale_max", 5),
            "low_label": data.get("low_label", ""), "high_label": data.get("high_label", ""),
            "max_entries": (number("max_entries", 3)
                            if data["kind"] in {QuestionKind.WORDS, QuestionKind.IDEAS}
                            else self.entries_default),
            "results_hidden": bool(data.get("results_hidden")),
        }
