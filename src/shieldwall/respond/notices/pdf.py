"""Notices laid out as PDF with reportlab, from the HTML that :mod:`.letters` renders.

Why reportlab and STSong-Light: reportlab is maintained, pure Python with wheels, and
``UnicodeCIDFont("STSong-Light")`` is a standard Adobe CJK font the PDF names without embedding:
no font file is needed, downloaded or shipped, and the text stays extractable. The reader
supplies the glyphs (or substitutes a CJK font it has), so the look varies by reader; embedding
a font would need a CJK font package (tens of MB) on every host. The font covers Latin text too,
so one font serves both languages.

PDFs are built with reportlab's ``invariant`` mode (no creation date, a fixed document id), so
the same notice gives the same bytes. Nothing in the PDF's metadata names the person.
"""

from __future__ import annotations

from html.parser import HTMLParser
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer

FONT = "STSong-Light"
_BLOCKS = {"h1", "h2", "p", "li", "title"}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16, wordWrap="CJK")
    return {
        "h1": ParagraphStyle("h1", parent=body, fontSize=16, leading=22, spaceAfter=8),
        "h2": ParagraphStyle("h2", parent=body, fontSize=12, leading=18, spaceBefore=8),
        "p": ParagraphStyle("p", parent=body, spaceAfter=4),
        "li": ParagraphStyle("li", parent=body, leftIndent=6 * mm, bulletIndent=2 * mm),
    }


class _Blocks(HTMLParser):
    """The text of each block element of the subset, in order: ``[(tag, text), ...]``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self.title = ""
        self._tag: str | None = None
        self._text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"style", "head"}:
            self._skip += 1
        elif tag in _BLOCKS:
            self._tag, self._text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"style", "head"}:
            self._skip -= 1
        if tag == "title" and self._tag == "title":
            self.title = "".join(self._text).strip()
            self._tag = None
        elif tag in _BLOCKS and tag == self._tag:
            text = " ".join("".join(self._text).split())
            if text:
                self.blocks.append((tag, text))
            self._tag = None

    def handle_data(self, data: str) -> None:
        if self._tag == "title" or (self._tag is not None and not self._skip):
            self._text.append(data)


def html_blocks(html: str) -> tuple[str, list[tuple[str, str]]]:
    """The document's title and its blocks as plain text."""
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    return parser.title, parser.blocks


def render_pdf(html: str) -> bytes:
    """The notice's HTML laid out on A4 pages."""
    title, blocks = html_blocks(html)
    styles = _styles()
    story: list[Flowable] = []
    for tag, text in blocks:
        if tag == "li":
            story.append(Paragraph(escape(text), styles["li"], bulletText="•"))
        else:
            story.append(Paragraph(escape(text), styles[tag]))
    story.append(Spacer(1, 4 * mm))
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author="",
        subject="",
        creator="shieldwall",
        invariant=1,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
    )
    doc.build(story)
    return buffer.getvalue()
