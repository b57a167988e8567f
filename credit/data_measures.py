"""The joint reward and punishment measures list (联合奖惩措施清单) the platform starts with.

Modelled on the national framework (国发〔2016〕33号 守信联合激励和失信联合惩戒, 国办发〔2019〕35号
以信用为基础的新型监管机制, 国发〔2019〕5号 "双随机、一公开") as a city implements it on its
intermediary-service marketplace: 六安市发展和改革委员会 (the city's social-credit lead)
initiates, the departments that run the system implement. Admins edit the list afterwards
(credit/views/lists.py); `load_measures` adds what is missing and leaves edited rows alone.
"""

from credit.models import ApplicationMethod, Effect, MeasureTrigger
from credit.operations.lists import MeasureInput, create_measure
from credit.queries.lists import measure_by_code

FGW = "六安市发展和改革委员会"
SJJ = "六安市数据资源管理局"  # runs the marketplace
SCJG = "六安市市场监督管理局"  # leads 双随机、一公开

GF_2016_33 = ("《国务院关于建立完善守信联合激励和失信联合惩戒制度加快推进社会诚信建设的指导意见》"
              "（国发〔2016〕33号）")
GBF_2019_35 = ("《国务院办公厅关于加快推进社会信用体系建设构建以信用为基础的新型监管机制的"
               "指导意见》（国办发〔2019〕35号）")
GF_2019_5 = ("《国务院关于在市场监管领域全面推行部门联合“双随机、一公开”监管的意见》"
             "（国发〔2019〕5号）")
GBF_2015_58 = "《国务院办公厅关于推广随机抽查规范事中事后监管的通知》（国办发〔2015〕58号）"
FGCJ_2017_1798 = ("《国家发展改革委 人民银行关于加强和规范守信联合激励和失信联合惩戒对象名单"
                  "管理工作的指导意见》（发改财金规〔2017〕1798号）")
LA_2018 = "《六安市网上中介服务超市建设实施方案》（2018年）"

AUTO = ApplicationMethod.AUTOMATIC_BLOCK
REVIEW = ApplicationMethod.FLAG_FOR_REVIEW
LEVEL, SEVERE = MeasureTrigger.LEVEL, MeasureTrigger.SEVERE_LIST
HONOUR, DELISTED = MeasureTrigger.HONOUR_LIST, MeasureTrigger.DELISTED


def _m(code, effect, trigger, value, method, content, basis, implementing=SJJ,
       public_funds_only=False) -> MeasureInput:
    return MeasureInput(code=code, content=content, legal_basis=basis,
                        initiating_department=FGW, implementing_department=implementing,
                        trigger=trigger, trigger_value=value, method=method, effect=effect,
                        public_funds_only=public_funds_only)


MEASURES: list[MeasureInput] = [
    # --- 失信联合惩戒 -------------------------------------------------------------------
    _m("LA-SXCJ-001", Effect.BAR_BIDDING, SEVERE, None, AUTO,
       "限制严重失信主体参与使用财政资金的中介服务项目竞争，不得报名、报价。",
       f"{GF_2016_33}第（十）条；{GBF_2019_35}第（十）条", public_funds_only=True),
    _m("LA-SXCJ-002", Effect.BAR_SELECTION, SEVERE, None, AUTO,
       "使用财政资金的中介服务项目中，严重失信主体不得被确定为中选机构。",
       f"{GF_2016_33}第（十）条；{GBF_2019_35}第（十）条", public_funds_only=True),
    _m("LA-SXCJ-003", Effect.RAISE_INSPECTION_RATIO, SEVERE, None, AUTO,
       "将严重失信主体列为重点监管对象，“双随机”抽查比例提高至100%，增加检查频次。",
       f"{GF_2016_33}第（十）条；{GF_2019_5}；{GBF_2019_35}第（七）条", implementing=SCJG),
    _m("LA-SXCJ-004", Effect.RAISE_INSPECTION_RATIO, LEVEL, "D", AUTO,
       "信用等级为D级的中介服务机构，“双随机”抽查比例和频次大幅提高。",
       f"{GF_2019_5}；{GBF_2019_35}第（七）条；{GBF_2015_58}", implementing=SCJG),
    _m("LA-SXCJ-005", Effect.DIRECTORY_DEMOTION, LEVEL, "C", AUTO,
       "信用等级为C级的中介服务机构在中介服务机构名录中排序靠后展示。",
       f"{GBF_2019_35}第（七）条；{LA_2018}"),
    _m("LA-SXCJ-006", Effect.DIRECTORY_DEMOTION, LEVEL, "D", AUTO,
       "信用等级为D级的中介服务机构在中介服务机构名录中排序靠后展示，并标注信用等级。",
       f"{GBF_2019_35}第（七）条；{LA_2018}"),
    _m("LA-SXCJ-007", Effect.NO_TOLERANCE_ACCEPTANCE, SEVERE, None, REVIEW,
       "严重失信主体办理相关事项时不适用容缺受理、告知承诺等便利措施。",
       f"{GF_2016_33}第（十）条；{GBF_2019_35}第（十）条"),
    _m("LA-SXCJ-008", Effect.PUBLIC_DISCLOSURE, SEVERE, None, AUTO,
       "通过中介服务超市和“信用中国（安徽六安）”网站向社会公开严重失信主体名单及失信信息。",
       f"{GF_2016_33}第（十七）条；{FGCJ_2017_1798}"),
    _m("LA-SXCJ-009", Effect.BAR_BIDDING, DELISTED, None, AUTO,
       "被清退的中介服务机构在清退期限内不得在中介服务超市承接业务，不在中介服务机构名录中展示。",
       f"{LA_2018}；{GBF_2019_35}第（十一）条"),
    # --- 守信联合激励 -------------------------------------------------------------------
    _m("LA-SXJL-001", Effect.DIRECTORY_PRIORITY, LEVEL, "A", AUTO,
       "信用等级为A级的中介服务机构在中介服务机构名录中优先展示。",
       f"{GF_2016_33}第（八）条；{GBF_2019_35}第（七）条"),
    _m("LA-SXJL-002", Effect.DIRECTORY_PRIORITY, HONOUR, None, AUTO,
       "列入红名单的中介服务机构在中介服务机构名录中优先展示，并标注“守信”。",
       f"{GF_2016_33}第（八）条；{FGCJ_2017_1798}"),
    _m("LA-SXJL-003", Effect.LOWER_INSPECTION_RATIO, LEVEL, "A", AUTO,
       "信用等级为A级的中介服务机构，适当降低“双随机”抽查比例和频次。",
       f"{GF_2019_5}；{GBF_2019_35}第（七）条", implementing=SCJG),
    _m("LA-SXJL-004", Effect.LOWER_INSPECTION_RATIO, HONOUR, None, AUTO,
       "列入红名单的中介服务机构，适当降低“双随机”抽查比例和频次。",
       f"{GF_2019_5}；{GF_2016_33}第（六）条", implementing=SCJG),
    _m("LA-SXJL-005", Effect.FAST_TRACK, LEVEL, "A", REVIEW,
       "信用等级为A级的中介服务机构办理相关事项时开辟“绿色通道”，可适用容缺受理。",
       f"{GF_2016_33}第（四）条"),
    _m("LA-SXJL-006", Effect.FAST_TRACK, HONOUR, None, REVIEW,
       "列入红名单的中介服务机构办理相关事项时开辟“绿色通道”，可适用容缺受理。",
       f"{GF_2016_33}第（四）条"),
]


def load_measures() -> int:
    """Create the measures whose code is not in the catalogue yet; how many were created.
    Idempotent: rows already there (perhaps edited by an admin) are left alone."""
    missing = [data for data in MEASURES if measure_by_code(data.code) is None]
    for data in missing:
        create_measure(data)
    return len(missing)
