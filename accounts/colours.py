"""Contrast of the organisation's brand colour, by WCAG 2.2's relative luminance.

The brand colour is painted in two ways: as the background of the main buttons (with text on it) and as
the colour of links, outline buttons and the focus ring on the light page. Text needs 4.5:1 in both; the
focus ring 3:1. So the text on a brand button is white or near-black, whichever reaches 4.5:1, and the
brand as text is darkened just as far as the light backgrounds need. A colour on which neither white nor
near-black can be read is refused.
"""

import re
from dataclasses import dataclass

COLOUR_PATTERN = r"^#[0-9a-fA-F]{6}$"

WHITE = "#ffffff"
NEAR_BLACK = "#111111"
INK = "#1d2b36"  # the stylesheet's --ink
TEXT_CONTRAST = 4.5
# The light backgrounds that brand-coloured text is shown on: cards, the page (--bg), and the client
# pages' and waiting state's tints, which mix 8 % of the brand in (app.css).
CARD = "#ffffff"
PAGE = "#f4f6f8"
TINT = 0.08


def _channels(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _hex(channels: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(channel):02x}" for channel in channels)


def relative_luminance(colour: str) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in _channels(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mix(colour: str, other: str, amount: float) -> str:
    """`amount` of `colour` in `other`, as CSS color-mix(in srgb, colour amount, other) computes it."""
    pairs = zip(_channels(colour), _channels(other), strict=True)
    return _hex(tuple(a * amount + b * (1 - amount) for a, b in pairs))  # type: ignore[arg-type]


def text_on(colour: str) -> str:
    """White where white text keeps 4.5:1 on this background, else the better of white and near-black (a
    colour saved before this check existed may reach 4.5:1 with neither)."""
    if contrast_ratio(WHITE, colour) >= TEXT_CONTRAST:
        return WHITE
    return max((WHITE, NEAR_BLACK), key=lambda text: contrast_ratio(text, colour))


def light_backgrounds(brand: str) -> list[str]:
    return [CARD, PAGE, mix(brand, PAGE, TINT), mix(brand, CARD, TINT)]


def as_text(brand: str) -> str:
    """The brand itself where it reads as text on every light background, else darkened towards the ink
    colour in small steps until it does."""
    backgrounds = light_backgrounds(brand)
    for step in range(21):
        candidate = mix(INK, brand, step / 20)
        if min(contrast_ratio(candidate, background) for background in backgrounds) >= TEXT_CONTRAST:
            return candidate
    return INK


@dataclass(frozen=True)
class BrandColours:
    brand: str
    on_brand: str  # text on brand-coloured buttons
    text: str  # the brand as text, outline and focus ring on light backgrounds

    @property
    def button_contrast(self) -> float:
        return contrast_ratio(self.on_brand, self.brand)

    @property
    def white_contrast(self) -> float:
        return contrast_ratio(WHITE, self.brand)

    @property
    def dark_contrast(self) -> float:
        return contrast_ratio(NEAR_BLACK, self.brand)

    @property
    def readable(self) -> bool:
        return self.button_contrast >= TEXT_CONTRAST

    @property
    def text_contrast(self) -> float:
        return min(contrast_ratio(self.text, background) for background in light_backgrounds(self.brand))


def is_colour(value: str) -> bool:
    return re.fullmatch(COLOUR_PATTERN, value) is not None


def brand_colours(brand: str) -> BrandColours:
    brand = brand.lower()
    return BrandColours(brand=brand, on_brand=text_on(brand), text=as_text(brand))
