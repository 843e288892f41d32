"""The dashboard's charts as SVG, drawn server-side with matplotlib; text stays text so browsers draw Korean.

matplotlib is imported when a chart is drawn, not when the app starts (it takes most of a second).
Its own fonts have no Hangul: it only measures labels (missing glyphs are measured as boxes, so
label room is reserved from the characters' East Asian width instead). The dashboard puts each
chart inline (`inline`), so the page's own web font (Pretendard, served by the app) draws the
Korean labels on any machine; a chart fetched on its own names a font stack instead: Pretendard
where installed, then the Korean system fonts of Windows, macOS, Android and Linux.
Each number drawn next to a bar sits in a group with a stable id (value-<row>, value-<row>-<series>,
note-<row>; row 0 is the first label), so the numbers of a chart can be read back from its file."""

from __future__ import annotations

import io
import threading
import unicodedata
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Sequence

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
FONT_STACK = ("Pretendard, 'Apple SD Gothic Neo', 'Malgun Gothic', 'Noto Sans KR', 'Noto Sans CJK KR', "
              "NanumGothic, system-ui, sans-serif")
INK, MUTED, LINE = "#1d2433", "#5b6478", "#dfe3ec"
ACCENT, ACCENT_2, OK, WARN, BAD = "#a50034", "#3253dc", "#1b7f4b", "#b25c00", "#b3261e"
FONT_SIZE = 11

# rc_context changes matplotlib's global settings for its duration; one chart at a time per process.
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Text:
    """The words of a chart, already in the reader's language."""

    title: str
    description: str  # one or two sentences: what the chart shows, for screen readers (<desc>)


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Estimates how wide a label is drawn, in points: wide (Hangul, CJK) characters take a full em."""
    ems = sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text)
    return ems * size


def shorten(text: str, limit: int = 24) -> str:
    """Cuts a long label to about `limit` characters, with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _figure(width_pt: float, height_pt: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width_pt / 72, height_pt / 72), dpi=72)


def _style(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(LINE)
    ax.tick_params(colors=MUTED, labelsize=FONT_SIZE)
    ax.set_axisbelow(True)


def _render(figure, text: Text) -> str:
    import matplotlib

    buffer = io.StringIO()
    settings = {"svg.fonttype": "none", "svg.hashsalt": "matchmaker", "font.family": ["sans-serif"],
                "font.sans-serif": ["DejaVu Sans"], "font.size": FONT_SIZE}
    with _LOCK, matplotlib.rc_context(settings), warnings.catch_warnings():
        # DejaVu Sans, the only font matplotlib ships, has no Hangul; it measures, the browser draws.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return _finish(buffer.getvalue(), text)


def _finish(svg: str, text: Text) -> str:
    """Adds a title and description, names the Korean-capable font stack, and returns the SVG document."""
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    # Bandit B314 does not apply: this is the SVG matplotlib just wrote in this process, not input.
    root = ET.fromstring(svg)  # nosec B314
    root.set("role", "img")
    root.set("aria-labelledby", "chart-title chart-desc")
    desc = ET.Element(f"{{{SVG_NS}}}desc", {"id": "chart-desc"})
    desc.text = text.description
    title = ET.Element(f"{{{SVG_NS}}}title", {"id": "chart-title"})
    title.text = text.title
    root.insert(0, desc)
    root.insert(0, title)
    for node in root.iter(f"{{{SVG_NS}}}text"):
        style = node.get("style", "")
        parts = [p for p in (s.strip() for s in style.split(";")) if p and not p.startswith("font-family")]
        node.set("style", "; ".join(parts + [f"font-family: {FONT_STACK}"]))
    # Metadata only names matplotlib; leaving it out keeps the file small and stable.
    for meta in root.findall(f"{{{SVG_NS}}}metadata"):
        root.remove(meta)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def _empty(text: Text, message: str) -> str:
    figure = _figure(480, 120)
    figure.text(0.5, 0.5, message, ha="center", va="center", color=MUTED, fontsize=FONT_SIZE + 1)
    return _render(figure, text)


def _layout(figure, labels: Sequence[str], *, right: float = 40, top: float = 36, bottom: float = 40) -> None:
    width, height = figure.get_size_inches() * 72
    left = max((text_width(label) for label in labels), default=0) + 18
    figure.subplots_adjust(left=min(left / width, 0.6), right=1 - right / width,
                           top=1 - top / height, bottom=bottom / height)


def score_strips(
    *, text: Text, labels: Sequence[str], scores: Sequence[Sequence[float]], strong: float, possible: float,
    strong_label: str, possible_label: str, empty: str, notes: Sequence[str],
) -> str:
    """Draws each field's proposal scores as a strip of dots over a box plot, band thresholds as lines.

    labels[i] names field i; scores[i] are its scores in [0, 1]; notes[i] is written at the row's end
    (its count and median, in the reader's language).
    """
    if not any(scores):
        return _empty(text, empty)
    labels = [shorten(label) for label in labels]
    figure = _figure(720, 70 + 44 * len(labels))
    ax = figure.add_subplot()
    _style(ax)
    rows = list(range(len(labels)))[::-1]  # first field on top
    filled = [(row, list(s)) for row, s in zip(rows, scores) if s]
    if filled:
        ax.boxplot([s for _, s in filled], positions=[row for row, _ in filled], orientation="horizontal", widths=0.5,
                   showfliers=False, patch_artist=True, medianprops={"color": INK},
                   boxprops={"facecolor": "#eef2ff", "edgecolor": ACCENT_2}, whiskerprops={"color": ACCENT_2},
                   capprops={"color": ACCENT_2})
    for row, values in filled:
        n = len(values)
        # A fixed spread instead of random jitter: the same data always draws the same picture.
        offsets = [((i % 5) - 2) * 0.06 for i in range(n)]
        colours = [OK if v >= strong else (ACCENT_2 if v >= possible else MUTED) for v in values]
        ax.scatter(values, [row + o for o in offsets], s=22, c=colours, alpha=0.85, zorder=3, linewidths=0)
    for index, (row, note) in enumerate(zip(rows, notes)):
        ax.text(1.02, row, note, gid=f"note-{index}", va="center", ha="left", color=MUTED,
                fontsize=FONT_SIZE - 1, transform=ax.get_yaxis_transform())
    ax.axvline(strong, color=OK, linestyle="--", linewidth=1)
    ax.axvline(possible, color=ACCENT_2, linestyle=":", linewidth=1)
    ax.text(strong, 1.01, f"{strong_label} ≥ {strong:.3g}", color=OK, fontsize=FONT_SIZE - 1, ha="center",
            va="bottom", transform=ax.get_xaxis_transform())
    ax.text(possible, 1.01, f"{possible_label} ≥ {possible:.3g}", color=ACCENT_2, fontsize=FONT_SIZE - 1,
            ha="center", va="bottom", transform=ax.get_xaxis_transform())
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.set_yticks(rows, labels)
    ax.grid(axis="x", color=LINE, linewidth=0.6)
    _layout(figure, labels, right=max((text_width(n, FONT_SIZE - 1) for n in notes), default=0) + 24, top=34)
    return _render(figure, text)


def coverage_bars(
    *, text: Text, labels: Sequence[str], strong: Sequence[int], others: Sequence[int], short: Sequence[bool], k: int,
    strong_label: str, other_label: str, target_label: str, empty: str,
) -> str:
    """Draws, per challenge, its strong and other proposals as stacked bars; challenges short of k are red.

    labels[i] names challenge i; strong[i] + others[i] is its number of proposals; short[i] marks a
    challenge with fewer than k strong candidates (its label and count are drawn in red, marked '!').
    """
    if not labels:
        return _empty(text, empty)
    labels = [shorten(label, 30) for label in labels]
    shown = [f"! {label}" if is_short else label for label, is_short in zip(labels, short)]
    figure = _figure(720, 80 + 26 * len(labels))
    ax = figure.add_subplot()
    _style(ax)
    rows = list(range(len(labels)))[::-1]
    ax.barh(rows, strong, color=OK, height=0.6, label=strong_label)
    ax.barh(rows, others, left=strong, color="#c9d3f5", height=0.6, label=other_label)
    top = max([k] + [s + o for s, o in zip(strong, others)])
    for index, (row, s, o, is_short) in enumerate(zip(rows, strong, others, short)):
        ax.text(s + o + top * 0.01, row, f"{s} / {s + o}", gid=f"value-{index}", va="center",
                fontsize=FONT_SIZE - 1, color=BAD if is_short else MUTED, fontweight="bold" if is_short else "normal")
    if k:
        ax.axvline(k, color=WARN, linestyle="--", linewidth=1)
        ax.text(k, 1.0, f"{target_label} k = {k}", color=WARN, fontsize=FONT_SIZE - 1, ha="center", va="bottom",
                transform=ax.get_xaxis_transform())
    ax.set_yticks(rows, shown)
    for tick, is_short in zip(ax.get_yticklabels(), short):
        if is_short:
            tick.set_color(BAD)
            tick.set_fontweight("bold")
    ax.set_xlim(0, top * 1.15 + 0.5)
    ax.set_ylim(-0.7, len(labels) - 0.3)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", color=LINE, linewidth=0.6)
    ax.legend(loc="lower left", frameon=False, fontsize=FONT_SIZE - 1, bbox_to_anchor=(0.0, 1.02), ncols=2)
    _layout(figure, shown, right=60, top=40)
    return _render(figure, text)


def funnel_bars(*, text: Text, labels: Sequence[str], counts: Sequence[int], empty: str) -> str:
    """Draws the decision funnel: one bar per stage, with its count and its share of the first stage."""
    if not counts or not counts[0]:
        return _empty(text, empty)
    figure = _figure(720, 70 + 40 * len(labels))
    ax = figure.add_subplot()
    _style(ax)
    rows = list(range(len(labels)))[::-1]
    colours = [ACCENT_2, "#4f6fe0", "#6f8be6", OK, ACCENT][: len(labels)]
    ax.barh(rows, counts, color=colours, height=0.62)
    first = counts[0]
    for index, (row, count) in enumerate(zip(rows, counts)):
        ax.text(count + first * 0.01, row, f"{count} ({count / first:.0%})", gid=f"value-{index}", va="center",
                fontsize=FONT_SIZE - 1, color=INK)
    ax.set_yticks(rows, labels)
    ax.set_xlim(0, first * 1.2 + 0.5)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", color=LINE, linewidth=0.6)
    _layout(figure, labels, right=30, top=20)
    return _render(figure, text)


def balance_bars(
    *, text: Text, labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], empty: str,
) -> str:
    """Draws grouped bars per field, one bar per series (e.g. proposals, interested startups), with counts."""
    if not labels:
        return _empty(text, empty)
    labels = [shorten(label) for label in labels]
    n = len(series)
    figure = _figure(720, 80 + (14 * n + 16) * len(labels))
    ax = figure.add_subplot()
    _style(ax)
    height = 0.8 / n
    colours = [ACCENT_2, OK, WARN, ACCENT]
    rows = list(range(len(labels)))[::-1]
    top = max([1] + [v for _, values in series for v in values])
    for j, (name, values) in enumerate(series):
        positions = [row + 0.4 - height * (j + 0.5) for row in rows]
        ax.barh(positions, values, height=height * 0.9, color=colours[j % len(colours)], label=name)
        for index, (y, v) in enumerate(zip(positions, values)):
            ax.text(v + top * 0.01, y, str(v), gid=f"value-{index}-{j}", va="center", fontsize=FONT_SIZE - 2, color=INK)
    ax.set_yticks(rows, labels)
    ax.set_xlim(0, top * 1.15 + 0.5)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="x", color=LINE, linewidth=0.6)
    ax.legend(loc="lower left", frameon=False, fontsize=FONT_SIZE - 1, bbox_to_anchor=(0.0, 1.0), ncols=n)
    _layout(figure, labels, right=30, top=40)
    return _render(figure, text)


# CSS properties matplotlib writes that SVG also accepts as attributes of the same name and meaning.
PRESENTATION_ATTRIBUTES = frozenset({
    "clip-path", "clip-rule", "color", "display", "fill", "fill-opacity", "fill-rule", "font-family", "font-size",
    "font-style", "font-weight", "letter-spacing", "opacity", "stroke", "stroke-dasharray", "stroke-dashoffset",
    "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-opacity", "stroke-width", "text-anchor",
    "visibility", "dominant-baseline", "alignment-baseline",
})


def _style_to_attributes(node: ET.Element) -> None:
    style = node.attrib.pop("style", None)
    if not style:
        return
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if not name:
            continue
        if name not in PRESENTATION_ATTRIBUTES:
            raise ValueError(f"chart style {name!r} has no SVG attribute; add it to PRESENTATION_ATTRIBUTES")
        node.attrib.setdefault(name, value)


def inline(svg: str, prefix: str) -> str:
    """Returns a chart's SVG ready to sit inside an HTML page next to other charts.

    The page's Content-Security-Policy refuses inline styles (style-src 'self'), so this drops
    the XML declaration and matplotlib's <style> element (it only sets line joins) and turns
    each style="..." into the SVG presentation attributes it stands for. It also prefixes every
    id and every reference to one, so several charts on one page do not share ids.
    """
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    # Bandit B314 does not apply: this parses a chart this module drew (its labels escaped by matplotlib and ElementTree), not input
    root = ET.fromstring(svg.split("?>", 1)[1] if svg.startswith("<?xml") else svg)  # nosec B314
    for parent in root.iter():
        for child in list(parent):
            if child.tag == f"{{{SVG_NS}}}style":
                parent.remove(child)
    for node in root.iter():
        _style_to_attributes(node)
        for name, value in list(node.attrib.items()):
            if name == "id" or name == "aria-labelledby":
                node.set(name, " ".join(f"{prefix}-{part}" for part in value.split()))
            elif "url(#" in value:
                node.set(name, value.replace("url(#", f"url(#{prefix}-"))
            elif name in ("href", f"{{{XLINK_NS}}}href") and value.startswith("#"):
                node.set(name, f"#{prefix}-{value[1:]}")
    return ET.tostring(root, encoding="unicode")
