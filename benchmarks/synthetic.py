"""Synthetic policy documents for the scale benchmark: fictional, generated from templates.

Each document is a city's 实施意见 / 行动方案 (``一、`` / ``（一）`` with ``（责任单位：…）``) or its
专项资金管理办法 (``第X章`` / ``第X条``), on one of a dozen topics. A few topics overlap the bundled
plan on purpose (人工智能+医疗, 算力券, 数据要素): a distractor that shares nothing is no test.
Generation is deterministic for a seed; document ``i`` is the same whatever the corpus size, so
smaller corpora are prefixes of larger ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

# Cities of Zhejiang and elsewhere; none that the plan's question set names as out of scope.
CITIES = [
    ("杭州市", "hangzhou"), ("宁波市", "ningbo"), ("温州市", "wenzhou"), ("嘉兴市", "jiaxing"), ("湖州市", "huzhou"),
    ("绍兴市", "shaoxing"), ("金华市", "jinhua"), ("衢州市", "quzhou"), ("舟山市", "zhoushan"), ("台州市", "taizhou"),
    ("丽水市", "lishui"), ("合肥市", "hefei"), ("成都市", "chengdu"), ("武汉市", "wuhan"), ("长沙市", "changsha"),
    ("西安市", "xian"), ("青岛市", "qingdao"), ("厦门市", "xiamen"), ("福州市", "fuzhou"), ("南昌市", "nanchang"),
]

AGENCIES = [
    "市发展改革委", "市经信局", "市科技局", "市财政局", "市商务局", "市数据局", "市农业农村局", "市卫生健康委",
    "市教育局", "市交通运输局", "市文化广电旅游局", "市人力社保局", "市市场监管局", "市自然资源规划局",
    "市生态环境局", "市委金融办", "市民政局", "市投资促进局",
]


@dataclass(frozen=True)
class Topic:
    name: str
    slug: str
    lead: str  # the agency that usually leads
    tasks: tuple[str, ...]  # headings of the （一）… tasks
    things: tuple[str, ...]  # what the clauses talk about


TOPICS = [
    Topic("低空经济", "low-altitude", "市发展改革委",
          ("完善低空基础设施", "培育低空制造产业", "拓展低空应用场景", "强化低空飞行服务", "加强低空安全监管"),
          ("通用机场", "起降点", "无人机物流", "电动垂直起降飞行器", "低空飞行服务站", "航线网络")),
    Topic("智能制造", "smart-manufacturing", "市经信局",
          ("推进工厂智能化改造", "培育工业互联网平台", "发展智能装备产业", "建设未来工厂", "强化工业软件供给"),
          ("智能工厂", "数字化车间", "工业机器人", "工业互联网标识解析节点", "工业软件", "智能产线")),
    Topic("生物医药", "biomedicine", "市科技局",
          ("加快创新药研发", "建设公共服务平台", "推动医疗器械升级", "支持临床试验能力建设", "壮大生物医药集群"),
          ("创新药", "临床试验机构", "医疗器械注册证", "合同研发生产组织", "生物医药产业园", "药品上市许可")),
    Topic("新能源汽车", "nev", "市经信局",
          ("提升整车制造能级", "完善充换电设施", "突破关键零部件", "推广公共领域车辆电动化", "发展智能网联汽车"),
          ("充电桩", "换电站", "动力电池", "整车项目", "车路协同测试道路", "公交车电动化")),
    Topic("数字贸易", "digital-trade", "市商务局",
          ("培育数字贸易主体", "发展跨境电商", "建设数字贸易平台", "推动服务贸易数字化", "优化数字贸易营商环境"),
          ("跨境电商综试区", "海外仓", "数字服务出口", "数字贸易示范区", "直播电商基地", "跨境数据流动")),
    Topic("文化旅游", "culture-tourism", "市文化广电旅游局",
          ("打造文旅精品线路", "发展夜间经济", "推进智慧文旅", "培育文旅消费新场景", "加强文化遗产活化利用"),
          ("A级旅游景区", "夜间文旅消费集聚区", "智慧景区", "非遗工坊", "文旅消费券", "旅游度假区")),
    Topic("现代农业", "agriculture", "市农业农村局",
          ("建设高标准农田", "发展数字农业", "推进农业机械化", "培育农业龙头企业", "提升农产品品牌"),
          ("高标准农田", "数字农业工厂", "农机购置补贴", "家庭农场", "农产品区域公用品牌", "冷链物流设施")),
    Topic("数据要素", "data", "市数据局",
          ("培育数据要素市场", "推进公共数据授权运营", "建设数据交易平台", "强化数据安全保障", "发展数据服务产业"),
          ("公共数据", "数据交易场所", "数据资产登记", "数据产品", "可信数据空间", "数据安全评估")),
    Topic("人才引进", "talent", "市人力社保局",
          ("引进高层次人才", "支持青年人才就业创业", "完善人才住房保障", "建设人才创新载体", "优化人才服务"),
          ("高层次人才", "博士后工作站", "人才公寓", "青年驿站", "人才服务卡", "安家补贴")),
    Topic("绿色低碳", "low-carbon", "市生态环境局",
          ("推动产业绿色转型", "发展可再生能源", "建设零碳园区", "推广绿色建筑", "完善碳普惠机制"),
          ("分布式光伏", "零碳园区", "绿色工厂", "碳普惠平台", "储能项目", "节能改造项目")),
    Topic("养老服务", "elderly-care", "市民政局",
          ("完善居家社区养老服务", "发展智慧养老", "提升养老机构服务质量", "培育养老服务人才", "推进医养结合"),
          ("居家养老服务中心", "老年食堂", "智慧养老平台", "养老护理员", "家庭养老床位", "护理型床位")),
    Topic("人工智能", "ai", "市发展改革委",
          ("人工智能+医疗", "人工智能+制造", "人工智能+教育", "人工智能+交通", "发放算力券和智能券"),
          ("大模型", "智能算力中心", "算力券", "行业垂直模型", "人工智能应用场景", "语料数据集")),
]

_GOALS = [
    "到{year}年，全市{topic}产业规模突破{money}亿元，培育{count}家以上骨干企业，建成{small}个以上示范项目。",
    "力争到{year}年，{topic}领域形成{count}个以上标志性成果，相关产业营业收入年均增长{rate}%以上。",
]
_TASK_SENTENCES = [
    "支持企业建设{thing}，对符合条件的项目按照实际投资额的{rate}%给予补助，单个项目最高{small}00万元。",
    "鼓励有条件的区县（市）先行开展{thing}试点，每年遴选{small}个左右典型案例予以推广。",
    "加快{thing}布局，到{year}年累计建成{count}个以上，实现重点区域全覆盖。",
    "对新认定的{thing}，一次性给予{small}0万元奖励。",
    "建立{thing}项目库，实行清单化管理、季度通报。",
    "推动{thing}与{other}协同发展，形成一批可复制推广的经验做法。",
]
_SUPPORT_SENTENCES = [
    "市财政每年安排{topic}发展专项资金，统筹用于本办法规定的支持事项。",
    "同一项目已获得市级其他财政资金支持的，不再重复支持。",
    "申报单位应当在{city}注册登记，具有独立法人资格，近三年无严重失信记录。",
    "对{thing}项目，按照核定投资额的{rate}%给予补助，最高不超过{small}00万元。",
    "专项资金实行预算管理，年度资金不足时按比例核减。",
]


def _agencies(rng: random.Random, lead: str) -> str:
    others = rng.sample([a for a in AGENCIES if a != lead], rng.randint(1, 3))
    return "（责任单位：" + "、".join([lead, *others]) + "）"


def _fill(template: str, rng: random.Random, city: str, topic: Topic) -> str:
    things = rng.sample(topic.things, 2)
    return template.format(
        city=city, topic=topic.name, thing=things[0], other=things[1], year=rng.choice((2026, 2027, 2028)),
        money=rng.choice((100, 200, 300, 500, 1000)), count=rng.choice((10, 20, 30, 50)), small=rng.randint(2, 9),
        rate=rng.choice((10, 15, 20, 30)),
    )


def _date(rng: random.Random) -> str:
    return f"{rng.choice((2024, 2025))}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日"


def _action_plan(rng: random.Random, city: str, topic: Topic) -> tuple[str, list[str]]:
    title = rng.choice((f"{city}关于加快推进{topic.name}高质量发展的实施意见",
                        f"{city}{topic.name}发展三年行动方案（2025—2027年）"))
    lines = [title, f"{city}人民政府办公室", _date(rng),
             f"为加快推进{topic.name}发展，结合本市实际，制定本{'意见' if '意见' in title else '方案'}。",
             "一、总体要求", _fill(rng.choice(_GOALS), rng, city, topic), "二、重点任务"]
    numbers = "一二三四五六七八"
    for n, task in enumerate(rng.sample(topic.tasks, 4)):
        body = "".join(_fill(s, rng, city, topic) for s in rng.sample(_TASK_SENTENCES, 2))
        lines.append(f"（{numbers[n]}）{task}。{body}{_agencies(rng, topic.lead)}")
    lines += ["三、保障措施",
              f"（一）加强组织领导。建立{topic.name}发展工作专班，统筹推进重大事项。{_agencies(rng, topic.lead)}",
              f"（二）强化要素保障。{_fill(rng.choice(_SUPPORT_SENTENCES), rng, city, topic)}"]
    return title, lines


def _funding_rules(rng: random.Random, city: str, topic: Topic) -> tuple[str, list[str]]:
    title = f"{city}{topic.name}发展专项资金管理办法"
    numbers = "一二三四五六七八九十"
    article = iter([*numbers[:9], "十", "十一", "十二", "十三", "十四"])
    chapter = iter(numbers)

    def art(text: str) -> str:
        return f"第{next(article)}条　{text}"

    lines = [title, f"{city}财政局", _date(rng),
             f"第{next(chapter)}章　总则",
             art(f"为规范{topic.name}发展专项资金管理，提高资金使用效益，制定本办法。"),
             art(f"{topic.lead}负责项目征集、评审和绩效管理，市财政局负责资金保障和监督。"),
             f"第{next(chapter)}章　支持范围和标准"]
    for sentence in rng.sample(_SUPPORT_SENTENCES, 3):
        lines.append(art(_fill(sentence, rng, city, topic)))
    lines += [f"第{next(chapter)}章　申报和管理",
              art(f"项目申报每年集中受理一次，申报单位通过{city}政务服务网在线提交材料。"),
              art("对弄虚作假、骗取专项资金的，依法追回已拨付资金，五年内不得申报市级财政资金项目。"),
              f"第{next(chapter)}章　附则",
              art(f"本办法自{_date(rng)}起施行，有效期三年。")]
    return title, lines


def write_corpus(folder: Path, count: int, seed: int = 7) -> list[Path]:
    """Write documents 0..count-1 into ``folder`` (existing ones are kept); their paths in order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        rng = random.Random(f"{seed}-{i}")
        city, city_slug = CITIES[i % len(CITIES)]
        topic = TOPICS[(i // len(CITIES) + i) % len(TOPICS)]
        style = "rules" if rng.random() < 0.3 else "plan"
        _, lines = (_funding_rules if style == "rules" else _action_plan)(rng, city, topic)
        path = folder / f"synthetic-{i:04d}-{city_slug}-{topic.slug}-{style}.txt"
        if not path.exists():
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
