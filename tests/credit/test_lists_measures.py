"""The joint measures catalogue pages (platform admin): list, create, edit, suspend, delete."""

from sqlalchemy import func, select

from core.audit import AuditEntry
from credit.data_measures import load_measures
from credit.models import ApplicationMethod, Effect, Measure, MeasureTrigger
from credit.queries import record_execution
from tests.credit.builders_lists import browser, make_regulator, make_subject
from tests.factories import make_admin

NEW_MEASURE = {
    "code": "la-sxcj-010", "content": "D级中介服务机构不得参加信用择优选取。",
    "legal_basis": "《六安市网上中介服务超市建设实施方案》（2018年）",
    "initiating_department": "六安市发展和改革委员会",
    "implementing_department": "六安市数据资源管理局", "trigger": "level",
    "trigger_value": "D", "effect": "bar_selection", "method": "automatic_block",
}


def measure(db_session, code: str) -> Measure | None:
    return db_session.scalar(select(Measure).where(Measure.code == code))


def test_the_catalogue_is_on_the_admin_index_and_for_admins_only(app, db_session):
    admin = browser(app, make_admin())
    assert "/credit/admin/measures" in admin.get("/admin/").get_data(as_text=True)
    assert browser(app, make_regulator()).get("/credit/admin/measures").status_code == 403
    assert browser(app).get("/credit/admin/measures").status_code == 302  # to sign in
    assert browser(app, make_regulator()).post(
        "/credit/admin/measures/new", data=NEW_MEASURE).status_code == 403
    assert measure(db_session, "LA-SXCJ-010") is None


def test_the_seeded_catalogue_is_listed(app, db_session):
    load_measures()
    page = browser(app, make_admin()).get("/credit/admin/measures").get_data(as_text=True)
    assert "LA-SXCJ-001" in page and "LA-SXJL-006" in page and "国发〔2016〕33号" in page


def test_an_admin_creates_a_measure_that_then_applies(app, db_session):
    admin = browser(app, make_admin())
    response = admin.post("/credit/admin/measures/new", data=NEW_MEASURE)
    assert response.status_code == 302
    created = measure(db_session, "LA-SXCJ-010")
    assert (created.trigger, created.trigger_value, created.effect, created.method) == (
        MeasureTrigger.LEVEL, "D", Effect.BAR_SELECTION, ApplicationMethod.AUTOMATIC_BLOCK)
    assert created.is_reward is False and created.public_funds_only is False
    assert db_session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "credit.measure.create")) == 1
    subject, _user = make_subject("D")
    page = browser(app).get(f"/credit/subjects/{subject.uscc}").get_data(as_text=True)
    assert 'data-code="LA-SXCJ-010"' in page


def test_a_duplicate_code_is_refused_on_the_code_field(app, db_session):
    admin = browser(app, make_admin())
    admin.post("/credit/admin/measures/new", data=NEW_MEASURE)
    response = admin.post("/credit/admin/measures/new", data=NEW_MEASURE)
    assert response.status_code == 409
    assert 'data-field="code"' in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Measure)) == 1


def test_a_level_trigger_needs_its_level(app, db_session):
    response = browser(app, make_admin()).post("/credit/admin/measures/new",
                                               data={**NEW_MEASURE, "trigger_value": ""})
    assert response.status_code == 400
    assert "A level trigger needs the level" in response.get_data(as_text=True)
    assert measure(db_session, "LA-SXCJ-010") is None


def test_a_list_trigger_drops_the_level_and_the_effect_decides_reward(app, db_session):
    admin = browser(app, make_admin())
    admin.post("/credit/admin/measures/new", data=NEW_MEASURE)
    created = measure(db_session, "LA-SXCJ-010")
    response = admin.post(f"/credit/admin/measures/{created.id}/edit", data={
        **NEW_MEASURE, "trigger": "honour_list", "effect": "fast_track",
        "method": "flag_for_review"})
    assert response.status_code == 302
    assert (created.trigger, created.trigger_value) == (MeasureTrigger.HONOUR_LIST, None)
    assert created.is_reward is True


def test_suspend_and_delete(app, db_session):
    admin = browser(app, make_admin())
    admin.post("/credit/admin/measures/new", data=NEW_MEASURE)
    created = measure(db_session, "LA-SXCJ-010")
    assert admin.post(f"/credit/admin/measures/{created.id}/active",
                      data={"active": "0"}).status_code == 302
    assert created.active is False
    subject, _user = make_subject("D")
    record_execution(subject.uscc, created.id, "market", "试运行")
    response = admin.post(f"/credit/admin/measures/{created.id}/delete")
    assert response.status_code == 409
    assert "suspend it instead" in response.get_data(as_text=True)
    assert measure(db_session, "LA-SXCJ-010") is not None


def test_an_unused_measure_can_be_deleted(app, db_session):
    admin = browser(app, make_admin())
    admin.post("/credit/admin/measures/new", data=NEW_MEASURE)
    created = measure(db_session, "LA-SXCJ-010")
    assert admin.post(f"/credit/admin/measures/{created.id}/delete").status_code == 302
    assert measure(db_session, "LA-SXCJ-010") is None
