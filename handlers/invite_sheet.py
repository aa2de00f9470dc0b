"""A printable A4 sheet of invites: one page per unit (more when it has over six), a QR code per
invite labelled with the unit, the role, the code and how to use it, in Vietnamese.

The QR code is the same as /moi's: the Telegram deep link when Telegram runs (a phone's camera
opens the bot with the code), else the code itself to read and send on Zalo. The text uses
DejaVu Sans, which matplotlib (a dependency) ships, so Vietnamese prints with every diacritic
and the PDF carries its font: it prints the same on any machine, with no internet.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import segno
from fpdf import FPDF

from handlers.texts import INVITE_SHEET, ROLE_NAMES

FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 12.0  # A4, millimetres
COLUMNS, ROWS = 2, 3  # cards on a page when a unit has several invites


@dataclass(frozen=True)
class SheetInvite:
    unit_code: str
    unit_name: str
    role: str
    code: str
    link: str | None  # what the QR code opens (None: the QR code carries the code itself)


def _qr(data: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=10, border=1)
    buffer.seek(0)
    return buffer


def _how(platforms: Sequence[str], bot_username: str) -> str:
    if "telegram" in platforms and "zalo" in platforms:
        return INVITE_SHEET["how_both"].format(bot=bot_username)
    if "telegram" in platforms:
        return INVITE_SHEET["how_telegram"].format(bot=bot_username)
    return INVITE_SHEET["how_zalo"]


class _Sheet(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.add_font("DejaVuMono", "B", str(FONTS / "DejaVuSansMono-Bold.ttf"))

    def heading(self, unit_name: str, expires: str) -> float:
        self.set_xy(MARGIN, MARGIN)
        self.set_font("DejaVu", "B", 15)
        self.multi_cell(PAGE_W - 2 * MARGIN, 7, f"{INVITE_SHEET['title']} – {unit_name}", align="L",
                        new_x="LMARGIN", new_y="NEXT")
        self.set_font("DejaVu", "", 10)
        self.multi_cell(PAGE_W - 2 * MARGIN, 5, INVITE_SHEET["expires"].format(expires=expires), align="L",
                        new_x="LMARGIN", new_y="NEXT")
        return self.get_y() + 4

    def card(self, invite: SheetInvite, x: float, y: float, w: float, h: float, how: str, scale: float = 1.0) -> None:
        """One invite in a dashed box (cut along it): QR, unit, role, code, how to use it."""
        self.set_draw_color(150, 150, 150)
        with self.local_context():
            self.set_dash_pattern(dash=2, gap=1.5)
            self.rect(x, y, w, h)
        qr_size = min(w * 0.62, h * 0.55)
        self.image(_qr(invite.link or invite.code), x=x + (w - qr_size) / 2, y=y + 4, w=qr_size, h=qr_size)
        self.set_xy(x + 3, y + 6 + qr_size)
        self.set_font("DejaVu", "B", 11 * scale)
        self.multi_cell(w - 6, 5 * scale, INVITE_SHEET["unit"].format(unit=invite.unit_name), align="C")
        self.set_x(x + 3)
        self.set_font("DejaVu", "", 10 * scale)
        self.multi_cell(w - 6, 5 * scale, INVITE_SHEET["role"].format(role=ROLE_NAMES[invite.role]), align="C")
        self.set_x(x + 3)
        self.set_font("DejaVuMono", "B", 17 * scale)
        self.multi_cell(w - 6, 9 * scale, invite.code, align="C")
        self.set_x(x + 3)
        self.set_font("DejaVu", "", 8.5 * scale)
        self.multi_cell(w - 6, 4 * scale, how, align="C")


def sheet_pdf(invites: Sequence[SheetInvite], *, platforms: Sequence[str], bot_username: str, expires: str) -> bytes:
    """The PDF: for each unit (in the order given), its invites six to a page, or one large card
    when it has just one."""
    pdf = _Sheet()
    how = _how(platforms, bot_username)
    by_unit: dict[str, list[SheetInvite]] = {}
    for invite in invites:
        by_unit.setdefault(invite.unit_code, []).append(invite)
    for group in by_unit.values():
        if len(group) == 1:
            pdf.add_page()
            top = pdf.heading(group[0].unit_name, expires)
            width = 130.0
            pdf.card(group[0], (PAGE_W - width) / 2, top + 6, width, 145, how, scale=1.4)
            continue
        per_page = COLUMNS * ROWS
        for start in range(0, len(group), per_page):
            pdf.add_page()
            top = pdf.heading(group[0].unit_name, expires)
            w = (PAGE_W - 2 * MARGIN - 6) / COLUMNS
            h = (PAGE_H - MARGIN - top - 6) / ROWS
            for index, invite in enumerate(group[start:start + per_page]):
                column, row = index % COLUMNS, index // COLUMNS
                pdf.card(invite, MARGIN + column * (w + 6), top + row * (h + 3), w, h - 3, how)
    return bytes(pdf.output())
