"""The credit settings an admin may change, declared with their RULES.md §2 defaults."""

from dataclasses import fields

from flask_babel import lazy_gettext as _l

from core import settings
from credit.operations.lists import SETTING_DEFAULTS
from credit.queries.subjects import SCORE_SETTINGS
from credit.rules import DEFAULT_MODEL, ScoreModel

LIST_LABELS = {
    "credit.objection_working_days": _l("Objection window after a severe-list notice "
                                        "(working days)"),
    "credit.severe_term_years": _l("Term on the severe dishonesty list (years)"),
    "credit.severe_removal_after_years": _l("Early removal by repair possible after (years)"),
    "credit.exit_term_years": _l("Exit term for complaints or fraudulent registration (years)"),
    "credit.complaints_exit_count": _l("Substantiated complaints that start the exit"),
    "credit.complaints_exit_months": _l("… within this many months"),
}


def _positive_int(value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError("a whole number of at least 1")


def _score_check(name: str):
    def check(value) -> None:
        ScoreModel.from_settings({name: value})  # raises ValueError with the reason

    return check


def declare_all() -> None:
    for key, default in SETTING_DEFAULTS.items():
        settings.declare(key, default, LIST_LABELS[key], _positive_int)
    for field in fields(ScoreModel):
        settings.declare(f"{SCORE_SETTINGS}.{field.name}", getattr(DEFAULT_MODEL, field.name),
                         _l("Score model: %(name)s", name=field.name), _score_check(field.name))
