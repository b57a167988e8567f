"""Credit pages: the public lookup, a subject's credit page with its explained score and
history chart, the credit report PDF, and the regulators' commendation form (RULES.md §2).

Anyone may look; a penalty or commendation outside its display window, or repaired, is shown
only to the subject itself and to regulators.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.auth.decorators import roles_required
from core.auth.models import OrgKind, Role
from core.db import utcnow
from core.errors import DomainError
from core.extensions import db
from credit import pdf
from credit.forms.subjects import (
    CommendationForm,
    baseline_labels,
    contribution_labels,
    level_labels,
    outcome_labels,
    part_labels,
    record_kind_labels,
    severity_labels,
)
from credit.models import CreditRecord, CreditSubject, ScoreSnapshot
from credit.operations import subjects as operations
from credit.queries import subjects as queries
from credit.rules import Contribution, Level, Part, RecordKind, ScoreModel, ScoreResult
from credit.views import bp

LOOKUP_PAGE_SIZE = 20
regulator = roles_required(Role.ORG_ADMIN, Role.STAFF, org_kind=OrgKind.DEPARTMENT)


def _labels() -> dict[str, dict]:
    return {"kind": record_kind_labels(), "severity": severity_labels(),
            "outcome": outcome_labels(), "level": level_labels(), "part": part_labels(),
            "baseline": baseline_labels(), "contribution": contribution_labels()}


@bp.get("/")
def lookup():
    text = request.args.get("q", "")
    page = queries.subjects_page(text, page=request.args.get("page", 1, type=int),
                                 per_page=LOOKUP_PAGE_SIZE)
    return render_template("credit/lookup.html", page=page, q=text, labels=_labels())


# --- The credit page -------------------------------------------------------------------------

@dataclass
class PartExplanation:
    """One part of the score: its starting value plus one line per record = its value."""

    part: Part
    maximum: Decimal | None
    baseline: Decimal
    value: Decimal
    lines: list[tuple[Contribution, CreditRecord | None]] = field(default_factory=list)


def _explanation(result: ScoreResult, records: dict[int, CreditRecord], shown: set[int],
                 model: ScoreModel) -> tuple[list[PartExplanation], list]:
    """The parts with their lines, and the records outside the score model. A record hidden
    from this viewer drops out; only undisplayed ones are hidden, and they count 0, so the
    lines shown still add up to each part."""
    maxima = {Part.OWNER: model.owner_max, Part.REGULATOR: model.regulator_max,
              Part.BEHAVIOUR: model.behaviour_max, Part.ADJUSTMENTS: None}
    parts = {part: PartExplanation(part, maxima[part], getattr(result.baselines, part.value),
                                   getattr(result.parts, part.value)) for part in Part}
    unscored = []
    for line in result.contributions:
        if line.record_id is not None and line.record_id not in shown and not line.points:
            continue
        entry = (line, records.get(line.record_id))
        (parts[line.part].lines if line.part else unscored).append(entry)
    return list(parts.values()), unscored


@dataclass(frozen=True)
class Chart:
    """A score-history step chart as SVG coordinates (drawn by the template, no JS)."""

    width: int
    height: int
    left: int
    right: int
    path: str
    dots: list[tuple[float, float, str, str]]  # x, y, level, tooltip
    grid: list[tuple[float, str]]  # y, label
    first: str
    last: str


def score_chart(snapshots: list[ScoreSnapshot], now: datetime, thresholds: dict,
                width: int = 640, height: int = 200) -> Chart | None:
    """Scores 0–100 against time, as steps: a score holds until the next snapshot."""
    if not snapshots:
        return None
    left, right, top, bottom = 40, width - 12, 10, height - 22
    start, end = snapshots[0].at, max(now, snapshots[-1].at)
    span = (end - start).total_seconds() or 1.0

    def x(at: datetime) -> float:
        return round(left + (at - start).total_seconds() / span * (right - left), 1)

    def y(score: Decimal) -> float:
        return round(top + float(100 - score) / 100 * (bottom - top), 1)

    steps = [f"M{x(snapshots[0].at)},{y(snapshots[0].score)}"]
    steps += [f"H{x(snap.at)}V{y(snap.score)}" for snap in snapshots[1:]]
    steps.append(f"H{right}")
    local = [snap.at.astimezone(queries.LOCAL_TZ) for snap in snapshots]
    dots = [(x(snap.at), y(snap.score), snap.level,
             f"{when:%Y-%m-%d %H:%M} · {snap.score} · {snap.level}")
            for snap, when in zip(snapshots, local, strict=True)]
    grid = [(y(Decimal(value)), f"{level} {value}")
            for level, value in thresholds.items()] + [(y(Decimal(0)), "0"),
                                                        (y(Decimal(100)), "100")]
    return Chart(width, height, left, right, "".join(steps), dots, grid,
                 f"{local[0]:%Y-%m-%d}", f"{end.astimezone(queries.LOCAL_TZ):%Y-%m-%d}")


def _verification(subject: CreditSubject) -> dict | None:
    """?doc=<number>: was this report issued for this subject, and when, with what result."""
    number = request.args.get("doc", "").strip()
    if not number:
        return None
    entry = queries.report_issue(number)
    genuine = entry is not None and entry.entity_id == str(subject.id)
    return {"number": number, "genuine": genuine, "entry": entry if genuine else None}


@bp.get("/subjects/<uscc>")
def subject(uscc: str):
    subject = queries.subject_or_404(uscc)
    today, model, vetoed = queries.local_today(), queries.score_model(), queries.is_vetoed(subject)
    result = queries.explain(subject, today, model, vetoed)
    is_self = queries.is_subject_user(current_user, subject)
    is_regulator = queries.is_regulator(current_user)
    displayed = {record.id: queries.publicly_displayed(record, today, model)
                 for record in subject.records}
    sees_all = is_self or is_regulator
    records = [record for record in subject.records if sees_all or displayed[record.id]]
    parts, unscored = _explanation(result, {r.id: r for r in subject.records},
                                   {r.id for r in records}, model)
    chart = score_chart(queries.score_history(subject), utcnow(),
                        {level.value: value for level, value in model.level_thresholds.items()})
    return render_template(
        "credit/subject_detail.html", subject=subject, result=result, parts=parts,
        unscored=unscored, records=records, displayed=displayed, today=today, chart=chart,
        is_self=is_self, is_regulator=is_regulator, vetoed=vetoed,
        verification=_verification(subject), windowed=queries.WINDOWED_KINDS, labels=_labels(),
        Level=Level)


# --- The credit report PDF ---------------------------------------------------------------------

def _report_data(subject: CreditSubject, result: ScoreResult, number: str, today,
                 model: ScoreModel) -> pdf.CreditReport:
    labels = _labels()
    points = {line.record_id: line.points for line in result.contributions
              if line.part is not None and line.record_id is not None}
    records = [pdf.ReportRecord(record.occurred_on, str(labels["kind"][record.kind]),
                                record.title, record.source_department,
                                points.get(record.id))
               for record in subject.records
               if queries.publicly_displayed(record, today, model)]
    parts = [pdf.ReportPart(str(labels["part"][part]), getattr(result.baselines, part.value),
                            getattr(result.parts, part.value)) for part in Part]
    verify_url = url_for("credit.subject", uscc=subject.uscc, doc=number, _external=True)
    return pdf.CreditReport(number, verify_url, today, subject.name, subject.uscc,
                            str(labels["level"][result.level]), result.score, parts, records)


@bp.get("/subjects/<uscc>/report.pdf")
def report(uscc: str):
    """Anyone may download the report: it holds only what the public page shows. Each
    download is numbered and recorded, so a printed copy can be verified."""
    subject = queries.subject_or_404(uscc)
    today, model = queries.local_today(), queries.score_model()
    result = queries.explain(subject, today, model)
    number = operations.issue_report(subject, result)
    data = _report_data(subject, result, number, today, model)
    db.session.commit()
    response = make_response(pdf.credit_report_pdf(data))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{number}.pdf"'
    return response


# --- Commendations (regulators) -----------------------------------------------------------------

@bp.route("/commendations/new", methods=["GET", "POST"])
@regulator
def new_commendation():
    form = CommendationForm(data={"uscc": request.args.get("uscc", "")}
                            if request.method == "GET" else None)
    if form.validate_on_submit():
        department = current_user.organisation
        try:
            operations.add_record(
                form.uscc.data, RecordKind.COMMENDATION, form.title.data, department.name,
                source_department_id=department.id, legal_basis=form.legal_basis.data,
                evidence=form.evidence.data, occurred_on=form.occurred_on.data)
        except DomainError as error:
            db.session.rollback()
            form.form_errors = [*form.form_errors, str(error)]
        else:
            db.session.commit()
            flash(_("The commendation was recorded and the score recomputed."), "success")
            return redirect(url_for("credit.subject", uscc=form.uscc.data))
    return render_template("credit/subject_commendation.html", form=form)
