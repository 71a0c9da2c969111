"""Fill the database with a believable demo company, or with a large data set.

`manage.py seed_demo` makes the demo: the East China key-account team (manager,
rep1, rep2, presales1, pm1), an admin, 40 key accounts with competitors, about 200
contacts in their buying centers, account teams, visits and 60 opportunities along
the pipeline (opportunities/demo.py), and the accounts' ratings, monthly sales,
grades and a week of grade movement (scoring/demo.py). The size options make the same
shape at benchmark scale (`--accounts 100000 --contacts 500000`).

Every row gets a deterministic external_id (`demo-account-0001`, `demo-contact-000001`)
and every account draws from its own `random.Random`, so the same arguments always
give the same data and a second run adds nothing. Rows go in with `bulk_create`, a
chunk of accounts and all their contacts, competitors and team at a time.
"""

import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.access import access_rebuild
from accounts.duplicates import normalize_name
from accounts.models import (
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
from keyaccounts.bulk import existing_external_ids, fill_pks, stamp_change_seqs
from opportunities.demo import create_demo_opportunities
from scoring.demo import create_demo_scoring
from visits.demo import DemoAccount, create_demo_visits

PASSWORD = "demo12345"
BATCH_SIZE = 5000
# Accounts generated, checked and written together with their contacts, competitors
# and team; about 5,000 contacts at the default ratio.
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


def weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def chinese_name(rng: random.Random) -> tuple[str, str]:
    """(surname, given name)."""
    return rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)


def account_external_id(i: int) -> str:
    return f"demo-account-{i:04d}"


def contact_external_id(n: int) -> str:
    return f"demo-contact-{n:06d}"


# --- the people on our side ----------------------------------------------------------


@dataclass
class Staff:
    """The demo's users, by username, and which team each rep works in."""

    users: dict
    teams: list  # [(SalesTeam, manager User, [rep User, ...], region)]
    reps: list = field(default_factory=list)  # rep1..repN, in order
    team_of: dict = field(default_factory=dict)  # username -> team index
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
    return staff


# --- one account and everything that hangs off it ------------------------------------


@dataclass
class AccountPlan:
    index: int
    rng: random.Random
    account: Account
    team: list  # [(User, role)]
    contacts: list = field(default_factory=list)  # [(Contact, is_decider)]
    competitors: list = field(default_factory=list)


class Generator:
    """Makes unsaved rows; every account draws from its own seeded Random."""

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
            industry = rng.choices(INDUSTRIES, weights=INDUSTRY_WEIGHTS)[0]
        if rng.random() < 0.6:
            region = team_region
        else:
            region = rng.choices(REGIONS, weights=REGION_WEIGHTS)[0]
        city = rng.choice(REGION_CITIES[region])
        place = region if rng.random() < 0.08 else city
        # Distinct brands for the first accounts keep the small demo free of twin names.
        brand = self.brands[i - 1] if i <= len(self.brands) else rng.choice(BRANDS)
        name = rng.choice(ACCOUNT_NAMES[industry]).format(place=place, brand=brand)
        status = weighted(rng, STATUS_WEIGHTS)
        account = Account(
            external_id=account_external_id(i),
            name=name,
            name_key=normalize_name(name),  # bulk_create skips Account.save
            industry=industry,
            region=region,
            status=status,
            owner=owner,
            website=f"https://www.demo{i:04d}.example.com",
            address=f"{city}市{rng.choice(DISTRICTS)}{rng.choice(STREETS)}{rng.randint(1, 999)}号",
            customer_markets=CUSTOMER_MARKETS[industry],
            logistics=(
                ""
                if industry in (Industry.GOVERNMENT, Industry.EDUCATION)
                else rng.choice(LOGISTICS)
            ),
            policy_factors=POLICY_FACTORS[industry],
            growth_potential=weighted(rng, {Level.LOW: 3, Level.MEDIUM: 5, Level.HIGH: 2}),
            purchase_cost_level=weighted(rng, {Level.LOW: 2, Level.MEDIUM: 5, Level.HIGH: 3}),
            technology_content=weighted(rng, {Level.LOW: 2, Level.MEDIUM: 4, Level.HIGH: 4}),
        )
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
        big = account.annual_budget is not None and account.annual_budget >= 10000
        if owner != manager and (big or rng.random() < 0.2):
            team.append((manager, AccountTeamRole.EXECUTIVE_SPONSOR))

        plan = AccountPlan(index=i, rng=rng, account=account, team=team)
        for name in rng.sample(COMPETITOR_NAMES, rng.choices([0, 1, 2, 3], [1, 4, 4, 2])[0]):
            strengths, weaknesses = COMPETITORS[name]
            plan.competitors.append(
                AccountCompetitor(
                    name=name,
                    strengths="；".join(rng.sample(strengths, min(2, len(strengths)))),
                    weaknesses=rng.choice(weaknesses),
                    threat=weighted(
                        rng, {ThreatLevel.LOW: 2, ThreatLevel.MEDIUM: 5, ThreatLevel.HIGH: 3}
                    ),
                )
            )
        self.plan_contacts(plan, industry=industry, manager=manager)
        opposed = any(
            contact.buying_role == BuyingRole.EVALUATOR and contact.attitude == Attitude.OPPONENT
            for contact, _ in plan.contacts
        )
        if self.opponent_evaluator(i) and opposed and not plan.account.notes:
            plan.account.notes = "技术评估负责人倾向竞争对手方案，需尽快安排技术交流。"
        return plan

    def owner_of(self, i: int) -> tuple[User, int]:
        rep = self.reps[(i - 1) % len(self.reps)]
        team_index = self.staff.team_of[rep.username]
        if i % 20 == 0:
            # Managers keep a couple of strategic accounts themselves.
            return self.staff.teams[team_index][1], team_index
        return rep, team_index

    def fill_numbers(self, rng: random.Random, account: Account) -> None:
        industry = account.industry
        (low, high), per_head = SIZES[industry]
        employees = round(low * (high / low) ** rng.random())
        account.employees = employees
        if per_head is None:
            budget = employees * rng.uniform(1, 5)
        else:
            revenue = employees * rng.uniform(*per_head)
            account.annual_revenue = money(revenue)
            budget = revenue * rng.uniform(0.002, 0.015)
        budget = max(budget, 30.0)
        account.annual_budget = money(budget)
        account.category_purchases = money(budget * rng.uniform(0.5, 1.0))
        share = {
            AccountStatus.PROSPECT: (0, 0),
            AccountStatus.DEVELOPING: (0, 10),
            AccountStatus.ACTIVE: (10, 60),
            AccountStatus.DORMANT: (5, 30),
            AccountStatus.LOST: (0, 0),
        }[account.status]
        account.our_share = money(rng.uniform(*share))
        expected = budget * rng.uniform(0.1, 0.4)
        account.expected_sales = money(expected)
        account.expected_profit = money(expected * rng.uniform(0.15, 0.35))
        account.cost_to_serve = money(expected * rng.uniform(0.05, 0.25))

        if industry == Industry.GOVERNMENT:
            account.credit_rating = rng.choice([CreditRating.AAA, CreditRating.UNRATED])
            account.payment_cycle_days = rng.choice([90, 120, 180, 240])
            return
        account.credit_rating = weighted(rng, CREDIT_WEIGHTS)
        if industry == Industry.FINANCE:
            account.debt_to_asset_ratio = money(rng.uniform(85, 93))
            account.return_on_assets = money(rng.uniform(0.5, 1.5))
        elif industry == Industry.EDUCATION:
            account.debt_to_asset_ratio = money(rng.uniform(20, 50))
        else:
            account.debt_to_asset_ratio = money(rng.uniform(30, 75))
            account.return_on_assets = money(rng.uniform(0.5, 12))
        if industry in NET_MARGIN:
            account.net_profit_margin = money(rng.uniform(*NET_MARGIN[industry]))
        if industry == Industry.EDUCATION:
            account.payment_cycle_days = rng.choice([60, 90, 120, 180])
        elif industry == Industry.FINANCE:
            account.payment_cycle_days = rng.choice([30, 45, 60])
        else:
            account.payment_cycle_days = rng.choice([30, 45, 60, 90, 120, 150, 180])
        if industry in INVENTORY_DAYS:
            account.inventory_cycle_days = rng.randint(*INVENTORY_DAYS[industry])

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
        first_competitor = plan.competitors[0].name if plan.competitors else "竞争对手"

        for n, role in enumerate(roles):
            surname, given = chinese_name(rng)
            title, department = rng.choice(
                TITLES[role] + INDUSTRY_TITLES.get((industry, role), []) * 2
            )
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
            if role == BuyingRole.DECIDER and (manager.pk in on_team or manager == account.owner):
                # The multi-level communication system: our executive meets their decider.
                relationship_owner = manager
            elif role == BuyingRole.EVALUATOR and self.presales.pk in on_team:
                relationship_owner = self.presales
            else:
                relationship_owner = account.owner
            known = rng.random() < 0.7
            contact = Contact(
                external_id=contact_external_id(start + n + 1),
                account=account,
                name=surname + given,
                title=title,
                department=department,
                phone=f"1{rng.choice('3589')}{rng.randrange(10)}{rng.randrange(10**8):08d}",
                email=f"contact{start + n + 1}@demo{i:04d}.example.com"
                if rng.random() < 0.7
                else "",
                buying_role=role,
                influence=influence,
                attitude=attitude,
                job_interests=rng.choice(JOB_INTERESTS[role]) if known else "",
                personal_interests=rng.choice(PERSONAL_INTERESTS) if known else "",
                personality=rng.choice(PERSONALITIES) if known else "",
                pressures=rng.choice(PRESSURES[role]) if known else "",
                hobbies="、".join(rng.sample(HOBBIES, 2)) if known else "",
                relationship_owner=relationship_owner,
                is_active=not (role == BuyingRole.OTHER and rng.random() < 0.15),
                notes=notes,
            )
            plan.contacts.append((contact, role == BuyingRole.DECIDER))

        if self.lacks_coach(i):
            if not account.notes:
                account.notes = "尚未发展内线，需要在使用部门或技术部门寻找支持者。"
            return
        # The coach is often not senior: a user, evaluator, purchaser or assistant who
        # likes our solution.
        candidates = [
            contact
            for contact, is_decider in plan.contacts
            if not is_decider and contact.is_active and contact.attitude != Attitude.OPPONENT
        ]
        if candidates:
            coach = rng.choice(candidates)
            coach.is_coach = True
            coach.attitude = Attitude.CHAMPION if rng.random() < 0.7 else Attitude.SUPPORTER
        if self.lacks_decider(i) and not account.notes:
            account.notes = "决策层尚未接触，需要通过内线引荐。"


# --- the command ---------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Create a believable demo company (users, teams, key accounts, contacts, competitors,"
        " visits, development records, opportunities, ratings, monthly sales and grades)."
        " Idempotent: rows are keyed by username, team name and external_id. The size"
        " options make large data sets for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=40, help="key accounts (40)")
        parser.add_argument("--contacts", type=int, default=200, help="contacts in total (200)")
        parser.add_argument("--visits", type=int, default=240, help="visits in total (240)")
        parser.add_argument(
            "--opportunities", type=int, default=60, help="opportunities in total (60)"
        )
        parser.add_argument("--reps", type=int, default=2, help="sales reps, at least 2 (2)")
        parser.add_argument("--teams", type=int, default=1, help="sales teams (1)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (42)")

    def handle(self, *args, **options):
        accounts, contacts = options["accounts"], options["contacts"]
        reps, teams, seed = options["reps"], options["teams"], options["seed"]
        if accounts < 0 or contacts < 0:
            raise CommandError("--accounts and --contacts cannot be negative.")
        if reps < 2:
            raise CommandError("--reps must be at least 2 (rep1 and rep2 always exist).")
        if teams < 1:
            raise CommandError("--teams must be at least 1.")
        visits, opportunities = options["visits"], options["opportunities"]
        if visits < 0 or opportunities < 0:
            raise CommandError("--visits and --opportunities cannot be negative.")

        started = time.monotonic()
        created = dict.fromkeys(
            [
                "accounts",
                "contacts",
                "competitors",
                "team members",
                "visits",
                "development records",
                "opportunities",
            ],
            0,
        )
        # One transaction: a failure leaves nothing behind, and SQLite writes far faster.
        with transaction.atomic():
            staff = ensure_staff(reps=reps, teams=teams, seed=seed)
            generator = Generator(seed=seed, staff=staff, accounts=accounts, contacts=contacts)
            for first in range(1, accounts + 1, ACCOUNT_CHUNK):
                last = min(first + ACCOUNT_CHUNK - 1, accounts)
                chunk = self.write_chunk(
                    generator,
                    first,
                    last,
                    visits=visits,
                    opportunities=opportunities,
                    total_accounts=accounts,
                )
                for key, n in chunk.items():
                    created[key] += n
                if options["verbosity"] >= 2 or (
                    accounts >= 10 * ACCOUNT_CHUNK and last % 10000 == 0
                ):
                    self.stdout.write(f"  {last}/{accounts} accounts")
            # Ratings and sales of the demo accounts, one rescore of every account, and a
            # week's grade movement to look at (scoring/demo.py).
            scoring_started = time.monotonic()
            scoring = create_demo_scoring(seed=seed, accounts=accounts)
            scoring_seconds = time.monotonic() - scoring_started
            # Bulk inserts send no signals: who sees what, in one set-based rebuild.
            access_rebuild()

        elapsed = time.monotonic() - started
        skipped = accounts - created["accounts"]
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f} s (seed {seed})."))
        self.stdout.write(
            f"  created {staff.created_users} users, {staff.created_teams} sales teams,"
            f" {created['accounts']} accounts ({skipped} already there),"
            f" {created['contacts']} contacts, {created['competitors']} competitors,"
            f" {created['team members']} account team members, {created['visits']} visits,"
            f" {created['development records']} development records,"
            f" {created['opportunities']} opportunities"
        )
        grades = ", ".join(f"{grade} {n}" for grade, n in scoring["grades"].items())
        self.stdout.write(
            f"  created {scoring['assessments']} assessments,"
            f" {scoring['monthly sales']} monthly sales rows;"
            f" rescored {scoring['scored']} accounts ({scoring['grade changes']} grade changes;"
            f" now {grades}), back-dated {scoring['upgrades']} upgrades and"
            f" {scoring['downgrades']} downgrades into last week's grade history"
            f" ({scoring_seconds:.1f} s)"
        )
        self.stdout.write(
            "\nLog in with password demo12345 (demo only: change or delete these users"
            " before real use):\n"
            "  admin       superuser\n"
            f"  manager     manager of {staff.teams[0][0].name}\n"
            "  rep1, rep2  sales reps (each owns accounts the other cannot see)\n"
            "  presales1   presales consultant\n"
            "  pm1         project manager"
        )
        if reps > 2:
            self.stdout.write(f"  rep3..rep{reps}  more sales reps")
        if teams > 1:
            self.stdout.write(f"  manager2..manager{teams}  managers of the other teams")

    def write_chunk(
        self,
        generator: Generator,
        first: int,
        last: int,
        *,
        visits: int,
        opportunities: int,
        total_accounts: int,
    ) -> dict:
        ids = [account_external_id(i) for i in range(first, last + 1)]
        existing = existing_external_ids(Account, ids)
        plans = [
            generator.plan(i)
            for i in range(first, last + 1)
            if account_external_id(i) not in existing
        ]
        if not plans:
            return {}
        accounts = [plan.account for plan in plans]
        Account.objects.bulk_create(stamp_change_seqs(accounts), batch_size=BATCH_SIZE)
        fill_pks(Account, accounts)

        # Contacts of accounts made now; a contact id already taken (an earlier run with
        # other sizes) is skipped rather than duplicated.
        all_contacts = [
            (contact, is_decider) for plan in plans for contact, is_decider in plan.contacts
        ]
        taken = existing_external_ids(Contact, [c.external_id for c, _ in all_contacts])
        all_contacts = [(c, d) for c, d in all_contacts if c.external_id not in taken]
        for contact, _ in all_contacts:
            contact.account_id = contact.account.pk
        # Deciders first: the others report to them, which needs their primary keys.
        deciders = [contact for contact, is_decider in all_contacts if is_decider]
        Contact.objects.bulk_create(stamp_change_seqs(deciders), batch_size=BATCH_SIZE)
        fill_pks(Contact, deciders)
        decider_of = {contact.account_id: contact for contact in deciders}
        others = [contact for contact, is_decider in all_contacts if not is_decider]
        for contact in others:
            decider = decider_of.get(contact.account_id)
            if decider is not None:
                contact.reports_to = decider
        Contact.objects.bulk_create(stamp_change_seqs(others), batch_size=BATCH_SIZE)

        competitors = []
        members = []
        for plan in plans:
            for competitor in plan.competitors:
                competitor.account = plan.account
                competitors.append(competitor)
            for user, role in plan.team:
                members.append(AccountTeamMember(account=plan.account, user=user, role=role))
        AccountCompetitor.objects.bulk_create(competitors, batch_size=BATCH_SIZE)
        AccountTeamMember.objects.bulk_create(members, batch_size=BATCH_SIZE)

        contacts_of = {}
        for contact, _ in all_contacts:
            contacts_of.setdefault(contact.account_id, []).append(contact)
        fill_pks(Contact, others)
        demo_accounts = [
            DemoAccount(
                index=plan.index,
                account=plan.account,
                contacts=contacts_of.get(plan.account.pk, []),
                team=[user for user, _ in plan.team],
            )
            for plan in plans
        ]
        visit_counts = create_demo_visits(
            demo_accounts, total=visits, accounts=total_accounts, seed=generator.seed
        )
        opportunity_counts = create_demo_opportunities(
            demo_accounts, total=opportunities, accounts=total_accounts, seed=generator.seed
        )
        return {
            **visit_counts,
            **opportunity_counts,
            "accounts": len(accounts),
            "contacts": len(all_contacts),
            "competitors": len(competitors),
            "team members": len(members),
        }
