"""The admin changes a rule's parameter on the settings page; bad values are refused."""

from core import settings
from core.audit import AuditEntry
from credit.queries.subjects import score_model
from tests.clients import english_client
from tests.factories import make_admin, make_agency


def test_admin_changes_a_level_threshold(app, db_session):
    client = english_client(app, make_admin())
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "credit.score.level_thresholds" in page and "credit.severe_term_years" in page

    response = client.post("/admin/settings/credit.score.level_thresholds",
                           data={"value": '{"A": 92}'}, follow_redirects=True)
    assert "saved" in response.get_data(as_text=True)
    assert str(score_model().level_thresholds["A"]) == "92"
    entry = db_session.query(AuditEntry).filter_by(action="setting.put").one()
    assert entry.entity_id == "credit.score.level_thresholds" and entry.after == {
        "value": {"A": 92}}


def test_a_value_the_rules_refuse_is_not_stored(app, db_session):
    client = english_client(app, make_admin())
    for bad in ('{"A": 50, "B": 75}', "not json", '{"Z": 1}'):
        response = client.post("/admin/settings/credit.score.level_thresholds",
                               data={"value": bad}, follow_redirects=True)
        assert "was not changed" in response.get_data(as_text=True)
    assert settings.get_group("credit.score") == {}
    assert client.post("/admin/settings/credit.severe_term_years",
                       data={"value": "0"}, follow_redirects=True).status_code == 200
    assert settings.get("credit.severe_term_years") == 3


def test_reset_returns_to_the_default(app, db_session):
    client = english_client(app, make_admin())
    client.post("/admin/settings/credit.severe_term_years", data={"value": "2"})
    assert settings.get("credit.severe_term_years") == 2
    client.post("/admin/settings/credit.severe_term_years", data={"reset": "1", "value": ""})
    assert settings.get("credit.severe_term_years") == 3


def test_only_the_platform_admin_may_change_settings(app, db_session):
    agency = make_agency()
    client = english_client(app, agency.organisation.users[0])
    assert client.post("/admin/settings/credit.severe_term_years",
                       data={"value": "1"}).status_code == 403
    assert settings.get("credit.severe_term_years") == 3
