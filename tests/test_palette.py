"""The palette (assets/palette.py): text contrast, the theme uses it, and colour sets stay distinguishable
under simulated protanopia, deuteranopia and tritanopia.

Simulation: Machado, Oliveira and Fernandes (2009), "A physiologically-based model for simulation of colour
vision deficiency", IEEE TVCG 15(6), the published matrices for severity 1.0, applied to linear RGB. Distance:
CIE 1976 ΔE*ab in CIELAB (D65). Two colours count as distinguishable at ΔE 15 or more after simulation.
"""

import itertools
import tomllib
from pathlib import Path

import pytest

from assets import palette as p

ROOT = Path(__file__).resolve().parent.parent
MACHADO = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}
MIN_DELTA_E = 15.0


def _linear_rgb(colour) -> tuple[float, float, float]:
    return tuple(p._linear(c) for c in p.hex_rgb(colour))


def simulate(colour, deficiency: str) -> tuple[float, float, float]:
    """Linear RGB of the colour as seen with the deficiency (clipped to the gamut)."""
    rgb = _linear_rgb(colour) if isinstance(colour, (str, tuple, list)) else colour
    return tuple(min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb)))) for row in MACHADO[deficiency])


def lab(linear: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = linear
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e(first, second) -> float:
    return sum((a - b) ** 2 for a, b in zip(lab(first), lab(second))) ** 0.5


def test_simulation_matches_known_answers():
    # White and black are unchanged; pure red under protanopia loses most of its lightness (Machado row 1).
    for deficiency in MACHADO:
        assert simulate("#FFFFFF", deficiency) == pytest.approx((1.0, 1.0, 1.0), abs=1e-3)
        assert simulate("#000000", deficiency) == (0.0, 0.0, 0.0)
    assert simulate("#FF0000", "protanopia") == pytest.approx((0.152286, 0.114503, 0.0), abs=1e-6)
    # Red and green, far apart for most readers, collapse under deuteranopia.
    assert delta_e(_linear_rgb("#FF0000"), _linear_rgb("#00FF00")) > 80
    assert delta_e(simulate("#D00000", "deuteranopia"), simulate("#6E8000", "deuteranopia")) < MIN_DELTA_E


PALETTES = {
    "RAG badges and tiles": list(p.RAG.values()),
    "Making Data Count variation": [p.MDC_COMMON, p.MDC_IMPROVEMENT, p.MDC_CONCERN, p.MDC_NEUTRAL],
    "bed occupancy map": [p.OCCUPANCY[k] for k in ("under_85", "85_to_95", "over_95", "no_report")],
    "map arcs": list(p.FLOWS.values()),
    "free beds map": [p.FREE_BEDS[k] for k in ("none", "one_two", "three_plus", "no_report")],
}


@pytest.mark.parametrize("deficiency", [*MACHADO, None])
@pytest.mark.parametrize("name", PALETTES)
def test_palette_colours_stay_distinguishable(name, deficiency):
    seen = [simulate(c, deficiency) if deficiency else _linear_rgb(c) for c in PALETTES[name]]
    for (i, first), (j, second) in itertools.combinations(enumerate(seen), 2):
        distance = delta_e(first, second)
        assert distance >= MIN_DELTA_E, (name, deficiency, PALETTES[name][i], PALETTES[name][j], distance)


def test_caption_and_badge_text_meet_aa_contrast():
    assert p.contrast("#7A8084", p.WHITE) < 4.5  # what captions were with NHS black text (issue 16)
    assert p.contrast(p.caption_colour(), p.BACKGROUND) >= 4.5
    assert p.contrast(p.caption_colour(p.SIDEBAR_BACKGROUND), p.SIDEBAR_BACKGROUND) >= 4.5
    assert p.contrast(p.TEXT, p.BACKGROUND) >= 7
    for name, colour in p.THEME_TEXT_COLOURS.items():
        assert p.contrast(colour, p.THEME_BACKGROUNDS[name]) >= 4.5, name
        assert p.contrast(colour, p.WHITE) >= 4.5, name


def test_marks_that_carry_meaning_meet_non_text_contrast():
    for colour in (p.MDC_COMMON, p.MDC_IMPROVEMENT, p.MDC_CONCERN, p.MDC_NEUTRAL, p.TARGET_LINE, p.NHS_DARK_GREY):
        assert p.contrast(colour, p.WHITE) >= 3, colour


def test_theme_uses_the_palette():
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    assert theme["textColor"].upper() == p.TEXT
    assert theme["backgroundColor"].upper() == p.BACKGROUND
    assert theme["secondaryBackgroundColor"].upper() == p.SIDEBAR_BACKGROUND
    for name, colour in p.THEME_TEXT_COLOURS.items():
        assert theme[f"{name}TextColor"].upper() == colour.upper(), name
        assert theme[f"{name}BackgroundColor"].upper() == p.THEME_BACKGROUNDS[name].upper(), name
