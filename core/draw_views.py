"""Public draw verification (ARCHITECTURE.md "Conventions"): anyone, signed in or not, sees a
draw's published hash, and once it is made its seed, candidates, result and the server's
recomputation; downloads it as JSON; or recomputes any order from a seed and keys they paste.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from core import randomness
from core.extensions import db

bp = Blueprint("draws", __name__)

# Domains link a draw's reference ("job:12") to their own page without core importing them.
REFERENCE_LINKS: dict[str, Callable[[str], str]] = {}


def register_reference_link(prefix: str, build_url: Callable[[str], str]) -> None:
    """`build_url(rest)` gives the page of a reference "prefix:rest"."""
    REFERENCE_LINKS[prefix] = build_url


def reference_link(reference: str) -> str | None:
    prefix, _, rest = reference.partition(":")
    build_url = REFERENCE_LINKS.get(prefix)
    return build_url(rest) if build_url and rest else None


@dataclass
class Row:
    position: int
    key: str
    label: str = ""
    weight: str | None = None
    digest: str = ""  # SHA-256(seed:key), hex
    drawn: bool = False


def ranked_rows(seed: str, algorithm: str, candidates: list[dict], pick: int | None) -> list[Row]:
    """Every candidate in draw order, with the hash anyone can recompute; the first `pick`
    are marked drawn."""
    by_key = {c["key"]: c for c in candidates}
    order = randomness.recompute(seed, algorithm, candidates, None)
    picked = len(order) if pick is None else pick
    return [Row(position, key, by_key[key].get("label", ""), by_key[key].get("weight"),
                randomness.ticket_hex(seed, key), position <= picked)
            for position, key in enumerate(order, start=1)]


def _draw_or_404(draw_id: int) -> randomness.Draw:
    record = db.session.get(randomness.Draw, draw_id)
    if record is None:
        abort(404)
    return record


@bp.get("/<int:draw_id>")
def detail(draw_id: int):
    record = _draw_or_404(draw_id)
    check = rows = None
    disclosed = randomness.disclosed(record)
    if record.drawn_at is not None:
        check = randomness.verify(record)
    if record.drawn_at is not None and disclosed:
        try:
            rows = ranked_rows(record.seed, record.algorithm, record.candidates or [],
                               record.pick)
        except (ValueError, KeyError, ArithmeticError):
            rows = None  # the check above names the problem
    weighted = record.algorithm == randomness.WEIGHTED_ALGORITHM
    return render_template("draws/detail.html", record=record, check=check, rows=rows,
                           disclosed=disclosed, reference_url=reference_link(record.reference),
                           weighted=weighted,
                           verify_lines=_form_lines(record.candidates, weighted) if disclosed
                           else None)


PREFILL_LIMIT = 200  # candidates passed to the verify form in its address


def _form_lines(candidates: list[dict] | None, weighted: bool) -> str | None:
    """The candidate list as the verify form takes it, when short enough for a link."""
    if not candidates or len(candidates) > PREFILL_LIMIT:
        return None
    return "\n".join(f"{c['key']} {c['weight']}" if weighted else c["key"] for c in candidates)


@bp.get("/<int:draw_id>.json")
def download(draw_id: int):
    record = _draw_or_404(draw_id)
    return Response(randomness.published(record, randomness.disclosed(record)),
                    mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="draw-{draw_id}.json"'})


# --- recompute anything: the verify form -----------------------------------------------

_WEIGHTED_LINE = re.compile(r"^(?P<key>.+?)[\s,]+(?P<weight>[0-9.]+)$")


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    seed = StringField(_l("Seed"), validators=[DataRequired(), Length(max=200)],
                       filters=[lambda v: v.strip() if v else v])
    seed_hash = StringField(_l("Published hash of the seed (optional)"),
                            validators=[Optional(), Length(max=64)],
                            filters=[lambda v: v.strip().lower() if v else v])
    algorithm = SelectField(_l("Algorithm"), choices=[
        SelectChoice(randomness.ALGORITHM, _l("%(name)s: ascending SHA-256(seed:key)",
                                              name=randomness.ALGORITHM)),
        SelectChoice(randomness.WEIGHTED_ALGORITHM,
                     _l("%(name)s: weighted (one \"key weight\" per line)",
                        name=randomness.WEIGHTED_ALGORITHM))])
    candidates = TextAreaField(_l("Candidate keys, one per line"), validators=[DataRequired()],
                               render_kw={"rows": 8})
    pick = IntegerField(_l("How many are drawn"), validators=[Optional(), NumberRange(min=1)],
                        description=_l("Leave empty to see the whole order."))
    choice_label = StringField(_l("Derived choice: label (optional)"),
                               validators=[Optional(), Length(max=60)],
                               description=_l("e.g. coefficient"))
    choice_options = StringField(_l("Derived choice: options, comma-separated"),
                                 validators=[Optional(), Length(max=500)],
                                 description=_l("e.g. 0.95, 0.96, 0.97, 0.98"))

    def candidate_dicts(self) -> list[dict]:
        lines = [line.strip() for line in (self.candidates.data or "").splitlines()]
        lines = [line for line in lines if line]
        if self.algorithm.data != randomness.WEIGHTED_ALGORITHM:
            return [{"key": line} for line in lines]
        result = []
        for line in lines:
            match = _WEIGHTED_LINE.match(line)
            if match is None:
                raise ValidationError(_l("Each line needs a key and a weight: %(line)s",
                                         line=line))
            result.append({"key": match["key"], "weight": match["weight"]})
        return result

    def validate_candidates(self, field) -> None:
        dicts = self.candidate_dicts()
        keys = [c["key"] for c in dicts]
        if len(set(keys)) != len(keys):
            raise ValidationError(_l("Each key may appear only once."))
        for candidate in dicts:
            try:
                Decimal(candidate.get("weight", "1"))
            except InvalidOperation as error:
                raise ValidationError(_l("Not a number: %(w)s", w=candidate["weight"])) from error

    def options(self) -> list[str]:
        return [o.strip() for o in (self.choice_options.data or "").split(",") if o.strip()]


@bp.get("/verify")
def verify():
    form = VerifyForm(request.args)
    rows = choice = hash_matches = seed_digest = None
    if request.args and form.validate():
        seed = form.seed.data
        rows = ranked_rows(seed, form.algorithm.data, form.candidate_dicts(), form.pick.data)
        seed_digest = randomness.seed_hash(seed)
        if form.seed_hash.data:
            hash_matches = seed_digest == form.seed_hash.data
        if form.choice_label.data and form.options():
            choice = randomness.choose(seed, form.choice_label.data, form.options())
    return render_template("draws/verify.html", form=form, rows=rows, choice=choice,
                           hash_matches=hash_matches, seed_digest=seed_digest,
                           weighted=form.algorithm.data == randomness.WEIGHTED_ALGORITHM)
