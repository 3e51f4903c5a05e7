"""Whether a page is sharp and large enough to read (四（二）: 不清晰), from its pixels alone.

- resolution: the shorter side in pixels (an A4 page below 600 px has text a few pixels high);
- sharpness: how steep the strongest edges are against the page's contrast. A sharp scan's text
  edges rise over one or two pixels (0.7-0.95 on the generated set); a blurred one's over many
  (below 0.2). Measured at most 1600 px wide; a step counts only as far as it continues on the next
  row (or column), as the edges of strokes do and sensor noise does not (σ = 12 grey levels of noise
  keep blurred scans below 0.26). NumPy does the work with Python's GIL released;
- contrast: the spread between the darkest and the lightest percent of the page.
"""

from __future__ import annotations

from PIL import Image

from conversations.uploads import Legibility

MIN_SHORT_SIDE = 600
MIN_SHARPNESS = 0.3
MIN_CONTRAST = 60.0
MEASURE_SIDE = 1600


def measure(image: Image.Image) -> Legibility:
    import numpy as np  # here, not at start: only a checked upload needs it (0.1 s of the bot's start)

    width, height = image.size
    gray = image.convert("L")
    if max(gray.size) > MEASURE_SIDE:
        factor = MEASURE_SIDE / max(gray.size)
        gray = gray.resize(
            (max(1, round(gray.width * factor)), max(1, round(gray.height * factor))), Image.Resampling.BOX
        )
    pixels = np.asarray(gray, dtype=np.float32)
    low, high = np.percentile(pixels, [1, 99])
    contrast = float(high - low)
    if pixels.shape[0] > 3 and pixels.shape[1] > 3:
        across = np.abs(np.diff(pixels, axis=1))
        down = np.abs(np.diff(pixels, axis=0))
        across = np.minimum(across[:-1, :], across[1:, :])  # the step continues on the next row
        down = np.minimum(down[:, :-1], down[:, 1:])  # … or in the next column
        rows, cols = min(across.shape[0], down.shape[0]), min(across.shape[1], down.shape[1])
        steps = np.maximum(across[:rows, :cols], down[:rows, :cols])
        sharpness = float(np.percentile(steps, 99.7)) / max(contrast, 1.0)
    else:
        sharpness = 0.0
    problems = []
    if min(width, height) < MIN_SHORT_SIDE:
        problems.append("low_resolution")
    if sharpness < MIN_SHARPNESS:
        problems.append("blurred")
    if contrast < MIN_CONTRAST:
        problems.append("low_contrast")
    return Legibility(
        legible=not problems,
        problems=tuple(problems),
        width=width,
        height=height,
        sharpness=sharpness,
        contrast=contrast,
    )
