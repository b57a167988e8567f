"""Demo agencies and owners (fictitious organisations with plausible 六安 details).

USCCs are built from the parts below with a computed check digit (GB 32100-2015): the
registration authority and kind ("91" company, "12" public institution, "11" government
body), the six-digit region code and a nine-character organisation code. Qualification
expiries are days from the day the demo is loaded, so "expiring soon" stays true.
"""

from market.models import OwnerType

AGENCIES = [
    {
        "username": "huayuan",
        "name": "六安市华源测绘有限公司",
        "uscc": ("91", "341502", "MA2MX4R71"),
        "legal_representative": "王振华",
        "region": "341502",
        "address": "六安市金安区梅山南路156号华源大厦5楼",
        "contact": ("刘芳", "0564-3321568"),
        "email": "huayuan@example.cn",
        "staff": 46,
        "introduction": (
            "专业从事地籍测绘、工程测量和不动产测绘，"
            "拥有无人机航测和三维激光扫描设备，"
            "服务六安市各县区土地报批项目十余年。"
        ),
        "services": [
            ("ZJ-ZRZY-001", "按定界面积 500 元/公顷，每宗最低 3000 元"),
            ("ZJ-ZRZY-006", "1:500 地形图 1800 元/平方千米·幅，复杂地形上浮 20%"),
            ("ZJ-ZRZY-007", "0.8 元/平方米，单宗不足 1000 元按 1000 元计"),
            ("ZJ-ZRZY-008", "0.5 元/平方米"),
        ],
        "qualifications": [
            ("CH", "乙级", "乙测资字34501023", "安徽省自然资源厅", 700),
        ],
    },
    {
        "username": "lvyuan",
        "name": "安徽绿源环境科技有限公司",
        "uscc": ("91", "340104", "MA2RB7Q05"),
        "legal_representative": "陈立新",
        "region": "340104",
        "address": "合肥市蜀山区黄山路459号安徽留学人员创业园B座12楼",
        "contact": ("赵敏", "0551-65318820"),
        "email": "service@lvyuan.example.cn",
        "staff": 63,
        "introduction": (
            "环境影响评价、竣工环境保护验收和环境监测一站式服务机构，"
            "自有实验室通过检验检测机构资质认定。"
        ),
        "services": [
            ("ZJ-STHJ-001", "按项目投资额分档，一般项目 8–15 万元"),
            ("ZJ-STHJ-002", "2.5 万元/项起"),
            ("ZJ-STHJ-003", "按监测点位 1200 元/点·天"),
            ("ZJ-STHJ-004", "1.2 万元/项"),
            ("ZJ-STHJ-005", "0.8 万元/证"),
        ],
        "qualifications": [
            ("CMA", "—", "201812345678", "安徽省市场监督管理局", 520),
        ],
    },
    {
        "username": "wanxi_dk",
        "name": "六安市皖西地质勘察有限公司",
        "uscc": ("91", "341503", "MA2NC1L38"),
        "legal_representative": "周建国",
        "region": "341503",
        "address": "六安市裕安区皋城西路88号",
        "contact": ("孙伟", "0564-3690215"),
        "email": None,
        "staff": 52,
        "introduction": (
            "前身为地质队下属勘察院，"
            "承担地质灾害危险性评估、压覆矿产评估和岩土工程勘察。"
        ),
        "services": [
            ("ZJ-ZRZY-002", "一级评估 6 万元/项，二级 3.5 万元/项，三级 1.8 万元/项"),
            ("ZJ-ZRZY-003", "2 万元/项起"),
            ("ZJ-ZRZY-011", "按矿区面积协商，5 万元/项起"),
            ("ZJ-ZJ-001", "参照《工程勘察设计收费标准》下浮 15%"),
        ],
        "qualifications": [
            ("DZZH", "甲级", "DZPG-340011", "安徽省自然资源厅", 400),
            ("DZKC", "乙级", "DZKC-342208", "安徽省自然资源厅", 400),
            ("GCKC", "乙级", "B234012367", "安徽省住房和城乡建设厅", 900),
        ],
    },
    {
        "username": "jincheng",
        "name": "安徽金诚土地规划咨询有限公司",
        "uscc": ("91", "341502", "MA2TD6K92"),
        "legal_representative": "李卫东",
        "region": "341502",
        "address": "六安市金安区解放南路7号金诚大厦9楼",
        "contact": ("吴婷", "0564-3378102"),
        "email": "jincheng@example.cn",
        "staff": 28,
        "introduction": "土地规划、土地复垦和用地预审报告编制，熟悉六安市国土空间规划和报批流程。",
        "services": [
            ("ZJ-ZRZY-005", "按复垦区面积 1200 元/公顷，最低 1.5 万元"),
            ("ZJ-ZRZY-010", "3 万元/项起"),
            ("ZJ-ZRZY-011", "5.5 万元/项起"),
        ],
        "qualifications": [
            ("TDGH", "乙级", "TDGH-AH-2021-045", "中国土地学会", 610),
        ],
    },
    {
        "username": "zhengxin",
        "name": "六安市正信房地产土地评估有限公司",
        "uscc": ("91", "341503", "MA2PW3H64"),
        "legal_representative": "许正",
        "region": "341503",
        "address": "六安市裕安区佛子岭中路36号",
        "contact": ("黄静", "0564-3655710"),
        "email": None,
        "staff": 19,
        "introduction": "土地估价和房地产估价机构，承接出让地价评估、抵押评估和征收评估。",
        "services": [
            ("ZJ-ZRZY-004", "按评估总价差额定率累进计费，下浮 20%"),
            ("ZJ-ZJ-007", "按评估总价差额定率累进计费，单项最低 2000 元"),
        ],
        "qualifications": [
            ("TDGJ", "—", "A201834012", "中国土地估价师与土地登记代理人协会", 12),
            ("FDCGJ", "二级", "建房估证字[2020]0342", "安徽省住房和城乡建设厅", 380),
        ],
    },
    {
        "username": "zhongheng",
        "name": "安徽中衡资产评估有限公司",
        "uscc": ("91", "340103", "MA2QF8J27"),
        "legal_representative": "杨帆",
        "region": "340103",
        "address": "合肥市庐阳区阜南路169号东怡金融广场18楼",
        "contact": ("钱琳", "0551-62658830"),
        "email": "zh_pg@example.cn",
        "staff": 41,
        "introduction": "资产评估机构，业务涵盖国有资产转让、企业改制和司法鉴定评估。",
        "services": [
            ("ZJ-CZ-001", "按资产总额差额定率累进计费，协商下浮"),
        ],
        "qualifications": [
            ("ZCPG", "—", "34020045", "安徽省财政厅", 1000),
        ],
    },
    {
        "username": "antai",
        "name": "六安市安泰安全技术咨询有限公司",
        "uscc": ("91", "341502", "MA2UH5N13"),
        "legal_representative": "胡永安",
        "region": "341502",
        "address": "六安市金安区三里桥路12号",
        "contact": ("郑凯", "0564-3362419"),
        "email": "antai@example.cn",
        "staff": 24,
        "introduction": "安全评价和应急预案编制，服务危险化学品经营、非煤矿山和工贸企业。",
        "services": [
            ("ZJ-YJ-001", "预评价 3 万元/项起，现状评价 2 万元/项起"),
            ("ZJ-YJ-003", "0.6 万元/项起"),
        ],
        "qualifications": [
            ("AQPJ", "乙级", "APJ-(皖)-0317", "安徽省应急管理厅", 20),
        ],
    },
    {
        "username": "leidun",
        "name": "六安市雷盾防雷检测有限公司",
        "uscc": ("91", "341503", "MA2LK9T46"),
        "legal_representative": "马骏",
        "region": "341503",
        "address": "六安市裕安区城南镇工业园18号",
        "contact": ("何亮", "13905643218"),
        "email": None,
        "staff": 15,
        "introduction": "雷电防护装置定期检测和雷电灾害风险评估。",
        "services": [
            ("ZJ-QX-002", "执行省定基准价，下浮 10%"),
            ("ZJ-QX-003", "1.5 万元/项起"),
        ],
        # Expired a fortnight ago: the demo's example of a lapsed certificate.
        "qualifications": [
            ("LDFH", "乙级", "皖雷检字[2021]第015号", "安徽省气象局", -15),
        ],
    },
    {
        "username": "pihe",
        "name": "安徽淠河水利水电勘测设计有限公司",
        "uscc": ("91", "341503", "MA2RJ2D80"),
        "legal_representative": "宋长江",
        "region": "341503",
        "address": "六安市裕安区淠河路66号",
        "contact": ("冯磊", "0564-3619077"),
        "email": "pihe@example.cn",
        "staff": 58,
        "introduction": "水利水电工程勘测设计，水土保持方案、水资源论证和洪水影响评价。",
        "services": [
            ("ZJ-SL-001", "报告书 4 万元/项起，报告表 1.5 万元/项起"),
            ("ZJ-SL-002", "3.5 万元/项起"),
            ("ZJ-SL-003", "2.5 万元/项起"),
            ("ZJ-SL-004", "1.5 万元/项起"),
        ],
        "qualifications": [
            ("GCSJ", "乙级（水利行业）", "A234005671", "安徽省住房和城乡建设厅", 25),
        ],
    },
    {
        "username": "jianke",
        "name": "六安市建科工程造价咨询有限公司",
        "uscc": ("91", "341502", "MA2NU7E59"),
        "legal_representative": "唐晓梅",
        "region": "341502",
        "address": "六安市金安区皖西大道278号",
        "contact": ("邓洁", "0564-3287315"),
        "email": "jianke@example.cn",
        "staff": 35,
        "introduction": "全过程工程造价咨询和招标代理，常年服务政府投资项目。",
        "services": [
            ("ZJ-ZJ-004", "按工程造价 0.35% 计，最低 5000 元"),
            ("ZJ-ZJ-009", "按中标金额差额定率累进计费，下浮 30%"),
        ],
        "qualifications": [
            ("GCZJ", "甲级", "甲210340012", "安徽省住房和城乡建设厅", 800),
        ],
    },
    {
        "username": "wxsjy",
        "name": "安徽皖西建筑设计研究院有限公司",
        "uscc": ("91", "341502", "MA2PB4C17"),
        "legal_representative": "韩志刚",
        "region": "341502",
        "address": "六安市金安区人民路45号",
        "contact": ("曹雪", "0564-3322096"),
        "email": "wxsjy@example.cn",
        "staff": 112,
        "introduction": "建筑工程设计、工程咨询和安全设施设计，参与六安市多项重点公共建筑设计。",
        "services": [
            ("ZJ-ZJ-002", "参照《工程勘察设计收费标准》下浮 20%"),
            ("ZJ-YJ-002", "2.5 万元/项起"),
            ("ZJ-FG-002", "按估算投资额分档，500 万元以下项目 2 万元"),
        ],
        "qualifications": [
            ("GCSJ", "甲级（建筑行业）", "A134001248", "住房和城乡建设部", 950),
            ("GCZX", "甲级", "咨备甲字2019-0345", "中国工程咨询协会", 720),
        ],
    },
    {
        "username": "hengan",
        "name": "六安市恒安消防技术服务有限公司",
        "uscc": ("91", "341504", "MA2WE1G85"),
        "legal_representative": "邱海",
        "region": "341504",
        "address": "六安市叶集区史河路9号",
        "contact": ("袁芳", "0564-7281163"),
        "email": None,
        "staff": 22,
        "introduction": "消防设施检测、维护保养和消防安全评估。",
        "services": [
            ("ZJ-XF-001", "0.8 元/平方米，单项最低 3000 元"),
            ("ZJ-XF-002", "1.5 万元/项起"),
        ],
        "qualifications": [
            ("XFJS", "—", "皖消技服字2022-031", "安徽省消防救援总队", 480),
        ],
    },
    {
        "username": "dbsqx",
        "name": "六安市大别山气象科技服务有限公司",
        "uscc": ("91", "341525", "MA2MH6P32"),
        "legal_representative": "江波",
        "region": "341525",
        "address": "霍山县衡山镇迎驾大道12号",
        "contact": ("罗敏", "0564-5022437"),
        "email": "dbsqx@example.cn",
        "staff": 12,
        "introduction": "气候可行性论证、雷电灾害风险评估和专业气象服务。",
        "services": [
            ("ZJ-QX-001", "4 万元/项起"),
            ("ZJ-QX-003", "1.2 万元/项起"),
        ],
        "qualifications": [],
    },
    {
        "username": "guoce",
        "name": "安徽国策工程咨询有限公司",
        "uscc": ("91", "340111", "MA2TY3B68"),
        "legal_representative": "林海",
        "region": "340111",
        "address": "合肥市包河区徽州大道1068号",
        "contact": ("蒋琪", "0551-63850096"),
        "email": "guoce@example.cn",
        "staff": 47,
        "introduction": "节能评估、可行性研究和社会稳定风险评估。",
        "services": [
            ("ZJ-FG-001", "1.5 万元/项起"),
            ("ZJ-FG-002", "按估算投资额分档，协商确定"),
            ("ZJ-FG-003", "2 万元/项起"),
        ],
        "qualifications": [
            ("GCZX", "乙级", "咨备乙字2020-1127", "安徽省工程咨询协会", 560),
        ],
    },
    {
        "username": "wenbo",
        "name": "安徽文博古建筑保护工程有限公司",
        "uscc": ("91", "341524", "MA2QK5W40"),
        "legal_representative": "程德明",
        "region": "341524",
        "address": "金寨县梅山镇红军广场东路21号",
        "contact": ("汪洋", "0564-7032215"),
        "email": None,
        "staff": 18,
        "introduction": "文物保护工程勘察设计、文物影响评估和考古调查勘探配合。",
        "services": [
            ("ZJ-WL-001", "4 万元/项起"),
            ("ZJ-WL-002", "按勘探面积 6 元/平方米"),
        ],
        "qualifications": [
            ("WWBH", "乙级（勘察设计）", "文物设乙字3400SJ0018", "安徽省文物局", 840),
        ],
    },
    {
        "username": "jianzhi",
        "name": "六安市建质工程检测有限公司",
        "uscc": ("91", "341522", "MA2RM8X19"),
        "legal_representative": "高峰",
        "region": "341522",
        "address": "霍邱县城关镇蓼城路58号",
        "contact": ("段琳", "0564-6012783"),
        "email": "jianzhi@example.cn",
        "staff": 39,
        "introduction": "建设工程质量检测和房屋安全鉴定。",
        "services": [
            ("ZJ-ZJ-005", "按检测项目执行公示价目表"),
            ("ZJ-ZJ-006", "3 元/平方米，每栋最低 3000 元"),
        ],
        "qualifications": [
            ("ZLJC", "综合类", "皖建检字第3415011号", "安徽省住房和城乡建设厅", 660),
        ],
    },
    {
        "username": "huadi",
        "name": "安徽华地地震工程勘察有限公司",
        "uscc": ("91", "341523", "MA2NF2Y74"),
        "legal_representative": "范志远",
        "region": "341523",
        "address": "舒城县城关镇春秋路118号",
        "contact": ("董雪", "0564-8623301"),
        "email": None,
        "staff": 31,
        "introduction": "地震安全性评价、场地地震动参数确定和岩土工程勘察。",
        "services": [
            ("ZJ-YJ-004", "一般项目 6 万元/项起"),
            ("ZJ-ZJ-001", "参照《工程勘察设计收费标准》下浮 10%"),
        ],
        "qualifications": [
            ("GCKC", "甲级", "B134004512", "住房和城乡建设部", 750),
        ],
    },
]

OWNERS = [
    {
        "username": "jinan_ctjt",
        "name": "六安市金安区城市建设投资有限公司",
        "uscc": ("91", "341502", "MA2MT5R03"),
        "owner_type": OwnerType.ENTERPRISE,
        "region": "341502",
        "contact": ("张海涛", "0564-3376520"),
    },
    {
        "username": "lyey",
        "name": "六安市第二人民医院",
        "uscc": ("12", "341500", "485312647"),
        "owner_type": OwnerType.PUBLIC_BODY,
        "region": "341502",
        "contact": ("李娜", "0564-3387120"),
    },
    {
        "username": "yuan_jtj",
        "name": "六安市裕安区交通运输局",
        "uscc": ("11", "341503", "003052173"),
        "owner_type": OwnerType.PUBLIC_BODY,
        "region": "341503",
        "contact": ("王强", "0564-3621055"),
    },
    {
        "username": "huoshan_lf",
        "name": "霍山县旅游发展有限公司",
        "uscc": ("91", "341525", "MA2PL7D52"),
        "owner_type": OwnerType.ENTERPRISE,
        "region": "341525",
        "contact": ("朱丽", "0564-5025360"),
    },
]
