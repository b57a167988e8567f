"""Zero-barrier registration (RULES.md §1 "Principles"): a valid, unregistered USCC and the
signed credit commitment are all it takes; any refusal writes nothing."""

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.auth.models import Organisation, OrgKind, Role, User
from market import rules
from market.models import Agency, AgencyStatus, Owner, OwnerType, Qualification
from market.operations import agencies as operations
from tests.factories import (
    PASSWORD,
    login,
    make_agency,
    make_qualification_type,
    make_region,
    make_service_item,
    make_uscc,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def client(app):
    """Messages are asserted in their English form, whatever the catalogues say."""
    client = app.test_client()
    client.get("/lang/en")
    return client


@pytest.fixture
def catalogue(db_session):
    region = make_region("341502", "金安区")
    qualification_type = make_qualification_type()
    surveying = make_service_item(name="工程测量")
    mapping = make_service_item(name="地籍测绘")
    withdrawn = make_service_item(name="已取消事项")
    withdrawn.active = False
    db_session.commit()  # as a request would: a refused registration's rollback keeps it
    return {"region": region, "type": qualification_type, "item": surveying,
            "other_item": mapping, "withdrawn": withdrawn}


def agency_form(catalogue, **changes) -> dict:
    item = catalogue["item"]
    data = {
        "uscc": make_uscc(), "name": "六安市测试测绘有限公司", "legal_representative": "王建国",
        "region_code": catalogue["region"].code, "address": "六安市金安区梅山南路88号",
        "contact_name": "刘芳", "contact_phone": "13905641234",
        "contact_email": "liufang@example.cn", "staff_count": "12",
        "introduction": "专业测绘服务。", "services": [str(item.id)],
        f"fee-{item.id}": "按测绘面积 0.8 元/平方米", "username": "newagency",
        "password": "Survey2026pass", "confirm": "Survey2026pass", "commitment_accepted": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def qualification_row(catalogue, n: int = 0, scan=None, **changes) -> dict:
    row = {"type_id": str(catalogue["type"].id), "level": "甲级", "certificate_no": "甲测资字123",
           "issuer": "安徽省自然资源厅",
           "expires_on": (date.today() + timedelta(days=400)).isoformat()}
    row.update(changes)
    data = {f"qualifications-{n}-{k}": v for k, v in row.items()}
    if scan is not None:
        data[f"qualifications-{n}-scan"] = scan
    return data


def counts(db_session) -> dict:
    def count(model):
        return db_session.scalar(select(func.count()).select_from(model))
    return {model.__name__: count(model)
            for model in (Organisation, Agency, Owner, User, Qualification, AuditEntry)}


def post_agency(client, data):
    return client.post("/register/agency", data=data, content_type="multipart/form-data")


def field_messages(response, name: str) -> str:
    """The text of the error messages the form shows under the field `name`."""
    html = response.get_data(as_text=True)
    marker = f'data-field="{name}">'
    parts = html.split(marker)[1:]
    return " ".join(part.split("</div>")[0] for part in parts)


# --- The page --------------------------------------------------------------------------------

def test_registration_page_offers_items_regions_and_the_commitment(client, catalogue):
    html = client.get("/register/agency").get_data(as_text=True)
    item = catalogue["item"]
    assert f'id="item-{item.id}"' in html and f'id="fee-{item.id}"' in html
    assert f'id="item-{catalogue["withdrawn"].id}"' not in html  # inactive items not offered
    assert 'name="commitment_accepted"' in html
    assert "金安区" in html
    assert "信用承诺书" in html and "清退出平台" in html
    for name in ("uscc", "name", "legal_representative", "region_code", "address",
                 "contact_name", "contact_phone", "contact_email", "staff_count", "username",
                 "password", "confirm", "qualifications-0-type_id", "qualifications-0-scan"):
        assert f'name="{name}"' in html, name


# --- Success ---------------------------------------------------------------------------------

def test_agency_registers_is_listed_at_once_and_signed_in(client, catalogue, db_session, app):
    data = agency_form(catalogue, uscc=make_uscc(4321).lower()[:8] + " " + make_uscc(4321)[8:])
    data |= qualification_row(catalogue, 0, scan=(io.BytesIO(PDF), "licence.pdf"))
    response = post_agency(client, data)

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/my/agency")
    uscc = make_uscc(4321)
    agency = db_session.scalar(select(Agency).join(Agency.organisation)
                               .where(Organisation.uscc == uscc))  # stored normalised
    assert agency is not None and agency.status == AgencyStatus.ACTIVE
    assert agency.name == "六安市测试测绘有限公司"
    assert agency.organisation.kind == OrgKind.AGENCY
    assert [(s.service_item_id, s.fee_schedule) for s in agency.services] == \
        [(catalogue["item"].id, "按测绘面积 0.8 元/平方米")]
    assert agency.commitment_text.startswith(rules.COMMITMENT_BODY)
    assert "六安市测试测绘有限公司" in agency.commitment_text and uscc in agency.commitment_text
    assert agency.commitment_signed_at is not None
    [qualification] = agency.qualifications
    assert qualification.certificate_no == "甲测资字123"
    assert qualification.scan_file.endswith(".pdf") and qualification.scan_mime == "application/pdf"
    assert (Path(app.config["UPLOAD_DIR"]) / qualification.scan_file).read_bytes() == PDF

    [admin] = agency.organisation.users
    assert (admin.username, admin.role, admin.active) == ("newagency", Role.ORG_ADMIN, True)
    actions = set(db_session.scalars(select(AuditEntry.action)))
    assert {"organisation.create", "user.create", "agency.register"} <= actions
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "agency.register"))
    assert entry.actor == "newagency" and entry.after["services"] == {
        catalogue["item"].code: "按测绘面积 0.8 元/平方米"}

    page = client.get("/my/agency")  # signed in as the new org admin
    assert page.status_code == 200
    assert "六安市测试测绘有限公司" in page.get_data(as_text=True)


def test_owner_registers_and_is_signed_in(client, catalogue, db_session):
    response = client.post("/register/owner", data={
        "uscc": make_uscc(), "name": "六安市城市建设投资有限公司", "owner_type": "enterprise",
        "region_code": catalogue["region"].code, "contact_name": "陈明",
        "contact_phone": "0564-3371234", "username": "cityowner", "password": "Owner2026pass",
        "confirm": "Owner2026pass"})

    assert response.status_code == 302 and response.headers["Location"].endswith("/my/owner")
    owner = db_session.scalar(select(Owner).join(Owner.organisation)
                              .where(Organisation.name == "六安市城市建设投资有限公司"))
    assert owner.owner_type == OwnerType.ENTERPRISE
    assert owner.organisation.kind == OrgKind.OWNER
    assert owner.organisation.users[0].role == Role.ORG_ADMIN
    assert db_session.scalar(select(AuditEntry).where(AuditEntry.action == "owner.register"))
    assert "六安市城市建设投资有限公司" in client.get("/my/owner").get_data(as_text=True)


# --- Refusals write nothing ------------------------------------------------------------------

def assert_refused(client, db_session, data, field: str, words: str, url="/register/agency"):
    before = counts(db_session)
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert words in field_messages(response, field), response.get_data(as_text=True)[:3000]
    assert counts(db_session) == before
    return response


def test_wrong_check_digit_is_refused_on_the_uscc_field(client, catalogue, db_session):
    good = make_uscc()
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = assert_refused(client, db_session, agency_form(catalogue, uscc=wrong),
                              "uscc", "check character")
    html = response.get_data(as_text=True)
    assert f'value="{wrong}"' in html and 'value="六安市测试测绘有限公司"' in html  # input kept


def test_uscc_of_the_wrong_length_is_refused(client, catalogue, db_session):
    assert_refused(client, db_session, agency_form(catalogue, uscc="91340100MA12345"),
                   "uscc", "18 characters")


def test_an_already_registered_uscc_is_refused(client, catalogue, db_session):
    existing = make_agency()
    db_session.commit()
    spelled_differently = existing.uscc[:6] + "-" + existing.uscc[6:].lower()
    assert_refused(client, db_session, agency_form(catalogue, uscc=spelled_differently),
                   "uscc", "already registered")


def test_weak_password_is_refused(client, catalogue, db_session):
    assert_refused(client, db_session,
                   agency_form(catalogue, password="abcdefgh", confirm="abcdefgh"),
                   "password", "letters and digits")


def test_password_confirmation_must_match(client, catalogue, db_session):
    assert_refused(client, db_session, agency_form(catalogue, confirm="Other2026pass"),
                   "confirm", "do not match")


def test_taken_username_is_refused(client, catalogue, db_session):
    existing = make_agency()
    db_session.commit()
    admin = existing.organisation.users[0]
    assert_refused(client, db_session, agency_form(catalogue, username=admin.username),
                   "username", "already taken")


def test_commitment_must_be_accepted(client, catalogue, db_session):
    data = agency_form(catalogue)
    del data["commitment_accepted"]
    assert_refused(client, db_session, data, "commitment_accepted", "credit commitment")


def test_a_chosen_item_needs_its_fee_schedule(client, catalogue, db_session):
    other = catalogue["other_item"]
    data = agency_form(catalogue, services=[str(catalogue["item"].id), str(other.id)])
    response = assert_refused(client, db_session, data, f"fee-{other.id}", "fee schedule")
    assert "fee schedule" in field_messages(response, "services")
    assert f'id="item-{other.id}" checked' in response.get_data(as_text=True)  # choice kept


def test_at_least_one_item_must_be_chosen(client, catalogue, db_session):
    assert_refused(client, db_session, agency_form(catalogue, services=[]), "services",
                   "at least one")


def test_bad_phone_and_staff_count_are_refused(client, catalogue, db_session):
    response = assert_refused(client, db_session,
                              agency_form(catalogue, contact_phone="12345", staff_count="0"),
                              "contact_phone", "mobile number")
    assert field_messages(response, "staff_count")


def test_partly_filled_qualification_row_gets_messages(client, catalogue, db_session):
    blank = qualification_row(catalogue, 0, type_id="", level="", certificate_no="", issuer="",
                              expires_on="")
    data = agency_form(catalogue) | blank | qualification_row(catalogue, 1, certificate_no="",
                                                              issuer="")
    response = assert_refused(client, db_session, data, "qualifications-1-certificate_no",
                              "required")
    assert field_messages(response, "qualifications-1-issuer")
    assert not field_messages(response, "qualifications-0-certificate_no")  # blank row ignored


def test_expiry_must_be_in_the_future(client, catalogue, db_session):
    yesterday = (rules.local_today() - timedelta(days=1)).isoformat()
    data = agency_form(catalogue) | qualification_row(catalogue, 0, expires_on=yesterday)
    assert_refused(client, db_session, data, "qualifications-0-expires_on", "future")


def test_a_renamed_text_file_is_refused_as_a_scan(client, catalogue, db_session, app):
    scan = (io.BytesIO(b"just some text pretending to be a PDF"), "licence.pdf")
    data = agency_form(catalogue) | qualification_row(catalogue, 0, scan=scan)
    assert_refused(client, db_session, data, "qualifications-0-scan", "content was checked")


def test_an_oversize_scan_is_refused(client, catalogue, db_session, app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    scan = (io.BytesIO(PDF + b"0" * 2048), "licence.pdf")
    data = agency_form(catalogue) | qualification_row(catalogue, 0, scan=scan)
    assert_refused(client, db_session, data, "qualifications-0-scan", "larger than")


def test_owner_registration_checks_the_uscc_too(client, catalogue, db_session):
    assert_refused(client, db_session, {
        "uscc": "91340100MA0000000X", "name": "某公司", "owner_type": "public_body",
        "region_code": catalogue["region"].code, "contact_name": "陈明",
        "contact_phone": "13905641234", "username": "someowner", "password": "Owner2026pass",
        "confirm": "Owner2026pass"}, "uscc", "", url="/register/owner")


def test_registration_without_csrf_token_is_refused(client, catalogue, db_session,
                                                    csrf_enforced):
    before = counts(db_session)
    assert post_agency(client, agency_form(catalogue)).status_code == 400
    assert counts(db_session) == before


def test_a_signed_in_user_is_sent_away_from_registration(client, db_session):
    agency = make_agency()
    login(client, agency.organisation.users[0], PASSWORD)
    assert client.get("/register/agency").status_code == 302


# --- The operation checks again what matters for integrity ------------------------------------

def registration(catalogue, **changes) -> operations.AgencyRegistration:
    values = dict(
        uscc=make_uscc(), name="直接注册测试机构", legal_representative="张三",
        region_code=catalogue["region"].code, address="测试路1号", contact_name="李四",
        contact_phone="13905641234", contact_email=None, staff_count=3, introduction=None,
        username="direct_agency", password="Direct2026pass",
        services=[operations.ServiceOffer(catalogue["item"].id, "面议")],
        qualifications=[], commitment_accepted=True)
    values.update(changes)
    return operations.AgencyRegistration(**values)


@pytest.mark.parametrize("changes, field", [
    ({"uscc": "91340100MA0000000X"}, "uscc"),
    ({"commitment_accepted": False}, "commitment_accepted"),
    ({"region_code": "999999"}, "region_code"),
    ({"services": [operations.ServiceOffer(10**6, "面议")]}, "services"),
    ({"services": [operations.ServiceOffer(0, "")]}, "services"),
    ({"qualifications": [operations.QualificationInput(10**6, "甲级", "X", "省厅",
                                                       date(2099, 1, 1))]}, None),
])
def test_register_agency_refuses_what_the_rules_refuse(catalogue, changes, field):
    with pytest.raises(operations.FieldConflict) as refused:
        operations.register_agency(registration(catalogue, **changes))
    assert refused.value.field == field


def test_register_agency_refuses_a_withdrawn_item_and_a_missing_fee(catalogue):
    for offer in (operations.ServiceOffer(catalogue["withdrawn"].id, "面议"),
                  operations.ServiceOffer(catalogue["item"].id, "  ")):
        with pytest.raises(operations.FieldConflict):
            operations.register_agency(registration(catalogue, services=[offer]))


def test_register_agency_refuses_a_duplicate_uscc(catalogue):
    existing = make_agency()
    with pytest.raises(operations.FieldConflict) as refused:
        operations.register_agency(registration(catalogue, uscc=existing.uscc))
    assert refused.value.status == 409 and refused.value.field == "uscc"


def test_an_already_expired_declaration_is_recorded_as_expired(catalogue):
    past = operations.QualificationInput(catalogue["type"].id, "乙级", "X1", "省厅",
                                         rules.local_today() - timedelta(days=1))
    agency = operations.register_agency(registration(catalogue, qualifications=[past]))
    assert agency.qualifications[0].status == "expired"


def test_commitment_text_names_the_signer():
    text = rules.commitment_text("某机构", "91340100MA00000001")
    assert text.startswith(rules.COMMITMENT_BODY)
    assert text.endswith("承诺单位：某机构\n统一社会信用代码：91340100MA00000001")


def test_uscc_is_normalised():
    assert rules.normalise_uscc(" 9134-0100ma000000 1x ") == "91340100MA0000001X"


def test_a_registration_losing_the_race_for_its_uscc_gets_a_409_and_keeps_nothing(
        client, catalogue, db_session, monkeypatch):
    """Two simultaneous registrations of one code both pass the form's check; the unique key
    stops the second, which must get a clear conflict, not a crash page."""
    existing = make_agency()
    db_session.commit()
    monkeypatch.setattr(operations.auth_ops, "uscc_taken", lambda code: False)
    before = counts(db_session)
    response = post_agency(client, agency_form(catalogue, uscc=existing.uscc))
    assert response.status_code == 409
    assert "Someone else saved the same record" in response.get_data(as_text=True)
    assert counts(db_session) == before
