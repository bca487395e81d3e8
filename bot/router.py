"""Decide what kind of question this is, and whether it must be refused before retrieval."""

from __future__ import annotations

import re
from dataclasses import dataclass

# --- refusals that do not depend on the index -------------------------------------------
_INJECTION = re.compile(
    r"(忽略|无视|忘记|忘掉|不要管|跳过).{0,12}(指令|指示|提示|规则|设定|要求|限制)"
    r"|(系统|初始|内部|隐藏)\s*(提示|指令|设定|prompt)|提示词|你的(指令|规则|设定|提示|配置)|(开发者|越狱|DAN)\s*模式"
    r"|(输出|打印|复述|重复|告诉我|显示|透露|泄露).{0,10}(指令|提示词|设定|prompt)"
    r"|ignore\s+(all\s+|any\s+|the\s+)?(previous|prior|above|earlier)|system\s*prompt|jailbreak|developer\s+mode"
    r"|(reveal|print|show|repeat|output|tell me)\b.{0,30}\b(instructions?|prompt|rules)\b|you are now|\\bact as\\b",
    re.I,
)
_CREATIVE = re.compile(
    r"(写|作|来|编|创作).{0,6}(诗|词|歌|小说|故事|笑话|对联|段子|散文|作文)|藏头诗"
    r"|\b(poem|poetry|haiku|limerick|song|lyrics|story|joke|essay)\b",
    re.I,
)
_FRAUD = re.compile(
    r"(帮|教|怎么|如何|怎样|能不能|可不可以|想|我要|有没有办法|给我|替我|能否).{0,12}"
    r"(伪造|造假|做假|作假|假的|假材料|虚开|虚构|编造|瞎编|随便编|骗|套取|冒充|假冒|洗钱)"
    r"|(随便|瞎)编|\b(fake|forge|forged|falsify|fraudulent(ly)?|launder)\b",
    re.I,
)
# Asking what happens to fraud is a question about the rules, not a request for help with it.
_ABOUT_CONSEQUENCES = re.compile(r"后果|处罚|惩罚|会怎样|会怎么样|追责|法律责任|查处|举报|不予支持|consequence|penalt", re.I)
_OFF_TOPIC = re.compile(
    r"天气(怎么样|如何|预报|好吗)|(今天|明天|后天|这周|本周|周末|现在).{0,6}(天气|气温|下雨|下雪|温度)|\bweather\b"
    r"|个税|个人所得税|所得税|增值税|退税|缴税|交税|纳税|税率|\btax(es)?\b"
    r"|\bgdp\b|国内生产总值|经济增长率"
    r"|彩票|股票推荐|炒股|菜谱|怎么做饭|房价|电影推荐|球赛|星座|算命",
    re.I,
)

# Places outside the indexed jurisdictions are refused unless a document covers them.
PROVINCES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 "
    "云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 深圳 广州 南京 苏州 无锡 成都 武汉 西安 合肥 "
    "厦门 青岛 济南 郑州 长沙 沈阳 大连 哈尔滨 长春 昆明 贵阳 南宁 福州 南昌 石家庄 太原 兰州 海口 雄安"
).split()
PLACES_EN = {
    "shanghai": "上海", "beijing": "北京", "jiangsu": "江苏", "guangdong": "广东", "shenzhen": "深圳",
    "guangzhou": "广州", "tianjin": "天津", "chongqing": "重庆", "sichuan": "四川", "hong kong": "香港",
}
# Places inside a province, so a question about 杭州 is covered by a 浙江省 document.
WITHIN = {
    "浙江": "杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水 义乌 浙江 zhejiang hangzhou ningbo".split(),
}

# --- routes ----------------------------------------------------------------------------
_REVERSE_WORDS = re.compile(
    r"(负责|管|涉及|参与|牵头|承担|分管|对口)[^，。?？]{0,6}(哪|什么|啥)|哪[些个几]*[\u4e00-\u9fff]{0,4}(领域|方面|块|工作|事项?|条款|任务)"
    r"|是不是.{0,6}(牵头|负责)|职责|分工"
    r"|做什么|干什么|干啥|\bwhat\b.{0,40}\b(responsible|handle|in charge|do|lead)|\bwhich (fields|areas|sectors)\b",
    re.I,
)
_ROUTES: list[tuple[str, re.Pattern[str]]] = [
    (
        "deadlines_contacts",
        re.compile(
            r"截止|期限|截至|什么时候|何时|几号|哪天|日期|联系|电话|邮箱|邮件|地址|邮编|反馈|提意见|征求意见|意见稿|寄到|交到"
            r"|\b(deadline|contact|phone|email|e-mail|address|postcode|feedback|when|comments?)\b",
            re.I,
        ),
    ),
    (
        "agencies",
        re.compile(
            r"谁|哪[个些几家]*[\u4e00-\u9fff]{0,4}(部门|单位|机构|厅|局|委|处)|什么部门|责任单位|牵头|负责|主管|归口|对口|找哪|管的"
            r"|\b(who|which (department|agency|agencies|bureau)|responsible|in charge|lead agency)\b",
            re.I,
        ),
    ),
    (
        "targets",
        re.compile(
            r"目标|指标|到20\d\d|多少个|几个|数量|规模|(做到|达到|培育|建成|打造|建设)(多少|几)|\b(target|goal|aim|how many)s?\b",
            re.I,
        ),
    ),
    (
        "support",
        re.compile(
            r"支持|补贴|补助|扶持|优惠|奖励|算力券|智能券|券|资金|融资|贷款|信贷|采购|用地|用能|排污|申请|申报|条件|资格|享受|能拿|能得到|能获得|好处|福利|帮助"
            r"|\b(subsid|support|fund|loan|voucher|incentive|benefit|eligib|financ|procure)",
            re.I,
        ),
    ),
]
_QUANTITY = re.compile(
    r"(面值|金额|额度|比例|利率|多少钱|几成|上限|最高|标准是|多大|多少万|多少元|补多少|给多少|多少|几个点|截止日期|什么时候截止|申请时间|何时申请"
    r"|\bhow much\b|\brate\b|\bamount\b|\bface value\b|\bvalue\b|\bcap\b)",
    re.I,
)
# "我们公司去年营收3亿元，可以申请算力券吗?": the asker describes itself and asks what it can get.
_DESCRIBES_ASKER = re.compile(r"营收|营业收入|收入|销售额|员工|职工|社保|参保|分公司|关联方|失信|注册在|注册地|花了|支出|总投资|利息|\d+\s*(人|名员工|岁|周岁)")
_ASKS_IF_ELIGIBLE = re.compile(r"(能|可以|可否|能否|能不能|是否|够|符合).{0,12}(申请|享受|拿|获得|申报|条件|资格)|能拿多少|补多少|能补")
_ANAPHORA = re.compile(r"^(那|那么|这个|这|它|其|该|上述|还有|另外|以及|and |what about|how about)|它|其|该领域|这个领域|这项|这些|上面|刚才|\bit\b|\bthat\b|\bthose\b", re.I)
_ENGLISH = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Route:
    name: str  # eligibility | reverse_agency | deadlines_contacts | agencies | targets | support | general | refuse
    refusal: str | None = None  # other_jurisdiction | off_topic | creative | injection | fraud
    place: str | None = None
    detail: str | None = None  # the quantity asked for, when the question asks one


def asks_detail(question: str) -> str | None:
    match = _QUANTITY.search(question)
    return match.group(1) if match else None


def is_english(question: str) -> bool:
    return len(_ENGLISH.findall(question)) > 2 * len(_CJK.findall(question))


def is_follow_up(question: str) -> bool:
    return bool(_ANAPHORA.search(question.strip())) or len(question.strip()) <= 6


def outside_place(question: str, covered: set[str]) -> str | None:
    """A place the question names that no indexed document covers (and no covered place is named)."""
    lowered = question.lower()
    covered_terms = set()
    for place in covered:
        stem = re.sub(r"(省|市|自治区|县|区)$", "", place)
        covered_terms.update({place, stem, *WITHIN.get(stem, [])})
    if any(term and term.lower() in lowered for term in covered_terms):
        return None
    for place in PROVINCES:
        if place in question and not any(place in c for c in covered):
            return place
    for english, place in PLACES_EN.items():
        if re.search(rf"\b{english}\b", lowered) and not any(place in c for c in covered):
            return place
    return None


def route(question: str, *, known_agencies: list[str], covered_places: set[str]) -> Route:
    """Refusal categories first (they hold whatever the index says), then the answer route."""
    if _INJECTION.search(question):
        return Route("refuse", refusal="injection")
    if _FRAUD.search(question) and not _ABOUT_CONSEQUENCES.search(question):
        return Route("refuse", refusal="fraud")
    if _CREATIVE.search(question):
        return Route("refuse", refusal="creative")
    if _OFF_TOPIC.search(question):
        return Route("refuse", refusal="off_topic")
    place = outside_place(question, covered_places)
    if place:
        return Route("refuse", refusal="other_jurisdiction", place=place)
    detail = asks_detail(question)
    if _DESCRIBES_ASKER.search(question) and _ASKS_IF_ELIGIBLE.search(question):
        return Route("eligibility", detail=detail)
    if known_agencies and _REVERSE_WORDS.search(question):
        return Route("reverse_agency", detail=detail)
    for name, pattern in _ROUTES:
        if pattern.search(question):
            return Route(name, detail=detail)
    return Route("general", detail=detail)
