"""Inspection plans (RULES.md §3 "Plan"): the public list and page of published plans, with
each period's seed hash; for the lead department drafting, approval, publication, closing.

Form → operation → commit → redirect; a refusal shows on the form (or as its error page).
"""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.admin_forms import ConfirmForm
from core.auth.decorators import roles_required
from core.auth.models import OrgKind, Role
from core.draw_views import register_reference_link
from core.errors import DomainError
from core.extensions import db
from core.randomness import Draw
from inspection import queries
from inspection.forms.plans import PlanForm, schedule_labels
from inspection.models import Plan, PlanStatus, ScheduleKind
from inspection.operations import plans as ops
from inspection.views import bp
from market import queries as market_queries

department_required = roles_required(Role.ORG_ADMIN, Role.STAFF, org_kind=OrgKind.DEPARTMENT)


def _plan_page_of_draw(rest: str) -> str:
    """Draw references are "plan:<number>:<period key>"."""
    return url_for("inspection.plan_detail", number=rest.split(":", 1)[0])


register_reference_link("plan", _plan_page_of_draw)


def status_labels() -> dict[PlanStatus, str]:
    return {PlanStatus.DRAFT: _("Draft"), PlanStatus.APPROVED: _("Approved"),
            PlanStatus.PUBLISHED: _("Published"), PlanStatus.CLOSED: _("Closed")}


def _draws(plan: Plan) -> dict[int, Draw]:
    ids = [p.object_draw_id for p in plan.periods]
    return {d.id: d for d in db.session.query(Draw).filter(Draw.id.in_(ids))} if ids else {}


# --- Public ---------------------------------------------------------------------------------

@bp.get("/plans")
def plans():
    return render_template("inspection/plans_list.html", plans=queries.published_plans(),
                           status_labels=status_labels(), schedule_labels=schedule_labels())


@bp.get("/plans/<number>")
def plan_detail(number: str):
    plan = queries.plan_by_number(number) or abort(404)
    insider = queries.is_plan_department_user(current_user, plan)
    if plan.status not in queries.PUBLIC_PLAN_STATUSES and not insider:
        abort(404)
    return render_template("inspection/plans_detail.html", plan=plan, draws=_draws(plan),
                           insider=insider, confirm=ConfirmForm(),
                           is_lead=queries.is_department_user(current_user,
                                                              plan.lead_department_id),
                           status_labels=status_labels(), schedule_labels=schedule_labels(),
                           service_item=market_queries.service_item(plan.service_item_id)
                           if plan.service_item_id else None,
                           region=market_queries.region(plan.region_code)
                           if plan.region_code else None)


# --- Department -----------------------------------------------------------------------------

@bp.get("/plans/mine")
@department_required
def plans_mine():
    return render_template("inspection/plans_mine.html",
                           plans=queries.department_plans(current_user.organisation_id),
                           status_labels=status_labels())


def _plan_form(**kwargs) -> PlanForm:
    lead_id = current_user.organisation_id
    others = [d for d in queries.departments() if d.id != lead_id]
    return PlanForm(departments=others, items=queries.items(),
                    service_items=market_queries.active_service_items(),
                    regions=market_queries.regions(), **kwargs)


def _plan_input(form: PlanForm) -> ops.PlanInput:
    return ops.PlanInput(
        name=form.name.data, item_ids=form.item_ids.data or [],
        joint_department_ids=form.joint_department_ids.data or [],
        service_item_id=form.service_item_id.data or None,
        region_code=form.region_code.data or None, ratios=form.ratios(),
        min_count=form.min_count.data, team_size=form.team_size.data,
        schedule_kind=form.schedule_kind.data, cron=form.cron.data or "",
        dates=form.parsed_dates(), window_working_days=form.window_working_days.data,
        publish_drawn_list=form.publish_drawn_list.data)


def _save(form: PlanForm, save, title: str):
    if form.validate_on_submit():
        try:
            plan = save(_plan_input(form))
        except DomainError as error:
            db.session.rollback()
            if error.status == 403:
                abort(403)
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Plan %(number)s saved as a draft.", number=plan.number), "success")
            return redirect(url_for("inspection.plan_detail", number=plan.number))
    return render_template("inspection/plans_form.html", form=form, title=title), \
        422 if form.errors or form.form_errors else 200


@bp.route("/plans/new", methods=["GET", "POST"])
@department_required
def plan_new():
    form = _plan_form()
    if not form.is_submitted():
        defaults = ops.default_ratios()
        form.ratio_a.data, form.ratio_b.data = defaults["A"], defaults["B"]
        form.ratio_c.data, form.ratio_d.data = defaults["C"], defaults["D"]
        form.schedule_kind.data = ScheduleKind.DATES.value
    return _save(form, lambda data: ops.draft(current_user, data), _("New inspection plan"))


@bp.route("/plans/<number>/edit", methods=["GET", "POST"])
@department_required
def plan_edit(number: str):
    plan = queries.plan_by_number(number) or abort(404)
    if not queries.is_department_user(current_user, plan.lead_department_id):
        abort(403)
    form = _plan_form()
    if not form.is_submitted():
        _fill(form, plan)
    return _save(form, lambda data: ops.update(current_user, plan, data),
                 _("Edit plan %(number)s", number=plan.number))


def _fill(form: PlanForm, plan: Plan) -> None:
    form.name.data = plan.name
    form.joint_department_ids.data = [d.id for d in plan.joint_departments]
    form.item_ids.data = [i.id for i in plan.items]
    form.service_item_id.data = plan.service_item_id or 0
    form.region_code.data = plan.region_code or ""
    form.ratio_a.data, form.ratio_b.data = plan.ratios["A"], plan.ratios["B"]
    form.ratio_c.data, form.ratio_d.data = plan.ratios["C"], plan.ratios["D"]
    form.min_count.data, form.team_size.data = plan.min_count, plan.team_size
    form.schedule_kind.data = plan.schedule_kind.value
    form.cron.data = plan.cron or ""
    form.dates.data = "\n".join(plan.dates or [])
    form.window_working_days.data = plan.window_working_days
    form.publish_drawn_list.data = plan.publish_drawn_list


_ACTIONS = {
    "approve": (ops.approve, lambda p: _("Plan %(number)s approved.", number=p.number)),
    "publish": (ops.publish, lambda p: _("Plan %(number)s published; the seed hash of each "
                                         "period is public.", number=p.number)),
    "close": (ops.close, lambda p: _("Plan %(number)s closed.", number=p.number)),
}


@bp.post("/plans/<number>/<any(approve, publish, close):action>")
@department_required
def plan_action(number: str, action: str):
    plan = queries.plan_by_number(number) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operation, message = _ACTIONS[action]
    operation(current_user, plan)  # DomainError → its error page, nothing committed
    db.session.commit()
    flash(message(plan), "success")
    return redirect(url_for("inspection.plan_detail", number=plan.number))


@bp.post("/plans/<number>/delete")
@department_required
def plan_delete(number: str):
    plan = queries.plan_by_number(number) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ops.delete(current_user, plan)
    db.session.commit()
    flash(_("Draft plan %(number)s deleted.", number=number), "success")
    return redirect(url_for("inspection.plans_mine"))
