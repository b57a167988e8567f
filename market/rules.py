"""Pure marketplace rules: no database, no Flask (ARCHITECTURE.md "Layout")."""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from stdnum.cn import uscc as uscc_std

from core.errors import Conflict
from core.randomness import choose
from credit.models import SubjectKind
from market.models import Funding, JobStatus, QualificationStatus, SelectionMethod

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# The credit commitment (信用承诺) every agency signs on registration (RULES.md §1
# "Principles"). It is a legal declaration, kept and stored in Chinese exactly as signed,
# so it is deliberately not a translatable message.
COMMITMENT_BODY = """\
信用承诺书

本单位自愿入驻网上中介服务超市，现郑重承诺：
一、本单位在平台填报的统一社会信用代码、机构基本信息、从业人员、资质证书及其有效期、\
服务事项和收费标准等全部信息真实、准确、完整、有效，不存在虚假记载或隐瞒；信息发生变化时及时更新。
二、本单位知悉平台实行零门槛入驻，所填报信息不作事前审批，由行业主管部门在事中事后依法核查，\
本单位自愿接受核查、随机抽查和社会监督，并如实提供相关材料。
三、本单位依法依规诚信经营，严格执行公示的收费标准，按约定的时限和质量提供服务，\
不以不正当手段承揽业务。
四、如有虚假承诺或违反承诺，本单位自愿承担相应法律责任，接受记入信用记录、依法公开、\
失信联合惩戒直至清退出平台等信用惩戒措施。"""


def commitment_text(name: str, uscc: str) -> str:
    """The commitment as signed: the body followed by who signs it."""
    return f"{COMMITMENT_BODY}\n\n承诺单位：{name}\n统一社会信用代码：{uscc}"


def normalise_uscc(raw: str | None) -> str:
    """Strip spaces and dashes, upper-case: the one spelling stored and compared."""
    return uscc_std.compact(raw or "").upper()


def is_valid_uscc(code: str) -> bool:
    """GB 32100-2015 length, alphabet and check digit."""
    return uscc_std.is_valid(code)


def credit_subject_kind(uscc: str) -> SubjectKind:
    """An individual business (个体工商户) registers under a code starting 92 (GB 32100-2015:
    authority 9, kind 2); every other registrant is a legal person or other organisation."""
    return SubjectKind.INDIVIDUAL_BUSINESS if uscc.startswith("92") \
        else SubjectKind.LEGAL_PERSON


def local_today(now: datetime | None = None) -> date:
    """Today's date in Asia/Shanghai, the calendar every date on the platform follows."""
    return (now or datetime.now(UTC)).astimezone(LOCAL_TZ).date()


def qualification_status(expires_on: date, today: date) -> QualificationStatus:
    """A certificate is valid through its expiry day and expired from the day after."""
    return QualificationStatus.EXPIRED if expires_on < today else QualificationStatus.VALID


EXPIRY_WARNING_DAYS = 30


def qualification_state(expires_on: date, today: date) -> str:
    """'expired', 'expiring' (valid, due within EXPIRY_WARNING_DAYS: the agency is
    reminded) or 'valid'; what profiles show next to each certificate."""
    if expires_on < today:
        return "expired"
    if (expires_on - today).days <= EXPIRY_WARNING_DAYS:
        return "expiring"
    return "valid"


# =========================================================================================
# Jobs: the transition table and the six selection methods (RULES.md §1 "Job" … "Publicity")
# =========================================================================================
# Pure: the callers load the bids, make the draw (core.randomness) and pass plain values in.
#
# Draws. A job's draw is committed when it is published (only the seed's hash is public).
# At the deadline the caller draws ALL valid bids (pick = len(bids)) and passes the revealed
# order as `draw_order` and the seed as `seed`. Random and credit-best selection follow that
# order; every other method uses it only to break ties (and optimal price for its
# coefficient). A subset's draw order is the full order with the others left out, so a
# re-run without someone needs no new draw. Called without a draw, a method that needs one
# returns an outcome with `draw_needed=True` and no winner.
#
# Re-runs. After an upheld objection, or when the winner refuses the contract, call
# `rerun_without(method, inputs, key)`: the same inputs with that bid left out.

S = JobStatus
JOB_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    S.DRAFT: frozenset({S.PUBLISHED, S.CANCELLED}),
    # An edit of a published job bumps its terms; it is not a transition.
    S.PUBLISHED: frozenset({S.CLOSED, S.CANCELLED}),
    S.CLOSED: frozenset({S.SELECTED, S.FAILED}),  # too few bids → failed (流标)
    S.SELECTED: frozenset({S.PUBLICITY}),
    # Objection upheld: re-run without the winner (→ selected) or fail.
    S.PUBLICITY: frozenset({S.AWARDED, S.SELECTED, S.FAILED}),
    # The winner refuses the contract: the next-ranked bidder (→ selected) or a new round.
    S.AWARDED: frozenset({S.CONTRACTED, S.SELECTED, S.FAILED}),
    S.CONTRACTED: frozenset({S.IN_SERVICE}),
    S.IN_SERVICE: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.ACCEPTED, S.IN_SERVICE}),  # returned deliverables → in service
    S.ACCEPTED: frozenset({S.EVALUATED}),
    S.EVALUATED: frozenset(),
    S.FAILED: frozenset(),  # a new round is a new, linked job
    S.CANCELLED: frozenset(),
}
del S

JOB_STATUS_LABELS = {
    JobStatus.DRAFT: _l("draft"),
    JobStatus.PUBLISHED: _l("open for bids"),
    JobStatus.CLOSED: _l("bidding closed"),
    JobStatus.SELECTED: _l("selected"),
    JobStatus.PUBLICITY: _l("in publicity"),
    JobStatus.AWARDED: _l("awarded"),
    JobStatus.CONTRACTED: _l("contracted"),
    JobStatus.IN_SERVICE: _l("in service"),
    JobStatus.DELIVERED: _l("delivered"),
    JobStatus.ACCEPTED: _l("accepted"),
    JobStatus.EVALUATED: _l("evaluated"),
    JobStatus.FAILED: _l("failed"),
    JobStatus.CANCELLED: _l("cancelled"),
}


def can_transition(current: JobStatus, target: JobStatus) -> bool:
    return target in JOB_TRANSITIONS[current]


def check_job_transition(job_or_status, target: JobStatus) -> None:
    """Raise Conflict unless a job in this status (a Job or a JobStatus) may move to
    `target` (RULES.md §1 "Job and its life")."""
    current = JobStatus(getattr(job_or_status, "status", job_or_status))
    if not can_transition(current, target):
        raise Conflict(_("A job that is %(current)s cannot become %(target)s.",
                         current=JOB_STATUS_LABELS[current],
                         target=JOB_STATUS_LABELS[JobStatus(target)]))


# --- selection inputs and outcome -------------------------------------------------------

FEN = Decimal("0.01")
OPTIMAL_COEFFICIENTS = (Decimal("0.95"), Decimal("0.96"), Decimal("0.97"), Decimal("0.98"))
COEFFICIENT_LABEL = "coefficient"  # the coefficient is choose(seed, "coefficient", …)
OPTIMAL_TRIM_FROM = 5  # with this many bids or more, drop one highest and one lowest
PROPOSAL_WEIGHT_KEYS = ("price", "technical", "credit")


@dataclass(frozen=True)
class BidView:
    """What selection needs of one valid bid or sign-up. `key` is the caller's stable
    identifier (the draw candidate key, e.g. the agency's USCC)."""

    key: str
    price: Decimal | None = None
    credit_score: Decimal | None = None  # 0–100, snapshot at the deadline
    technical_score: Decimal | None = None  # 0–100, the owner's score (proposal)
    submitted_at: object = None  # shown only; never decides anything


@dataclass(frozen=True)
class SelectionInputs:
    bids: tuple[BidView, ...]
    draw_order: tuple[str, ...] | None = None  # every bid key, in the draw's order
    seed: str | None = None  # the revealed seed (optimal price: coefficient)
    named_key: str | None = None  # direct: the agency the owner named
    big_list_size: int | None = None  # credit best: N (None: every sign-up)
    small_list_size: int | None = None  # credit best: M (None: the whole big list)
    weights: dict | None = None  # proposal: {"price", "technical", "credit"} summing to 100
    excluded: frozenset[str] = frozenset()  # left out by a re-run

    def __post_init__(self):
        object.__setattr__(self, "bids", tuple(self.bids))
        if self.draw_order is not None:
            object.__setattr__(self, "draw_order", tuple(self.draw_order))

    @property
    def valid(self) -> list[BidView]:
        return [bid for bid in self.bids if bid.key not in self.excluded]


@dataclass(frozen=True)
class SelectionOutcome:
    ranking: list[str]  # winner (or, credit best, the small list) first; next-ranked after
    winner: str | None  # None: the owner decides, a draw is needed, or nobody qualifies
    reference_price: Decimal | None = None  # optimal price
    coefficient: Decimal | None = None  # optimal price
    draw_needed: bool = False  # call again with draw_order / seed
    explanation: str = ""
    scores: dict[str, Decimal] = field(default_factory=dict)  # proposal: totals; credit best
    parts: dict[str, dict[str, Decimal]] = field(default_factory=dict)  # proposal breakdown
    big_list: list[str] = field(default_factory=list)  # credit best
    small_list: list[str] = field(default_factory=list)  # credit best: the owner picks one


def _needs_draw(explanation: str) -> SelectionOutcome:
    return SelectionOutcome(ranking=[], winner=None, draw_needed=True, explanation=explanation)


def _rank(bids: list[BidView], criterion: Callable[[BidView], tuple],
          draw_order: tuple[str, ...] | None) -> list[str] | None:
    """Keys ordered by `criterion`, equal criteria in draw order; None when bids tie and
    there is no draw yet."""
    if draw_order is None:
        values = [criterion(bid) for bid in bids]
        if len(set(values)) != len(values):
            return None
        return [bid.key for bid in sorted(bids, key=criterion)]
    position = {key: index for index, key in enumerate(draw_order)}
    missing = [bid.key for bid in bids if bid.key not in position]
    if missing:
        raise ValueError(f"bids missing from the draw order: {missing}")
    return [bid.key for bid in sorted(bids, key=lambda b: (criterion(b), position[b.key]))]


def _nobody() -> SelectionOutcome:
    return SelectionOutcome(ranking=[], winner=None,
                            explanation=_("There is no valid bid to select from."))


def _prices(bids: list[BidView]) -> list[Decimal]:
    if any(bid.price is None for bid in bids):
        raise ValueError("every bid of this method carries a price")
    return [bid.price for bid in bids]


# --- the six methods (RULES.md §1 "Selection methods") ----------------------------------

def select_direct(inputs: SelectionInputs) -> SelectionOutcome:
    """The agency the owner named wins if its bid is there (private money only)."""
    keys = [bid.key for bid in inputs.valid]
    if inputs.named_key in keys:
        return SelectionOutcome(ranking=[inputs.named_key], winner=inputs.named_key,
                                explanation=_("The agency named by the owner accepted."))
    return SelectionOutcome(ranking=[], winner=None,
                            explanation=_("The agency named by the owner did not respond."))


def select_random(inputs: SelectionInputs) -> SelectionOutcome:
    """The first sign-up in the draw order wins; the rest follow in that order."""
    bids = inputs.valid
    if not bids:
        return _nobody()
    if inputs.draw_order is None:
        return _needs_draw(_("A draw decides the selection."))
    ranking = _rank(bids, lambda bid: (), inputs.draw_order)
    return SelectionOutcome(ranking=ranking, winner=ranking[0],
                            explanation=_("The winner was drawn at random among the sign-ups."))


def select_lowest_price(inputs: SelectionInputs) -> SelectionOutcome:
    """The lowest price wins; equal prices are ordered by the draw."""
    bids = inputs.valid
    if not bids:
        return _nobody()
    lowest = min(_prices(bids))
    ranking = _rank(bids, lambda bid: (bid.price,), inputs.draw_order)
    if ranking is None:
        return _needs_draw(_("Equal prices: a draw decides their order."))
    tie = sum(bid.price == lowest for bid in bids) > 1
    explanation = _("The lowest price wins; a draw broke the tie at the lowest price.") if tie \
        else _("The lowest price wins.")
    return SelectionOutcome(ranking=ranking, winner=ranking[0], explanation=explanation)


def optimal_reference(prices: list[Decimal], coefficient: Decimal) -> Decimal:
    """Reference price: with 5 or more bids leave out one highest and one lowest; the mean
    of the rest × coefficient, rounded to the fen (half up). Rounded once, at the end:
    reference = round(sum(rest) × coefficient / len(rest), 0.01)."""
    rest = sorted(prices)
    if len(rest) >= OPTIMAL_TRIM_FROM:
        rest = rest[1:-1]
    return (sum(rest) * coefficient / len(rest)).quantize(FEN, rounding=ROUND_HALF_UP)


def optimal_coefficient(seed: str) -> Decimal:
    """95, 96, 97 or 98 %: OPTIMAL_COEFFICIENTS[SHA-256(seed:"coefficient") mod 4]."""
    return choose(seed, COEFFICIENT_LABEL, OPTIMAL_COEFFICIENTS)


def select_optimal_price(inputs: SelectionInputs) -> SelectionOutcome:
    """The bid closest to the reference price wins; equally close: the lower bid, then the
    draw. Every valid bid may win; the trimmed ones only do not count in the reference."""
    bids = inputs.valid
    if not bids:
        return _nobody()
    if inputs.seed is None:
        return _needs_draw(_("The coefficient is drawn when bidding closes."))
    coefficient = optimal_coefficient(inputs.seed)
    reference = optimal_reference(_prices(bids), coefficient)
    ranking = _rank(bids, lambda bid: (abs(bid.price - reference), bid.price), inputs.draw_order)
    if ranking is None:
        return _needs_draw(_("Equal prices: a draw decides their order."))
    return SelectionOutcome(
        ranking=ranking, winner=ranking[0], reference_price=reference, coefficient=coefficient,
        scores={bid.key: abs(bid.price - reference) for bid in bids},
        explanation=_("Coefficient %(c)s %%, reference price %(ref)s: the closest bid wins.",
                      c=(coefficient * 100).normalize(), ref=reference))


def select_credit_best(inputs: SelectionInputs) -> SelectionOutcome:
    """Rank sign-ups by credit score (highest first, ties in draw order), keep the top N
    (big list), take the first M of them in draw order (small list); the owner then picks
    one of the small list with `owner_pick`."""
    bids = inputs.valid
    if not bids:
        return _nobody()
    if inputs.draw_order is None:
        return _needs_draw(_("A draw decides the small list."))
    if any(bid.credit_score is None for bid in bids):
        raise ValueError("credit-best selection needs every sign-up's credit score")
    by_credit = _rank(bids, lambda bid: (-bid.credit_score,), inputs.draw_order)
    big = by_credit[:inputs.big_list_size or len(by_credit)]
    small = [key for key in inputs.draw_order if key in big][:inputs.small_list_size or len(big)]
    return SelectionOutcome(
        ranking=small, winner=None, big_list=big, small_list=small,
        scores={bid.key: bid.credit_score for bid in bids},
        explanation=_("The %(n)d best credit scores form the big list; %(m)d of them were "
                      "drawn for the owner to choose from.", n=len(big), m=len(small)))


def owner_pick(outcome: SelectionOutcome, key: str) -> SelectionOutcome:
    """The owner's choice from the small list (credit best). The rest of the small list,
    in draw order, are next-ranked."""
    if key not in outcome.small_list:
        raise Conflict(_("The owner can only choose an agency on the small list."))
    ranking = [key] + [other for other in outcome.small_list if other != key]
    return replace(outcome, ranking=ranking, winner=key,
                   explanation=_("The owner chose from the small list drawn at random."))


def check_weights(weights: dict | None) -> dict[str, Decimal]:
    """Proposal weights: price, technical and credit, none negative, summing to 100."""
    if not weights or set(weights) != set(PROPOSAL_WEIGHT_KEYS):
        raise ValueError("proposal weights are price, technical and credit")
    parsed = {name: Decimal(str(weights[name])) for name in PROPOSAL_WEIGHT_KEYS}
    if any(value < 0 for value in parsed.values()) or sum(parsed.values()) != 100:
        raise ValueError("proposal weights are not negative and add up to 100")
    return parsed


def proposal_parts(bid: BidView, lowest_price: Decimal,
                   weights: dict[str, Decimal]) -> dict[str, Decimal]:
    """Score of one proposal, each part rounded to 0.01 (half up) so the parts add up to
    the total shown:
      price     = lowest price / this price × weight_price
      technical = owner's technical score (0–100) / 100 × weight_technical
      credit    = credit score (0–100) / 100 × weight_credit
      total     = price + technical + credit (at most 100 when the weights add up to 100)."""
    parts = {
        "price": lowest_price / bid.price * weights["price"],
        "technical": bid.technical_score / 100 * weights["technical"],
        "credit": bid.credit_score / 100 * weights["credit"],
    }
    parts = {name: value.quantize(FEN, rounding=ROUND_HALF_UP) for name, value in parts.items()}
    parts["total"] = sum(parts.values())
    return parts


def select_proposal(inputs: SelectionInputs) -> SelectionOutcome:
    """Highest total score wins (`proposal_parts`); equal totals in draw order."""
    bids = inputs.valid
    if not bids:
        return _nobody()
    if any(bid.technical_score is None for bid in bids):
        raise Conflict(_("Score every proposal before the selection."))
    if any(bid.credit_score is None for bid in bids):
        raise ValueError("proposal selection needs every bid's credit score")
    weights = check_weights(inputs.weights)
    lowest = min(_prices(bids))
    parts = {bid.key: proposal_parts(bid, lowest, weights) for bid in bids}
    ranking = _rank(bids, lambda bid: (-parts[bid.key]["total"],), inputs.draw_order)
    if ranking is None:
        return _needs_draw(_("Equal total scores: a draw decides their order."))
    return SelectionOutcome(
        ranking=ranking, winner=ranking[0], parts=parts,
        scores={key: value["total"] for key, value in parts.items()},
        explanation=_("The highest total of price, technical and credit scores wins."))


# --- the registry: a method is a row of data plus one function (ARCHITECTURE "Conventions")

@dataclass(frozen=True)
class MethodSpec:
    label: object  # lazy_gettext string
    min_bids_public: int | None  # None: not allowed with public money
    min_bids_private: int
    prices: bool  # bids carry a price (else sign-ups at the owner's fixed price)
    owner_decides: bool  # direct: named at posting; credit best: picks; proposal: scores
    uses_draw: bool  # a draw is committed at publication (ties, or always)
    draw_decides: bool  # the draw decides whatever the bids (not only ties)
    select: Callable[[SelectionInputs], SelectionOutcome]


M = SelectionMethod
METHODS: dict[SelectionMethod, MethodSpec] = {
    M.DIRECT: MethodSpec(_l("Direct selection"), None, 1, prices=True, owner_decides=True,
                         uses_draw=False, draw_decides=False, select=select_direct),
    M.RANDOM: MethodSpec(_l("Random draw"), 3, 1, prices=False, owner_decides=False,
                         uses_draw=True, draw_decides=True, select=select_random),
    M.LOWEST_PRICE: MethodSpec(_l("Lowest price"), 3, 1, prices=True, owner_decides=False,
                               uses_draw=True, draw_decides=False, select=select_lowest_price),
    M.OPTIMAL_PRICE: MethodSpec(_l("Optimal price"), 3, 1, prices=True, owner_decides=False,
                                uses_draw=True, draw_decides=True, select=select_optimal_price),
    M.CREDIT_BEST: MethodSpec(_l("Best credit"), 2, 2, prices=False, owner_decides=True,
                              uses_draw=True, draw_decides=True, select=select_credit_best),
    M.PROPOSAL: MethodSpec(_l("Proposal comparison"), 2, 2, prices=True, owner_decides=True,
                           uses_draw=True, draw_decides=False, select=select_proposal),
}
del M


def select(method: SelectionMethod, inputs: SelectionInputs) -> SelectionOutcome:
    return METHODS[SelectionMethod(method)].select(inputs)


def rerun_without(method: SelectionMethod, inputs: SelectionInputs,
                  excluded_key: str) -> tuple[SelectionInputs, SelectionOutcome]:
    """Run the selection again without one bid (upheld objection, refused contract); the
    same draw order applies. Returns the new inputs (for a later re-run) and the outcome."""
    narrowed = replace(inputs, excluded=inputs.excluded | {excluded_key})
    return narrowed, select(method, narrowed)


# --- minimum bids by funding (settings an admin may override) ---------------------------

MIN_BIDS_SETTING = "market.min_bids"


def default_min_bids() -> dict[str, dict[str, int | None]]:
    return {method.value: {"public": spec.min_bids_public, "private": spec.min_bids_private}
            for method, spec in METHODS.items()}


def check_min_bids(value) -> None:
    """The admin's override: {method: {"public": n | null, "private": n}}, n ≥ 1. Direct
    selection stays closed to public money (RULES.md §1 "Principles")."""
    if not isinstance(value, dict):
        raise ValueError("an object keyed by selection method")
    for method, counts in value.items():
        if method not in {m.value for m in SelectionMethod}:
            raise ValueError(f"unknown selection method {method}")
        if not isinstance(counts, dict) or set(counts) - {"public", "private"}:
            raise ValueError(f"{method}: give \"public\" and/or \"private\"")
        for funding, count in counts.items():
            if count is None and funding == "public":
                continue
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise ValueError(f"{method}.{funding}: a whole number of at least 1")
        if method == SelectionMethod.DIRECT and counts.get("public") is not None:
            raise ValueError("direct selection is for private money only")


def declare_settings() -> None:
    from core import settings

    settings.declare(MIN_BIDS_SETTING, default_min_bids(),
                     _l("Minimum valid bids by selection method and funding"), check_min_bids)


def _is_public(funding: Funding) -> bool:
    return Funding(funding) != Funding.PRIVATE  # mixed counts as public money


def minimum_bids(method: SelectionMethod, funding: Funding,
                 overrides: dict | None = None) -> int | None:
    """Valid bids needed at the deadline; None when the method is not allowed with this
    money. `overrides` is the admin's setting (core.settings.get(MIN_BIDS_SETTING))."""
    counts = default_min_bids()[SelectionMethod(method).value]
    counts = {**counts, **((overrides or {}).get(SelectionMethod(method).value) or {})}
    return counts["public"] if _is_public(funding) else counts["private"]


def method_allowed(method: SelectionMethod, funding: Funding,
                   overrides: dict | None = None) -> bool:
    return minimum_bids(method, funding, overrides) is not None


def check_method_allowed(method: SelectionMethod, funding: Funding,
                         overrides: dict | None = None) -> None:
    if method_allowed(method, funding, overrides):
        return
    if SelectionMethod(method) == SelectionMethod.DIRECT:
        raise Conflict(_("Direct selection is only for privately funded work; public money "
                         "must be awarded competitively."))
    raise Conflict(_("%(method)s is not allowed with public money.",
                     method=METHODS[SelectionMethod(method)].label))


def is_failed(method: SelectionMethod, funding: Funding, valid_bid_count: int,
              overrides: dict | None = None) -> bool:
    """Fewer valid bids than the minimum at the deadline: the job fails (流标)."""
    check_method_allowed(method, funding, overrides)
    return valid_bid_count < minimum_bids(method, funding, overrides)
