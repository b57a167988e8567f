"""Demo credit history of the demo agencies (RULES.md §2): evaluations, behaviour records,
inspection results, 双公示 licences and penalties, a commendation and the lists.

Dates are days before the day the demo is loaded, spread over the past 30 months, so the
decay of old records and the display windows of penalties always show. Every row carries a
reference that does not depend on the date (a marketplace job or inspection number, a
certificate number, the violation), which is how a second run finds it already there.

The mix gives the directory every level: A (huayuan, lvyuan, antai), B, C (jincheng, jianke,
hengan), D (zhengxin, with a listing notice inside its objection window) and new (dbsqx,
guoce: no record yet); leidun is on the severe dishonesty list and jianzhi was delisted for a
fraudulent registration, so both have left the directory.
"""

from credit.models import ExitReason
from credit.rules import InspectionOutcome, RecordKind

ZRZY = "六安市自然资源和规划局"
STHJ = "六安市生态环境局"
ZJ = "六安市住房和城乡建设局"
YJ = "六安市应急管理局"
QX = "六安市气象局"
SL = "六安市水利局"
WL = "六安市文化和旅游局"
FG = "六安市发展和改革委员会"
CZ = "六安市财政局"
XF = "六安市消防救援支队"
SJJ = "六安市数据资源管理局"  # runs the marketplace; enters the provincial 双公示 licences

# Authorities as they sign 双公示 data: name → USCC parts (government body "11", region,
# organisation code; the check digit is computed) and the abbreviation of their decisions.
# A certificate issued by anyone else (an association) is no administrative licence.
AUTHORITIES = {
    "安徽省自然资源厅": (("11", "340000", "003014256"), "皖自然资许"),
    "安徽省市场监督管理局": (("11", "340000", "003010331"), "皖市监认"),
    "安徽省住房和城乡建设厅": (("11", "340000", "003011106"), "皖建许"),
    "住房和城乡建设部": (("11", "100000", "000014349"), "建许"),
    "安徽省财政厅": (("11", "340000", "003011085"), "皖财许"),
    "安徽省应急管理厅": (("11", "340000", "MB1957428"), "皖应急许"),
    "安徽省气象局": (("12", "340000", "485001627"), "皖气许"),
    "安徽省消防救援总队": (("11", "340000", "MB1938514"), "皖消许"),
    "安徽省文物局": (("11", "340000", "003012418"), "皖文物许"),
    ZRZY: (("11", "341500", "003052041"), "六自然资罚"),
    ZJ: (("11", "341500", "003052068"), "六建罚"),
    QX: (("12", "341500", "485300213"), "六气罚"),
    SL: (("11", "341500", "003052092"), "六水罚"),
    XF: (("11", "341500", "MB1965203"), "六消行罚决字"),
}

# Agencies whose certificates are not disclosed as licences: jianzhi's was forged.
NO_LICENCE = {"jianzhi"}
NO_RECORD = {"dbsqx", "guoce"}  # new subjects: no licence, no record (shown as "new")


def _owner(owner: str, rating: int, days: int, job: str, title: str, comment: str) -> dict:
    return {"kind": RecordKind.EVALUATION_OWNER, "owner": owner, "rating": rating,
            "days": days, "reference": job, "title": f"项目业主评价：{title}",
            "evidence": comment}


def _regulator(department: str, rating: int, days: int, job: str, title: str,
               comment: str) -> dict:
    return {"kind": RecordKind.EVALUATION_REGULATOR, "department": department,
            "rating": rating, "days": days, "reference": job,
            "title": f"主管部门评价：{title}", "evidence": comment}


def _inspection(department: str, outcome: InspectionOutcome, days: int, task: str,
                title: str, finding: str) -> dict:
    return {"kind": RecordKind.INSPECTION, "department": department, "outcome": outcome,
            "days": days, "reference": task, "title": f"“双随机、一公开”抽查：{title}",
            "evidence": finding,
            "legal_basis": "《国务院关于在市场监管领域全面推行部门联合“双随机、一公开”监管的意见》"
                           "（国发〔2019〕5号）"}


def _fact(kind: RecordKind, department: str, days: int, reference: str, title: str,
          evidence: str, basis: str = "《六安市网上中介服务超市管理办法》") -> dict:
    """A behaviour record (late delivery, broken commitment, complaint) or a commendation."""
    return {"kind": kind, "department": department, "days": days, "reference": reference,
            "title": title, "evidence": evidence, "legal_basis": basis}


LATE, BROKEN = RecordKind.LATE_DELIVERY, RecordKind.COMMITMENT_BROKEN
COMPLAINT, COMMENDATION = RecordKind.COMPLAINT_SUBSTANTIATED, RecordKind.COMMENDATION
NO_PROBLEM, CORRECTED = InspectionOutcome.NO_PROBLEM, InspectionOutcome.CORRECTED
PENDING, FALSE = InspectionOutcome.PENDING, InspectionOutcome.FALSE_OR_UNCOOPERATIVE

# username → its records (credit.operations.subjects.add_record), oldest last.
RECORDS: dict[str, list[dict]] = {
    "huayuan": [
        _owner("jinan_ctjt", 5, 48, "LAZJ-31042", "金安区2025年度城市建设用地勘测定界",
               "成果提交及时，界址点精度高，配合报批答复迅速。"),
        _regulator(ZRZY, 5, 44, "LAZJ-31042", "金安区2025年度城市建设用地勘测定界",
                   "勘测定界成果符合《土地勘测定界规程》，一次性通过审查。"),
        _inspection(ZRZY, NO_PROBLEM, 190, "SJCC-2207", "测绘成果质量及资质条件",
                    "抽查地籍测绘成果3宗，未发现问题。"),
        _owner("huoshan_lf", 5, 270, "LAZJ-28817", "霍山县旅游集散中心地形图测绘",
               "外业组织有序，地形图质量好。"),
        _owner("jinan_ctjt", 4, 480, "LAZJ-24409", "金安区老旧小区改造房产测绘",
               "整体满意，个别楼栋面积复核耗时较长。"),
        _regulator(ZRZY, 4, 470, "LAZJ-24409", "金安区老旧小区改造房产测绘",
                   "成果基本符合规范，经一次修改后通过。"),
        _owner("yuan_jtj", 5, 790, "LAZJ-19026", "裕安区农村公路建设项目用地勘测定界",
               "服务规范，按期交付。"),
        _fact(COMMENDATION, ZRZY, 125, "ZRZY-TB-03", "全市不动产测绘成果质量检查优秀单位",
                   "在全市不动产测绘成果质量检查中成果合格率100%，予以通报表扬。",
                   "《六安市测绘成果质量监督管理办法》"),
    ],
    "lvyuan": [
        _owner("jinan_ctjt", 5, 62, "LAZJ-30877", "金安经开区污水处理厂扩建环境影响报告书",
               "报告编制质量高，审批一次通过。"),
        _regulator(STHJ, 5, 58, "LAZJ-30877", "金安经开区污水处理厂扩建环境影响报告书",
                   "技术评估意见少，结论可信。"),
        _inspection(STHJ, NO_PROBLEM, 300, "SJCC-2031", "环评文件质量及编制人员",
                    "抽查环评报告表2份，编制规范，未发现问题。"),
        _owner("lyey", 4, 410, "LAZJ-25573", "六安市第二人民医院医疗废水处理设施竣工环保验收",
               "验收监测安排合理，报告修改一次。"),
        _owner("huoshan_lf", 5, 650, "LAZJ-21190", "大别山主峰景区游客中心环境影响评价",
               "服务周到，按期完成。"),
    ],
    "antai": [
        _owner("jinan_ctjt", 5, 95, "LAZJ-30105", "金安区城市燃气管网改造安全预评价",
               "评价报告针对性强，提出的措施可操作。"),
        _regulator(YJ, 5, 90, "LAZJ-30105", "金安区城市燃气管网改造安全预评价",
                   "评价程序规范，符合《安全评价通则》。"),
        _inspection(YJ, NO_PROBLEM, 380, "SJCC-1975", "安全评价过程控制与档案",
                    "抽查评价项目档案3份，过程记录完整。"),
        _owner("huoshan_lf", 5, 560, "LAZJ-22764", "霍山县漂流项目安全现状评价",
               "现场勘查细致，报告质量好。"),
    ],
    "wanxi_dk": [
        _owner("yuan_jtj", 4, 150, "LAZJ-29480", "裕安区S366改建工程地质灾害危险性评估",
               "评估结论清晰，现场配合较好。"),
        _fact(LATE, SJJ, 240, "LAZJ-27731", "逾期交付：霍山县东城区安置房岩土工程勘察",
                   "合同约定30个工作日交付，实际逾期6个工作日，业主未批准延期。"),
        _owner("huoshan_lf", 5, 330, "LAZJ-27731", "霍山县东城区安置房岩土工程勘察",
               "勘察报告质量好，但交付有所延迟。"),
        _regulator(ZRZY, 4, 320, "LAZJ-27102", "金安区工业园压覆矿产资源评估",
                   "评估报告经一次修改后通过评审。"),
        _owner("jinan_ctjt", 4, 720, "LAZJ-19988", "金安区工业园压覆矿产资源评估",
               "整体满意。"),
    ],
    "zhongheng": [
        _owner("jinan_ctjt", 5, 80, "LAZJ-30512", "金安区城投公司国有股权转让资产评估",
               "评估报告规范，沟通顺畅。"),
        _owner("lyey", 4, 200, "LAZJ-28433", "六安市第二人民医院设备处置资产评估",
               "按期完成，报告一次通过。"),
        _regulator(CZ, 4, 190, "LAZJ-28433", "六安市第二人民医院设备处置资产评估",
                   "评估程序合规，底稿基本完整。"),
        _owner("huoshan_lf", 2, 600, "LAZJ-22015", "霍山县旅游公司闲置资产处置评估",
               "评估人员现场工作不充分，报告两次退回修改，业主不满意。"),
    ],
    "pihe": [
        _owner("yuan_jtj", 4, 110, "LAZJ-30033", "裕安区小型水库除险加固初步设计",
               "设计深度满足要求，配合审查及时。"),
        _inspection(SL, CORRECTED, 260, "SJCC-2119", "水土保持方案编制质量",
                    "抽查发现1份方案防治措施工程量计算有误，已按要求整改。"),
        _owner("huoshan_lf", 4, 500, "LAZJ-23988", "佛子岭景区防洪影响评价",
               "报告质量较好。"),
        _regulator(SL, 4, 490, "LAZJ-23988", "佛子岭景区防洪影响评价",
                   "论证充分，经专家评审后通过。"),
    ],
    "wxsjy": [
        _owner("lyey", 4, 130, "LAZJ-29766", "六安市第二人民医院门诊楼改扩建方案设计",
               "方案合理，部分细节修改较慢。"),
        _owner("jinan_ctjt", 5, 420, "LAZJ-25240", "金安区社区服务中心施工图设计",
               "设计质量高，现场服务到位。"),
        _regulator(ZJ, 4, 410, "LAZJ-25240", "金安区社区服务中心施工图设计",
                   "施工图审查一次合格率较高。"),
        _owner("yuan_jtj", 4, 830, "LAZJ-18412", "裕安区交通综合执法站项目建议书编制",
               "按期完成。"),
    ],
    "huadi": [
        _owner("huoshan_lf", 5, 170, "LAZJ-29011", "霍山县游客服务中心工程场地地震安全性评价",
               "报告结论明确，交付及时。"),
        _inspection(YJ, PENDING, 35, "SJCC-2388", "地震安全性评价报告质量",
                    "抽查发现场地勘察原始记录不全，责令补充，待复查。"),
        _owner("jinan_ctjt", 4, 540, "LAZJ-22950", "金安区应急指挥中心岩土工程勘察",
               "整体满意。"),
        _regulator(YJ, 4, 530, "LAZJ-22950", "金安区应急指挥中心岩土工程勘察",
                   "评价工作基本规范。"),
    ],
    "wenbo": [
        _owner("huoshan_lf", 4, 210, "LAZJ-28290", "霍山县古民居保护修缮方案设计",
               "方案专业，文物部门一次审核通过。"),
        _regulator(WL, 5, 200, "LAZJ-28290", "霍山县古民居保护修缮方案设计",
                   "符合《文物保护工程管理办法》要求。"),
    ],
    "jincheng": [
        _owner("yuan_jtj", 3, 140, "LAZJ-29552", "裕安区国土空间规划村庄规划编制",
               "成果基本满足要求，但多次修改，进度偏慢。"),
        _owner("jinan_ctjt", 4, 610, "LAZJ-21877", "金安区土地复垦方案编制",
               "按期完成。"),
    ],
    "jianke": [
        _owner("jinan_ctjt", 4, 60, "LAZJ-30790", "金安区体育公园工程量清单及控制价编制",
               "清单编制较完整。"),
        _fact(COMPLAINT, ZJ, 120, "TS-0512", "投诉属实：工程结算审核未按约定派驻造价工程师",
                   "业主投诉该机构结算审核阶段未按投标承诺派驻注册造价工程师，经调查属实。"),
        _fact(LATE, SJJ, 150, "LAZJ-29320", "逾期交付：裕安区交通局办公楼维修工程结算审核",
                   "合同约定20个工作日交付，实际逾期9个工作日。"),
        _owner("yuan_jtj", 3, 160, "LAZJ-29320", "裕安区交通局办公楼维修工程结算审核",
               "结算审核质量一般，交付逾期。"),
        _regulator(ZJ, 3, 155, "LAZJ-29320", "裕安区交通局办公楼维修工程结算审核",
                   "审核底稿不完整，经督促后补正。"),
        _owner("lyey", 4, 700, "LAZJ-20041", "六安市第二人民医院住院部装修工程造价咨询",
               "整体满意。"),
    ],
    "hengan": [
        _owner("lyey", 4, 200, "LAZJ-28517", "六安市第二人民医院消防设施维护保养检测",
               "响应及时，检测报告规范。"),
        _inspection(XF, CORRECTED, 100, "SJCC-2301", "消防技术服务机构执业情况",
                    "抽查发现2份检测报告签字人员与现场人员不一致，已责令整改并完成。"),
    ],
    "zhengxin": [
        _owner("jinan_ctjt", 3, 230, "LAZJ-28115", "金安区征收地块国有土地使用权价格评估",
               "报告基本可用，沟通不够及时。"),
        _owner("yuan_jtj", 2, 400, "LAZJ-25601", "裕安区交通局划拨土地出让地价评估",
               "评估结果与市场价格偏差较大，经复核后调整。"),
    ],
    "leidun": [
        _fact(COMPLAINT, QX, 190, "TS-0478", "投诉属实：未到现场检测即出具防雷检测报告",
                   "业主投诉检测人员未到现场即出具检测报告，经气象部门调查属实。",
                   "《防雷减灾管理办法》"),
        _fact(BROKEN, SJJ, 220, "LAZJ-28011", "违反信用承诺：中选后无正当理由拒不签订合同",
                   "中选公示期满后5个工作日内未签订合同，亦未说明正当理由。"),
        _owner("lyey", 2, 380, "LAZJ-26004", "六安市第二人民医院防雷装置定期检测",
               "检测走过场，报告数据与实际不符。"),
    ],
    "jianzhi": [
        _inspection(ZJ, FALSE, 40, "SJCC-2361", "建设工程质量检测机构资质核查",
                    "该机构登记的检测资质证书经发证机关核实不存在，属提供虚假材料。"),
        _fact(BROKEN, SJJ, 38, "registration", "违反信用承诺：入驻时申报信息不实",
                   "入驻信用承诺所称资质信息真实有效，经核查资质证书系伪造。"),
    ],
}

# 双公示 penalties (cf_*), one dict of raw form values each; 严重程度 sets the display window
# (minor: at most 3 months, general: 3–12, serious: 1–3 years). Keyed by username; `days`
# is the decision date, `number` the serial of the decision within its year.
PENALTIES: dict[str, list[dict]] = {
    "jincheng": [
        {"authority": ZRZY, "days": 25, "number": 41, "severity": "轻微",
         "cf_wfxw": "未按规定报送土地规划成果备案资料",
         "cf_sy": "当事人编制的村庄规划成果未在规定期限内报送备案，经责令后已补报，危害后果轻微。",
         "cf_yj": "《安徽省实施〈中华人民共和国土地管理法〉办法》", "cf_cflb": "警告",
         "cf_nr": "警告"},
        {"authority": ZRZY, "days": 150, "number": 17, "severity": "一般",
         "cf_wfxw": "土地复垦方案编制数据失实",
         "cf_sy": "当事人编制的土地复垦方案中损毁土地面积数据与实测不符，误差超过规定限差。",
         "cf_yj": "《土地复垦条例》第四十条", "cf_cflb": "警告；罚款",
         "cf_nr": "警告，并处罚款2万元", "cf_nr_fk": "2"},
    ],
    "pihe": [
        {"authority": SL, "days": 300, "number": 9, "severity": "轻微",
         "cf_wfxw": "水土保持方案编制单位未按规定公开方案编制信息",
         "cf_sy": "当事人未按要求在全国水土保持信息管理系统公开已编制方案信息，已及时改正。",
         "cf_yj": "《中华人民共和国水土保持法》", "cf_cflb": "警告", "cf_nr": "警告"},
    ],
    "hengan": [
        {"authority": XF, "days": 95, "number": 23, "severity": "一般",
         "cf_wfxw": "消防技术服务机构出具的维护保养检测报告与实际情况不符",
         "cf_sy": "当事人为某商场出具的消防设施维护保养检测报告中，"
                  "部分消火栓检测记录与现场实际不符。",
         "cf_yj": "《中华人民共和国消防法》第六十九条第一款", "cf_cflb": "罚款",
         "cf_nr": "罚款3万元", "cf_nr_fk": "3"},
    ],
    "zhengxin": [
        {"authority": ZJ, "days": 55, "number": 36, "severity": "严重",
         "cf_wfxw": "出具虚假房地产估价报告",
         "cf_sy": "当事人为征收地块出具的房地产估价报告故意压低评估价值，经鉴定属虚假估价报告。",
         "cf_yj": "《中华人民共和国资产评估法》第四十五条；《房地产估价机构管理办法》第五十三条",
         "cf_cflb": "罚款；没收违法所得", "cf_nr": "罚款10万元，没收违法所得1.2万元",
         "cf_nr_fk": "10", "cf_nr_wfff": "1.2"},
    ],
    "leidun": [
        {"authority": QX, "days": 150, "number": 5, "severity": "严重",
         "cf_wfxw": "出具虚假防雷装置检测报告",
         "cf_sy": "当事人检测人员未到现场检测即出具防雷装置检测报告，涉及项目3个。",
         "cf_yj": "《气象灾害防御条例》第四十五条；《防雷减灾管理办法》第三十三条",
         "cf_cflb": "罚款；暂扣许可证件", "cf_nr": "罚款3万元，暂扣雷电防护装置检测资质证6个月",
         "cf_nr_fk": "3", "cf_nr_zkdx": "雷电防护装置检测资质证 皖雷检字[2021]第015号"},
    ],
}

HONOUR = {"username": "huayuan", "department": FG, "days": 100, "term_years": 2,
          "reason": "连续两年信用评价为A级、无失信记录，获评六安市守信示范中介服务机构。"}

# On the severe dishonesty list: notified long enough ago that the objection window has
# passed without objection, then listed (RULES.md §2 "Severe dishonesty list").
SEVERE_LISTED = {"username": "leidun", "department": QX, "days": 75,
                 "reason": "出具虚假防雷装置检测报告，情节严重，且中选后拒不签订合同。",
                 "legal_basis": "《国务院办公厅关于进一步完善失信约束制度构建诚信建设长效机制的"
                                "指导意见》（国办发〔2020〕49号）；《六安市网上中介服务超市管理办法》",
                 "decision": "当事人在异议期内未提出异议，依法列入严重失信主体名单。"}
# A notice still inside its five-working-day objection window.
SEVERE_NOTIFIED = {"username": "zhengxin", "department": ZJ, "days": 1,
                   "reason": "出具虚假房地产估价报告，造成国有资产损失风险。",
                   "legal_basis": "《中华人民共和国资产评估法》第四十五条；"
                                  "《六安市网上中介服务超市管理办法》"}

DELISTED = {"username": "jianzhi", "reason": ExitReason.FRAUDULENT_REGISTRATION, "days": 20,
            "detail": "入驻时提交伪造的建设工程质量检测资质证书（皖建检字第3415011号），"
                      "经安徽省住房和城乡建设厅核实该证书不存在，属以欺骗手段入驻。"}
