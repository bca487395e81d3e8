"""Is every figure and organisation an answer states in the clauses it cites? (Used by `policybot eval`.)

An answer may only state what its sources say. This check reads the answer as a user would: the
numbers it states (years, dates, amounts, counts, rates — list numbering and citation markers are not
statements) and the organisation names it states (a name ending in an organisation suffix such as 厅,
委, 局, 办公室, 中心, 银行), and looks for each in the text of the cited clauses, their headings and
their documents' titles. What is not found there is reported, verbatim.
"""

from __future__ import annotations

import re

from bot.llm.verify import MARKER_RE, figures
from bot.models import Answer

# The last part of an organisation's name: 省经信厅, 国家发展改革委, 市数据局, 省委网信办, 人行浙江省分行.
_ORG_SUFFIX = (
    r"(?:委员会|办公厅|办公室|管理局|监管局|监管总局|总局|分行|分局|中心|研究院|集团|公司|银行|政府|"
    r"厅|委|局|办|署|部)"
)
# List numbering at the start of a line ("1. ", "2、") states nothing.
_LIST_NUMBER_RE = re.compile(r"^(\s*(?:[-*>]\s*)?)\d{1,2}[.．、]\s*", re.M)
# Identifiers (doc-9566e9bc…, file names, e-mail addresses) hold digits but state no figure.
_IDENTIFIER_RE = re.compile(r"[A-Za-z0-9_.@/-]*[A-Za-z][A-Za-z0-9_.@/-]*\d[A-Za-z0-9_.@/-]*|[A-Za-z0-9_.@/-]*\d[A-Za-z0-9_.@/-]*[A-Za-z][A-Za-z0-9_.@/-]*")
# Where a name may start: an administrative level or a place name (two to four characters before 省/市/县/区).
_ORG_START = r"(?:国务院|国家|中央|省委|市委|县委|区委|省|市|县|区|[\u4e00-\u9fff]{2,4}?(?:省|市|县|区))"
_ORG_RE = re.compile(rf"{_ORG_START}[\u4e00-\u9fff]{{0,12}}?{_ORG_SUFFIX}(?![\u4e00-\u9fff]{{0,1}}(?:长|员|门|分|务))")
# Words that end like an organisation but are not one when they stand alone ("省内", "市场主体").
_NOT_ORG_RE = re.compile(r"^(?:省|市|县|区)(?:委|办|局|部)$")


def organisations(text: str) -> list[str]:
    """Organisation names stated in ``text`` (shortest reading of each), in order."""
    names = []
    for match in _ORG_RE.finditer(text):
        name = match.group()
        if not _NOT_ORG_RE.match(name):
            names.append(name)
    return names


def _support(answer: Answer) -> str:
    parts = []
    for citation in answer.citations:
        parts += [citation.doc_title, citation.clause, citation.quote, citation.clause_text]
    return "\n".join(parts)


def _found(name: str, support: str) -> bool:
    # "浙江省经信厅" is grounded by a clause that says "省经信厅": any tail of the name that still
    # starts at a level word counts.
    if name in support:
        return True
    for start in re.finditer(r"国务院|国家|省|市|县|区", name):
        tail = name[start.start():]
        if len(tail) >= 3 and tail in support:
            return True
    return False


def ungrounded(answer: Answer, asked: str = "") -> list[str]:
    """The figures and organisations ``answer`` states that none of its cited clauses contains.

    ``asked`` is what the user said (question and earlier turns): repeating the asker's own figures
    ("支出500万元 × 30%") states nothing about a policy.
    """
    if answer.refused:
        return []
    text = _IDENTIFIER_RE.sub(" ", _LIST_NUMBER_RE.sub(r"\1", MARKER_RE.sub(" ", answer.answer)))
    support = _support(answer)
    missing = [f"figure {n}" for n in sorted(figures(text) - figures(support) - figures(asked or answer.question))]
    seen: set[str] = set()
    for name in organisations(text):
        if name not in seen and not _found(name, support):
            missing.append(f"organisation {name}")
        seen.add(name)
    return missing
