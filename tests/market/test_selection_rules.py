"""The pure job rules of market/rules.py: the job transition table, the six selection
methods with their tie rules, and the minimum bids by funding (RULES.md §1)."""

import hashlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask_babel import force_locale

from core import settings
from core.errors import Conflict
from market import rules
from market.models import Funding, JobStatus, SelectionMethod
from market.rules import BidView, SelectionInputs

S = JobStatus
D = Decimal
# Seeds whose SHA-256(seed:"coefficient") mod 4 is 0, 1, 2, 3 (checked independently below).
SEED_95, SEED_96, SEED_97, SEED_98 = ("worked-example-2", "worked-example-1",
                                      "worked-example-0", "worked-example-4")


def bids(**prices) -> list[BidView]:
    return [BidView(key, D(price)) for key, price in prices.items()]


# --- transitions ------------------------------------------------------------------------

ALLOWED = [
    (S.DRAFT, S.PUBLISHED), (S.DRAFT, S.CANCELLED), (S.PUBLISHED, S.CLOSED),
    (S.PUBLISHED, S.CANCELLED), (S.CLOSED, S.SELECTED), (S.CLOSED, S.FAILED),
    (S.SELECTED, S.PUBLICITY), (S.PUBLICITY, S.AWARDED), (S.PUBLICITY, S.SELECTED),
    (S.PUBLICITY, S.FAILED), (S.AWARDED, S.CONTRACTED), (S.AWARDED, S.SELECTED),
    (S.AWARDED, S.FAILED), (S.CONTRACTED, S.IN_SERVICE), (S.IN_SERVICE, S.DELIVERED),
    (S.DELIVERED, S.ACCEPTED), (S.DELIVERED, S.IN_SERVICE), (S.ACCEPTED, S.EVALUATED),
]


def test_the_transition_table_is_exactly_the_job_life():
    table = {(current, target) for current, targets in rules.JOB_TRANSITIONS.items()
             for target in targets}
    assert table == set(ALLOWED)
    assert set(rules.JOB_TRANSITIONS) == set(JobStatus)


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed_transitions_pass(current, target):
    rules.check_job_transition(current, target)
    rules.check_job_transition(SimpleNamespace(status=current), target)  # a Job works too


@pytest.mark.parametrize(("current", "target"), [
    (S.PUBLISHED, S.PUBLISHED),  # an edit bumps the terms, it is no transition
    (S.DRAFT, S.CLOSED), (S.CLOSED, S.CANCELLED), (S.SELECTED, S.AWARDED),
    (S.ACCEPTED, S.DELIVERED), (S.FAILED, S.PUBLISHED), (S.CANCELLED, S.DRAFT),
    (S.EVALUATED, S.ACCEPTED), (S.IN_SERVICE, S.ACCEPTED),
])
def test_refused_transitions_are_conflicts(current, target):
    with pytest.raises(Conflict):
        rules.check_job_transition(SimpleNamespace(status=current), target)


def test_the_refusal_names_both_states(app):
    with force_locale("en"), pytest.raises(Conflict) as error:
        rules.check_job_transition("published", S.PUBLISHED)
    assert str(error.value) == "A job that is open for bids cannot become open for bids."


# --- direct and random ------------------------------------------------------------------

def test_direct_the_named_agency_wins_when_it_responds():
    inputs = SelectionInputs(bids(named="5000.00"), named_key="named")
    assert rules.select(SelectionMethod.DIRECT, inputs).winner == "named"
    silent = SelectionInputs(bids(other="5000.00"), named_key="named")
    assert rules.select(SelectionMethod.DIRECT, silent).winner is None


def test_random_the_draw_order_decides_and_a_rerun_takes_the_next():
    inputs = SelectionInputs([BidView("a"), BidView("b"), BidView("c")],
                             draw_order=["c", "a", "b"])
    outcome = rules.select(SelectionMethod.RANDOM, inputs)
    assert (outcome.winner, outcome.ranking) == ("c", ["c", "a", "b"])
    _narrowed, again = rules.rerun_without(SelectionMethod.RANDOM, inputs, "c")
    assert (again.winner, again.ranking) == ("a", ["a", "b"])


def test_random_without_the_draw_asks_for_it():
    outcome = rules.select(SelectionMethod.RANDOM, SelectionInputs([BidView("a")]))
    assert outcome.draw_needed and outcome.winner is None


# --- lowest price -----------------------------------------------------------------------

def test_lowest_price_wins_without_needing_a_draw():
    outcome = rules.select(SelectionMethod.LOWEST_PRICE,
                           SelectionInputs(bids(a="980.00", b="950.50", c="1000.00")))
    assert (outcome.winner, outcome.ranking) == ("b", ["b", "a", "c"])
    assert not outcome.draw_needed


def test_lowest_price_tie_is_broken_by_the_draw_order():
    tied = bids(a="900.00", b="900.00", c="950.00")
    assert rules.select(SelectionMethod.LOWEST_PRICE, SelectionInputs(tied)).draw_needed
    outcome = rules.select(SelectionMethod.LOWEST_PRICE,
                           SelectionInputs(tied, draw_order=["c", "b", "a"]))
    assert (outcome.winner, outcome.ranking) == ("b", ["b", "a", "c"])
    reversed_draw = rules.select(SelectionMethod.LOWEST_PRICE,
                                 SelectionInputs(tied, draw_order=["a", "c", "b"]))
    assert reversed_draw.winner == "a"


def test_lowest_price_rerun_without_the_winner():
    inputs = SelectionInputs(bids(a="900.00", b="910.00", c="950.00"))
    narrowed, outcome = rules.rerun_without(SelectionMethod.LOWEST_PRICE, inputs, "a")
    assert outcome.winner == "b" and narrowed.excluded == {"a"}
    _again, third = rules.rerun_without(SelectionMethod.LOWEST_PRICE, narrowed, "b")
    assert third.ranking == ["c"]


# --- optimal price ----------------------------------------------------------------------

def test_the_coefficient_comes_from_the_seed():
    for seed, coefficient in [(SEED_95, "0.95"), (SEED_96, "0.96"), (SEED_97, "0.97"),
                              (SEED_98, "0.98")]:
        digest = hashlib.sha256(f"{seed}:coefficient".encode()).hexdigest()
        assert rules.OPTIMAL_COEFFICIENTS[int(digest, 16) % 4] == D(coefficient)
        assert rules.optimal_coefficient(seed) == D(coefficient)


def test_optimal_price_worked_example():
    # Six bids, so one highest (102 000.00) and one lowest (91 000.00) are left out:
    #   100 000.00 + 96 000.00 + 98 500.00 + 99 999.99 = 394 499.99
    #   mean = 394 499.99 / 4 = 98 624.9975
    #   × 97 % = 95 666.247575 → rounded to the fen (half up) = 95 666.25
    # Distances to 95 666.25: 96 000.00 → 333.75, 98 500.00 → 2 833.75,
    #   99 999.99 → 4 333.74, 100 000.00 → 4 333.75, 91 000.00 → 4 666.25,
    #   102 000.00 → 6 333.75. The closest, 96 000.00, wins; the trimmed bids still rank.
    six = bids(a="100000.00", b="96000.00", c="98500.00", d="102000.00", e="91000.00",
               f="99999.99")
    outcome = rules.select(SelectionMethod.OPTIMAL_PRICE, SelectionInputs(six, seed=SEED_97))
    assert outcome.coefficient == D("0.97")
    assert outcome.reference_price == D("95666.25")
    assert outcome.winner == "b"
    assert outcome.ranking == ["b", "c", "f", "a", "e", "d"]
    assert outcome.scores["f"] == D("4333.74")


def test_optimal_price_with_fewer_than_five_bids_drops_nothing():
    # Three bids: nothing is left out. mean = (1 000.00 + 1 000.25 + 1 000.50) / 3 = 1 000.25
    #   × 98 % = 980.245 → half up 980.25 (half even would give 980.24).
    three = bids(a="1000.50", b="1000.00", c="1000.25")
    assert rules.optimal_reference([b.price for b in three], D("0.98")) == D("980.25")
    outcome = rules.select(SelectionMethod.OPTIMAL_PRICE, SelectionInputs(three, seed=SEED_98))
    assert (outcome.reference_price, outcome.winner) == (D("980.25"), "b")
    # Four bids, still nothing dropped: (100 + 200 + 300 + 1 000) / 4 = 400 × 95 % = 380.00
    assert rules.optimal_reference([D(100), D(200), D(300), D(1000)], D("0.95")) == D("380.00")
    # Five bids: the 100 and 1 000 go; (200 + 300 + 400) / 3 = 300 × 95 % = 285.00
    assert rules.optimal_reference([D(100), D(200), D(300), D(400), D(1000)],
                                   D("0.95")) == D("285.00")


def test_optimal_price_equally_close_the_lower_bid_wins():
    # mean (90 + 100 + 110) / 3 = 100 × 95 % = 95.00: 90 and 100 are both 5.00 away.
    outcome = rules.select(SelectionMethod.OPTIMAL_PRICE, SelectionInputs(
        bids(high="110.00", mid="100.00", low="90.00"), seed=SEED_95,
        draw_order=["mid", "high", "low"]))
    assert outcome.reference_price == D("95.00")
    assert outcome.ranking == ["low", "mid", "high"]


def test_optimal_price_equal_bids_go_to_the_draw():
    # mean (95 + 95 + 120) / 3 = 103.333… × 95 % = 98.166… → 98.17; x and y both 3.17 away.
    tied = bids(x="95.00", y="95.00", z="120.00")
    assert rules.select(SelectionMethod.OPTIMAL_PRICE,
                        SelectionInputs(tied, seed=SEED_95)).draw_needed
    outcome = rules.select(SelectionMethod.OPTIMAL_PRICE,
                           SelectionInputs(tied, seed=SEED_95, draw_order=["z", "y", "x"]))
    assert (outcome.reference_price, outcome.winner) == (D("98.17"), "y")


def test_optimal_price_needs_the_seed():
    outcome = rules.select(SelectionMethod.OPTIMAL_PRICE, SelectionInputs(bids(a="1.00")))
    assert outcome.draw_needed and outcome.coefficient is None


# --- credit best ------------------------------------------------------------------------

def credit_signups() -> list[BidView]:
    scores = {"A": 95, "B": 90, "C": 90, "D": 80, "E": 70}
    return [BidView(key, credit_score=D(score)) for key, score in scores.items()]


def test_credit_best_big_list_by_score_small_list_by_draw():
    inputs = SelectionInputs(credit_signups(), draw_order=["E", "C", "D", "A", "B"],
                             big_list_size=3, small_list_size=2)
    outcome = rules.select(SelectionMethod.CREDIT_BEST, inputs)
    # By score: A 95, then B and C tie at 90 → the draw puts C first → big list A, C, B.
    assert outcome.big_list == ["A", "C", "B"]
    # Small list: the big list in draw order (E and D are not in it), first two.
    assert outcome.small_list == ["C", "A"]
    assert outcome.winner is None  # the owner picks


def test_credit_best_the_owner_picks_from_the_small_list_only():
    outcome = rules.select(SelectionMethod.CREDIT_BEST, SelectionInputs(
        credit_signups(), draw_order=["E", "C", "D", "A", "B"], big_list_size=3,
        small_list_size=2))
    picked = rules.owner_pick(outcome, "A")
    assert (picked.winner, picked.ranking) == ("A", ["A", "C"])
    with pytest.raises(Conflict):
        rules.owner_pick(outcome, "B")  # in the big list, not drawn into the small one


def test_credit_best_without_sizes_keeps_everyone():
    outcome = rules.select(SelectionMethod.CREDIT_BEST, SelectionInputs(
        credit_signups(), draw_order=["E", "C", "D", "A", "B"]))
    assert outcome.small_list == ["E", "C", "D", "A", "B"]


# --- proposal ---------------------------------------------------------------------------

WEIGHTS = {"price": 30, "technical": 60, "credit": 10}


def proposals(b_technical: str = "90") -> list[BidView]:
    return [BidView("A", D("100.00"), D("90"), D("80")),
            BidView("B", D("120.00"), D("80"), D(b_technical)),
            BidView("C", D("150.00"), D("70"), D("70"))]


def test_proposal_highest_total_wins():
    # A: 100/100 × 30 = 30.00, 80/100 × 60 = 48.00, 90/100 × 10 = 9.00 → 87.00
    # B: 100/120 × 30 = 25.00, 95/100 × 60 = 57.00, 80/100 × 10 = 8.00 → 90.00
    # C: 100/150 × 30 = 20.00, 70/100 × 60 = 42.00, 70/100 × 10 = 7.00 → 69.00
    outcome = rules.select(SelectionMethod.PROPOSAL,
                           SelectionInputs(proposals("95"), weights=WEIGHTS))
    assert outcome.scores == {"A": D("87.00"), "B": D("90.00"), "C": D("69.00")}
    assert outcome.ranking == ["B", "A", "C"]
    assert outcome.parts["B"] == {"price": D("25.00"), "technical": D("57.00"),
                                  "credit": D("8.00"), "total": D("90.00")}


def test_proposal_equal_totals_go_to_the_draw():
    tied = SelectionInputs(proposals("90"), weights=WEIGHTS)  # A and B both 87.00
    assert rules.select(SelectionMethod.PROPOSAL, tied).draw_needed
    drawn = SelectionInputs(proposals("90"), weights=WEIGHTS, draw_order=["C", "B", "A"])
    assert rules.select(SelectionMethod.PROPOSAL, drawn).ranking == ["B", "A", "C"]


def test_proposal_parts_are_rounded_so_they_add_up():
    bid = BidView("x", D("300.00"), credit_score=D("33.33"), technical_score=D("66.67"))
    parts = rules.proposal_parts(bid, D("100.00"), {"price": D(40), "technical": D(40),
                                                    "credit": D(20)})
    # 100/300 × 40 = 13.333… → 13.33; 66.67 % × 40 = 26.668 → 26.67; 33.33 % × 20 = 6.666 → 6.67
    assert parts == {"price": D("13.33"), "technical": D("26.67"), "credit": D("6.67"),
                     "total": D("46.67")}


def test_proposal_needs_every_score_and_sound_weights():
    unscored = [BidView("A", D("100.00"), D("90"), None)]
    with pytest.raises(Conflict):
        rules.select(SelectionMethod.PROPOSAL, SelectionInputs(unscored, weights=WEIGHTS))
    with pytest.raises(ValueError):
        rules.check_weights({"price": 50, "technical": 40, "credit": 20})
    with pytest.raises(ValueError):
        rules.check_weights({"price": 50, "technical": 50})


# --- minimum bids and failure -----------------------------------------------------------

def test_registry_rows_follow_the_rules_table():
    assert set(rules.METHODS) == set(SelectionMethod)
    table = {method.value: (spec.min_bids_public, spec.min_bids_private)
             for method, spec in rules.METHODS.items()}
    assert table == {"direct": (None, 1), "random": (3, 1), "lowest_price": (3, 1),
                     "optimal_price": (3, 1), "credit_best": (2, 2), "proposal": (2, 2)}
    assert not rules.METHODS[SelectionMethod.RANDOM].prices
    assert rules.METHODS[SelectionMethod.CREDIT_BEST].owner_decides
    assert not rules.METHODS[SelectionMethod.DIRECT].uses_draw


@pytest.mark.parametrize(("method", "funding", "count", "failed"), [
    (SelectionMethod.LOWEST_PRICE, Funding.PUBLIC, 2, True),
    (SelectionMethod.LOWEST_PRICE, Funding.PUBLIC, 3, False),
    (SelectionMethod.LOWEST_PRICE, Funding.MIXED, 2, True),  # mixed counts as public
    (SelectionMethod.LOWEST_PRICE, Funding.PRIVATE, 1, False),
    (SelectionMethod.RANDOM, Funding.PRIVATE, 0, True),
    (SelectionMethod.OPTIMAL_PRICE, Funding.PUBLIC, 2, True),
    (SelectionMethod.CREDIT_BEST, Funding.PRIVATE, 1, True),
    (SelectionMethod.CREDIT_BEST, Funding.PUBLIC, 2, False),
    (SelectionMethod.PROPOSAL, Funding.PRIVATE, 2, False),
    (SelectionMethod.DIRECT, Funding.PRIVATE, 1, False),
])
def test_failure_by_funding(method, funding, count, failed):
    assert rules.is_failed(method, funding, count) is failed


def test_direct_is_not_allowed_with_public_money():
    assert rules.minimum_bids(SelectionMethod.DIRECT, Funding.PUBLIC) is None
    assert not rules.method_allowed(SelectionMethod.DIRECT, Funding.MIXED)
    with pytest.raises(Conflict):
        rules.is_failed(SelectionMethod.DIRECT, Funding.PUBLIC, 5)
    with pytest.raises(Conflict):
        rules.check_method_allowed(SelectionMethod.DIRECT, Funding.MIXED)


def test_an_admin_override_changes_the_minimum():
    overrides = {"lowest_price": {"public": 5}}
    assert rules.is_failed(SelectionMethod.LOWEST_PRICE, Funding.PUBLIC, 4, overrides)
    assert not rules.is_failed(SelectionMethod.LOWEST_PRICE, Funding.PRIVATE, 1, overrides)


def test_the_setting_is_declared_and_checked(db_session):
    assert settings.get(rules.MIN_BIDS_SETTING) == rules.default_min_bids()
    for bad in ['{"direct": {"public": 1}}', '{"random": {"private": 0}}',
                '{"auction": {"public": 3}}', '[3, 1]']:
        with pytest.raises(Conflict):
            settings.update_from_text(rules.MIN_BIDS_SETTING, bad)
    settings.update_from_text(rules.MIN_BIDS_SETTING, '{"proposal": {"public": 4}}')
    overrides = settings.get(rules.MIN_BIDS_SETTING)
    assert rules.minimum_bids(SelectionMethod.PROPOSAL, Funding.PUBLIC, overrides) == 4
