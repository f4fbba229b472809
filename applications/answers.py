"""Answers to a job's custom questions (`Job.questions`), checked the same way for the apply page
and the partner API: `application_submit` calls `answers_clean`.

A question is {key, label, type, choices, required}; its type is "text", "choice" or a yes/no
question ("boolean", as the API writes it, or "yes_no").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

TEXT, CHOICE = "text", "choice"
YES_NO_TYPES = frozenset({"boolean", "yes_no"})
ANSWER_MAX_LENGTH = 2000  # characters of one text answer
_YES = frozenset({"yes", "true", "1", "on"})
_NO = frozenset({"no", "false", "0", "off"})


def question_is_yes_no(question: Mapping) -> bool:
    return question.get("type") in YES_NO_TYPES


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def answer_clean(question: Mapping, value: Any) -> Any:
    """The stored form of one answer (None when left blank); raise ValidationError with a
    message a candidate can read."""
    if _blank(value):
        return None
    if question_is_yes_no(question):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _YES:
            return True
        if text in _NO:
            return False
        raise ValidationError("Answer yes or no.", code="invalid_yes_no")
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValidationError("Answer with text.", code="invalid_text")
    text = str(value).strip()
    if question.get("type") == CHOICE:
        if text not in (question.get("choices") or []):
            raise ValidationError("Choose one of the options given.", code="invalid_choice")
        return text
    if len(text) > ANSWER_MAX_LENGTH:
        raise ValidationError(
            f"Keep the answer under {ANSWER_MAX_LENGTH} characters.", code="too_long"
        )
    if "\x00" in text:
        raise ValidationError("Null characters are not allowed.", code="null_characters")
    return text


def answers_clean(
    *, questions: list[Mapping], answers: Mapping[str, Any], require: bool = True
) -> dict[str, Any]:
    """The answers, each question's answer in its stored form, keyed as given.

    Answers to keys the job does not ask about are kept as they are (partners send their own).
    With `require`, a required question left blank is an error. Raise ValidationError with a
    message per question key.
    """
    cleaned = dict(answers)
    errors: dict[str, ValidationError] = {}
    for question in questions or []:
        key = question.get("key")
        if not key:
            continue
        try:
            value = answer_clean(question, answers.get(key))
        except ValidationError as error:
            errors[key] = error
            continue
        if value is None:
            cleaned.pop(key, None)
            if require and question.get("required"):
                errors[key] = ValidationError("Please answer this question.", code="required")
        else:
            cleaned[key] = value
    if errors:
        raise ValidationError(errors)
    return cleaned
