"""The hourly chart as SVG, drawn on the server: bars for sends and failures, a line for the send lag.

Returns markup (markupsafe.Markup) whose only variable texts are numbers and times, escaped all the same.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 960
HEIGHT = 240
LEFT = 44  # room for the count axis
RIGHT = 52  # room for the lag axis
TOP = 12
BOTTOM = 28  # room for the hour labels
LABEL_EVERY = 6  # hours between labels on the time axis


def _seconds(value: float | None) -> str:
    if value is None:
        return "no sends"
    if value < 120:
        return f"{value:.0f} s"
    return f"{value / 60:.1f} min"


def hourly_svg(rows: Sequence[dict]) -> Markup:
    """One slot per row (hour_start, sends, failures, mean_lag_seconds, max_lag_seconds), oldest first."""
    slots = max(len(rows), 1)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot_w = plot_w / slots
    bar_w = max(slot_w / 2 - 1, 1)
    top_count = max([1, *(max(r["sends"], r["failures"]) for r in rows)])
    top_lag = max([1.0, *(r["max_lag_seconds"] or 0 for r in rows)])
    base = TOP + plot_h

    def y_count(n: int) -> float:
        return base - plot_h * n / top_count

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="activity-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="activity-title">',
        '<title id="activity-title">Reminders sent and failed per hour, with the send lag</title>',
        f'<line class="axis" x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}"/>',
        f'<text class="tick" x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">{top_count}</text>',
        f'<text class="tick" x="{LEFT - 4}" y="{base}" text-anchor="end">0</text>',
        f'<text class="tick lag" x="{WIDTH - RIGHT + 4}" y="{TOP + 4}">{escape(_seconds(top_lag))}</text>',
    ]
    points = []
    for i, row in enumerate(rows):
        x = LEFT + i * slot_w
        hour = row["hour_start"]
        label = f"{hour:%a %H:00} UTC"
        tip = escape(
            f"{label}: {row['sends']} sent, {row['failures']} failed, lag mean "
            f"{_seconds(row['mean_lag_seconds'])}, max {_seconds(row['max_lag_seconds'])}"
        )
        hour_attr = escape(hour.isoformat())
        if row["sends"]:
            y = y_count(row["sends"])
            parts.append(
                f'<rect class="sends" data-hour="{hour_attr}" data-count="{row["sends"]}" x="{x + 1:.1f}" '
                f'y="{y:.1f}" width="{bar_w:.1f}" height="{base - y:.1f}"><title>{tip}</title></rect>'
            )
        if row["failures"]:
            y = y_count(row["failures"])
            parts.append(
                f'<rect class="failures" data-hour="{hour_attr}" data-count="{row["failures"]}" '
                f'x="{x + 1 + bar_w:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{base - y:.1f}">'
                f"<title>{tip}</title></rect>"
            )
        if row["max_lag_seconds"] is not None:
            lag_y = base - plot_h * row["max_lag_seconds"] / top_lag
            points.append(f"{x + slot_w / 2:.1f},{lag_y:.1f}")
            parts.append(
                f'<circle class="lag" data-hour="{hour_attr}" cx="{x + slot_w / 2:.1f}" cy="{lag_y:.1f}" r="2.5">'
                f"<title>{tip}</title></circle>"
            )
        if i % LABEL_EVERY == 0:
            parts.append(f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 10}">{escape(f"{hour:%a %H:00}")}</text>')
    if len(points) > 1:
        parts.append(f'<polyline class="lag" points="{" ".join(points)}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
