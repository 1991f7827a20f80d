"""Plausible Japanese council prose, assembled from the phrase bank in ``furano``.

Theory of operation: a sentence is a template from ``_TEMPLATES`` whose slots are filled with
choices from the bank, all drawn from one ``random.Random``. Paragraphs are a few sentences; a
page is paragraphs until a character budget is reached. Nothing reads the clock or global random
state, so the same seed always yields the same text on every machine — the PDFs
(``agenda_pack``) and the plain-text search corpus (``generate_pages_text``) both come from here.

Some sentences carry Latin terms (ICT, DX, KPI, FY2026, Wi-Fi) on purpose: mixed scripts are
what text extraction, search and CJK font handling get wrong.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from furano_meet.samples import furano
from furano_meet.samples.agenda import BudgetLine
from furano_meet.samples.wareki import format_fiscal_year

PAGE_TEXT_CHARS = 1_500
"""Upper bound on the characters of a ``generate_pages_text`` page (one printed A4 page is about
1,500 characters of Japanese); pages come out 1,200–1,500 characters long."""


def _yen(rng: random.Random) -> str:
    return f"{rng.randrange(100, 60_000) * 1_000:,}"


def _fiscal_year(rng: random.Random) -> str:
    year = rng.choice(furano.FISCAL_YEARS)
    return f"{format_fiscal_year(year)}（FY{year}）"


def _percent(rng: random.Random) -> str:
    return f"{rng.randint(1, 35)}.{rng.randint(0, 9)}"


# Each template fills its own slots from the generator; ``topic`` is supplied by the caller so a
# page about one agenda item keeps talking about it.
_Template = Callable[[random.Random, str], str]

_TEMPLATES: tuple[_Template, ...] = (
    lambda r, t: f"{t}については、{r.choice(furano.REASONS)}ことから、{r.choice(furano.ACTIONS)}。",
    lambda r, t: (
        f"本件は、{r.choice(furano.REASONS)}ため、{t}に係る{r.choice(furano.EXPENSES)}として"
        f"{_yen(r)}円を計上するものであります。"
    ),
    lambda r, t: (
        f"{_fiscal_year(r)}における{t}の{r.choice(furano.METRICS)}は、"
        f"前年度比{_percent(r)}％の{r.choice(furano.TRENDS)}となっております。"
    ),
    lambda r, t: (
        f"なお、{t}の実施に当たっては、{r.choice(furano.PARTNERS)}と緊密に連携し、"
        f"{r.choice(furano.GOALS)}に努めてまいります。"
    ),
    lambda r, t: (
        f"委員からは、{t}の{r.choice(furano.ASPECTS)}について質疑があり、担当課長から"
        f"{r.choice(furano.ANSWERS)}との答弁がありました。"
    ),
    lambda r, t: (
        f"{r.choice(furano.PLACES)}においては、{t}の一環として、"
        f"{r.choice(furano.WORKS)}を実施する予定であります。"
    ),
    lambda r, t: (
        f"{t}の進捗状況は、KPIとして設定した{r.choice(furano.METRICS)}により毎年度検証し、"
        "PDCAサイクルによる改善を図ってまいります。"
    ),
    lambda _r, t: (
        f"庁内のDX推進本部においても、{t}とあわせて、ICTを活用した業務の効率化について"
        "検討を進めているところであります。"
    ),
    lambda r, _t: (
        f"財源につきましては、{r.choice(furano.FUNDING)}を充当し、不足する額は"
        f"{r.choice(furano.FALLBACKS)}で対応するものであります。"
    ),
    lambda r, t: (
        f"これにより、{t}の事業費は総額{_yen(r)}円となり、"
        f"{r.choice(furano.DEADLINES)}までに完了する見込みであります。"
    ),
)


def sentence(rng: random.Random, topic: str | None = None) -> str:
    """One sentence about ``topic`` (a random topic from the bank when ``None``)."""
    subject = topic if topic is not None else rng.choice(furano.TOPICS)
    return rng.choice(_TEMPLATES)(rng, subject)


def compose_paragraphs(
    rng: random.Random, max_chars: int, *, topics: Sequence[str] = ()
) -> list[str]:
    """Paragraphs of 2–4 sentences, as many as fit in ``max_chars`` characters in total.

    Stops at the first paragraph that would not fit, so callers can size text to a box; a
    single paragraph is returned even if it alone is longer. Sentences talk about one of
    ``topics`` about a third of the time (so a page stays on its agenda item) and about a bank
    topic otherwise.
    """
    paragraphs: list[str] = []
    total = 0
    while True:
        sentences = []
        for _ in range(rng.randint(2, 4)):
            topic = rng.choice(topics) if topics and rng.random() < 0.35 else None
            sentences.append(sentence(rng, topic))
        paragraph = "".join(sentences)
        if paragraphs and total + len(paragraph) > max_chars:
            return paragraphs
        paragraphs.append(paragraph)
        total += len(paragraph)


def sample_budget_lines(rng: random.Random, count: int) -> tuple[BudgetLine, ...]:
    """``count`` budget lines under distinct 款・項・目 heads from the bank, in bank order."""
    heads = sorted(rng.sample(range(len(furano.BUDGET_HEADS)), count))
    lines = []
    for index in heads:
        kan, kou, moku = furano.BUDGET_HEADS[index]
        before = rng.randrange(10_000, 400_000) * 1_000
        change = rng.randrange(-before // 20_000, 50_000) * 1_000
        lines.append(BudgetLine(kan, kou, moku, before, change))
    return tuple(lines)


def generate_pages_text(n_pages: int, seed: int = 0) -> list[str]:
    """``n_pages`` page texts of up to ``PAGE_TEXT_CHARS`` characters, for search benchmarks.

    Each page starts with a numbered heading naming its topic, then paragraphs separated by
    newlines — the shape text extraction gives for a page of an agenda pack.
    """
    if n_pages < 0:
        raise ValueError(f"n_pages must be >= 0, got {n_pages}")
    rng = random.Random(f"furano-meet/pages-text/{seed}")
    pages = []
    for number in range(1, n_pages + 1):
        topic = rng.choice(furano.TOPICS)
        heading = f"{number}　{topic}について"
        # Leave room for the newlines between paragraphs (fewer than 20 on any page).
        body = compose_paragraphs(rng, PAGE_TEXT_CHARS - len(heading) - 20, topics=(topic,))
        pages.append("\n".join([heading, *body]))
    return pages
