"""An organisation's own pages: its org admin changes the profile, offers, qualifications and
staff accounts, every change audited before → after; staff only look; others get 403."""

import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.auth.models import OrgKind, Role, User
from market import rules
from market.models import OwnerType, Qualification, QualificationStatus
from market.operations import agencies as operations
from tests.factories import (
    PASSWORD,
    login,
    make_admin,
    make_agency,
    make_department,
    make_qualification_type,
    make_region,
    make_service_item,
    make_uscc,
    make_user,
)

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def client(app):
    client = app.test_client()
    client.get("/lang/en")
    return client


@pytest.fixture
def setting(db_session):
    """An agency offering one item with one qualification, a spare item, its admin."""
    region = make_region()
    make_region("341503", "裕安区")
    qualification_type = make_qualification_type()
    item, spare = make_service_item(name="工程测量"), make_service_item(name="地籍测绘")
    agency = make_agency(items=[item], qualification_type=qualification_type, region=region)
    return {"agency": agency, "admin": agency.organisation.users[0], "item": item,
            "spare": spare, "type": qualification_type,
            "qualification": agency.qualifications[0]}


def make_owner(db_session, name: str = "六安市城投有限公司"):
    owner = operations.register_owner(operations.OwnerRegistration(
        uscc=make_uscc(), name=name, owner_type=OwnerType.ENTERPRISE,
        region_code=make_region().code, contact_name="陈明", contact_phone="13905641234",
        username=f"owner{make_uscc()[-6:]}", password=PASSWORD))
    return owner


def last_audit(db_session, action: str) -> AuditEntry:
    return db_session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                              .order_by(AuditEntry.id.desc())).first()


def profile_data(agency, **changes) -> dict:
    data = {"name": agency.name, "legal_representative": agency.legal_representative,
            "region_code": agency.region_code, "address": agency.address,
            "contact_name": agency.contact_name, "contact_phone": agency.contact_phone,
            "contact_email": agency.contact_email or "", "staff_count": str(agency.staff_count),
            "introduction": agency.introduction or ""}
    return data | changes


# --- Viewing -------------------------------------------------------------------------------

def test_org_admin_sees_the_whole_profile_with_forms(client, setting):
    agency = setting["agency"]
    login(client, setting["admin"])
    html = client.get("/my/agency").get_data(as_text=True)
    for text in (agency.name, agency.uscc, "按面积收费", setting["qualification"].certificate_no,
                 setting["admin"].username, agency.commitment_text,
                 'action="/my/agency/profile"', 'action="/my/agency/services"',
                 f'id="item-{setting["spare"].id}"', 'action="/my/staff"'):
        assert text in html, text


def test_staff_can_view_but_not_change(client, setting, db_session):
    agency = setting["agency"]
    staff = make_user(Role.STAFF, agency.organisation)
    qid = setting["qualification"].id
    login(client, staff)
    html = client.get("/my/agency").get_data(as_text=True)
    assert agency.name in html and 'action="/my/agency/profile"' not in html

    posts = {"/my/agency/profile": profile_data(agency, name="改名"),
             "/my/agency/services": {"services": [], },
             "/my/agency/qualifications": {"level": "甲级"},
             f"/my/agency/qualifications/{qid}/renew": {},
             f"/my/agency/qualifications/{qid}/remove": {},
             "/my/staff": {"username": "sneaky"},
             f"/my/staff/{staff.id}/disable": {}}
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 403, url
    db_session.expire_all()
    assert agency.name != "改名" and len(agency.qualifications) == 1
    assert db_session.scalar(select(User).where(User.username == "sneaky")) is None


@pytest.mark.parametrize("who", ["owner", "department", "platform_admin"])
def test_users_of_other_kinds_are_forbidden(client, setting, db_session, who):
    user = {"owner": lambda: make_owner(db_session).organisation.users[0],
            "department": lambda: make_user(Role.ORG_ADMIN, make_department()),
            "platform_admin": make_admin}[who]()
    login(client, user)
    assert client.get("/my/agency").status_code == 403
    assert client.post("/my/agency/profile", data=profile_data(setting["agency"])) \
        .status_code == 403


def test_anonymous_is_sent_to_sign_in(client, setting):
    response = client.get("/my/agency")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_agencys_user_cannot_touch_its_qualifications(client, setting, db_session):
    other = make_agency()
    login(client, other.organisation.users[0])
    qid = setting["qualification"].id
    assert client.post(f"/my/agency/qualifications/{qid}/remove").status_code == 403
    renew = {f"renew-{qid}-expires_on": (rules.local_today() + timedelta(days=9)).isoformat()}
    assert client.post(f"/my/agency/qualifications/{qid}/renew", data=renew).status_code == 403
    assert client.post("/my/agency/qualifications/999999/remove").status_code == 404
    assert db_session.get(Qualification, qid) is not None


# --- Profile -------------------------------------------------------------------------------

def test_profile_edit_is_audited_with_before_and_after(client, setting, db_session):
    agency = setting["agency"]
    old_name = agency.name
    login(client, setting["admin"])
    response = client.post("/my/agency/profile", data=profile_data(
        agency, name="六安市新名称测绘有限公司", staff_count="25", region_code="341503"))
    assert response.status_code == 302

    db_session.expire_all()
    assert (agency.name, agency.staff_count, agency.region.name) == \
        ("六安市新名称测绘有限公司", 25, "裕安区")
    entry = last_audit(db_session, "agency.update")
    assert entry.actor == setting["admin"].username and entry.entity_id == str(agency.id)
    assert entry.before == {"name": old_name, "staff_count": 10, "region_code": "341502"}
    assert entry.after == {"name": "六安市新名称测绘有限公司", "staff_count": 25,
                           "region_code": "341503"}


def test_profile_edit_with_bad_input_changes_nothing(client, setting, db_session):
    agency = setting["agency"]
    login(client, setting["admin"])
    response = client.post("/my/agency/profile",
                           data=profile_data(agency, contact_phone="123", name="新名称"))
    assert response.status_code == 200
    assert 'data-field="contact_phone"' in response.get_data(as_text=True)
    db_session.expire_all()
    assert agency.name != "新名称" and last_audit(db_session, "agency.update") is None


# --- Services and fees ---------------------------------------------------------------------

def test_services_are_replaced_and_audited(client, setting, db_session):
    agency, item, spare = setting["agency"], setting["item"], setting["spare"]
    login(client, setting["admin"])
    response = client.post("/my/agency/services", data={
        "services": [str(spare.id)], f"fee-{spare.id}": "每宗 800 元",
        f"fee-{item.id}": "typed but not chosen"})
    assert response.status_code == 302

    db_session.expire_all()
    assert [(s.service_item_id, s.fee_schedule) for s in agency.services] == \
        [(spare.id, "每宗 800 元")]
    entry = last_audit(db_session, "agency.services")
    assert entry.before == {item.code: "按面积收费"}
    assert entry.after == {spare.code: "每宗 800 元"}


def test_a_chosen_service_without_fee_is_refused(client, setting, db_session):
    spare = setting["spare"]
    login(client, setting["admin"])
    response = client.post("/my/agency/services", data={"services": [str(spare.id)]})
    assert response.status_code == 200
    assert f'data-field="fee-{spare.id}"' in response.get_data(as_text=True)
    db_session.expire_all()
    assert [s.service_item_id for s in setting["agency"].services] == [setting["item"].id]


# --- Qualifications ------------------------------------------------------------------------

def test_add_renew_and_remove_a_qualification(client, setting, db_session):
    agency = setting["agency"]
    login(client, setting["admin"])
    expiry = rules.local_today() + timedelta(days=700)
    response = client.post("/my/agency/qualifications", content_type="multipart/form-data",
                           data={"type_id": str(setting["type"].id), "level": "乙级",
                                 "certificate_no": "NEW-001", "issuer": "市局",
                                 "expires_on": expiry.isoformat(),
                                 "scan": (io.BytesIO(PDF), "new.pdf")})
    assert response.status_code == 302
    added = db_session.scalar(select(Qualification).where(
        Qualification.certificate_no == "NEW-001"))
    assert added.agency_id == agency.id and added.scan_mime == "application/pdf"
    assert last_audit(db_session, "qualification.add").after["certificate_no"] == "NEW-001"

    added.status = QualificationStatus.EXPIRED  # as the sweeper would have left it
    db_session.commit()
    later = expiry + timedelta(days=365)
    response = client.post(f"/my/agency/qualifications/{added.id}/renew",
                           content_type="multipart/form-data",
                           data={f"renew-{added.id}-expires_on": later.isoformat(),
                                 f"renew-{added.id}-scan": (io.BytesIO(PDF), "renewed.pdf")})
    assert response.status_code == 302
    db_session.expire_all()
    old_scan = last_audit(db_session, "qualification.add").after["scan_file"]
    assert (added.expires_on, added.status) == (later, QualificationStatus.VALID)
    assert added.scan_file != old_scan
    entry = last_audit(db_session, "qualification.renew")
    assert entry.before["expires_on"] == expiry.isoformat() and entry.before["status"] == "expired"
    assert entry.after["expires_on"] == later.isoformat() and entry.after["status"] == "valid"

    assert client.post(f"/my/agency/qualifications/{added.id}/remove").status_code == 302
    assert db_session.get(Qualification, added.id) is None
    assert last_audit(db_session, "qualification.remove").before["certificate_no"] == "NEW-001"


def test_renewal_needs_a_future_date(client, setting, db_session):
    qid = setting["qualification"].id
    login(client, setting["admin"])
    today = rules.local_today().isoformat()
    response = client.post(f"/my/agency/qualifications/{qid}/renew",
                           data={f"renew-{qid}-expires_on": today})
    assert response.status_code == 200
    assert f'data-field="renew-{qid}-expires_on"' in response.get_data(as_text=True)
    assert last_audit(db_session, "qualification.renew") is None


# --- Staff accounts ------------------------------------------------------------------------

def test_org_admin_adds_disables_and_enables_a_staff_account(client, setting, db_session):
    agency = setting["agency"]
    login(client, setting["admin"])
    response = client.post("/my/staff", data={
        "username": "clerk1", "display_name": "赵六", "phone": "13800001111",
        "password": "Clerk2026pass", "confirm": "Clerk2026pass"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#staff")
    clerk = db_session.scalar(select(User).where(User.username == "clerk1"))
    assert (clerk.role, clerk.organisation_id, clerk.active) == \
        (Role.STAFF, agency.organisation_id, True)

    assert client.post(f"/my/staff/{clerk.id}/disable").status_code == 302
    db_session.expire_all()
    assert clerk.active is False
    assert last_audit(db_session, "user.disable").entity_id == str(clerk.id)
    assert client.post(f"/my/staff/{clerk.id}/enable").status_code == 302
    db_session.expire_all()
    assert clerk.active is True


def test_a_disabled_staff_account_cannot_sign_in(client, setting, db_session):
    clerk = make_user(Role.STAFF, setting["agency"].organisation)
    operations.set_staff_active(setting["agency"].organisation, clerk, False)
    db_session.commit()
    login(client, clerk)
    assert client.get("/my/agency").status_code == 302  # back to sign in


def test_the_org_admin_cannot_be_disabled_here(client, setting, db_session):
    admin = setting["admin"]
    login(client, admin)
    client.post(f"/my/staff/{admin.id}/disable")
    db_session.expire_all()
    assert admin.active is True


def test_staff_of_another_organisation_cannot_be_disabled(client, setting, db_session):
    other_staff = make_user(Role.STAFF, make_agency().organisation)
    login(client, setting["admin"])
    assert client.post(f"/my/staff/{other_staff.id}/disable").status_code == 403
    assert client.post("/my/staff/999999/disable").status_code == 404
    db_session.expire_all()
    assert other_staff.active is True


def test_staff_form_errors_are_shown(client, setting, db_session):
    login(client, setting["admin"])
    response = client.post("/my/staff", data={"username": setting["admin"].username,
                                              "display_name": "重名", "password": "Clerk2026pass",
                                              "confirm": "Clerk2026pass"})
    assert response.status_code == 200
    assert 'data-field="username"' in response.get_data(as_text=True)


# --- Owner ---------------------------------------------------------------------------------

def test_owner_admin_edits_the_profile_and_adds_staff(client, db_session):
    owner = make_owner(db_session)
    login(client, owner.organisation.users[0])
    assert owner.name in client.get("/my/owner").get_data(as_text=True)

    response = client.post("/my/owner/profile", data={
        "name": "六安市城投集团有限公司", "region_code": owner.region_code,
        "contact_name": "陈明", "contact_phone": "0564-3371234"})
    assert response.status_code == 302
    entry = last_audit(db_session, "owner.update")
    assert entry.before == {"name": "六安市城投有限公司", "contact_phone": "13905641234"}
    assert entry.after == {"name": "六安市城投集团有限公司", "contact_phone": "0564-3371234"}

    response = client.post("/my/staff", data={"username": "ownerclerk", "display_name": "周七",
                                              "password": "Clerk2026pass",
                                              "confirm": "Clerk2026pass"})
    assert response.headers["Location"].endswith("/my/owner#staff")


def test_owner_staff_and_agency_users_cannot_change_an_owner(client, setting, db_session):
    owner = make_owner(db_session)
    staff = make_user(Role.STAFF, owner.organisation)
    login(client, staff)
    assert client.get("/my/owner").status_code == 200
    assert client.post("/my/owner/profile", data={"name": "x"}).status_code == 403
    client.post("/logout")
    login(client, setting["admin"])
    assert client.get("/my/owner").status_code == 403
    assert staff.organisation.kind == OrgKind.OWNER
