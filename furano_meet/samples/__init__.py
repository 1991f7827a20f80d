"""Sample agenda packs (議案書) and Japanese page text for the demo, tests and benchmarks.

Qt-free; needs only PyMuPDF. Start with ``generate_agenda_pack`` (one PDF as bytes),
``demo_documents`` (the demo meeting's packs) or ``generate_pages_text`` (plain text for
search benchmarks).
"""

from furano_meet.samples.agenda import AgendaItem, BudgetLine, Meeting
from furano_meet.samples.agenda_pack import generate_agenda_pack
from furano_meet.samples.demo import demo_documents
from furano_meet.samples.furano import DEMO_ITEMS, DEMO_MEETING
from furano_meet.samples.phrases import generate_pages_text

__all__ = [
    "DEMO_ITEMS",
    "DEMO_MEETING",
    "AgendaItem",
    "BudgetLine",
    "Meeting",
    "demo_documents",
    "generate_agenda_pack",
    "generate_pages_text",
]
