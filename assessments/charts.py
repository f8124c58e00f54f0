"""Server-rendered SVG charts for the admin: no script, no external service, every label escaped."""

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from assessments.selectors.distributions import Bin

WIDTH = 640
HEIGHT = 260
MARGIN_LEFT = 44
MARGIN_RIGHT = 12
MARGIN_TOP = 28
MARGIN_BOTTOM = 58
BAR_GAP = 4
BAR_COLOR = "#417690"  # the admin's own blue
Y_TICKS = 4


def _ticks(top: int) -> list[int]:
    """Whole-number y ticks from 0 to `top` (at most Y_TICKS + 1 of them)."""
    step = max(1, -(-top // Y_TICKS))
    return list(range(0, top + 1, step))


def histogram_svg(*, bins: Sequence[Bin], title: str, x_label: str, y_label: str = "attempts") -> SafeString:
    """A bar chart of `bins`; each bar has a tooltip with its label and count."""
    plot_w = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    top = max((b.count for b in bins), default=0)
    ticks = _ticks(max(top, 1))
    scale_top = ticks[-1] if ticks[-1] >= top else top
    slot = plot_w / max(len(bins), 1)
    baseline = MARGIN_TOP + plot_h

    bars = []
    for i, b in enumerate(bins):
        height = plot_h * b.count / scale_top if scale_top else 0
        x = MARGIN_LEFT + i * slot + BAR_GAP / 2
        label_x = x + (slot - BAR_GAP) / 2
        bars.append(
            (
                f"{x:.1f}",
                f"{baseline - height:.1f}",
                f"{slot - BAR_GAP:.1f}",
                f"{height:.1f}",
                BAR_COLOR,
                b.label,
                b.count,
                f"{label_x:.1f}",
                f"{baseline + 14:.1f}",
                b.label,
                f"{label_x:.1f}",
                f"{baseline - height - 3:.1f}",
                b.count if b.count else "",
            )
        )
    bar_markup = format_html_join(
        "",
        '<g><rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
        '<text x="{}" y="{}" font-size="9" text-anchor="middle">{}</text>'
        '<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text></g>',
        bars,
    )
    tick_markup = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ddd"/>'
        '<text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>',
        (
            (
                MARGIN_LEFT,
                WIDTH - MARGIN_RIGHT,
                f"{baseline - plot_h * t / scale_top:.1f}",
                f"{baseline - plot_h * t / scale_top:.1f}",
                MARGIN_LEFT - 4,
                f"{baseline - plot_h * t / scale_top + 3:.1f}",
                t,
            )
            for t in ticks
        ),
    )
    total = sum(b.count for b in bins)
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="jatayu-chart" role="img" viewBox="0 0 {w} {h}" '
        'width="{w}" height="{h}" aria-label="{title}: {total} {y_label}">'
        '<text x="{mid}" y="16" font-size="13" font-weight="bold" text-anchor="middle">{title}</text>'
        "{ticks}"
        '<line x1="{left}" x2="{right}" y1="{base}" y2="{base}" stroke="#333"/>'
        "{bars}"
        '<text x="{mid}" y="{xl}" font-size="11" text-anchor="middle">{x_label}</text>'
        '<text x="12" y="{ym}" font-size="11" text-anchor="middle" transform="rotate(-90 12 {ym})">{y_label}</text>'
        "</svg>",
        w=WIDTH,
        h=HEIGHT,
        title=title,
        total=total,
        y_label=y_label,
        mid=WIDTH / 2,
        ticks=tick_markup,
        left=MARGIN_LEFT,
        right=WIDTH - MARGIN_RIGHT,
        base=baseline,
        bars=bar_markup,
        xl=HEIGHT - 10,
        x_label=x_label,
        ym=MARGIN_TOP + plot_h / 2,
    )
