"""Pure marketplace rules: no database, no Flask (ARCHITECTURE.md "Layout")."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from stdnum.cn import uscc as uscc_std

from market.models import QualificationStatus

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
