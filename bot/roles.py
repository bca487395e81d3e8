"""An agency's part in a clause: the task the clause sets, and whether its note makes the agency the lead.

Documents mark who does a task in a note after it — "（责任单位：A、B、C）" (A leads), "（A牵头，B、C按职责
分工负责）", "（牵头单位：A；配合单位：B）" — or in the text ("由A牵头，会同B…"). The task is the clause's
text before that note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.models import Clause

# A closing note naming who does the task: the last parenthesis of the clause that says 牵头/负责/单位.
_NOTE_RE = re.compile(r"[（(](?:[^（()）]|[（(][^（()）]*[)）])*?(?:牵头|负责|责任单位|配合单位|责任部门)(?:[^（()）]|[（(][^（()）]*[)）])*[)）]\s*$")
_NAME_LIST = r"(?:[、和及与][^，,；;。、（()）]{2,30}?)*"


@dataclass(frozen=True)
class Task:
    """What a clause asks to be done, and the note that names who does it."""

    text: str  # verbatim clause text before the note
    note: str  # verbatim note ("" when the clause has none)

    @property
    def quote(self) -> str:
        """The task and its note, contiguous as the clause writes them."""
        return f"{self.text}{self.note}" if self.note else self.text


def task(clause: Clause) -> Task:
    text = clause.text.strip()
    note = _NOTE_RE.search(text)
    if note is None:
        return Task(text, "")
    return Task(text[: note.start()].rstrip(), text[note.start():])


def leads(text: str, names: list[str]) -> bool:
    """Whether ``text`` makes one of ``names`` the lead: "A牵头", "A、B牵头", "由A牵头", "牵头单位：A"."""
    for name in names:
        escaped = re.escape(name)
        if re.search(rf"{escaped}{_NAME_LIST}(?:共同)?牵头", text) or re.search(rf"牵头(?:单位|部门)[：:]\s*{escaped}", text):
            return True
    return False


def named_in(text: str, names: list[str]) -> bool:
    return any(name and name in text for name in names)
