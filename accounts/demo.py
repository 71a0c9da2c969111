"""The demo company's accounts, contacts, competitors and account teams, for `seed_demo`.

`manage.py seed_demo` (keyaccounts/management/commands/seed_demo.py) makes the demo
from this module and its siblings, `visits/demo.py`, `opportunities/demo.py` and
`scoring/demo.py`: the East China key-account team (manager, rep1, rep2, presales1,
pm1), an admin, 40 key accounts with competitors, about 200 contacts in their buying
centers and the accounts' teams; the size options make the same shape at benchmark
scale (`--accounts 100000 --contacts 500000`).

Every row gets a deterministic external_id (`demo-account-0001`,
`demo-contact-000001`) and every account draws from its own `random.Random`, so the same
arguments always give the same data and a second run adds nothing. Rows are made as
plain values, every one final (ids reserved from the tables' sequences, change numbers,
`created_at`), and written with `keyaccounts.bulk.insert_rows`: COPY on PostgreSQL, a
multi-row INSERT elsewhere. A chunk of accounts goes at a time, with their contacts,
competitors and team, then their visits and deals.
"""

import random
from bisect import bisect
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from django.contrib.auth.hashers import make_password

from keyaccounts.bulk import Rows, change_numbers, reserve_ids

from .duplicates import normalize_name
from .models import (
    Account,
    AccountCompetitor,
    AccountStatus,
    AccountTeamMember,
    AccountTeamRole,
    Attitude,
    BuyingRole,
    Contact,
    CreditRating,
    Industry,
    Level,
    SalesTeam,
    ThreatLevel,
    User,
)

PASSWORD = "demo12345"
BATCH_SIZE = 5000  # users (a few hundred at most)
# Accounts made and written together with their contacts, competitors, team, visits and
# deals: at the benchmark's ratios 5,000 contacts and 10,000 visits, a COPY of a few MB
# per table, while the next chunk is made.
ACCOUNT_CHUNK = 1000

# --- names ---------------------------------------------------------------------------

REGION_CITIES = {
    "华东": [
        "上海",
        "杭州",
        "南京",
        "苏州",
        "宁波",
        "无锡",
        "合肥",
        "济南",
        "青岛",
        "福州",
        "厦门",
    ],
    "华南": ["广州", "深圳", "东莞", "佛山", "珠海", "南宁", "海口"],
    "华北": ["北京", "天津", "石家庄", "太原", "呼和浩特"],
    "华中": ["武汉", "长沙", "郑州", "南昌"],
    "西南": ["成都", "重庆", "昆明", "贵阳"],
    "西北": ["西安", "兰州", "银川", "乌鲁木齐"],
    "东北": ["沈阳", "大连", "长春", "哈尔滨"],
}
REGIONS = list(REGION_CITIES)
REGION_WEIGHTS = [30, 20, 18, 12, 10, 5, 5]

# Team 1 is the demo's team; more teams (--teams) take the next names.
TEAMS = [
    ("华东大客户部", "华东"),
    ("华南大客户部", "华南"),
    ("华北大客户部", "华北"),
    ("华中大客户部", "华中"),
    ("西南大客户部", "西南"),
    ("西北大客户部", "西北"),
    ("东北大客户部", "东北"),
]

BRANDS = (
    "宏远 华信 中科 恒通 金泰 瑞丰 天成 博远 鼎盛 新锐 联创 汇能 明德 安泰 睿智 智联 东方 "
    "长风 海纳 九州 腾达 嘉禾 万向 华盛 信达 永安 同创 众诚 星辰 凯旋 泰和 远景 晨光 云帆 "
    "卓越 弘毅 中正 盛世 华辰 启明 君诚 浩宇 鑫源 金桥 新元 恒瑞 广汇 天润 正阳 德康"
).split()

# {place} is a city (now and then a region), {brand} a made-up brand.
ACCOUNT_NAMES = {
    Industry.TECHNOLOGY: [
        "{place}{brand}软件股份有限公司",
        "{place}{brand}信息技术有限公司",
        "{brand}数据科技集团",
        "{place}{brand}智能科技有限公司",
        "{place}{brand}云计算有限公司",
    ],
    Industry.FINANCE: [
        "{brand}证券股份有限公司",
        "{place}{brand}融资租赁有限公司",
        "{brand}人寿保险股份有限公司",
        "{place}{brand}村镇银行股份有限公司",
        "{place}{brand}金融控股集团",
    ],
    Industry.MANUFACTURING: [
        "{place}{brand}精密制造有限公司",
        "{place}{brand}机械股份有限公司",
        "{brand}汽车零部件集团",
        "{place}{brand}电子有限公司",
        "{brand}重工集团有限公司",
        "{place}{brand}新材料股份有限公司",
    ],
    Industry.GOVERNMENT: [
        "{place}{brand}高新区管委会",
        "{place}{brand}新区政务服务中心",
        "{place}{brand}经济技术开发区管委会",
        "{place}{brand}区大数据中心",
    ],
    Industry.EDUCATION: [
        "{place}{brand}大学",
        "{place}{brand}职业技术学院",
        "{brand}教育集团",
        "{place}{brand}实验中学",
    ],
    Industry.ENERGY: [
        "{place}{brand}能源集团",
        "{brand}新能源股份有限公司",
        "{place}{brand}电力有限公司",
        "{place}{brand}燃气集团有限公司",
        "{brand}石化有限公司",
    ],
    Industry.TELECOM: [
        "{place}{brand}通信技术有限公司",
        "{place}{brand}智联通信集团",
        "{place}{brand}光网科技有限公司",
        "{brand}移动信息服务有限公司",
    ],
    Industry.LOGISTICS: [
        "{place}{brand}物流有限公司",
        "{brand}供应链管理股份有限公司",
        "{place}{brand}国际货运代理有限公司",
        "{brand}快运集团",
    ],
    Industry.HEALTHCARE: [
        "{place}{brand}医疗集团",
        "{place}{brand}医院",
        "{brand}医药股份有限公司",
        "{place}{brand}生物科技有限公司",
    ],
    Industry.RETAIL: [
        "{place}{brand}百货集团",
        "{brand}连锁超市有限公司",
        "{place}{brand}商贸有限公司",
        "{brand}电子商务有限公司",
    ],
    Industry.OTHER: [
        "{place}{brand}文化传媒有限公司",
        "{place}{brand}建设工程集团",
        "{brand}农业发展股份有限公司",
        "{place}{brand}环保科技有限公司",
    ],
}
INDUSTRIES = list(Industry)
INDUSTRY_WEIGHTS = [12, 12, 16, 8, 7, 8, 7, 8, 8, 9, 5]

STREETS = ["科技路", "创新大道", "人民路", "解放路", "建设路", "滨江大道", "高新路", "中山路"]
DISTRICTS = ["高新区", "经济开发区", "中心城区", "新区", "自贸区"]

SURNAMES = (
    "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 林 高 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 "
    "彭 曾 肖 田 董 潘 袁 蔡 蒋 余 于 杜 叶 程 魏 苏 吕 丁 任 沈 姚 卢 傅 钟 姜 崔 谭 廖 范 汪 "
    "陆 金 石 戴 贾 韦 夏 邱 方 侯 邹 熊 孟 秦 白 江 薛 尹 段 雷 黎 史 龙 陶 贺 顾 毛 郝 龚 邵 "
    "万 钱 严 武 欧阳 司马 上官"
).split()
GIVEN_NAMES = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 霞 平 刚 桂英 建华 志强 晓东 海燕 "
    "国栋 文博 子轩 思远 雨萱 嘉怡 浩然 俊杰 欣怡 宇航 立新 建国 红梅 晓明 海涛 振华 永刚 玉兰 "
    "春燕 丹 鹏 辉 斌 颖 琳 婷 晨 凯 帆 倩 昊 建军 文静 志明 丽华 国强 晓燕 卫东 秀兰 德明 "
    "婉清 一鸣 梓涵 天佑 雪梅 少华 锦程"
).split()

# --- the buying center ---------------------------------------------------------------

# (title, department) by buying role; some industries have their own words.
TITLES = {
    BuyingRole.DECIDER: [
        ("总经理", "总经理办公室"),
        ("副总裁", "总裁办"),
        ("董事长", "董事会"),
        ("常务副总经理", "总经理办公室"),
    ],
    BuyingRole.EVALUATOR: [
        ("技术总监", "信息技术部"),
        ("CIO", "信息中心"),
        ("信息中心主任", "信息中心"),
        ("首席技术官", "研发中心"),
        ("总工程师", "技术部"),
    ],
    BuyingRole.USER: [
        ("业务部门经理", "业务部"),
        ("运营总监", "运营中心"),
        ("销售部经理", "销售部"),
        ("客服中心主任", "客服中心"),
        ("财务部经理", "财务部"),
    ],
    BuyingRole.PURCHASER: [
        ("采购经理", "采购部"),
        ("采购部主管", "采购部"),
        ("招标采购中心主任", "招标采购中心"),
        ("供应链总监", "供应链管理部"),
    ],
    BuyingRole.OTHER: [
        ("总经理助理", "总经理办公室"),
        ("财务总监", "财务部"),
        ("行政主管", "行政部"),
        ("法务经理", "法务部"),
        ("项目专员", "信息技术部"),
    ],
}
INDUSTRY_TITLES = {
    (Industry.GOVERNMENT, BuyingRole.DECIDER): [("主任", "领导班子"), ("常务副主任", "领导班子")],
    (Industry.EDUCATION, BuyingRole.DECIDER): [("校长", "校长办公室"), ("副校长", "校长办公室")],
    (Industry.HEALTHCARE, BuyingRole.DECIDER): [("院长", "院办"), ("副院长", "院办")],
    (Industry.FINANCE, BuyingRole.DECIDER): [("行长", "行领导"), ("总裁", "总裁办")],
    (Industry.GOVERNMENT, BuyingRole.EVALUATOR): [("大数据中心主任", "大数据中心")],
    (Industry.EDUCATION, BuyingRole.EVALUATOR): [("网络信息中心主任", "网络信息中心")],
    (Industry.HEALTHCARE, BuyingRole.EVALUATOR): [("信息科科长", "信息科")],
    (Industry.FINANCE, BuyingRole.EVALUATOR): [("金融科技部总经理", "金融科技部")],
    (Industry.MANUFACTURING, BuyingRole.USER): [
        ("车间主任", "生产制造部"),
        ("生产部经理", "生产部"),
    ],
    (Industry.ENERGY, BuyingRole.USER): [("生产运行部经理", "生产运行部")],
    (Industry.RETAIL, BuyingRole.USER): [("门店运营经理", "运营中心")],
    (Industry.LOGISTICS, BuyingRole.USER): [("仓储部经理", "仓储部")],
    (Industry.HEALTHCARE, BuyingRole.USER): [("医务科科长", "医务科")],
    (Industry.EDUCATION, BuyingRole.USER): [("教务处处长", "教务处")],
    (Industry.FINANCE, BuyingRole.USER): [("零售业务部总经理", "零售业务部")],
    (Industry.GOVERNMENT, BuyingRole.USER): [("政务服务科科长", "政务服务科")],
    (Industry.GOVERNMENT, BuyingRole.PURCHASER): [("政府采购专员", "财务科")],
    (Industry.EDUCATION, BuyingRole.PURCHASER): [("招标办主任", "招标办")],
    (Industry.HEALTHCARE, BuyingRole.PURCHASER): [("设备科科长", "设备科")],
}

# Attitude weights by role. Opponents in a veto role are placed on purpose only
# (the "opponent evaluator" accounts), so the demo's red flags are the intended ones.
ATTITUDES = {
    BuyingRole.DECIDER: {"supporter": 3, "neutral": 4, "skeptic": 2, "unknown": 2, "champion": 1},
    BuyingRole.EVALUATOR: {"supporter": 3, "neutral": 4, "skeptic": 2, "unknown": 1, "champion": 1},
    BuyingRole.USER: {"champion": 1, "supporter": 4, "neutral": 4, "skeptic": 1, "unknown": 1},
    BuyingRole.PURCHASER: {"supporter": 2, "neutral": 5, "skeptic": 2, "unknown": 1, "opponent": 1},
    BuyingRole.OTHER: {"supporter": 2, "neutral": 4, "skeptic": 1, "unknown": 3},
}
INFLUENCE_HIGH = {
    BuyingRole.DECIDER: 1.0,
    BuyingRole.EVALUATOR: 0.6,
    BuyingRole.USER: 0.15,
    BuyingRole.PURCHASER: 0.2,
    BuyingRole.OTHER: 0.05,
}
EXTRA_ROLES = [
    BuyingRole.USER,
    BuyingRole.USER,
    BuyingRole.EVALUATOR,
    BuyingRole.OTHER,
    BuyingRole.OTHER,
    BuyingRole.PURCHASER,
]

JOB_INTERESTS = {
    BuyingRole.DECIDER: [
        "投资回报与降本增效",
        "集团数字化转型战略落地",
        "年度经营指标达成",
        "控制项目风险",
    ],
    BuyingRole.EVALUATOR: [
        "技术方案可行性与系统稳定性",
        "与现有系统的集成",
        "信创国产化替代",
        "数据安全与等保合规",
    ],
    BuyingRole.USER: ["系统易用，减少加班", "业务流程效率提升", "部门绩效考核", "减少手工报表"],
    BuyingRole.PURCHASER: [
        "供应商资质合规",
        "单位功能价格",
        "按时交付与付款条款",
        "采购流程可审计",
    ],
    BuyingRole.OTHER: ["了解项目进展", "配合领导安排", "部门预算控制"],
}
PERSONAL_INTERESTS = [
    "希望年内晋升",
    "重视在行业内的个人影响力",
    "希望项目成为个人业绩亮点",
    "求稳，不愿承担风险",
    "关注子女升学，周末较忙",
    "希望多参加行业峰会",
]
PERSONALITIES = [
    "雷厉风行，看重结果",
    "谨慎细致，喜欢用数据说话",
    "健谈，善于沟通",
    "保守稳健，决策慢",
    "技术出身，注重细节",
    "强势，控制欲较强",
    "随和，但不轻易表态",
]
PRESSURES = {
    BuyingRole.DECIDER: [
        "董事会要求今年利润增长15%",
        "上级考核数字化转型指标",
        "新业务扩张资金紧张",
    ],
    BuyingRole.EVALUATOR: ["老系统频繁故障", "人手不足，项目太多", "等保测评即将到期"],
    BuyingRole.USER: ["业务量增长快，人手紧张", "月底结账压力大", "客户投诉率考核"],
    BuyingRole.PURCHASER: ["年度采购降本指标5%", "审计检查采购流程", "供应商数量需压缩"],
    BuyingRole.OTHER: ["工作繁杂，时间紧张", "新岗位，需要做出成绩"],
}
HOBBIES = [
    "高尔夫",
    "钓鱼",
    "羽毛球",
    "茶道",
    "摄影",
    "马拉松",
    "书法",
    "登山",
    "围棋",
    "红酒",
    "自驾游",
    "足球",
]

COMPETITORS = {
    "华为": (["品牌强、产品线全", "本地服务网络广", "与高层关系深"], ["价格偏高", "定制化响应慢"]),
    "用友": (
        ["国内ERP占有率高", "财务模块成熟", "信创适配早"],
        ["大型集团实施周期长", "二次开发成本高"],
    ),
    "金蝶": (["云产品迭代快", "中型企业口碑好"], ["大客户高端案例少", "行业方案深度不足"]),
    "SAP": (["国际品牌，流程最佳实践", "跨国集团首选"], ["实施费用高", "本地化和信创受限"]),
    "Oracle": (["数据库与套件一体，性能强", "金融行业案例多"], ["许可费用高", "国产化替代压力大"]),
    "浪潮": (["政府与国企关系深", "信创产品齐全"], ["软件产品体验一般", "服务响应慢"]),
    "东软": (["医疗和政府行业经验丰富", "实施团队规模大"], ["产品标准化程度低", "价格战明显"]),
    "阿里云": (["云资源价格低", "生态伙伴多"], ["私有化部署经验少", "行业理解偏浅"]),
    "新华三": (["网络设备份额高", "渠道覆盖广"], ["软件应用能力弱", "方案偏硬件"]),
    "中软国际": (["人力外包成本低", "大客户驻场服务"], ["自有产品少", "人员流动大"]),
}
COMPETITOR_NAMES = list(COMPETITORS)

CUSTOMER_MARKETS = {
    Industry.TECHNOLOGY: "大型国企、金融机构和政府部门的信息化项目",
    Industry.FINANCE: "个人客户、中小企业和地方平台公司",
    Industry.MANUFACTURING: "国内整车厂和家电企业，约三成出口欧美",
    Industry.GOVERNMENT: "辖区企业与市民（政务服务对象）",
    Industry.EDUCATION: "在校学生、继续教育学员和合作企业",
    Industry.ENERGY: "电网公司、工业园区和城市居民用户",
    Industry.TELECOM: "运营商、政企专网客户和个人用户",
    Industry.LOGISTICS: "电商平台、制造企业和跨境贸易商",
    Industry.HEALTHCARE: "区域患者、医保机构和基层医疗机构",
    Industry.RETAIL: "城市家庭客户和线上会员",
    Industry.OTHER: "地方政府项目和企业客户",
}
LOGISTICS = [
    "自建仓储，干线运输外包第三方",
    "全国五大区域配送中心",
    "以供应商直送为主",
    "冷链自营，城市配送外包",
    "华东、华南两个中心仓",
]
POLICY_FACTORS = {
    Industry.TECHNOLOGY: "数据出境安全评估；信创适配要求",
    Industry.FINANCE: "金融监管信息科技要求；等保三级；核心系统国产化",
    Industry.MANUFACTURING: "ISO 9001 / IATF 16949 质量体系；环保排放标准",
    Industry.GOVERNMENT: "政府采购法，须公开招标；信创国产化",
    Industry.EDUCATION: "教育信息化2.0；采购须公开招标",
    Industry.ENERGY: "安全生产与环保要求严格；关键信息基础设施保护",
    Industry.TELECOM: "工信部网络安全规定；数据安全法",
    Industry.LOGISTICS: "交通运输行业标准；海关数据对接要求",
    Industry.HEALTHCARE: "医疗数据安全与隐私保护；等保三级；电子病历评级",
    Industry.RETAIL: "个人信息保护法合规；支付安全要求",
    Industry.OTHER: "",
}

# (employees low, high), revenue per employee in 10k CNY (low, high) or None.
SIZES = {
    Industry.TECHNOLOGY: ((200, 20000), (60, 200)),
    Industry.FINANCE: ((500, 60000), (150, 600)),
    Industry.MANUFACTURING: ((500, 80000), (40, 150)),
    Industry.GOVERNMENT: ((80, 2000), None),
    Industry.EDUCATION: ((500, 8000), (15, 40)),
    Industry.ENERGY: ((1000, 100000), (150, 500)),
    Industry.TELECOM: ((500, 50000), (80, 300)),
    Industry.LOGISTICS: ((300, 50000), (40, 120)),
    Industry.HEALTHCARE: ((300, 20000), (30, 100)),
    Industry.RETAIL: ((200, 100000), (30, 150)),
    Industry.OTHER: ((100, 10000), (30, 100)),
}
NET_MARGIN = {
    Industry.TECHNOLOGY: (-8, 25),
    Industry.FINANCE: (15, 40),
    Industry.MANUFACTURING: (2, 12),
    Industry.ENERGY: (3, 15),
    Industry.TELECOM: (5, 20),
    Industry.LOGISTICS: (1, 8),
    Industry.HEALTHCARE: (5, 18),
    Industry.RETAIL: (1, 6),
    Industry.OTHER: (2, 10),
}
INVENTORY_DAYS = {
    Industry.MANUFACTURING: (30, 120),
    Industry.RETAIL: (20, 75),
    Industry.ENERGY: (15, 60),
    Industry.HEALTHCARE: (30, 90),
    Industry.LOGISTICS: (5, 20),
}
STATUS_WEIGHTS = {
    AccountStatus.PROSPECT: 25,
    AccountStatus.DEVELOPING: 30,
    AccountStatus.ACTIVE: 30,
    AccountStatus.DORMANT: 10,
    AccountStatus.LOST: 5,
}
CREDIT_WEIGHTS = {
    CreditRating.AAA: 8,
    CreditRating.AA: 15,
    CreditRating.A: 25,
    CreditRating.BBB: 20,
    CreditRating.BB: 10,
    CreditRating.B: 5,
    CreditRating.CCC: 2,
    CreditRating.UNRATED: 15,
}


GROWTH_WEIGHTS = {Level.LOW: 3, Level.MEDIUM: 5, Level.HIGH: 2}
PURCHASE_COST_WEIGHTS = {Level.LOW: 2, Level.MEDIUM: 5, Level.HIGH: 3}
TECHNOLOGY_WEIGHTS = {Level.LOW: 2, Level.MEDIUM: 4, Level.HIGH: 4}
THREAT_WEIGHTS = {ThreatLevel.LOW: 2, ThreatLevel.MEDIUM: 5, ThreatLevel.HIGH: 3}
# Our share of the account's purchases (%), low and high, by status.
SHARES = {
    AccountStatus.PROSPECT: (0, 0),
    AccountStatus.DEVELOPING: (0, 10),
    AccountStatus.ACTIVE: (10, 60),
    AccountStatus.DORMANT: (5, 30),
    AccountStatus.LOST: (0, 0),
}


class Weighted:
    """A weighted draw: `pick(rng)` is `rng.choices(values, weights)[0]`, the same value
    from the same generator state, with the running totals worked out once instead of
    on every draw (millions of draws at benchmark size)."""

    def __init__(self, weights: dict):
        self.values = list(weights)
        self.totals = list(accumulate(weights.values()))
        self.total = self.totals[-1] + 0.0
        self.last = len(self.values) - 1

    def pick(self, rng: random.Random):
        return self.values[bisect(self.totals, rng.random() * self.total, 0, self.last)]


_WEIGHTED = {}


def weighted(rng: random.Random, weights: dict):
    """`rng.choices(list(weights), weights=weights.values())[0]` for a dict of weights
    that never changes (the module's tables)."""
    draw = _WEIGHTED.get(id(weights))
    if draw is None or draw[0] is not weights:
        draw = _WEIGHTED[id(weights)] = (weights, Weighted(weights))
    return draw[1].pick(rng)


def money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def chinese_name(rng: random.Random) -> tuple[str, str]:
    """(surname, given name)."""
    return rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)


ACCOUNT_PREFIX = "demo-account-"
CONTACT_PREFIX = "demo-contact-"


def account_external_id(i: int) -> str:
    return f"{ACCOUNT_PREFIX}{i:04d}"


def contact_external_id(n: int) -> str:
    return f"{CONTACT_PREFIX}{n:06d}"


INDUSTRY_PICK = Weighted(dict(zip(INDUSTRIES, INDUSTRY_WEIGHTS, strict=True)))
REGION_PICK = Weighted(dict(zip(REGIONS, REGION_WEIGHTS, strict=True)))
COMPETITOR_COUNT = Weighted({0: 1, 1: 4, 2: 4, 3: 2})
# Titles a contact of a role can have in an industry: the industry's own words count twice.
ROLE_TITLES = {
    (industry, role): TITLES[role] + INDUSTRY_TITLES.get((industry, role), []) * 2
    for industry in INDUSTRIES
    for role in TITLES
}


# --- the people on our side ----------------------------------------------------------


@dataclass
class Staff:
    """The demo's users, by username, and which team each rep works in."""

    users: dict
    teams: list  # [(SalesTeam, manager User, [rep User, ...], region)]
    reps: list = field(default_factory=list)  # rep1..repN, in order
    team_of: dict = field(default_factory=dict)  # username -> team index
    manager_of: dict = field(default_factory=dict)  # user id -> their team's manager id
    created_users: int = 0
    created_teams: int = 0


def staff_plan(*, reps: int, teams: int, seed: int) -> tuple[list[dict], list[dict]]:
    """What users and teams the options ask for, as plain specs."""
    team_specs = []
    for t in range(teams):
        name, region = TEAMS[t] if t < len(TEAMS) else (f"大客户{t + 1}部", REGIONS[t % 7])
        team_specs.append(
            {"name": name, "region": region, "manager": "manager" if t == 0 else f"manager{t + 1}"}
        )
    fixed_names = {
        "manager": ("王", "建国"),
        "rep1": ("李", "明"),
        "rep2": ("张", "婷"),
        "presales1": ("陈", "浩然"),
        "pm1": ("刘", "洋"),
    }
    user_specs = [{"username": "admin", "team": None, "superuser": True}]
    user_specs += [{"username": spec["manager"], "team": t} for t, spec in enumerate(team_specs)]
    for k in range(1, reps + 1):
        # rep1 and rep2 are the demo's pair on team 1; the rest go round the teams.
        team = 0 if k <= 2 else (k - 2) % teams
        user_specs.append({"username": f"rep{k}", "team": team, "rep": True})
    user_specs += [{"username": "presales1", "team": 0}, {"username": "pm1", "team": 0}]
    for spec in user_specs:
        if spec["username"] in fixed_names:
            spec["name"] = fixed_names[spec["username"]]
        elif spec["username"] != "admin":
            spec["name"] = chinese_name(random.Random(f"{seed}:{spec['username']}"))
    return user_specs, team_specs


def ensure_staff(*, reps: int, teams: int, seed: int) -> Staff:
    """Users by username and teams by name: create what is missing, keep what exists."""
    user_specs, team_specs = staff_plan(reps=reps, teams=teams, seed=seed)
    usernames = [spec["username"] for spec in user_specs]
    users = User.objects.in_bulk(usernames, field_name="username")
    new_users = []
    for spec in user_specs:
        if spec["username"] in users:
            continue
        surname, given = spec.get("name", ("", ""))
        new_users.append(
            User(
                username=spec["username"],
                first_name=given,
                last_name=surname,
                email=f"{spec['username']}@example.com",
                is_staff=spec.get("superuser", False),
                is_superuser=spec.get("superuser", False),
            )
        )
    if new_users:
        password = make_password(PASSWORD)  # hashed once: the slow hasher runs one time
        for user in new_users:
            user.password = password
    User.objects.bulk_create(new_users, batch_size=BATCH_SIZE)
    if any(user.pk is None for user in new_users):
        users = User.objects.in_bulk(usernames, field_name="username")
    else:
        users.update({user.username: user for user in new_users})

    team_names = [spec["name"] for spec in team_specs]
    existing_teams = SalesTeam.objects.in_bulk(team_names, field_name="name")
    new_teams = [
        SalesTeam(name=spec["name"], manager=users[spec["manager"]])
        for spec in team_specs
        if spec["name"] not in existing_teams
    ]
    SalesTeam.objects.bulk_create(new_teams)
    if new_teams:
        existing_teams = SalesTeam.objects.in_bulk(team_names, field_name="name")

    # Only users made now join their team; an existing user keeps whatever team they have.
    new_usernames = {user.username for user in new_users}
    joined = []
    for spec in user_specs:
        user = users[spec["username"]]
        if spec["username"] in new_usernames and spec["team"] is not None:
            user.sales_team = existing_teams[team_names[spec["team"]]]
            joined.append(user)
    User.objects.bulk_update(joined, ["sales_team"], batch_size=BATCH_SIZE)

    staff = Staff(users=users, teams=[], created_users=len(new_users), created_teams=len(new_teams))
    for t, spec in enumerate(team_specs):
        reps_in_team = [users[s["username"]] for s in user_specs if s.get("rep") and s["team"] == t]
        staff.teams.append(
            (existing_teams[spec["name"]], users[spec["manager"]], reps_in_team, spec["region"])
        )
        staff.team_of[spec["manager"]] = t
    for spec in user_specs:
        if spec.get("rep"):
            staff.reps.append(users[spec["username"]])
            staff.team_of[spec["username"]] = spec["team"]
    # Whoever their team is now: users that existed before keep theirs.
    managers = dict(
        SalesTeam.objects.filter(
            pk__in={user.sales_team_id for user in users.values()} - {None}
        ).values_list("pk", "manager_id")
    )
    staff.manager_of = {user.pk: managers.get(user.sales_team_id) for user in users.values()}
    return staff


# --- one account and everything that hangs off it ------------------------------------


@dataclass
class AccountPlan:
    index: int
    rng: random.Random
    account: dict  # the Account's values by attname
    team: list  # [(User, role)]
    contacts: list = field(default_factory=list)  # [(the Contact's values, is_decider)]
    competitors: list = field(default_factory=list)  # [AccountCompetitor values]


@dataclass(slots=True)
class DemoContact:
    pk: int
    buying_role: str
    attitude: str


@dataclass
class DemoAccount:
    """A demo account just written, as visits/demo.py and opportunities/demo.py need it."""

    index: int  # the account's number in the demo (1..N)
    pk: int
    owner_id: int
    status: str
    manager_id: int | None  # the manager of the owner's sales team
    contacts: list  # [DemoContact], in the order they were made
    team: list  # [(user id, role)] on its account team besides the owner, as planned
    competitors: list  # [AccountCompetitor values], in the order they were made


class Generator:
    """Makes the values of new rows; every account draws from its own seeded Random."""

    def __init__(self, *, seed: int, staff: Staff, accounts: int, contacts: int):
        self.seed = seed
        self.staff = staff
        self.reps = staff.reps
        self.brands = random.Random(f"{seed}:brands").sample(BRANDS, len(BRANDS))
        self.presales = staff.users["presales1"]
        self.pm = staff.users["pm1"]
        # Contacts per account vary (3 to 7 at the default ratio) but add up to exactly
        # --contacts: cumulative rounding over per-account weights.
        weights_rng = random.Random(seed)
        cumulative = list(accumulate(0.6 + 0.8 * weights_rng.random() for _ in range(accounts)))
        total = cumulative[-1] if cumulative else 1.0
        self.contact_starts = [0] + [round(contacts * c / total) for c in cumulative]

    # The buying-center gaps the demo should show, spread evenly by account number.
    @staticmethod
    def lacks_decider(i: int) -> bool:
        return i % 8 == 3

    @staticmethod
    def lacks_coach(i: int) -> bool:
        return i % 7 == 5

    @staticmethod
    def opponent_evaluator(i: int) -> bool:
        return i % 9 == 4

    def plan(self, i: int) -> AccountPlan:
        rng = random.Random(self.seed * 1_000_003 + i)
        owner, team_index = self.owner_of(i)
        _, manager, teammates, team_region = self.staff.teams[team_index]

        # The first accounts take every industry once, so even a tiny demo shows them all.
        if i <= len(INDUSTRIES):
            industry = INDUSTRIES[i - 1]
        else:
            industry = INDUSTRY_PICK.pick(rng)
        if rng.random() < 0.6:
            region = team_region
        else:
            region = REGION_PICK.pick(rng)
        city = rng.choice(REGION_CITIES[region])
        place = region if rng.random() < 0.08 else city
        # Distinct brands for the first accounts keep the small demo free of twin names.
        brand = self.brands[i - 1] if i <= len(self.brands) else rng.choice(BRANDS)
        name = rng.choice(ACCOUNT_NAMES[industry]).format(place=place, brand=brand)
        status = weighted(rng, STATUS_WEIGHTS)
        account = {
            "external_id": account_external_id(i),
            "name": name,
            "name_key": normalize_name(name),  # what Account.save would store
            "industry": industry,
            "region": region,
            "status": status,
            "owner_id": owner.pk,
            "website": f"https://www.demo{i:04d}.example.com",
            "address": f"{city}市{rng.choice(DISTRICTS)}{rng.choice(STREETS)}"
            f"{rng.randint(1, 999)}号",
            "customer_markets": CUSTOMER_MARKETS[industry],
            "logistics": (
                ""
                if industry in (Industry.GOVERNMENT, Industry.EDUCATION)
                else rng.choice(LOGISTICS)
            ),
            "policy_factors": POLICY_FACTORS[industry],
            "growth_potential": weighted(rng, GROWTH_WEIGHTS),
            "purchase_cost_level": weighted(rng, PURCHASE_COST_WEIGHTS),
            "technology_content": weighted(rng, TECHNOLOGY_WEIGHTS),
            "notes": "",
        }
        self.fill_numbers(rng, account)

        team = []
        if i % 7 == 1 and owner in teammates:
            # A few accounts are worked by two reps together.
            others = [rep for rep in teammates if rep != owner]
            if others:
                team.append((others[0], AccountTeamRole.SALES_REP))
        if team_index == 0:
            if rng.random() < 0.45:
                team.append((self.presales, AccountTeamRole.PRESALES))
            if status in (AccountStatus.ACTIVE, AccountStatus.DEVELOPING) and rng.random() < 0.5:
                team.append((self.pm, AccountTeamRole.PROJECT_MANAGER))
        # The executive sponsor joins the biggest accounts and a few others.
        big = account.get("annual_budget") is not None and account["annual_budget"] >= 10000
        if owner != manager and (big or rng.random() < 0.2):
            team.append((manager, AccountTeamRole.EXECUTIVE_SPONSOR))

        plan = AccountPlan(index=i, rng=rng, account=account, team=team)
        for name in rng.sample(COMPETITOR_NAMES, COMPETITOR_COUNT.pick(rng)):
            strengths, weaknesses = COMPETITORS[name]
            plan.competitors.append(
                {
                    "name": name,
                    "strengths": "；".join(rng.sample(strengths, min(2, len(strengths)))),
                    "weaknesses": rng.choice(weaknesses),
                    "threat": weighted(rng, THREAT_WEIGHTS),
                }
            )
        self.plan_contacts(plan, industry=industry, manager=manager)
        opposed = any(
            contact["buying_role"] == BuyingRole.EVALUATOR
            and contact["attitude"] == Attitude.OPPONENT
            for contact, _ in plan.contacts
        )
        if self.opponent_evaluator(i) and opposed and not account["notes"]:
            account["notes"] = "技术评估负责人倾向竞争对手方案，需尽快安排技术交流。"
        return plan

    def owner_of(self, i: int) -> tuple[User, int]:
        rep = self.reps[(i - 1) % len(self.reps)]
        team_index = self.staff.team_of[rep.username]
        if i % 20 == 0:
            # Managers keep a couple of strategic accounts themselves.
            return self.staff.teams[team_index][1], team_index
        return rep, team_index

    def fill_numbers(self, rng: random.Random, account: dict) -> None:
        industry = account["industry"]
        (low, high), per_head = SIZES[industry]
        employees = round(low * (high / low) ** rng.random())
        account["employees"] = employees
        if per_head is None:
            budget = employees * rng.uniform(1, 5)
        else:
            revenue = employees * rng.uniform(*per_head)
            account["annual_revenue"] = money(revenue)
            budget = revenue * rng.uniform(0.002, 0.015)
        budget = max(budget, 30.0)
        account["annual_budget"] = money(budget)
        account["category_purchases"] = money(budget * rng.uniform(0.5, 1.0))
        account["our_share"] = money(rng.uniform(*SHARES[account["status"]]))
        expected = budget * rng.uniform(0.1, 0.4)
        account["expected_sales"] = money(expected)
        account["expected_profit"] = money(expected * rng.uniform(0.15, 0.35))
        account["cost_to_serve"] = money(expected * rng.uniform(0.05, 0.25))

        if industry == Industry.GOVERNMENT:
            account["credit_rating"] = rng.choice([CreditRating.AAA, CreditRating.UNRATED])
            account["payment_cycle_days"] = rng.choice([90, 120, 180, 240])
            return
        account["credit_rating"] = weighted(rng, CREDIT_WEIGHTS)
        if industry == Industry.FINANCE:
            account["debt_to_asset_ratio"] = money(rng.uniform(85, 93))
            account["return_on_assets"] = money(rng.uniform(0.5, 1.5))
        elif industry == Industry.EDUCATION:
            account["debt_to_asset_ratio"] = money(rng.uniform(20, 50))
        else:
            account["debt_to_asset_ratio"] = money(rng.uniform(30, 75))
            account["return_on_assets"] = money(rng.uniform(0.5, 12))
        if industry in NET_MARGIN:
            account["net_profit_margin"] = money(rng.uniform(*NET_MARGIN[industry]))
        if industry == Industry.EDUCATION:
            account["payment_cycle_days"] = rng.choice([60, 90, 120, 180])
        elif industry == Industry.FINANCE:
            account["payment_cycle_days"] = rng.choice([30, 45, 60])
        else:
            account["payment_cycle_days"] = rng.choice([30, 45, 60, 90, 120, 150, 180])
        if industry in INVENTORY_DAYS:
            account["inventory_cycle_days"] = rng.randint(*INVENTORY_DAYS[industry])

    def plan_contacts(self, plan: AccountPlan, *, industry: str, manager: User) -> None:
        i, rng, account = plan.index, plan.rng, plan.account
        start, end = self.contact_starts[i - 1], self.contact_starts[i]
        count = end - start
        if count <= 0:
            return
        if self.lacks_decider(i):
            roles = [BuyingRole.EVALUATOR, BuyingRole.USER, BuyingRole.PURCHASER]
        else:
            roles = [
                BuyingRole.DECIDER,
                BuyingRole.EVALUATOR,
                BuyingRole.USER,
                BuyingRole.PURCHASER,
            ]
        roles += [rng.choice(EXTRA_ROLES) for _ in range(max(0, count - len(roles)))]
        roles = roles[:count]
        on_team = {user.pk for user, _ in plan.team}
        first_competitor = plan.competitors[0]["name"] if plan.competitors else "竞争对手"
        owner_id = account["owner_id"]

        for n, role in enumerate(roles):
            surname, given = chinese_name(rng)
            title, department = rng.choice(ROLE_TITLES[industry, role])
            attitude = weighted(rng, ATTITUDES[role])
            notes = ""
            if (
                role == BuyingRole.EVALUATOR
                and self.opponent_evaluator(i)
                and (BuyingRole.EVALUATOR not in roles[:n])
            ):
                attitude = Attitude.OPPONENT
                notes = f"倾向于{first_competitor}的方案，认为我方产品在本行业案例不足。"
            if rng.random() < INFLUENCE_HIGH[role]:
                influence = Level.HIGH
            else:
                influence = Level.MEDIUM if rng.random() < 0.6 else Level.LOW
            if role == BuyingRole.DECIDER and (manager.pk in on_team or manager.pk == owner_id):
                # The multi-level communication system: our executive meets their decider.
                relationship_owner_id = manager.pk
            elif role == BuyingRole.EVALUATOR and self.presales.pk in on_team:
                relationship_owner_id = self.presales.pk
            else:
                relationship_owner_id = owner_id
            known = rng.random() < 0.7
            number = start + n + 1
            phone = f"1{rng.choice('3589')}{rng.randrange(10)}{rng.randrange(10**8):08d}"
            email = f"contact{number}@demo{i:04d}.example.com" if rng.random() < 0.7 else ""
            contact = {
                "external_id": contact_external_id(number),
                "name": surname + given,
                "title": title,
                "department": department,
                "phone": phone,
                "email": email,
                "buying_role": role,
                "influence": influence,
                "attitude": attitude,
                "job_interests": rng.choice(JOB_INTERESTS[role]) if known else "",
                "personal_interests": rng.choice(PERSONAL_INTERESTS) if known else "",
                "personality": rng.choice(PERSONALITIES) if known else "",
                "pressures": rng.choice(PRESSURES[role]) if known else "",
                "hobbies": "、".join(rng.sample(HOBBIES, 2)) if known else "",
                "relationship_owner_id": relationship_owner_id,
                "is_active": not (role == BuyingRole.OTHER and rng.random() < 0.15),
                "notes": notes,
                "is_coach": False,
            }
            plan.contacts.append((contact, role == BuyingRole.DECIDER))

        if self.lacks_coach(i):
            if not account["notes"]:
                account["notes"] = "尚未发展内线，需要在使用部门或技术部门寻找支持者。"
            return
        # The coach is often not senior: a user, evaluator, purchaser or assistant who
        # likes our solution.
        candidates = [
            contact
            for contact, is_decider in plan.contacts
            if not is_decider and contact["is_active"] and contact["attitude"] != Attitude.OPPONENT
        ]
        if candidates:
            coach = rng.choice(candidates)
            coach["is_coach"] = True
            coach["attitude"] = Attitude.CHAMPION if rng.random() < 0.7 else Attitude.SUPPORTER
        if self.lacks_decider(i) and not account["notes"]:
            account["notes"] = "决策层尚未接触，需要通过内线引荐。"


# --- writing -----------------------------------------------------------------------


def demo_external_ids(model, prefix: str) -> set[str]:
    """The external ids starting with `prefix` that `model`'s rows hold, in the recycle
    bin too: one read, however many the demo has (none, the first time)."""
    rows = model.all_objects.filter(external_id__startswith=prefix)
    return set(rows.values_list("external_id", flat=True))


def per_account(*, index: int, total: int, accounts: int) -> int:
    """Account number `index`'s share of `total` rows (visits, deals) spread over
    `accounts` accounts, so that the shares add up exactly."""
    if accounts <= 0:
        return 0
    return round(total * index / accounts) - round(total * (index - 1) / accounts)


class DemoAccounts:
    """The demo accounts of one run, written a chunk at a time (`create`).

    What needs the database is done first, for the whole run: which accounts and
    contacts exist already, and the ids and change numbers of the rows to make (in the
    order the rows are made: the changes feed reads them in that order). Making the
    chunks then asks the database nothing, so their writes can go on in the background
    (`keyaccounts.bulk.copy_in_background`)."""

    models = [Account, Contact, AccountCompetitor, AccountTeamMember]  # what it writes

    def __init__(self, *, seed: int, staff: Staff, accounts: int, contacts: int):
        self.generator = Generator(seed=seed, staff=staff, accounts=accounts, contacts=contacts)
        self.total = accounts
        existing = demo_external_ids(Account, ACCOUNT_PREFIX)
        # The numbers of the accounts to make (1..N), in order.
        self.new = [i for i in range(1, accounts + 1) if account_external_id(i) not in existing]
        self._new = set(self.new)
        starts = self.generator.contact_starts
        # A contact number already taken (an earlier run with other sizes) is skipped
        # rather than duplicated.
        taken = demo_external_ids(Contact, CONTACT_PREFIX)
        self.taken = {
            external_id
            for i in self.new
            for n in range(starts[i - 1] + 1, starts[i] + 1)
            if (external_id := contact_external_id(n)) in taken
        }
        contact_count = sum(starts[i] - starts[i - 1] for i in self.new) - len(self.taken)
        self.account_ids = iter(reserve_ids(Account, len(self.new)))
        self.contact_ids = iter(reserve_ids(Contact, contact_count))
        self.change_seqs = iter(change_numbers(len(self.new) + contact_count))

    def create(self, first: int, last: int, *, now) -> tuple[list[DemoAccount], dict]:
        """Write the new accounts numbered `first` to `last` with their contacts,
        competitors and account teams. Returns the accounts made, for their visits and
        deals, and the counts of rows written."""
        plans = [self.generator.plan(i) for i in range(first, last + 1) if i in self._new]
        if not plans:
            return [], {}
        accounts = Rows(Account, now=now)
        contacts = Rows(Contact, now=now)
        competitors = Rows(AccountCompetitor, now=now, without=["id"])
        members = Rows(AccountTeamMember, now=now, without=["id"])
        manager_of = self.generator.staff.manager_of
        made = []
        for plan in plans:
            account = plan.account
            account["id"] = pk = next(self.account_ids)
            account["change_seq"] = next(self.change_seqs)
            accounts.add(account)
            planned = [
                (values, is_decider)
                for values, is_decider in plan.contacts
                if values["external_id"] not in self.taken
            ]
            for values, _ in planned:
                values["id"] = next(self.contact_ids)
                values["account_id"] = pk
            # The others report to the decider.
            decider = next((values["id"] for values, is_decider in planned if is_decider), None)
            for values, is_decider in planned:
                values["change_seq"] = next(self.change_seqs)
                if not is_decider:
                    values["reports_to_id"] = decider
                contacts.add(values)
            for values in plan.competitors:
                competitors.add({**values, "account_id": pk})
            for user, role in plan.team:
                members.add({"account_id": pk, "user_id": user.pk, "role": role})
            made.append(
                DemoAccount(
                    index=plan.index,
                    pk=pk,
                    owner_id=account["owner_id"],
                    status=account["status"],
                    manager_id=manager_of.get(account["owner_id"]),
                    contacts=[
                        DemoContact(values["id"], values["buying_role"], values["attitude"])
                        for values, _ in planned
                    ],
                    team=[(user.pk, role) for user, role in plan.team],
                    competitors=plan.competitors,
                )
            )
        counts = {
            "accounts": accounts.write(),
            "contacts": contacts.write(),
            "competitors": competitors.write(),
            "team members": members.write(),
        }
        return made, counts
