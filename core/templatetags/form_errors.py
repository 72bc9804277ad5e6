"""The error summary of a form: every problem of every field, each linking to its field."""

from dataclasses import dataclass

from django import template

register = template.Library()


@dataclass(frozen=True)
class Problem:
    message: str
    label: str = ""  # the field's label; empty for a problem of the whole form
    target: str = ""  # the id of the input to go to; empty when there is none


def _target(field) -> str:
    if field.is_hidden or not field.auto_id:
        return ""
    if field.use_fieldset:  # a group of boxes or buttons: its first one
        return f"{field.auto_id}_0"
    return field.id_for_label or field.auto_id


@register.simple_tag
def form_problems(form) -> list[Problem]:
    """The form's problems in the order a reader meets them: the whole form's first, then field by field."""
    if form is None or not form.is_bound or not form.errors:
        return []
    problems = [Problem(message=str(message)) for message in form.non_field_errors()]
    for field in form:
        label = "" if field.is_hidden else str(field.label)
        problems += [Problem(message=str(message), label=label, target=_target(field)) for message in field.errors]
    return problems
