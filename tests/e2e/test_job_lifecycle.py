"""Issue 4, "Done when": one job of each selection method driven from posting to evaluation
through HTTP (RULES.md §1 "Job" … "Evaluation"), and a public-money job with two bids
that fails and is republished as round 2.

Every step a person takes is the form on the page they would use, sent with that page's
CSRF token by their own signed-in browser (a test client). Every step the platform takes
is the sweeper the scheduler runs (core.scheduler.run_sweeper), at the time the clock has
been moved to (time_machine). Sessions last 8 hours: everyone signs in again after each
move of the clock."""

import io
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from core import scheduler
from credit.models import CreditRecord, CreditSubject
from credit.rules import RecordKind
from market.models import Job, JobStatus, SelectionMethod
from tests.clients import english_client
from tests.factories import PASSWORD, make_department, make_service_item, make_user
from tests.market.job_builders import (
    agency_user,
    deadline_day,
    make_bidder,
    make_owner,
    owner_user,
)

pytestmark = pytest.mark.usefixtures("csrf_enforced")  # every form is sent with its token

M, S = SelectionMethod, JobStatus
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PRICES = ("61000.00", "58000.00", "64000.00")  # bid by agencies 0, 1 and 2
FIXED_PRICE = "80000.00"  # random draw: the owner fixes the price
CREDIT_BEST_AMOUNT = "75000.00"  # credit best sets no price: the contract states it
METHOD_TERMS = {  # what the owner fills in besides the common terms
    M.DIRECT: {"funding": "private"},  # and the named agency's code
    M.RANDOM: {"fixed_price": FIXED_PRICE},
    M.LOWEST_PRICE: {},
    M.OPTIMAL_PRICE: {},
    M.CREDIT_BEST: {"big_list_size": "3", "small_list_size": "2"},
    M.PROPOSAL: {"weight_price": "40", "weight_technical": "40", "weight_credit": "20"},
}
OWNER_DECIDES = (M.CREDIT_BEST, M.PROPOSAL)
METHODS_WITH_PRICES = {M.DIRECT, M.LOWEST_PRICE, M.OPTIMAL_PRICE, M.PROPOSAL}
EXPECTED_WINNER = {M.DIRECT: 0, M.LOWEST_PRICE: 1}  # the named agency; the lowest price
OWNER_RATINGS = {"quality": "5", "timeliness": "4", "attitude": "5", "fees": "4",
                 "conduct": "5"}  # mean 4.60
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PROBLEMS = re.compile(r'class="(?:invalid-feedback|alert alert-danger)[^"]*"[^>]*>\s*([^<]+)')


# --- The people and their browsers -------------------------------------------------------------

@dataclass(frozen=True)
class Bidder:
    id: int
    name: str
    uscc: str
    username: str


@dataclass(frozen=True)
class World:
    """Plain values only: a sweeper run closes the test's session and detaches its rows."""

    item_id: int
    region_code: str
    owner: str  # usernames
    regulator: str
    agencies: tuple[Bidder, ...]


@pytest.fixture
def world(db_session) -> World:
    department = make_department("六安市自然资源和规划局")
    item = make_service_item(department, name="工程测量")
    owner = make_owner("六安市金安区城市建设投资有限公司")
    agencies = [make_bidder([item], name=f"六安市第{n}测绘有限公司") for n in (1, 2, 3)]
    world = World(item.id, owner.region_code, owner_user(owner).username,
                  make_user(organisation=department).username,
                  tuple(Bidder(a.id, a.name, a.uscc, agency_user(a).username)
                        for a in agencies))
    db_session.commit()
    return world


def problems(html: str) -> list[str]:
    return [message.strip() for message in PROBLEMS.findall(html)]


def submit(client, page: str, data: dict, action: str | None = None):
    """Open `page`, check that it offers a form posting to `action` (by default the page
    itself) and send `data` with the page's CSRF token, as the browser would."""
    response = client.get(page)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:500]
    offered = f'action="{action}"' in html if action else '<form method="post"' in html
    assert offered, f"{page} offers no form posting to {action or 'itself'}"
    sent = client.post(action or page, data={**data, "csrf_token": CSRF.search(html)[1]},
                       content_type="multipart/form-data")
    assert sent.status_code == 302, problems(sent.get_data(as_text=True))
    return sent


def signed_in(app, username: str):
    """A new browser, signed in through the login page."""
    browser = english_client(app)
    submit(browser, "/login", {"username": username, "password": PASSWORD})
    return browser


def pdf(name: str):
    return io.BytesIO(PDF), name


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def the_job(db_session, number: str) -> Job:
    db_session.expire_all()
    return db_session.scalar(select(Job).where(Job.number == number))


def sweep(name: str) -> int:
    """Run a sweeper as the scheduler does: its own transaction, committed."""
    return scheduler.run_sweeper(name)


# --- Posting and bidding -----------------------------------------------------------------------

def job_form(world: World, method: M, **changes) -> dict:
    data = {"service_item_id": str(world.item_id), "region_code": world.region_code,
            "title": f"金安区道路工程测量（{method}）", "scope": "1:500 地形图测绘约 2 平方公里",
            "funding": "public", "budget_ceiling": "100000.00", "budget_floor": "50000.00",
            "service_days": "20", "qualification_mode": "any", "method": method.value,
            "deadline_on": deadline_day().isoformat(), "avoidances": "",
            **METHOD_TERMS[method]}
    if method == M.DIRECT:
        data["direct_agency_uscc"] = world.agencies[0].uscc
    return {**data, **changes}


def post_and_publish(owner, world: World, method: M, **changes) -> str:
    """The owner saves the draft, publishes it from its page; returns the job number."""
    draft = submit(owner, "/my/jobs/new", job_form(world, method, **changes)).location
    return publish_draft(owner, draft)


def publish_draft(owner, draft_page: str) -> str:
    job_id = draft_page.rsplit("/", 1)[1]
    published = submit(owner, draft_page, {}, action=f"/my/jobs/{job_id}/publish").location
    return published.rsplit("/", 1)[1]


def bid(app, agency: Bidder, number: str, method: M, price: str) -> None:
    data = {"commitment_accepted": "y"}
    if method not in (M.RANDOM, M.CREDIT_BEST):  # those are sign-ups
        data["price"] = price
    if method == M.PROPOSAL:
        data["proposal"] = "分阶段完成控制测量、碎部测量和成果整理，10 名技术人员驻场。"
    submit(signed_in(app, agency.username), f"/jobs/{number}/bid", data)


# --- After the deadline ------------------------------------------------------------------------

def owner_decides(owner, number: str, method: M) -> None:
    """Credit best: the owner picks from the drawn small list; proposal: scores each."""
    public = page(owner, f"/jobs/{number}")
    decision = re.search(r'href="([^"]+)" data-testid="owner-decision"', public)[1]
    form = page(owner, decision)
    if method == M.CREDIT_BEST:
        choice = re.findall(r'name="bid_id"[^>]*value="(\d+)"', form)[0]
        submit(owner, decision, {"bid_id": choice})
    else:
        fields = re.findall(r'name="(score_\d+)"', form)
        assert len(fields) == 3
        submit(owner, decision, dict(zip(fields, ("88", "75", "92"), strict=True)))


def winner_of(client, number: str, world: World) -> Bidder:
    """The selected agency as the public job page names it."""
    agency_id = int(re.search(r'data-testid="winner"><a href="/agencies/(\d+)"',
                              page(client, f"/jobs/{number}"))[1])
    return next(a for a in world.agencies if a.id == agency_id)


def contract_amount(method: M, winner: Bidder, world: World) -> str:
    if method == M.RANDOM:
        return FIXED_PRICE
    if method == M.CREDIT_BEST:
        return CREDIT_BEST_AMOUNT
    return PRICES[world.agencies.index(winner)]


def deliver_accept_and_evaluate(app, world: World, job: Job, winner: Bidder) -> None:
    contract = f"/jobs/{job.id}/contract"
    agency, owner = signed_in(app, winner.username), signed_in(app, world.owner)
    submit(agency, contract, {"file": pdf("成果报告.pdf"), "note": "地形图及技术总结"},
           action=f"/jobs/{job.id}/deliverables")
    assert job.status == S.DELIVERED

    accept = re.search(rf'action="(/jobs/{job.id}/deliverables/\d+/accept)"',
                       page(owner, contract))[1]
    submit(owner, contract, {"note": "成果符合要求"}, action=accept)
    assert job.status == S.ACCEPTED

    evaluation = f"/jobs/{job.id}/evaluation"
    submit(owner, evaluation, {**OWNER_RATINGS, "comment": "外业规范，成果按时提交。"},
           action=f"{evaluation}/owner")
    assert job.status == S.EVALUATED
    submit(signed_in(app, world.regulator), evaluation,
           {"quality": "4", "compliance": "5", "comment": "成果符合规范"},
           action=f"{evaluation}/regulator")


def assert_evaluated(app, db_session, winner: Bidder, number: str) -> None:
    """The two ratings are credit records of the winner and public on its profile."""
    rows = db_session.execute(
        select(CreditRecord.kind, CreditRecord.rating).join(CreditSubject)
        .where(CreditSubject.uscc == winner.uscc, CreditRecord.reference == number)).all()
    assert {kind: str(rating) for kind, rating in rows} == {
        RecordKind.EVALUATION_OWNER: "4.60", RecordKind.EVALUATION_REGULATOR: "4.50"}
    profile = page(english_client(app), f"/agencies/{winner.id}")
    assert profile_rating(profile, "overall") == "4.60"
    assert profile_rating(profile, "quality") == "5.00"
    assert profile_rating(profile, "regulator_compliance") == "5.00"
    assert "外业规范，成果按时提交。" in profile


def profile_rating(html: str, criterion: str) -> str:
    return re.search(rf'data-criterion="{criterion}">.*?<td>([\d.]+) / 5</td>', html, re.S)[1]


# --- One job of each method, from posting to evaluation --------------------------------------

def post_and_bid(app, world: World, method: M) -> tuple[str, tuple[Bidder, ...]]:
    """Published and bid on; nobody, the owner included, sees a price before the deadline."""
    owner = signed_in(app, world.owner)
    number = post_and_publish(owner, world, method)
    bidders = world.agencies[:1] if method == M.DIRECT else world.agencies
    for agency, price in zip(bidders, PRICES, strict=False):
        bid(app, agency, number, method, price)
    assert not any(price in page(owner, f"/jobs/{number}") for price in PRICES)
    return number, bidders


def select_winner(app, db_session, world: World, number: str, method: M,
                  bidders: tuple[Bidder, ...]) -> Bidder:
    """At the deadline: the sweeper closes bidding and selects (or the owner decides);
    the result and every bid are published."""
    assert sweep("market.close_bidding") == 1
    job = the_job(db_session, number)
    if method in OWNER_DECIDES:
        assert job.status == S.CLOSED
        owner_decides(signed_in(app, world.owner), number, method)
    assert job.status == S.PUBLICITY
    public = page(english_client(app), f"/jobs/{number}")
    assert all(agency.name in public for agency in bidders)
    if method in METHODS_WITH_PRICES:
        assert all(price in public for price in PRICES[:len(bidders)])
    return winner_of(english_client(app), number, world)


def file_contract(app, world: World, job: Job, winner: Bidder, method: M) -> None:
    """The winner files the signed contract; the owner confirms and the service starts."""
    contract = f"/jobs/{job.id}/contract"
    submit(signed_in(app, winner.username), contract,
           {"amount": contract_amount(method, winner, world), "amount_reason": "",
            "file": pdf("服务合同.pdf")})
    assert job.status == S.AWARDED  # filed, not confirmed yet
    submit(signed_in(app, world.owner), contract, {},
           action=f"/jobs/{job.id}/contract/confirm")
    assert job.status == S.IN_SERVICE


@pytest.mark.parametrize("method", list(M))
def test_a_job_goes_from_posting_to_evaluation(app, db_session, world, method):
    number, bidders = post_and_bid(app, world, method)
    job = the_job(db_session, number)
    assert job.status == S.PUBLISHED

    with time_machine.travel(job.deadline + timedelta(seconds=1)) as clock:
        winner = select_winner(app, db_session, world, number, method, bidders)
        if method in EXPECTED_WINNER:
            assert winner == world.agencies[EXPECTED_WINNER[method]]

        clock.move_to(the_job(db_session, number).publicity_ends_at + timedelta(seconds=1))
        assert sweep("market.end_publicity") == 1
        job = the_job(db_session, number)
        assert job.status == S.AWARDED

        file_contract(app, world, job, winner, method)
        deliver_accept_and_evaluate(app, world, job, winner)
        assert_evaluated(app, db_session, winner, number)


# --- Too few bids: the job fails and is republished ----------------------------------------------

def test_a_public_money_job_with_two_bids_fails_and_republishes_as_round_two(
        app, db_session, world):
    owner = signed_in(app, world.owner)
    number = post_and_publish(owner, world, M.LOWEST_PRICE)
    for agency, price in zip(world.agencies[:2], PRICES, strict=False):
        bid(app, agency, number, M.LOWEST_PRICE, price)
    deadline = the_job(db_session, number).deadline

    with time_machine.travel(deadline + timedelta(seconds=1)):
        assert sweep("market.close_bidding") == 1
        failed = the_job(db_session, number)
        assert failed.status == S.FAILED and failed.winner_bid_id is None
        owner = signed_in(app, world.owner)
        assert "Failed:" in page(owner, f"/jobs/{number}")

        draft = submit(owner, f"/my/jobs/{failed.id}", {},
                       action=f"/my/jobs/{failed.id}/republish").location
        submit(owner, draft, job_form(world, M.LOWEST_PRICE,
                                      deadline_on=deadline_day().isoformat()))
        new_number = publish_draft(owner, draft)

    new = the_job(db_session, new_number)
    assert (new.status, new.round, new.previous_job_id) == (S.PUBLISHED, 2, failed.id)
    assert f'data-testid="next-round">{new_number}<' in page(english_client(app),
                                                            f"/jobs/{number}")
    assert f'data-testid="previous-round">{number}<' in page(english_client(app),
                                                             f"/jobs/{new_number}")
