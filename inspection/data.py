"""The inspection item list (抽查事项清单) of the demo city's departments (RULES.md §3): code,
name, legal basis, department, general or key item, method, and the catalogued service item
it checks where there is one. `load_items()` adds what is missing and changes nothing else.
"""

from sqlalchemy import select

from core.auth.models import Organisation, OrgKind, User
from core.extensions import db
from inspection import queries
from inspection.models import ItemKind
from inspection.operations import catalogue as ops
from market import queries as market_queries

ZRZY = "六安市自然资源和规划局"
STHJ = "六安市生态环境局"
ZJ = "六安市住房和城乡建设局"
YJ = "六安市应急管理局"
QX = "六安市气象局"
SC = "六安市市场监督管理局"
SL = "六安市水利局"

G, K = ItemKind.GENERAL, ItemKind.KEY

# (code, name, department, kind, method, legal basis, service item code or None)
ITEMS = [
    ("CC-ZRZY-001", "测绘资质单位从业情况检查", ZRZY, K, "书面检查、实地核查",
     "《中华人民共和国测绘法》第二十七条、第四十七条；《测绘资质管理办法》", "ZJ-ZRZY-006"),
    ("CC-ZRZY-002", "土地估价机构执业情况检查", ZRZY, G, "书面检查、抽查估价报告",
     "《中华人民共和国资产评估法》第四十一条；《中华人民共和国城市房地产管理法》第三十四条",
     "ZJ-ZRZY-004"),
    ("CC-STHJ-001", "环评文件编制单位及编制人员监督检查", STHJ, K, "书面检查、抽查环评文件",
     "《中华人民共和国环境影响评价法》第十九条、第二十条；"
     "《建设项目环境影响报告书（表）编制监督管理办法》第二十三条", "ZJ-STHJ-001"),
    ("CC-ZJ-001", "工程造价咨询企业执业行为检查", ZJ, G, "书面检查、抽查成果文件",
     "《工程造价咨询企业管理办法》第三十三条", "ZJ-ZJ-004"),
    ("CC-ZJ-002", "施工图审查机构审查行为检查", ZJ, K, "书面检查、抽查审查项目",
     "《房屋建筑和市政基础设施工程施工图设计文件审查管理办法》第二十一条", "ZJ-ZJ-003"),
    ("CC-YJ-001", "安全评价检测检验机构执业情况检查", YJ, K, "书面检查、现场核查",
     "《中华人民共和国安全生产法》第七十二条；《安全评价检测检验机构管理办法》第二十六条",
     "ZJ-YJ-001"),
    ("CC-QX-001", "雷电防护装置检测资质单位监督检查", QX, G, "书面检查、实地核查",
     "《气象灾害防御条例》第二十三条；《雷电防护装置检测资质管理办法》第二十六条",
     "ZJ-QX-002"),
    ("CC-SC-001", "中介机构收费公示情况检查", SC, G, "实地核查、网络监测",
     "《中华人民共和国价格法》第十三条；《明码标价和禁止价格欺诈规定》", None),
    ("CC-SL-001", "水土保持方案编制单位技术服务检查", SL, G, "书面检查、抽查方案",
     "《中华人民共和国水土保持法》第二十五条；《生产建设项目水土保持方案管理办法》",
     "ZJ-SL-001"),
]


def department(name: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(
        Organisation.kind == OrgKind.DEPARTMENT, Organisation.name == name))


def load_items(actor: User) -> int:
    """Add the listed items whose code is not taken and whose department exists, as `actor`
    (a platform admin). Returns how many were added."""
    added = 0
    for code, name, department_name, kind, method, basis, service_code in ITEMS:
        org = department(department_name)
        if org is None or queries.item_code_taken(code):
            continue
        service_item = market_queries.service_item_by_code(service_code) if service_code \
            else None
        ops.create_item(actor, ops.ItemInput(
            code=code, name=name, legal_basis=basis, department_id=org.id, kind=kind,
            method=method, service_item_id=service_item.id if service_item else None))
        added += 1
    return added
