"""Normalisation: what a reader sees in a cited clause is clean Chinese text."""

from __future__ import annotations

import pytest

from ingest.normalize import normalize_text, paragraphs_from_pages

# A line long enough to fill the "page width" of the synthetic PDF pages below.
FULL = "为促进人工智能和实体经济深度融合加快形成新质生产力推动经济社会高质量发展特制定本行动计划并组织实施"


def texts(pages, layout_wrapped=True):
    return [p.text for p in paragraphs_from_pages(pages, layout_wrapped=layout_wrapped)]


# --- single lines ----------------------------------------------------------------------
def test_nfkc_and_chinese_punctuation():
    assert normalize_text("(责任单位:省科技厅)") == "（责任单位：省科技厅）"
    assert normalize_text("政府引导,市场主导;生态共建") == "政府引导，市场主导；生态共建"
    assert normalize_text("ＡＢＣ１２３") == "ABC123"


def test_english_punctuation_stays_ascii():
    assert normalize_text("Hello, world: (TEST SAMPLE)") == "Hello, world: (TEST SAMPLE)"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("坚持创新驱动、zhengfu引导", "坚持创新驱动、政府引导"),
        ("允许符合相关资质的gaoji别自动驾驶车辆", "允许符合相关资质的高级别自动驾驶车辆"),
        ("通过新闻发布会、guanfangwangzhan等形式", "通过新闻发布会、官方网站等形式"),
        ("金融监管zongju浙江监管局", "金融监管总局浙江监管局"),
    ],
)
def test_pinyin_is_restored(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize("word", ["zhengfuture", "agaoji", "biaogans", "Gaoji", "megaojix"])
def test_english_words_containing_pinyin_are_untouched(word):
    assert normalize_text(f"the {word} project") == f"the {word} project"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Words the bundled plan never spells in pinyin: the repair is a mechanism, not the plan's table.
        ("加强shichangjianguan能力", "加强市场监管能力"),
        ("推动kejichuangxin，支持zhongxiaoqiye发展", "推动科技创新，支持中小企业发展"),
    ],
)
def test_pinyin_of_any_dictionary_word_is_restored(raw, expected):
    assert normalize_text(raw) == expected


def test_letters_that_are_not_pinyin_words_or_stand_among_english_are_untouched():
    assert normalize_text("建设chinadata平台") == "建设chinadata平台"
    assert normalize_text("采用 open source 和 china 模型") == "采用 open source 和 china 模型"


def test_pinyin_inside_email_and_url_untouched():
    assert normalize_text("电子邮箱：caigou@example.com") == "电子邮箱：caigou@example.com"
    assert normalize_text("网址：http://www.zhengfu.gov.cn/") == "网址：http://www.zhengfu.gov.cn/"


def test_zero_width_and_control_characters_removed():
    assert normalize_text("\u200b政\u200d府\ufeff引\x07导\u00ad\u2060") == "政府引导"
    assert normalize_text("省\u3000科技厅\t\x0c") == "省 科技厅"


# --- pages of wrapped lines (PDF) ------------------------------------------------------
def test_wrapped_lines_are_rejoined():
    pages = [(1, f"{FULL}\n尾所以应当与下一行拼接。\n短句一。\n短句二。")]
    assert texts(pages) == [FULL + "尾所以应当与下一行拼接。", "短句一。", "短句二。"]


def test_date_split_over_two_lines_is_rejoined():
    pages = [(1, "一、施行日期\n本办法自2025年9月\n1日起施行。\n另有规定的除外。")]
    result = texts(pages)
    assert "本办法自2025年9月1日起施行。" in result
    assert not any(t.endswith("9月") or t.startswith("1日") for t in result)


def test_page_numbers_and_running_header_dropped():
    header = "示例市人民政府文件（测试样例）"
    pages = [
        (1, f"{header}\n一、总体目标\n{FULL}\n继续第一页的内容。\n- 1 -"),
        (2, f"{header}\n二、重点领域\n第二页的内容。\n第 2 页"),
        (3, f"{header}\n三、保障措施\n第三页的内容。\n- 3 -"),
    ]
    paragraphs = paragraphs_from_pages(pages, layout_wrapped=True)
    result = [p.text for p in paragraphs]
    assert result == [
        "一、总体目标",
        FULL + "继续第一页的内容。",
        "二、重点领域",
        "第二页的内容。",
        "三、保障措施",
        "第三页的内容。",
    ]
    assert [p.page for p in paragraphs] == [1, 1, 2, 2, 3, 3]


def test_sentence_wrapped_across_pages_rejoined_without_header():
    header = "示例市人民政府文件（测试样例）"
    pages = [
        (1, f"{header}\n一、总体目标\n{FULL}\n- 1 -"),
        (2, f"{header}\n跨页的句子到此结束。\n二、重点领域\n- 2 -"),
    ]
    paragraphs = paragraphs_from_pages(pages, layout_wrapped=True)
    assert [p.text for p in paragraphs] == ["一、总体目标", FULL + "跨页的句子到此结束。", "二、重点领域"]
    assert paragraphs[1].page == 1


HEADINGS = {
    "cn_num": "二、保障措施",
    "cn_paren": "（三）人工智能+医疗",
    "chapter": "第二章 支持对象和条件",
    "article": "第五条 申请企业应当同时具备下列条件：",
    "arabic": "1. 鼓励银行机构",
    "attachment": "附件：行动计划",
}


@pytest.mark.parametrize("heading", list(HEADINGS.values()), ids=list(HEADINGS))
def test_heading_never_glued_to_previous_line(heading):
    # FULL fills the line and does not end a sentence: a plain continuation would be joined.
    result = texts([(1, f"{FULL}\n{heading}\n接续的文字。")])
    assert result[0] == FULL
    assert result[1].startswith(normalize_text(heading))


def test_arabic_paren_item_never_glued_to_previous_line():
    result = texts([(1, f"{FULL}\n（2）同一笔贷款不得重复享受省级奖励。")])
    assert result[0] == FULL
    assert result[1] == "（2）同一笔贷款不得重复享受省级奖励。"


def test_unwrapped_formats_keep_every_line():
    pages = [(None, f"{FULL}\n不应拼接的下一行\n\n最后一行")]
    assert texts(pages, layout_wrapped=False) == [FULL, "不应拼接的下一行", "最后一行"]


def test_the_shipped_pinyin_lexicon_is_what_the_builder_makes():
    from ingest.pinyin import build_lexicon, pinyin_words

    assert pinyin_words() == build_lexicon()
