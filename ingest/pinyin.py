"""Words written as toneless pinyin inside Chinese text ("构建智慧型zhengfu") turned back into Chinese.

Some published texts replace words by pinyin (to dodge filters, or by a broken converter); a citizen
must read 政府, not zhengfu. The repair is a mechanism, not a table of the words one file used: a
pinyin → word lexicon built from jieba's dictionary with pypinyin's readings is shipped as data
(``data/lexicons/pinyin_words.tsv``, rebuilt by ``python -m ingest.pinyin``), and a run of lower-case letters is replaced only when

- it stands between Chinese characters or Chinese punctuation on at least one side, and not inside an
  e-mail address, a URL or an English word (no letter, digit or ``_ . @ / : -`` touches it);
- it splits completely into dictionary words of two or more syllables (``guanfangwangzhan`` →
  官方 + 网站), choosing the fewest words, then the most frequent (``zhengfu`` → 政府, not 征服).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_PUNCT = "，。、；：？！“”‘’（）《》【】—…·"
_CANDIDATE_RE = re.compile(r"(?<![A-Za-z0-9_.@/:\-])[a-z]{4,40}(?![A-Za-z0-9_@/:\-]|\.[A-Za-z0-9])")
_MIN_WORD_FREQUENCY = 20  # jieba counts; below this a dictionary entry is too rare to be what a text meant
_MAX_WORD_CHARS = 4


def _toneless(reading: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
    return plain.replace("ü", "v").lower()


LEXICON = Path(__file__).resolve().parent.parent / "data" / "lexicons" / "pinyin_words.tsv"


def build_lexicon() -> dict[str, tuple[str, int]]:
    """Toneless pinyin of a word (``zhengfu``) → the most frequent dictionary word with that reading.

    Built from jieba's dictionary (words of 2–4 characters used at least ``_MIN_WORD_FREQUENCY``
    times) with pypinyin's readings; ``python -m ingest.pinyin`` writes it to ``LEXICON``.
    """
    import jieba
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    best: dict[str, tuple[str, int]] = {}
    with jieba.get_dict_file() as lines:
        for raw in lines:
            word, frequency, *_ = raw.decode("utf-8").split(" ")
            frequency = int(frequency)
            if frequency < _MIN_WORD_FREQUENCY or not 2 <= len(word) <= _MAX_WORD_CHARS:
                continue
            if word in phrases_dict:  # polyphonic words: pypinyin knows the reading in this word
                syllables = [_toneless(readings[0]) for readings in phrases_dict[word]]
            else:
                readings = [pinyin_dict.get(ord(char)) for char in word]
                if not all(readings):
                    continue
                syllables = [_toneless(r.split(",")[0]) for r in readings]
            key = "".join(syllables)
            if key not in best or frequency > best[key][1]:
                best[key] = (word, frequency)
    return best


@lru_cache(maxsize=1)
def pinyin_words() -> dict[str, tuple[str, int]]:
    """The shipped lexicon, loaded once and checked line by line."""
    words: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(LEXICON.read_text(encoding="utf-8").splitlines(), start=1):
        key, word, frequency = line.split("\t")
        if not (key.isascii() and key.isalpha() and re.fullmatch(f"[{CJK}]{{2,{_MAX_WORD_CHARS}}}", word)):
            raise ValueError(f"{LEXICON}: line {number} is not 'pinyin<TAB>word<TAB>frequency': {line!r}")
        words[key] = (word, int(frequency))
    return words


def _words_for(run: str) -> str | None:
    """The dictionary words that spell ``run`` exactly: fewest words, then the most frequent."""
    words = pinyin_words()
    longest = 6 * _MAX_WORD_CHARS
    # best[i]: (number of words, -total frequency, words) for run[:i]
    best: list[tuple[int, int, tuple[str, ...]] | None] = [None] * (len(run) + 1)
    best[0] = (0, 0, ())
    for end in range(1, len(run) + 1):
        for start in range(max(0, end - longest), end - 2):
            if best[start] is None or (entry := words.get(run[start:end])) is None:
                continue
            count, frequency, found = best[start]
            candidate = (count + 1, frequency - entry[1], found + (entry[0],))
            if best[end] is None or candidate[:2] < best[end][:2]:
                best[end] = candidate
    return "".join(best[-1][2]) if best[-1] else None


def _beside_chinese(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return any(c and (re.match(f"[{CJK}]", c) or c in _CJK_PUNCT) for c in (before, after))


def restore_pinyin(text: str) -> str:
    """``text`` with pinyin-spelled words inside Chinese text written in Chinese again."""
    if not re.search(r"[a-z]{4}", text):
        return text

    def replace(match: re.Match) -> str:
        if not _beside_chinese(text, match.start(), match.end()):
            return match.group()
        return _words_for(match.group()) or match.group()

    return _CANDIDATE_RE.sub(replace, text)


def main() -> None:
    LEXICON.parent.mkdir(parents=True, exist_ok=True)
    lexicon = build_lexicon()
    rows = [f"{key}\t{word}\t{frequency}" for key, (word, frequency) in sorted(lexicon.items())]
    LEXICON.write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} words to {LEXICON}")


if __name__ == "__main__":
    main()
