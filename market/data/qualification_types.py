"""Qualification types an agency may declare and a service item may require.

Several of these were abolished or turned into a filing (备案) by the 放管服 reforms; they are
kept because agencies still declare them and owners still ask for them. Requirements stay data
an admin can change (RULES.md: defaults are settings)."""

QUALIFICATION_TYPES: list[tuple[str, str]] = [
    ("CH", "测绘资质"),
    ("GCKC", "工程勘察资质"),
    ("GCSJ", "工程设计资质"),
    ("DZZH", "地质灾害评估资质"),
    ("DZKC", "地质勘查资质"),
    ("TDGH", "土地规划资质"),
    ("TDGJ", "土地估价机构备案"),
    ("FDCGJ", "房地产估价机构资质"),
    ("CXGH", "城乡规划编制资质"),
    ("ZCPG", "资产评估资格"),
    ("AQPJ", "安全评价资质"),
    ("XFJS", "消防技术服务资质"),
    ("LDFH", "雷电防护装置检测资质"),
    ("GCZJ", "工程造价咨询"),
    ("GCJL", "工程监理资质"),
    ("GCZX", "工程咨询单位备案"),
    ("ZLJC", "建设工程质量检测资质"),
    ("CMA", "检验检测机构资质认定"),
    ("SGTSC", "施工图审查机构认定"),
    ("WWBH", "文物保护工程资质"),
    ("TZSB", "特种设备检验检测机构核准"),
    ("KJSWS", "会计师事务所执业许可"),
]
