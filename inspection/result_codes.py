"""The standard result codes of a random inspection (抽查检查结果, RULES.md §3 "Task") and what
each means for credit (RULES.md §3 "One public": problem found → deduction by severity;
serious non-cooperation → severe). Pure: no database, no Flask beyond lazy labels.

How a code reaches the score (credit.rules, RULES.md §2 "regulators (30 points)"):
- no problem → InspectionOutcome.no_problem (30 of 30 points);
- problem found and corrected on order → corrected (20);
- problem found, follow-up pending; unpublished mandatory information; unreachable at the
  registered address → pending (10);
- false information, serious non-cooperation → false_or_uncooperative (0).
Serious non-cooperation also tells the lead department to consider the severe-dishonesty
list procedure (RULES.md §2); listing stays the department's decision and is never automatic.
Objects that no longer exist here (deregistered, moved out) get no credit record.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from credit.rules import InspectionOutcome


@dataclass(frozen=True)
class ResultCode:
    code: str
    name_zh: str  # the national wording, printed on the record form and public pages
    label: object  # lazy msgid for the UI
    outcome: InspectionOutcome | None  # None: published, but no credit record
    severity_note: object
    needs_rectification: bool = False  # a problem was found: order and due date required
    refer_severe_list: bool = False  # tell the lead department to consider listing


RESULT_CODES: tuple[ResultCode, ...] = (
    ResultCode("no_problem", "未发现问题", _l("No problem found"),
               InspectionOutcome.NO_PROBLEM, _l("No deduction.")),
    ResultCode("corrected", "发现问题已责令改正", _l("Problem found, ordered corrected"),
               InspectionOutcome.CORRECTED, _l("Minor deduction (corrected on order)."),
               needs_rectification=True),
    ResultCode("pending", "发现问题待后续处理", _l("Problem found, further handling pending"),
               InspectionOutcome.PENDING, _l("Deduction (follow-up pending)."),
               needs_rectification=True),
    ResultCode("undisclosed", "未按规定公示应当公示的信息",
               _l("Information that must be disclosed was not disclosed"),
               InspectionOutcome.PENDING, _l("Deduction (follow-up pending)."),
               needs_rectification=True),
    ResultCode("false", "公示信息隐瞒真实情况弄虚作假",
               _l("Disclosed information concealed the truth or was falsified"),
               InspectionOutcome.FALSE_OR_UNCOOPERATIVE,
               _l("Full deduction (false information)."), needs_rectification=True),
    ResultCode("no_activity", "未发现开展本次抽查涉及的经营活动",
               _l("No business activity covered by this inspection found"),
               InspectionOutcome.NO_PROBLEM, _l("No deduction.")),
    ResultCode("unreachable", "通过登记的住所（经营场所）无法联系",
               _l("Cannot be reached at the registered address"),
               InspectionOutcome.PENDING, _l("Deduction (follow-up pending).")),
    ResultCode("uncooperative", "不配合检查情节严重", _l("Seriously refused to cooperate"),
               InspectionOutcome.FALSE_OR_UNCOOPERATIVE,
               _l("Full deduction; the lead department is asked to consider the severe "
                  "dishonesty list."), refer_severe_list=True),
    ResultCode("deregistered", "已注销", _l("Deregistered"), None,
               _l("No credit record: the subject no longer exists.")),
    ResultCode("moved_out", "已迁出", _l("Moved out of the jurisdiction"), None,
               _l("No credit record: the subject is inspected where it now is.")),
)

BY_CODE: dict[str, ResultCode] = {rc.code: rc for rc in RESULT_CODES}


def result_code(code: str | None) -> ResultCode | None:
    return BY_CODE.get(code or "")


def choices() -> list[tuple[str, str]]:
    """(code, label) for a select field."""
    return [(rc.code, str(rc.label)) for rc in RESULT_CODES]
