"""Reliability diagrams (PNG, Pillow) for the model card: per head, accuracy against top-label confidence in ten
equal-width bins, with the diagonal of perfect calibration. Pillow rather than matplotlib because Debian's
python3 here has Pillow and the diagrams need nothing more than boxes, lines and text."""
import os
from typing import Dict, List

from PIL import Image, ImageDraw

W, H, M = 360, 360, 48   # image size and margin (px)


def draw(title: str, bins: List[Dict], ece: float, n: int, path: str) -> None:
    img = Image.new('RGB', (W, H), 'white')
    d = ImageDraw.Draw(img)
    x0, y0, x1, y1 = M, H - M, W - 16, 44          # plot box: (x0, y0) is (0, 0)

    def px(x: float, y: float):
        return x0 + x * (x1 - x0), y0 - y * (y0 - y1)

    d.rectangle([x0, y1, x1, y0], outline='black')
    for t in (0.0, 0.5, 1.0):
        d.text((px(t, 0)[0] - 8, y0 + 6), f'{t:.1f}', fill='black')
        d.text((x0 - 30, px(0, t)[1] - 6), f'{t:.1f}', fill='black')
    for b in bins:
        if not b['n']:
            continue
        (a, top), (c, base) = px(b['lo'], b['accuracy']), px(b['hi'], 0)
        d.rectangle([a + 1, top, c - 1, base], fill=(70, 110, 180), outline='black')
        # Gap to the bin's mean confidence, as in Guo et al. 2017.
        d.line([a + 1, px(0, b['confidence'])[1], c - 1, px(0, b['confidence'])[1]], fill=(200, 40, 40), width=2)
    d.line([px(0, 0), px(1, 1)], fill='grey', width=1)
    d.text((x0, 6), f'{title}  (ECE {ece:.3f}, n = {n})', fill='black')
    d.text(((x0 + x1) // 2 - 50, H - 18), 'top-label confidence', fill='black')
    d.text((4, 24), 'accuracy', fill='black')
    img.save(path)


def write_all(summary: Dict, heads: List[str], out_dir: str, prefix: str) -> List[str]:
    """One PNG per head from an evaluate.py subset summary; returns the file names written."""
    os.makedirs(out_dir, exist_ok=True)
    names = []
    for h in heads:
        r = summary.get(h)
        if not r or 'reliability' not in r:
            continue
        name = f'{prefix}-{h}.png'
        draw(h, r['reliability'], r['ece'], r['n'], os.path.join(out_dir, name))
        names.append(name)
    return names
