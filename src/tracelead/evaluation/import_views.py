"""Pages to import answers from Mentimeter, SurveyMonkey and Microsoft Forms exports.

Two steps: upload the file (its layout is found and read; a file that cannot be read is
refused with every problem), then say what each column is and import. The uploaded file
waits between the two steps in the private storage (``TRACELEAD_DATA_DIR/evaluation-imports``,
readable by the server's user only, or object storage shared by several servers), named
by a random token that only the uploader's session knows, and
is deleted when it is imported or after a day.

Only the academy's facilitators can import; an academy outside the user's systems is 404.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from tracelead.academy import access
from tracelead.academy.importing import MAX_BYTES
from tracelead.academy.models import Academy, Event, Programme
from tracelead.core.audit import audit_record
from tracelead.core.models import AuditEvent
from tracelead.messaging.jobs import private_storage

from . import importing
from .models import FormKind

MAX_PROBLEMS_SHOWN = 100
PENDING_HOURS = 24
SESSION_KEY = "evaluation_imports"
SAMPLES = 4


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Export file (CSV or Excel .xlsx)",
        error_messages={"required": "Choose the exported file to upload",
                        "empty": "The file is empty"})
    fmt = forms.ChoiceField(
        label="Which tool made the file?", required=False, widget=forms.RadioSelect,
        choices=[("", "Find out from the file"), *importing.FORMATS.items()])
    kind = forms.ChoiceField(
        label="What are the answers?", widget=forms.RadioSelect,
        choices=[(FormKind.IMPORTED, "Answers to a questionnaire of the programme"),
                 (FormKind.FEEDBACK, "Feedback after one of the programme's events"),
                 (FormKind.BEFORE, FormKind.BEFORE.label),
                 (FormKind.AFTER, FormKind.AFTER.label),
                 (FormKind.FOLLOW_UP, FormKind.FOLLOW_UP.label)],
        initial=FormKind.IMPORTED)
    event = forms.ChoiceField(label="Event (for feedback)", required=False)
    title = forms.CharField(label="Title of the questionnaire (optional)", required=False,
                            max_length=200,
                            help_text="Leave it empty to name it after the tool and the file.")

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        events = Event.objects.filter(programme=programme).order_by("starts_at")
        event_field = cast(forms.ChoiceField, self.fields["event"])
        event_field.choices = [("", "None")] + [
            (str(e.pk), f"{e.title} ({e.starts_at:%-d %b %Y})") for e in events]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == FormKind.FEEDBACK and not data.get("event"):
            self.add_error("event", "Choose the event the feedback is about")
        return data


def _programme(request: HttpRequest, pk: int, programme: int) -> tuple[Academy, Programme]:
    academy = access.academy_for(request.user, pk, manage=True)
    return academy, get_object_or_404(Programme, pk=programme, academy=academy)


PENDING_FOLDER = "evaluation-imports"


def _pending_name(token: str) -> str:
    return f"{PENDING_FOLDER}/{token}"


def _clear_old() -> None:
    """Remove uploads left waiting longer than ``PENDING_HOURS``."""
    storage = private_storage()
    cutoff = timezone.now() - dt.timedelta(hours=PENDING_HOURS)
    try:
        _folders, names = storage.listdir(PENDING_FOLDER)
    except FileNotFoundError:
        return
    for name in names:
        try:
            if storage.get_modified_time(_pending_name(name)) < cutoff:
                storage.delete(_pending_name(name))
        except OSError:  # another request removed it first
            continue


def _pending(request: HttpRequest, programme: Programme, token: str
             ) -> tuple[dict[str, Any], bytes]:
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not entry or entry.get("programme") != programme.pk:
        raise Http404("No such upload.")
    try:
        with private_storage().open(_pending_name(token), "rb") as handle:
            data = handle.read()
    except OSError:
        raise Http404("The upload has expired; upload the file again.") from None
    return entry, data


def _forget(request: HttpRequest, token: str) -> None:
    pending = dict(request.session.get(SESSION_KEY, {}))
    pending.pop(token, None)
    request.session[SESSION_KEY] = pending
    private_storage().delete(_pending_name(token))


def _problem_entries(problems: list[importing.Problem], href: str) -> list[dict[str, str]]:
    return [{"text": str(p), "href": href} for p in problems[:MAX_PROBLEMS_SHOWN]]


@login_required
def answers_upload(request: HttpRequest, pk: int, programme: int) -> HttpResponse:
    """Step 1: upload an export; its layout is found and the file read."""
    academy, row = _programme(request, pk, programme)
    posted = request.method == "POST"
    form = UploadForm(request.POST if posted else None, request.FILES if posted else None,
                      programme=row)
    problems: list[importing.Problem] = []
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read(MAX_BYTES + 1)
        parsed = importing.read_export(data, upload.name or "", form.cleaned_data["fmt"])
        problems = parsed.problems
        if not problems:
            _clear_old()
            token = secrets.token_urlsafe(18)
            private_storage().save(_pending_name(token), ContentFile(data))
            pending = dict(request.session.get(SESSION_KEY, {}))
            pending[token] = {
                "programme": row.pk, "filename": (upload.name or "")[-200:],
                "fmt": parsed.format, "kind": form.cleaned_data["kind"],
                "event": int(form.cleaned_data["event"]) if form.cleaned_data["event"] else None,
                "title": form.cleaned_data["title"]}
            request.session[SESSION_KEY] = pending
            return redirect("evaluation_import_map", pk=academy.pk, programme=row.pk,
                            token=token)
    form_errors = [{"text": str(m), "href": f"#id_{name}"}
                   for name, errors in form.errors.items() for m in errors]
    form_errors += _problem_entries(problems, "#id_file")
    return render(request, "evaluation/import_upload.jinja", {
        "academy": academy, "programme": row, "form": form, "form_errors": form_errors,
        "problems": problems[:MAX_PROBLEMS_SHOWN],
        "more_problems": max(0, len(problems) - MAX_PROBLEMS_SHOWN),
        "max_mb": MAX_BYTES // (1024 * 1024),
        "back_href": reverse("academy_programme", args=[academy.pk, row.pk]),
        "back_text": row.name,
    }, status=400 if form_errors else 200)


@login_required
def answers_map(request: HttpRequest, pk: int, programme: int, token: str) -> HttpResponse:
    """Step 2: say what each column is, see what would be created, and import."""
    academy, row = _programme(request, pk, programme)
    entry, data = _pending(request, row, token)
    parsed = importing.read_export(data, entry["filename"], entry["fmt"])
    event = Event.objects.filter(pk=entry["event"], programme=row).first() \
        if entry["event"] else None
    errors: dict[str, str] = {}
    if request.method == "POST":
        plan, errors = importing.plan_from_data(parsed, request.POST)
    else:
        plan = importing.guess_plan(parsed)
    preview = importing.check_plan(parsed=parsed, plan=plan, programme=row,
                                   digest=importing.file_digest(data))
    outcome = importing.ImportOutcome(preview=preview, problems=list(preview.problems))
    if request.method == "POST" and request.POST.get("action") == "import" and not errors:
        outcome = importing.answers_write(
            preview=preview, programme=row, event=event, kind=entry["kind"],
            title=entry["title"], filename=entry["filename"], by=request.user)
        if outcome.committed and outcome.form is not None:
            _forget(request, token)
            audit_record(user=request.user, action=AuditEvent.Action.CHANGED,
                         what=f"Imported {outcome.submissions_created} answers from "
                              f"{parsed.format_name} into the evaluation form "
                              f"“{outcome.form.title}” of {row.name}",
                         system_id=academy.system_id)
            messages.success(request, " ".join(importing.describe(outcome)))
            return redirect("academy_programme", pk=academy.pk, programme=row.pk)
    columns = []
    for index, (column, entry_plan) in enumerate(zip(parsed.columns, plan, strict=True)):
        samples: list[str] = []
        for value in importing.column_values(parsed, index):
            text = "; ".join(value) if isinstance(value, tuple) else value
            if text not in samples:
                samples.append(text[:80])
            if len(samples) >= SAMPLES:
                break
        columns.append({"index": index, "heading": column.heading, "plan": entry_plan,
                        "samples": samples, "error": errors.get(f"col-{index}-use")
                        or errors.get(f"col-{index}-min", "")})
    form_errors = [{"text": message, "href": f"#{name}"} for name, message in errors.items()]
    form_errors += _problem_entries(outcome.problems, "#problems")
    return render(request, "evaluation/import_map.jinja", {
        "academy": academy, "programme": row, "event": event, "entry": entry,
        "parsed": parsed, "columns": columns, "uses": importing.USES,
        "summary": [] if outcome.problems or errors else importing.describe(outcome),
        "problems": outcome.problems[:MAX_PROBLEMS_SHOWN],
        "more_problems": max(0, len(outcome.problems) - MAX_PROBLEMS_SHOWN),
        "form_errors": form_errors, "kind_label": FormKind(entry["kind"]).label,
        "back_href": reverse("evaluation_import", args=[academy.pk, row.pk]),
        "back_text": "Upload another file",
    }, status=400 if request.method == "POST" and form_errors else 200)


urlpatterns: list[URLPattern] = [
    path("academy/<int:pk>/programmes/<int:programme>/evaluation/import/", answers_upload,
         name="evaluation_import"),
    path("academy/<int:pk>/programmes/<int:programme>/evaluation/import/<str:token>/",
         answers_map, name="evaluation_import_map"),
]
