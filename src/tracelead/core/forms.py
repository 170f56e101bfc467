"""Helpers that let Django forms render with the NHS design system's error patterns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def error_list(form: forms.BaseForm) -> list[dict[str, str]]:
    """The error summary's entries: each message links to the field it is about."""
    entries = []
    for name, errors in form.errors.items():
        if name == forms.forms.NON_FIELD_ERRORS:
            entries.extend({"text": str(message), "href": "#main-form"} for message in errors)
            continue
        # Radios and checkboxes too: the NHS macros give their first item the field's id
        # (the next ones get "-2", "-3", ...), so the link lands on the first choice.
        anchor = form[name].id_for_label or f"id_{name}"
        entries.extend({"text": str(message), "href": f"#{anchor}"} for message in errors)
    return entries


def render_form(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    heading: str,
    submit: str,
    back_href: str,
    intro: str = "",
) -> HttpResponse:
    """A one-form page in the NHS pattern; 400 with an error summary when input is bad."""
    return render(
        request,
        "organisations/form.jinja",
        {
            "form": form,
            "form_errors": error_list(form),
            "heading": heading,
            "intro": intro,
            "submit": submit,
            "back_href": back_href,
        },
        status=400 if form.errors else 200,
    )


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where the form has it."""
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


def field_context(form: forms.BaseForm, name: str) -> dict[str, Any]:
    """What the form macros need to draw one field."""
    bound = form[name]
    widget = bound.field.widget
    value = bound.value()
    kind = "input"
    # CheckboxSelectMultiple is a subclass of RadioSelect, so it is tested first.
    if isinstance(widget, forms.CheckboxSelectMultiple):
        kind = "checkboxes"
    elif isinstance(widget, forms.CheckboxInput):
        kind = "checkbox"
    elif isinstance(widget, forms.RadioSelect):
        kind = "radios"
    elif isinstance(widget, forms.Select):
        kind = "select"
    elif isinstance(widget, forms.Textarea):
        kind = "textarea"
    input_type = getattr(widget, "input_type", "text")
    choices = []
    if kind in {"radios", "checkboxes", "select"}:
        selected = value if isinstance(value, list | tuple) else [value]
        selected = [str(v) for v in selected if v is not None]
        choices = [
            {
                "value": str(choice_value),
                "text": str(label),
                "selected": str(choice_value) in selected,
            }
            for choice_value, label in bound.field.choices
        ]
    return {
        "name": bound.html_name,
        "id": bound.id_for_label or f"id_{name}",
        "label": str(bound.label),
        "hint": str(bound.help_text) if bound.help_text else "",
        "error": " ".join(str(e) for e in bound.errors),
        "value": "" if value is None else value,
        "kind": kind,
        "input_type": input_type,
        "required": bound.field.required,
        "disabled": bound.field.disabled,
        "choices": choices,
        "attrs": widget.attrs,
    }


#: Problems of an imported file listed on its page; the rest are counted.
MAX_PROBLEMS_SHOWN = 100


def import_outcome(form: forms.BaseForm, problems: Sequence[object], result: object
                   ) -> dict[str, Any]:
    """What every file-import page shows after an upload: the form's errors and the
    file's problems (linked to the file field) in the error summary, the first
    ``MAX_PROBLEMS_SHOWN`` problems and how many more, and the result only when nothing
    was wrong. ``status`` is 400 when anything was."""
    form_errors = error_list(form) + [{"text": str(p), "href": "#id_file"}
                                      for p in problems[:MAX_PROBLEMS_SHOWN]]
    return {
        "form": form, "form_errors": form_errors,
        "problems": list(problems[:MAX_PROBLEMS_SHOWN]),
        "more_problems": max(0, len(problems) - MAX_PROBLEMS_SHOWN),
        "result": result if result and not problems else None,
        "status": 400 if form_errors else 200,
    }

