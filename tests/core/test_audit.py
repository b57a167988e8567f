"""The hash-chained audit log: operations write it, `intermart audit verify` and the admin
page detect an edited row and a deleted newest row."""

from sqlalchemy import JSON, bindparam, func, select, text

from core.audit import AuditEntry
from core.auth.models import Role
from tests.factories import make_department, make_user


def _some_history(db_session, name: str = "六安市审计测试局") -> list[AuditEntry]:
    department = make_department(name)
    make_user(Role.INSPECTOR, department, username="insp_audit")
    db_session.commit()  # as a request would; the test's outer transaction still rolls back
    return list(db_session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_operations_write_who_what_before_after(db_session):
    entries = _some_history(db_session)
    assert [(e.action, e.entity_type) for e in entries] == [
        ("organisation.create", "organisation"), ("user.create", "user")]
    assert entries[0].after["name"] == "六安市审计测试局"
    assert entries[1].after["role"] == "inspector"
    assert entries[1].actor == "system"  # no signed-in user outside a request
    assert entries[1].prev_hash == entries[0].hash
    assert "password" not in str(entries[1].after)


def test_verify_passes_on_an_intact_chain(runner, db_session):
    _some_history(db_session)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit chain intact: 2 entries" in result.output


def test_verify_names_the_entry_whose_content_was_edited(runner, db_session):
    first, second = _some_history(db_session)
    db_session.execute(
        text("UPDATE audit_entry SET after = :after WHERE id = :id")
        .bindparams(bindparam("after", type_=JSON)),
        {"after": {"role": "org_admin"}, "id": first.id})
    db_session.commit()  # a tamperer's own transaction
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"audit chain BROKEN at entry {first.id}: content does not match" in result.output


def test_verify_detects_an_entry_attributed_to_another_account(runner, db_session):
    first, second = _some_history(db_session)
    someone = make_user(Role.STAFF, make_department("六安市另一个局"), username="someone")
    db_session.commit()
    db_session.execute(text("UPDATE audit_entry SET actor_id = :who WHERE id = :id"),
                       {"who": someone.id, "id": second.id})
    db_session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"audit chain BROKEN at entry {second.id}: content does not match" in result.output


def test_verify_detects_a_deleted_newest_entry(runner, db_session):
    _first, newest = _some_history(db_session)
    db_session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": newest.id})
    db_session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at the end of the chain" in result.output
    assert "newest entries are missing" in result.output


def test_verify_page_shows_the_result(admin_client, db_session):
    entries = _some_history(db_session)
    page = admin_client.get("/admin/audit/verify").get_data(as_text=True)
    assert 'data-testid="chain-ok"' in page

    db_session.execute(text("UPDATE audit_entry SET actor = 'someone' WHERE id = :id"),
                       {"id": entries[1].id})
    db_session.commit()
    page = admin_client.get("/admin/audit/verify").get_data(as_text=True)
    assert 'data-testid="chain-broken"' in page
    assert f"The chain is broken at entry {entries[1].id}" in page


def test_audit_page_lists_newest_first_and_filters(admin_client, db_session):
    _some_history(db_session)
    total = db_session.scalar(select(func.count()).select_from(AuditEntry))
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert page.count("<tr>") == total + 1  # header row plus one per entry
    assert page.index("user.create") < page.index("organisation.create")
    assert "六安市审计测试局" in page and "\\u516d" not in page  # readable, not \u-escaped

    page = admin_client.get("/admin/audit?action=organisation.").get_data(as_text=True)
    assert "organisation.create" in page and "user.create" not in page
    page = admin_client.get("/admin/audit?entity_type=user&entity_id=0").get_data(as_text=True)
    assert "No entries match." in page


def test_audit_page_escapes_what_it_shows(admin_client, db_session):
    _some_history(db_session, name="<script>alert(1)</script>")
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
