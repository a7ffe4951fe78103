"""The one colour palette: NHS identity colours and every colour that carries meaning on screen.

Text colours meet WCAG 2.2 AA contrast (4.5:1) on white and on the sidebar's pale grey; colours of marks that
carry meaning (chart points, map circles, icons) meet 3:1 against white (non-text contrast, 1.4.11) or are drawn
with a dark outline. Sets of colours that tell things apart are checked under simulated colour-vision
deficiencies (tests/test_palette.py), and each is paired with a second carrier (a word, letter, shape or dash).
The Streamlit theme in .streamlit/config.toml uses the same values (tests/test_palette.py compares them).
"""

# NHS identity colours (NHS England, "NHS identity guidelines: colours").
NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_LIGHT_BLUE = "#41B6E6"
NHS_BLACK = "#212B32"
NHS_DARK_GREY = "#425563"
NHS_MID_GREY = "#768692"
NHS_PALE_GREY = "#E8EDEE"
NHS_GREEN = "#009639"
NHS_DARK_GREEN = "#006747"
NHS_AQUA_GREEN = "#00A499"
NHS_WARM_YELLOW = "#FFB81C"
NHS_ORANGE = "#ED8B00"
NHS_RED = "#DA291C"
NHS_DARK_RED = "#8A1538"
NHS_PINK = "#AE2573"
NHS_PURPLE = "#330072"
WHITE = "#FFFFFF"

# The theme (.streamlit/config.toml [theme]). Streamlit draws captions and other secondary text in the text
# colour at 60% opacity: with NHS black (#212B32) that is #7A8084 on white, 3.9:1. A near-black text colour
# makes it #6D6E6E, 5.2:1 on white and 4.7:1 on the sidebar's grey.
TEXT = "#0B0C0C"
BACKGROUND = WHITE
SIDEBAR_BACKGROUND = "#F0F4F5"
CAPTION_OPACITY = 0.6
# Badge and coloured-text colours (theme <colour>TextColor on <colour>BackgroundColor), all 4.5:1 or more.
THEME_TEXT_COLOURS = {"green": "#00562B", "orange": "#7A3B00", "red": "#A51C12", "blue": NHS_DARK_BLUE,
                      "gray": NHS_DARK_GREY, "violet": NHS_PURPLE}
THEME_BACKGROUNDS = {"green": "#E6F4EA", "orange": "#FFF1DC", "red": "#FBE9E7", "blue": "#E8F1FA",
                     "gray": NHS_PALE_GREY, "violet": "#EFE8F5"}

# Red/amber/green: words on every badge ("On track", "Watch", "Off track") and an icon of its own shape;
# the colours also differ in lightness (dark green, light amber, mid red) for readers who cannot tell hues.
RAG = {"green": NHS_DARK_GREEN, "amber": NHS_WARM_YELLOW, "red": NHS_RED}
RAG_ICONS = {"green": ":material/check_circle:", "amber": ":material/warning:", "red": ":material/dangerous:"}

# Making Data Count (NHS England): grey common cause, blue improvement, orange concern, purple neither.
# The published shades of grey (#A6A6A6) and blue (#00B0F0) are under 3:1 on white; these are the same hues,
# darker. The icons also carry letters (H/L, P/F) and arrows, and the chart points a shape per variation.
MDC_COMMON = "#7B7B7B"
MDC_IMPROVEMENT = "#0072A8"
MDC_CONCERN = "#C65A00"
MDC_NEUTRAL = "#490092"
# Shapes for chart points, one per variation (Vega-Lite point shapes).
MDC_SHAPES = {"common_cause": "circle", "improvement": "triangle-up", "concern": "triangle-down",
              "neutral": "diamond"}

# Bed occupancy buckets on the map (RGB for pydeck). Circles also carry their occupancy in a text label.
OCCUPANCY = {"under_85": (0, 103, 71), "85_to_95": (255, 184, 28), "over_95": (218, 41, 28),
             "no_report": (66, 85, 99), "suppressed": (174, 183, 189)}
# Free beds now (what the map colours units and collaboratives by; RGB for pydeck, the legend draws the same
# tuples): none red, 1-2 warm yellow, 3 or more dark green; each symbol also carries its number of free beds as
# text, in FREE_BEDS_TEXT (white on the dark fills, black on yellow and pale grey).
FREE_BEDS = {"none": (218, 41, 28), "one_two": (255, 184, 28), "three_plus": (0, 103, 71),
             "no_report": (66, 85, 99), "suppressed": (174, 183, 189)}
FREE_BEDS_TEXT = {"none": (255, 255, 255), "one_two": (11, 12, 12), "three_plus": (255, 255, 255),
                  "no_report": (255, 255, 255), "suppressed": (11, 12, 12)}
# The map's own geography (no tile server): land, coast, optional boundaries, home localities.
LAND = (232, 237, 238)  # NHS pale grey
COAST = (118, 134, 146)  # NHS mid grey
BOUNDARY = (0, 48, 135)  # NHS dark blue, thin dashed-looking lines over the land
LOCALITY = (51, 0, 114)  # NHS purple, drawn translucent: home localities, patients placed per 100,000
# Map arcs: home patients treated in their own area, and out of area (different width too).
FLOWS = {"in_area": (0, 94, 184), "out_of_area": (174, 37, 115)}

# Lines per security level on the occupancy charts (each line also has its own dash pattern).
SERIES = [NHS_DARK_BLUE, NHS_ORANGE, NHS_AQUA_GREEN, NHS_PINK, NHS_MID_GREY, NHS_LIGHT_BLUE, NHS_PURPLE]
SERIES_DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [4, 4], [1, 3], [10, 2]]

# Lines, bands and marks used across charts.
TARGET_LINE = NHS_RED
FUNNEL_95 = "#AEB7BD"
FUNNEL_998 = NHS_PALE_GREY


def hex_rgb(colour) -> tuple[int, int, int]:
    if isinstance(colour, (tuple, list)):
        return tuple(int(c) for c in colour[:3])
    value = colour.lstrip("#")
    return tuple(int(value[i:i + 2], 16) for i in (0, 2, 4))


def _linear(channel: float) -> float:
    channel /= 255
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def luminance(colour) -> float:
    """WCAG relative luminance."""
    r, g, b = (_linear(c) for c in hex_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground, background) -> float:
    """WCAG contrast ratio, 1 to 21."""
    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def blend(foreground, background, opacity: float) -> tuple[int, int, int]:
    """A colour drawn at `opacity` over a background (how Streamlit draws captions)."""
    return tuple(round(opacity * f + (1 - opacity) * b) for f, b in zip(hex_rgb(foreground), hex_rgb(background)))


def caption_colour(background: str = BACKGROUND) -> tuple[int, int, int]:
    return blend(TEXT, background, CAPTION_OPACITY)
