"""Proposals and selections as CSV (UTF-8 with BOM, for Excel) and XLSX, safe against formula injection."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Optional, Sequence

from models.schema import Proposal
from web.manager.forms import home_time

# A spreadsheet evaluates a cell that starts with one of these as a formula (tab and carriage
# return too, in some programs); text from users must never run there.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: Any) -> Any:
    """Prefixes an apostrophe to text a spreadsheet would read as a formula; other values pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    header: str
    width: int = 16  # in characters, for the XLSX sheet


def proposal_columns(translate) -> list[Column]:
    """Returns the columns of a proposal export, headed in the reader's language (translate = gettext)."""
    return [
        Column(translate("Programme"), 24), Column(translate("Field"), 18), Column(translate("Challenge code"), 14),
        Column(translate("Challenge title"), 40), Column(translate("Sponsor"), 16),
        Column(translate("Startup (Korean)"), 18), Column(translate("Startup (English)"), 18),
        Column(translate("Score"), 8), Column(translate("Band"), 10), Column(translate("Rank"), 6),
        Column(translate("Status"), 12), Column(translate("Shortlist rank"), 8),
        Column(translate("Best-matching challenge sentence"), 40),
        Column(translate("Best-matching startup sentence"), 40),
        Column(translate("Sentence similarity"), 10), Column(translate("Shared terms"), 24),
        Column(translate("Decision note"), 30), Column(translate("Decided at (KST)"), 17),
    ]


def proposal_row(proposal: Proposal, *, locale: str, band: str, status: str) -> list[Any]:
    """Returns one proposal as export cells (challenge, field, programme, sponsor and startup loaded)."""
    challenge = proposal.challenge
    organization = proposal.startup.organization
    explanation = proposal.explanation or {}
    pair = explanation.get("best_pair") or {}
    similarity = pair.get("similarity")
    return [
        challenge.field.programme.name(locale), challenge.field.name(locale), challenge.code, challenge.title,
        challenge.sponsor.name(locale), organization.name_ko, organization.name_en,
        round(proposal.score, 4), band, proposal.rank, status, proposal.shortlist_rank,
        pair.get("challenge", ""), pair.get("startup", ""),
        round(float(similarity), 4) if similarity is not None else None,
        ", ".join(str(t) for t in explanation.get("shared_terms") or []),
        proposal.reason or "", _time(proposal.status_changed_at),
    ]


def _time(value: Optional[datetime]) -> str:
    return home_time(value).strftime("%Y-%m-%d %H:%M") if value else ""


def to_csv(columns: Sequence[Column], rows: Iterable[Sequence[Any]]) -> bytes:
    """Writes a CSV that Excel opens with Korean intact: UTF-8 with a byte order mark, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(c.header) for c in columns])
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, sheet: str) -> bytes:
    """Writes an XLSX workbook; every text cell is stored as text, so nothing typed can become a formula."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    worksheet = workbook.active
    # Sheet names may not hold []:*?/\ and are at most 31 characters.
    worksheet.title = "".join(ch for ch in sheet if ch not in "[]:*?/\\")[:31] or "Sheet1"
    worksheet.append([c.header for c in columns])
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = column.width
    for row_index, row in enumerate(rows, start=2):
        for index, value in enumerate(row, start=1):
            cell = worksheet.cell(row=row_index, column=index)
            cell.value = value
            if isinstance(value, str):
                # openpyxl reads a string starting with "=" as a formula (and "#N/A" as an error): store it as
                # text, quote-prefixed so that Excel keeps it text when someone edits the cell.
                cell.data_type = "s"
                if value.startswith(FORMULA_STARTS):
                    cell.quotePrefix = True
                if "\n" in value:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    worksheet.freeze_panes = "A2"
    worksheet.auto_filter.ref = worksheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
