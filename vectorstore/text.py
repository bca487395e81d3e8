"""Tokens for BM25 (jieba), and query expansion: English and everyday words to the documents' terms."""

from __future__ import annotations

import logging
import re
import threading

import jieba

jieba.setLogLevel(logging.WARNING)
_jieba_lock = threading.Lock()

# Words of a question that do not say what it is about (every document of this corpus is about them).
GENERIC_TERMS = frozenset({
    "人工智能", "人工", "智能", "ai", "政策", "浙江", "浙江省", "企业", "公司", "我们", "相关", "内容", "规定", "文件",
    "方面", "问题", "安排", "措施", "要求", "做法", "计划", "行动", "行动计划", "这块",
})

# Words a citizen says and the documents' word for it. Applied to queries only.
EXPANSIONS: dict[str, str] = {
    # English → document vocabulary
    "artificial intelligence": "人工智能", "ai": "人工智能", "healthcare": "医疗", "health": "医疗 卫生健康",
    "medical": "医疗", "medicine": "医疗 医药", "hospital": "医疗", "drug": "药", "science": "科学 科研",
    "research": "科研 科学", "manufacturing": "制造 工业", "industry": "产业 工业", "industrial": "工业",
    "factory": "制造 工业", "education": "教育", "school": "教育 高校", "university": "高校 教育",
    "teacher": "教师", "consumption": "消费", "consumer": "消费", "e-commerce": "电商", "tourism": "旅游",
    "culture": "文化", "agriculture": "农业", "farming": "农业", "farm": "农业", "transport": "交通",
    "transportation": "交通", "traffic": "交通", "driving": "驾驶", "autonomous": "自动驾驶", "vehicle": "汽车 车辆",
    "ocean": "海洋", "marine": "海洋", "port": "港 码头", "shipping": "航运 船", "spatial": "时空",
    "satellite": "卫星", "low-altitude": "低空", "governance": "治理", "government": "政府 政务",
    "legal": "法治 法律", "court": "法院", "energy": "能源", "power": "电力", "grid": "电网", "finance": "金融",
    "financial": "金融", "bank": "银行", "loan": "信贷 贷款", "credit": "信贷 信用", "insurance": "保险",
    "compute": "算力", "computing": "算力", "voucher": "算力券 智能券", "vouchers": "算力券 智能券",
    "subsidy": "支持 补贴", "support": "支持", "procurement": "采购", "target": "目标", "targets": "目标",
    "goal": "目标", "goals": "目标", "2027": "2027年", "deadline": "截止 前", "feedback": "反馈 意见",
    "comment": "意见", "comments": "意见", "contact": "联系人 联系电话", "phone": "电话", "email": "邮箱",
    "address": "地址", "responsible": "责任单位", "department": "责任单位", "agency": "责任单位",
    "agencies": "责任单位", "scenario": "场景", "scenarios": "场景", "land": "用地", "model": "模型",
    "models": "模型", "publicity": "宣传", "leadership": "组织领导", "organization": "组织领导",
    "data": "数据", "bureau": "局", "model cases": "示范案例", "demonstration": "示范",
    "self-driving": "自动驾驶", "car": "汽车", "cars": "汽车", "road": "道路", "roads": "道路",
    "banking": "银行", "money laundering": "洗钱", "money-laundering": "洗钱", "fraud": "诈骗",
    "purpose": "制定 目的", "aim": "目标", "startup": "企业", "startups": "企业", "company": "企业",
    "enterprise": "企业", "enterprises": "企业", "sme": "中小企业", "smes": "中小企业", "investment": "投资",
    "investor": "投资机构", "investors": "投资机构", "supply chain": "供应链", "pilot": "试点",
    "platform": "平台", "platforms": "平台", "talent": "人才", "training": "培训 训练", "open": "开放",
    "intellectual property": "知识产权", "law": "法治 法律", "judicial": "司法", "weather": "天气",
    "agricultural": "农业", "robot": "机器人", "robots": "机器人", "drone": "无人机", "drones": "无人机",
    # everyday Chinese → document vocabulary
    "看病": "医疗", "医院": "医疗", "健康": "医疗 卫生健康", "药": "药 医药", "学校": "教育 高校",
    "大学": "高校 教育", "老师": "教师", "工厂": "制造 工业", "网购": "电商 消费", "旅游": "旅游 文旅",
    "种地": "农业", "农民": "农业", "开车": "交通 驾驶", "无人驾驶": "自动驾驶", "汽车": "汽车 交通",
    "港口": "港 码头 海洋", "船": "船 海洋", "卫星": "卫星 时空", "无人机": "低空 农用无人机",
    "法院": "法院 治理", "打官司": "法律 法院", "政务": "政务 治理", "电网": "电网 能源", "发电": "电力 能源",
    "贷": "信贷 贷款 金融", "融资": "融资 金融", "补贴": "支持 补助", "钱": "资金 支持",
    # how people ask about the parts every regulation has
    "能不能申请": "申请条件 支持对象", "有没有资格": "申请条件 支持对象",
    "资格": "条件", "符合": "条件", "哪些企业": "支持对象 条件", "什么企业": "支持对象 条件", "谁可以": "支持对象 条件",
    "是什么": "是指 所称", "是啥": "是指 所称", "用来": "是指 用于", "用于": "是指 用于", "指什么": "是指 所称",
    "后果": "追回 取消 不得 责任", "处罚": "追回 取消 不得 责任", "惩罚": "追回 取消 不得 责任",
    "比例": "比例 标准", "上限": "最高 不超过 标准", "额度": "最高 标准", "封顶": "最高 不超过",
    "材料": "材料 提交", "受理": "受理 负责", "多久": "工作日 时限", "最终": "目标",
    "母公司": "关联方", "子公司": "关联方", "关联企业": "关联方",
}
_EXPANSION_RE = re.compile(
    r"(?<![a-z])(" + "|".join(re.escape(k) for k in sorted(EXPANSIONS, key=len, reverse=True)) + r")(?![a-z])"
)

STOPWORDS = set(
    "的 了 和 与 及 是 在 有 我 我们 你 你们 他 它 她 这 那 哪 哪些 什么 怎么 怎样 如何 吗 呢 吧 啊 呀 么 "
    "请问 一下 可以 能 能否 是否 会 要 想 对 对于 关于 中 上 下 里 等 个 些 还 也 都 就 又 被 把 给 让 "
    "为 为了 从 以 及其 或 或者 并 并且 而 但 但是 如果 因为 所以 谁 几 多少 吗？ 省里 浙江 浙江省 "
    "啥 咋 咋样 为什么 为啥 什么样 怎么样 怎么回事 回事 有没有 有无 是不是 干嘛 干啥 说法 意思 打算 具体 主要 "
    "一些 哪个 哪几 哪几个 这块 这事 这事儿 那块 东西 情况 现在 目前 听说 知道 需要 应该 这个 那个 哪天 哪里 哪儿 "
    "多久 怎么办 用来 干什么 做什么 "
    # single characters that match everywhere and mean little alone (content ones like 港, 券, 药 stay)
    "指 所 称 不 之 其 该 各 每 或 可 应 须 将 由 于 向 按 并 再 才 更 最 很 项 条 款 时 内 外 前 后 新 "
    "the a an of to in for on and or is are was be what which who how does do did with about by "
    "that this it its can i we our you your please tell me there any".split()
)
_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]")


# Policy verbs jieba's dictionary loses to a neighbour: "打造成" was cut 打/造成 ("cause"). A fix of the base
# dictionary, made once at import: the same in every process, whatever it indexed.
jieba.add_word("打造", freq=20000)


_base_dictionary: tuple[dict[str, int], int] | None = None
_loaded_terms: frozenset[str] = frozenset()


def use_index_terms(terms: frozenset[str]) -> None:
    """Make jieba's dictionary its own words plus exactly ``terms``, an index's terms (agency names, headings).

    How a text is cut then depends only on the index being searched, never on what else this process
    indexed before: a removed document's terms go with it. The new dictionary is built aside and
    swapped in whole, so a concurrent cut sees the old one or the new one.
    """
    global _base_dictionary, _loaded_terms
    if terms is _loaded_terms:
        return
    with _jieba_lock:
        if terms == _loaded_terms:
            _loaded_terms = terms
            return
        if _base_dictionary is None:
            jieba.dt.check_initialized()
            _base_dictionary = (dict(jieba.dt.FREQ), jieba.dt.total)
        frequencies, total = dict(_base_dictionary[0]), _base_dictionary[1]
        for word in terms:  # as jieba.add_word(word, freq=20000) does
            frequencies[word] = 20000
            total += 20000
            for end in range(1, len(word)):
                frequencies.setdefault(word[:end], 0)
        jieba.dt.FREQ, jieba.dt.total = frequencies, total
        _loaded_terms = terms


def dictionary_terms() -> frozenset[str]:
    """The index terms jieba's dictionary holds now: with the text, what a cut depends on (a cache key)."""
    return _loaded_terms


def general_frequency(word: str) -> int:
    """How often jieba's own dictionary (general Chinese, before any index's terms) counts ``word``; 0 when absent.

    A prior of general language available offline: 地震 or 贷款 are common, 助学 is rare, and a
    document's term of art (算力券) is unknown to it.
    """
    base = _base_dictionary
    if base is None:
        jieba.dt.check_initialized()
        return jieba.dt.FREQ.get(word, 0)  # no index's terms were ever added
    return base[0].get(word, 0)


def general_total() -> int:
    """The total count of jieba's own dictionary, the denominator of ``general_frequency``."""
    if _base_dictionary is None:
        jieba.dt.check_initialized()
        return jieba.dt.total
    return _base_dictionary[1]


def precise_cut(text: str) -> list[str]:
    """``text`` cut into dictionary words (jieba's precise cut, no guessing of unknown words) with the
    dictionary of the index being searched; what no dictionary knows comes out one character at a time."""
    return jieba.lcut(text, HMM=False)


def index_terms(words: list[str]) -> frozenset[str]:
    """The terms of an index that go into jieba's dictionary (longer ones are sentences, not terms)."""
    return frozenset(w for w in words if w and len(w) <= 20)


def tokenize(text: str) -> list[str]:
    """Search tokens: jieba's fine-grained cut with the dictionary of the index being searched (see
    ``use_index_terms``), lower-cased, without stopwords or punctuation."""
    tokens = []
    for token in jieba.lcut_for_search(text.lower()):
        token = token.strip()
        if token and token not in STOPWORDS and _TOKEN_OK.search(token):
            tokens.append(token)
    return tokens


# "…可以申请算力券吗?" asks whether one qualifies: the conditions, not the procedure.
_ELIGIBILITY_RE = re.compile(r"(可以|能|能否|能不能|是否可以|还能|有资格)(再)?申请.{0,16}[吗么]")


def everyday_words(question: str) -> list[tuple[str, list[str]]]:
    """The everyday or English words ``question`` uses that the documents say otherwise, each with the
    documents' words for it (种地 → [农业])."""
    return [(m.group(1), EXPANSIONS[m.group(1)].split()) for m in _EXPANSION_RE.finditer(question.lower())]


def expand_query(question: str) -> str:
    """The question plus document terms for the English and everyday words it uses."""
    lowered = question.lower()
    extra = [EXPANSIONS[m.group(1)] for m in _EXPANSION_RE.finditer(lowered)]
    if _ELIGIBILITY_RE.search(question):
        extra.append("申请条件 支持对象 不予支持")
    return question if not extra else f"{question} {' '.join(extra)}"
