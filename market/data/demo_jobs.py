"""Demo jobs of the four demo owners, one or more in every state of a job's life (RULES.md §1
"Job and its life"), loaded by market/demo_jobs.py through the real operations.

Each entry is one job notice. Owners, agencies and departments are named by their demo
username (market/data/demo_subjects.py) or name; service items by code. Dates are working
days relative to the day the demo is loaded (Asia/Shanghai): `published` and `deadline`
(negative: in the past). `until` is the state the job is driven to:

    draft · published · cancelled · failed · closed · publicity · awarded · in_service
    · delivered · accepted · evaluated

Only agencies offering the item with the required qualifications bid; leidun (severe list,
delisted) and jianzhi (delisted) never do. dbsqx and guoce must stay "new" credit subjects,
so they never win a job that gets evaluated. Amounts are in yuan.

Post-award jobs close 6–7 working days ago: publicity (3 working days) has ended and the
award is final, and the contract due 5 working days after the award is still ahead, so the
contract sweeper leaves the awarded one alone.
"""

from market.models import Funding, QualificationMode, SelectionMethod

PUBLIC, PRIVATE, MIXED = Funding.PUBLIC, Funding.PRIVATE, Funding.MIXED
M = SelectionMethod

JOBS: list[dict] = [
    {
        "owner": "huoshan_lf", "item": "ZJ-SL-001", "region": "341525", "until": "draft",
        "title": "霍山县东西溪乡村旅游公路工程水土保持方案编制",
        "scope": "项目位于霍山县东西溪乡，新建旅游公路全长约8.6公里，路基宽7.5米。服务内容："
                 "现场踏勘及水土流失现状调查，编制水土保持方案报告书，配合完成专家技术评审并按"
                 "评审意见修改，直至取得水行政主管部门批复。资金来源：企业自有资金。",
        "funding": PRIVATE, "method": M.DIRECT, "direct": "pihe",
        "ceiling": "68000", "floor": "50000", "service_days": 25, "deadline": 5,
    },
    {
        "owner": "jinan_ctjt", "item": "ZJ-ZRZY-001", "region": "341502", "until": "published",
        "title": "金安区2027年度城市建设用地勘测定界服务",
        "scope": "为金安区2027年度城市建设用地报批提供勘测定界服务，预计涉及用地约45宗、总面积"
                 "约260公顷。服务内容：界址点放样与测量、勘测定界图及技术报告编制、面积量算与"
                 "地类统计，配合自然资源部门审查修改。成果须符合《土地勘测定界规程》（TD/T "
                 "1008）。资金来源：企业自有资金。",
        "funding": PRIVATE, "method": M.LOWEST_PRICE,
        "ceiling": "180000", "floor": "120000", "service_days": 60,
        "published": -3, "deadline": 4, "attachment": "采购需求书.pdf",
        "bids": [("huayuan", "156800")],
    },
    {
        "owner": "yuan_jtj", "item": "ZJ-FG-002", "region": "341503", "until": "published",
        "title": "裕安区2027年农村公路提质改造工程可行性研究报告编制",
        "scope": "裕安区2027年计划实施农村公路提质改造约126公里，涉及固镇镇、独山镇、石婆店镇"
                 "等9个乡镇。服务内容：现状路况调查与交通量预测、建设方案比选、投资估算与资金"
                 "筹措、社会及环境影响分析，编制可行性研究报告并配合评审、修改至取得批复。"
                 "资金来源：财政资金。",
        "funding": PUBLIC, "method": M.PROPOSAL,
        "weights": {"price": 30, "technical": 50, "credit": 20},
        "ceiling": "380000", "floor": "260000", "service_days": 40,
        "published": -3, "deadline": 6, "attachment": "采购需求书.pdf",
        "bids": [("wxsjy", "338000", "组建12人项目组，分路网现状调查、方案比选、投资估算三个"
                                     "专业组，40个工作日内提交送审稿。"),
                 ("guoce", "312500", "采用“乡镇逐一踏勘＋交通量抽样观测”方法，配备注册咨询"
                                     "工程师3名，35个工作日内提交送审稿。")],
    },
    {
        "owner": "yuan_jtj", "item": "ZJ-ZJ-004", "region": "341503", "until": "cancelled",
        "title": "裕安区交通运输综合行政执法大队业务用房维修改造工程造价咨询",
        "scope": "维修改造工程概算约460万元。服务内容：编制工程量清单及招标控制价，施工阶段"
                 "全过程造价控制，竣工结算审核。资金来源：财政资金。",
        "funding": PUBLIC, "method": M.LOWEST_PRICE,
        "ceiling": "45000", "floor": "25000", "service_days": 60,
        "published": -6, "deadline": 2, "cancelled": -2,
        "cancel_reason": "该项目已纳入区政府2027年度集中采购目录，由区公共资源交易中心统一"
                         "组织实施，本次采购终止。",
        "bids": [("jianke", "36500")],
    },
    {
        "owner": "lyey", "item": "ZJ-STHJ-001", "region": "341502", "until": "failed",
        "title": "六安市第二人民医院门诊楼改扩建项目环境影响评价",
        "scope": "门诊楼改扩建项目总建筑面积约3.2万平方米。服务内容：编制环境影响报告书（含"
                 "医疗废水、医疗废物及辐射环境影响分析），配合生态环境部门技术评估及审批。"
                 "资金来源：财政资金。",
        "funding": PUBLIC, "method": M.LOWEST_PRICE,
        "ceiling": "120000", "floor": "80000", "service_days": 30,
        "published": -16, "deadline": -10,
        "bids": [("lvyuan", "112000")],
        # 流标 with one valid bid (public money needs three): a second round with a higher
        # budget, open now.
        "round_2": {"title": "六安市第二人民医院门诊楼改扩建项目环境影响评价（第二次）",
                    "ceiling": "150000", "published": -4, "deadline": 5,
                    "bids": [("lvyuan", "138000")]},
    },
    {
        "owner": "lyey", "item": "ZJ-ZJ-001", "region": "341502", "until": "closed",
        "title": "六安市第二人民医院门诊楼改扩建项目岩土工程勘察",
        "scope": "门诊楼改扩建项目总建筑面积约3.2万平方米，地上12层、地下2层。服务内容：详细"
                 "勘察阶段岩土工程勘察，包括钻探、原位测试、室内土工试验，编制岩土工程勘察报告"
                 "并通过施工图审查。院区正常运营期间作业，须制定安全文明施工措施。资金来源："
                 "财政资金。",
        "funding": PUBLIC, "method": M.PROPOSAL,
        "weights": {"price": 40, "technical": 40, "credit": 20},
        "ceiling": "260000", "floor": "180000", "service_days": 30,
        "published": -9, "deadline": -2,
        "bids": [("wanxi_dk", "218000", "布置勘探孔46个（控制性孔16个），夜间不作业，钻探"
                                        "泥浆集中收集外运，30个工作日提交报告。"),
                 ("huadi", "236000", "布置勘探孔52个并增做波速测试4孔，设隔音围挡，"
                                     "28个工作日提交报告。")],
    },
    {
        "owner": "jinan_ctjt", "item": "ZJ-ZRZY-011", "region": "341502", "until": "closed",
        "title": "金安区毛坦厂镇建筑用石料矿矿山地质环境保护与土地复垦方案编制",
        "scope": "矿区面积约0.42平方公里，设计生产规模50万吨/年，露天开采。服务内容：矿山地质"
                 "环境现状调查与影响评估、土地损毁预测与复垦适宜性评价，编制矿山地质环境保护与"
                 "土地复垦方案，配合专家评审及公示。资金来源：财政补助与企业自筹。",
        "funding": MIXED, "method": M.CREDIT_BEST, "big_list": 3, "small_list": 2,
        "qualification_mode": QualificationMode.ANY,
        "ceiling": "95000", "service_days": 30,
        "published": -8, "deadline": -3,
        "bids": [("wanxi_dk",), ("jincheng",)],
    },
    {
        "owner": "huoshan_lf", "item": "ZJ-ZJ-001", "region": "341525", "until": "publicity",
        "title": "霍山县佛子岭水库下游游客服务中心岩土工程勘察",
        "scope": "游客服务中心总建筑面积约6800平方米，地上3层，拟采用桩基础。服务内容：初步"
                 "勘察与详细勘察合并进行，查明场地地层结构、地下水条件及不良地质作用，编制"
                 "岩土工程勘察报告。资金来源：企业自有资金。",
        "funding": PRIVATE, "method": M.LOWEST_PRICE,
        "ceiling": "60000", "floor": "40000", "service_days": 20,
        "published": -9, "deadline": -2,
        "bids": [("wanxi_dk", "46800"), ("huadi", "52000")],
        "objection": ("huadi",
                      "中选机构拟派项目负责人同时担任霍山县东城区安置房岩土工程勘察项目负责人，"
                      "在岗履职存疑；其报价明显低于同类项目成本，勘探孔布置难以满足《岩土工程"
                      "勘察规范》要求，请求复核中选结果。"),
    },
    {
        "owner": "jinan_ctjt", "item": "ZJ-ZRZY-006", "region": "341502", "until": "awarded",
        "title": "金安区城市更新片区（一期）1:500地形图测绘",
        "scope": "测区位于金安区中市街道、东市街道，面积约2.8平方千米。服务内容：1:500数字"
                 "地形图测绘、地下管线出露点调查，成果按《城市测量规范》（CJJ/T 8）提交并通过"
                 "质检。资金来源：企业自有资金。",
        "funding": PRIVATE, "method": M.RANDOM, "fixed_price": "86000",
        "ceiling": "98000", "floor": "70000", "service_days": 25,
        "published": -13, "deadline": -6,
        "bids": [("huayuan",)],
        "contract_by": "owner",  # the owner filed it; the agency has yet to confirm
    },
    {
        "owner": "yuan_jtj", "item": "ZJ-ZJ-001", "region": "341503", "until": "in_service",
        "title": "裕安区S366改建工程（独山至石婆店段）岩土工程勘察",
        "scope": "路线全长约18.4公里，含中桥3座、涵洞26道。服务内容：路基及桥涵工点工程地质"
                 "勘察（钻探、原位测试、取样试验），编制工程地质勘察报告及图表。资金来源：财政"
                 "资金（省级交通专项资金）。",
        "funding": PUBLIC, "method": M.CREDIT_BEST, "big_list": 3, "small_list": 2,
        "ceiling": "150000", "service_days": 30,
        "published": -14, "deadline": -7,
        "bids": [("wanxi_dk",), ("huadi",)], "pick": "huadi",
        "contract_by": "agency", "amount": "138000",
        "extension": (10, "因业主调整K12+300至K13+100段线位，需补充钻孔12个及相应土工试验，"
                          "申请延长服务期10个工作日。"),
    },
    {
        "owner": "huoshan_lf", "item": "ZJ-STHJ-001", "region": "341525", "until": "delivered",
        "title": "大别山主峰景区索道工程环境影响评价",
        "scope": "索道线路斜长约2.1公里，设上、下站房各一处，位于大别山主峰景区（省级自然保护区"
                 "实验区）。服务内容：开展生态环境现状调查与评价，编制环境影响报告书，配合生态"
                 "环境部门技术评估及审批。资金来源：企业自有资金。",
        "funding": PRIVATE, "method": M.OPTIMAL_PRICE,
        "ceiling": "150000", "floor": "100000", "service_days": 40,
        "published": -14, "deadline": -7,
        "bids": [("lvyuan", "128000")],
        "contract_by": "agency",
        "deliverable": ("大别山主峰景区索道工程环境影响报告书（送审稿）.pdf",
                        "报告书送审稿电子版一份，含生态现状调查专题及植被恢复方案。"),
    },
    {
        "owner": "jinan_ctjt", "item": "ZJ-YJ-001", "region": "341502", "until": "accepted",
        "title": "金安区城市燃气管网改造（二期）工程安全预评价",
        "scope": "改造中压燃气管道约23公里、调压站2座。服务内容：危险有害因素辨识、安全条件和"
                 "安全生产条件分析，编制安全预评价报告并配合应急管理部门组织的专家评审。资金"
                 "来源：企业自有资金。",
        "funding": PRIVATE, "method": M.DIRECT, "direct": "antai",
        "ceiling": "48000", "floor": "30000", "service_days": 20,
        "published": -13, "deadline": -6,
        "bids": [("antai", "42000")],
        "contract_by": "owner",
        "deliverable": ("金安区城市燃气管网改造（二期）工程安全预评价报告.pdf",
                        "安全预评价报告（评审修改稿）及专家评审意见落实说明。"),
        "acceptance_note": "报告已按专家评审意见修改完善，同意验收。",
    },
    {
        "owner": "lyey", "item": "ZJ-FG-002", "region": "341502", "until": "evaluated",
        "title": "六安市第二人民医院门诊楼改扩建项目可行性研究报告编制",
        "scope": "门诊楼改扩建项目估算总投资约2.6亿元。服务内容：需求分析与建设规模论证、建设"
                 "方案、投资估算与资金筹措、经济社会效益分析，编制可行性研究报告并配合发展改革"
                 "部门评审直至取得批复。资金来源：财政资金。",
        "funding": PUBLIC, "method": M.PROPOSAL,
        "weights": {"price": 30, "technical": 50, "credit": 20},
        "ceiling": "360000", "floor": "240000", "service_days": 30,
        "published": -14, "deadline": -7, "attachment": "门诊楼改扩建项目建设需求.pdf",
        "bids": [("wxsjy", "336000", "由参与过三甲医院门急诊楼设计的团队承担，结合院区交通"
                                     "组织和分期施工不停诊方案论证建设规模。"),
                 ("guoce", "312000", "以医疗服务需求预测为主线，采用类比法和床均面积法论证"
                                     "建设规模，30个工作日提交送审稿。")],
        "scores": {"wxsjy": "90", "guoce": "78"},
        "contract_by": "owner",
        "deliverable": ("门诊楼改扩建项目可行性研究报告（报批稿）.pdf",
                        "可研报告报批稿及评审意见修改说明。"),
        "acceptance_note": "可研报告已通过市发展改革委组织的评审，同意验收。",
        "owner_rating": ((5, 5, 4, 5, 5),
                         "可研报告论证充分，投资估算依据可靠，评审意见落实及时；个别图表修改"
                         "稍慢。"),
        "regulator_rating": (5, 4, "报告编制符合《政府投资条例》及可研编制大纲要求，"
                                   "投资估算部分引用标准需更新。"),
    },
    {
        "owner": "huoshan_lf", "item": "ZJ-ZRZY-007", "region": "341525", "until": "evaluated",
        "title": "霍山县大别山旅游集散中心不动产测绘",
        "scope": "集散中心建筑面积约1.86万平方米（含地下车库）。服务内容：房屋面积测算、宗地图"
                 "及房产分户图绘制，成果满足不动产首次登记要求。资金来源：企业自有资金。",
        "funding": PRIVATE, "method": M.LOWEST_PRICE,
        "ceiling": "22000", "floor": "12000", "service_days": 10,
        "published": -15, "deadline": -7,
        "bids": [("huayuan", "14800")],
        "contract_by": "agency",
        "deliverable": ("大别山旅游集散中心房产测绘成果报告.pdf",
                        "房产测绘成果报告、分户图及面积计算表。"),
        "acceptance_note": "成果已通过不动产登记机构审核。",
        "owner_rating": ((5, 5, 5, 4, 5), "外业进场迅速，面积测算成果一次通过不动产登记审核。"),
        "regulator_rating": (5, 5, "成果符合《房产测量规范》（GB/T 17986），资料完整。"),
    },
]

# Complaints (投诉举报): one waiting for a ruling, one ruled. `job` names a job above by
# title; the complaint then goes to that item's department.
COMPLAINTS: list[dict] = [
    {
        "agency": "huadi", "job": "裕安区S366改建工程（独山至石婆店段）岩土工程勘察",
        "name": "陈国平", "contact": "13856412873",
        "content": "S366改建工程独山镇路段勘察钻探作业夜间施工至23时，噪声扰民，且钻孔泥浆"
                   "直接排入路边沟渠。",
        "evidence": "现场情况说明.pdf",
    },
    {
        "agency": "jincheng", "name": "王建华", "contact": "0564-3371265",
        "content": "该机构编制的村庄规划未按合同约定征求村民意见即提交审批。",
        "ruling": ("六安市自然资源和规划局", False,
                   "经核查，该机构在编制期间两次组织村民代表座谈，有会议记录、签到表及公示照片"
                   "为证，投诉反映的问题不属实。"),
    },
]
