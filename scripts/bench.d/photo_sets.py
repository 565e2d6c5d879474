"""Fresh simulated photo sets for scripts/bench, made in ways `vaxticket simulate-photo` does not
make its own: motion and defocus blur kernels, colour JPEGs at low qualities with chroma
subsampling, codes on a screen photographed with moire, glare on a glossy card, codes on curved
paper, small codes in a large frame, several codes in one frame, and photos with no code at all.

Every photo is drawn from a seed: a scene in module coordinates (printed or shown codes on paper,
screens or a cluttered desk), seen through a camera (a projective or curved map, sampled several
times a pixel), its optics (a blur kernel), its light (gradients, glare, colour casts), its sensor
(shot and read noise) and its storage (JPEG quality and chroma subsampling). NumPy and Pillow
only. The codes are made with segno, half of them from the ticket texts the bench issued (ECC Q),
half from random texts of every length and error correction level, so the sets hold versions 1
to 10 and not only our tickets' version.

Usage: photo_sets.py --out DIR --seed N [--count N] [--texts FILE] [--kinds a,b,...]
Writes DIR/KIND/NNNN.jpg and DIR/manifest.json: {"seed", "kinds": {KIND: {"NNNN.jpg": [texts]}}};
the photos of the no-code kind expect no text.
"""

import argparse
import io
import json
import math
import os
import string

import numpy as np
import segno
from PIL import Image

KINDS = ["motion", "defocus", "jpeg-chroma", "screen", "glare", "curved", "small-in-frame", "several", "no-code"]

TEXT_ALPHABET = string.ascii_letters + string.digits + " -_.:/?=&%+*$#@!,;"


# ------------------------------------------------------------------------------------------ codes

def random_text(rng):
    kind = rng.integers(0, 4)
    if kind == 0:  # a link
        path = "".join(rng.choice(list(string.ascii_lowercase + string.digits), rng.integers(4, 40)))
        return f"https://{''.join(rng.choice(list(string.ascii_lowercase), rng.integers(3, 12)))}.example/{path}"
    if kind == 1:  # digits, as a serial or a phone number
        return "".join(rng.choice(list(string.digits), rng.integers(6, 60)))
    length = int(rng.integers(5, 160))
    return "".join(rng.choice(list(TEXT_ALPHABET), length)).strip() or "x"


def code_matrix(text, ecc):
    """The code's modules, 1 dark, with a quiet zone of four modules."""
    qr = segno.make(text, error=ecc, micro=False, boost_error=False)
    return np.array(list(qr.matrix_iter(scale=1, border=4)), dtype=np.uint8)


class Payloads:
    """Texts to encode: the bench's ticket texts and random ones, alternately."""

    def __init__(self, rng, tickets):
        self.rng, self.tickets, self.n = rng, list(tickets), 0

    def next(self):
        self.n += 1
        if self.tickets and self.n % 2:
            return self.tickets[int(self.rng.integers(0, len(self.tickets)))], "q"
        return random_text(self.rng), str(self.rng.choice(["l", "m", "q", "h"]))


# ------------------------------------------------------------------------------------- geometry

def homography(src, dst):
    """The 3x3 map taking the four points `src` to `dst`."""
    a, b = [], []
    for (x, y), (u, v) in zip(src, dst):
        a.append([x, y, 1, 0, 0, 0, -x * u, -y * u])
        a.append([0, 0, 0, x, y, 1, -x * v, -y * v])
        b += [u, v]
    h = np.linalg.solve(np.array(a, float), np.array(b, float))
    return np.append(h, 1).reshape(3, 3)


def apply(h, x, y):
    w = h[2, 0] * x + h[2, 1] * y + h[2, 2]
    return (h[0, 0] * x + h[0, 1] * y + h[0, 2]) / w, (h[1, 0] * x + h[1, 1] * y + h[1, 2]) / w


def placed_corners(rng, centre, side, angle, tilt):
    """Where a square of `side` photo pixels lands: turned by `angle`, each corner moved by up to
    `tilt` of the side (perspective)."""
    cx, cy = centre
    c, s = math.cos(angle), math.sin(angle)
    out = []
    for ux, uy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
        dx = ux * side / 2 + rng.uniform(-tilt, tilt) * side
        dy = uy * side / 2 + rng.uniform(-tilt, tilt) * side
        out.append((cx + c * dx - s * dy, cy + s * dx + c * dy))
    return out


class Code:
    """A code on a sheet in the scene: photo pixel (x, y) -> module (u, v) through `to_modules`,
    paper `margin` modules beyond the code, reflectances of ink and paper, a shading factor."""

    def __init__(self, matrix, to_modules, ink, paper, margin, shade=None, bbox=None):
        self.m, self.to_modules, self.ink, self.paper, self.margin = matrix, to_modules, ink, paper, margin
        self.shade, self.bbox = shade, bbox

    def sample(self, x, y):
        """Reflectance at photo points, NaN off the sheet."""
        u, v = self.to_modules(x, y)
        n = self.m.shape[0]
        on_sheet = (u >= -self.margin) & (u < n + self.margin) & (v >= -self.margin) & (v < n + self.margin)
        on_sheet &= np.isfinite(u) & np.isfinite(v)
        iu = np.clip(np.floor(np.nan_to_num(u)).astype(int), 0, n - 1)
        iv = np.clip(np.floor(np.nan_to_num(v)).astype(int), 0, n - 1)
        inside = on_sheet & (u >= 0) & (u < n) & (v >= 0) & (v < n)
        value = np.where(inside & (self.m[iv, iu] == 1), self.ink, self.paper)
        if self.shade is not None:
            value = value * self.shade(u, v)
        return np.where(on_sheet, value, np.nan)


def flat_code(matrix, corners, ink, paper, margin):
    """A code on flat paper whose corners (its quiet zone included) land at `corners` (top-left,
    top-right, bottom-right, bottom-left)."""
    n = matrix.shape[0]
    h = homography(corners, [(0, 0), (n, 0), (n, n), (0, n)])
    xs, ys = zip(*corners)
    pad = margin / n * (max(xs) - min(xs) + max(ys) - min(ys))
    bbox = (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)
    return Code(matrix, lambda x, y: apply(h, x, y), ink, paper, margin, bbox=bbox)


def curved_code(matrix, corners, arc, ink, paper, margin):
    """A code on paper wrapped round a cylinder whose axis runs along the code's columns: `arc`
    radians of the cylinder hold the code; seen from the front, modules narrow and darken
    towards the edges, then the whole is placed by `corners` as a flat code would be."""
    n = matrix.shape[0]
    radius = n / arc
    half = n / 2
    span = radius * math.sin(arc / 2)  # half the code's seen width, in modules
    # The seen (foreshortened) plane, s from half - span to half + span, mapped to the corners.
    h = homography(corners, [(half - span, 0), (half + span, 0), (half + span, n), (half - span, n)])

    def to_modules(x, y):
        s, v = apply(h, x, y)
        t = (s - half) / radius
        u = np.where(np.abs(t) <= 1, half + radius * np.arcsin(np.clip(t, -1, 1)), np.nan)
        return u, v

    def shade(u, v):
        return 0.55 + 0.45 * np.cos((u - half) / radius)

    xs, ys = zip(*corners)
    pad = margin / n * (max(xs) - min(xs) + max(ys) - min(ys))
    bbox = (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)
    return Code(matrix, to_modules, ink, paper, margin, shade=shade, bbox=bbox)


def draw(canvas, codes, ss=3):
    """Draws each code's sheet onto `canvas` (reflectance, H x W), `ss` x `ss` samples a pixel,
    only inside the code's bounding box."""
    height, width = canvas.shape
    offsets = (np.arange(ss) + 0.5) / ss
    for code in codes:
        x0, y0, x1, y1 = code.bbox
        x0, y0 = max(0, int(x0) - 2), max(0, int(y0) - 2)
        x1, y1 = min(width, int(x1) + 3), min(height, int(y1) + 3)
        if x1 <= x0 or y1 <= y0:
            continue
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(float)
        total = np.zeros_like(xs)
        covered = np.zeros_like(xs)
        for oy in offsets:
            for ox in offsets:
                value = code.sample(xs + ox, ys + oy)
                hit = np.isfinite(value)
                total += np.where(hit, value, 0)
                covered += hit
        region = canvas[y0:y1, x0:x1]
        fraction = covered / (ss * ss)
        mean = np.where(covered > 0, total / np.maximum(covered, 1), 0)
        canvas[y0:y1, x0:x1] = region * (1 - fraction) + mean * fraction


# -------------------------------------------------------------------------------------- scenes

def desk(rng, height, width):
    """A background: a grey surface with a gradient and some texture."""
    yy, xx = np.mgrid[0:height, 0:width].astype(float)
    base = rng.uniform(0.25, 0.6)
    angle = rng.uniform(0, 2 * math.pi)
    grad = ((xx / width - 0.5) * math.cos(angle) + (yy / height - 0.5) * math.sin(angle)) * rng.uniform(0, 0.3)
    texture = smooth_noise(rng, height, width, scale=rng.uniform(8, 40)) * rng.uniform(0.02, 0.08)
    return np.clip(base + grad + texture, 0.02, 0.98)


def smooth_noise(rng, height, width, scale):
    """Noise smoothed over about `scale` pixels, mean 0, about unit spread."""
    small = rng.normal(0, 1, (max(2, int(height / scale) + 2), max(2, int(width / scale) + 2)))
    image = Image.fromarray(small.astype(np.float32), mode="F").resize((width, height), Image.BICUBIC)
    return np.asarray(image, dtype=float)


def text_clutter(rng, canvas, x0, y0, x1, y1, glyph):
    """Lines of glyph-like dark marks, as a printed page has, inside the box."""
    y = y0 + glyph
    while y + glyph < y1:
        x = x0 + rng.uniform(0, 3 * glyph)
        while x + glyph < x1:
            word = int(rng.integers(2, 9))
            for _ in range(word):
                w = glyph * rng.uniform(0.4, 0.9)
                h = glyph * rng.uniform(0.6, 1.0)
                top = int(y + glyph - h)
                canvas[top:int(y + glyph), int(x):int(x + w)] *= rng.uniform(0.15, 0.4)
                x += w + glyph * 0.25
            x += glyph * rng.uniform(0.6, 1.5)
        y += glyph * rng.uniform(1.6, 2.2)


# -------------------------------------------------------------------------------------- camera

def convolve(image, kernel):
    """`image` convolved with `kernel` (centred, sums to 1), edges reflected, by FFT."""
    kh, kw = kernel.shape
    ph, pw = kh // 2 + 1, kw // 2 + 1
    padded = np.pad(image, ((ph, ph), (pw, pw)), mode="reflect")
    shape = (padded.shape[0] + kh, padded.shape[1] + kw)
    out = np.fft.irfft2(np.fft.rfft2(padded, shape) * np.fft.rfft2(kernel, shape), shape)
    return out[ph + kh // 2:ph + kh // 2 + image.shape[0], pw + kw // 2:pw + kw // 2 + image.shape[1]]


def gaussian_kernel(sigma):
    r = max(1, int(math.ceil(3 * sigma)))
    x = np.arange(-r, r + 1, dtype=float)
    g = np.exp(-x * x / (2 * sigma * sigma))
    k = np.outer(g, g)
    return k / k.sum()


def motion_kernel(length, angle):
    """A straight smear of `length` pixels at `angle`, drawn finely and summed into pixels."""
    r = int(math.ceil(length / 2)) + 1
    k = np.zeros((2 * r + 1, 2 * r + 1))
    steps = max(8, int(length * 16))
    for t in np.linspace(-length / 2, length / 2, steps):
        x, y = r + t * math.cos(angle), r + t * math.sin(angle)
        ix, iy = int(math.floor(x)), int(math.floor(y))
        fx, fy = x - ix, y - iy
        for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
            if 0 <= iy + dy < k.shape[0] and 0 <= ix + dx < k.shape[1]:
                k[iy + dy, ix + dx] += w
    return k / k.sum()


def disk_kernel(radius):
    """A lens out of focus: a disk of `radius` pixels, its edge anti-aliased."""
    r = int(math.ceil(radius)) + 1
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1].astype(float)
    k = np.clip(radius + 0.5 - np.hypot(xx, yy), 0, 1)
    return k / k.sum()


def sensor(rng, light, read_noise, shot_noise):
    """Counts from light (0..1): shot noise growing with the light, read noise, clipped."""
    noisy = light + rng.normal(0, 1, light.shape) * (read_noise + shot_noise * np.sqrt(np.clip(light, 0, 1)))
    return np.clip(noisy, 0, 1)


def store(path, channels, rng, quality, subsampling=None):
    """Writes the photo as a JPEG, grey when `channels` is 2-D, else RGB with the given chroma
    subsampling (0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0)."""
    data = np.clip(np.rint(channels * 255), 0, 255).astype(np.uint8)
    image = Image.fromarray(data, mode="L" if data.ndim == 2 else "RGB")
    options = {"quality": int(quality)}
    if data.ndim == 3:
        options["subsampling"] = int(subsampling if subsampling is not None else 2)
    image.save(path, format="JPEG", **options)


def coloured(rng, grey, cast=0.15):
    """A grey light image as RGB under a coloured light: each channel scaled a little."""
    gains = 1 + rng.uniform(-cast, cast, 3)
    return np.clip(grey[..., None] * gains[None, None, :], 0, 1)


# ------------------------------------------------------------------------------------ the kinds

def one_code_scene(rng, payloads, module_px, frame=1.6, tilt=0.06, curved_arc=None):
    """One code filling about 1/`frame` of a square-ish photo, turned at random, on a desk."""
    text, ecc = payloads.next()
    m = code_matrix(text, ecc)
    n = m.shape[0]
    side = n * module_px
    width = int(side * frame * rng.uniform(1.0, 1.3))
    height = int(side * frame * rng.uniform(0.9, 1.1))
    canvas = desk(rng, height, width)
    centre = (width / 2 + rng.uniform(-0.1, 0.1) * side, height / 2 + rng.uniform(-0.1, 0.1) * side)
    corners = placed_corners(rng, centre, side, rng.uniform(0, 2 * math.pi), tilt)
    ink, paper = rng.uniform(0.04, 0.2), rng.uniform(0.75, 0.95)
    if curved_arc is None:
        code = flat_code(m, corners, ink, paper, margin=rng.uniform(1, 4))
    else:
        code = curved_code(m, corners, curved_arc, ink, paper, margin=rng.uniform(1, 3))
    draw(canvas, [code])
    return canvas, [text]


def lit(rng, canvas, strength=0.3):
    """A light falling off across the photo."""
    height, width = canvas.shape
    yy, xx = np.mgrid[0:height, 0:width].astype(float)
    angle = rng.uniform(0, 2 * math.pi)
    t = (xx / width - 0.5) * math.cos(angle) + (yy / height - 0.5) * math.sin(angle)
    return canvas * (1 - strength * rng.uniform(0, 1) * (t + 0.5)) * rng.uniform(0.8, 1.1)


def module_scene(rng, payloads, low, high, **options):
    """One code of `low` to `high` photo pixels a module; the scene, its texts and the module size."""
    module_px = rng.uniform(low, high)
    canvas, texts = one_code_scene(rng, payloads, module_px=module_px, **options)
    return canvas, texts, module_px


def kind_motion(rng, payloads, path):
    """A shaken hand: a straight smear of half a module to a module and a half, any direction."""
    canvas, texts, module_px = module_scene(rng, payloads, 2.5, 6)
    light = convolve(lit(rng, canvas), motion_kernel(module_px * rng.uniform(0.5, 1.6), rng.uniform(0, math.pi)))
    light = convolve(light, gaussian_kernel(rng.uniform(0.3, 0.6)))
    counts = sensor(rng, light, rng.uniform(0.005, 0.02), rng.uniform(0.005, 0.03))
    store(path, counts if rng.uniform() < 0.5 else coloured(rng, counts), rng, rng.integers(70, 93))
    return texts


def kind_defocus(rng, payloads, path):
    """A lens out of focus: a disk of a third of a module to most of one."""
    canvas, texts, module_px = module_scene(rng, payloads, 2.5, 6)
    light = lit(rng, canvas)
    light = convolve(light, disk_kernel(module_px * rng.uniform(0.3, 0.85)))
    counts = sensor(rng, light, rng.uniform(0.005, 0.02), rng.uniform(0.005, 0.03))
    store(path, counts if rng.uniform() < 0.5 else coloured(rng, counts), rng, rng.integers(70, 93))
    return texts


def kind_jpeg(rng, payloads, path):
    """Colour photos stored at JPEG quality 8 to 45, chroma subsampled 4:4:4, 4:2:2 or 4:2:0,
    some stored twice with a shrink between, as messaging apps pass photos on."""
    canvas, texts, module_px = module_scene(rng, payloads, 1.8, 4)
    light = convolve(lit(rng, canvas), gaussian_kernel(rng.uniform(0.3, 0.7)))
    counts = coloured(rng, sensor(rng, light, 0.01, rng.uniform(0.01, 0.04)), cast=0.3)
    quality = int(rng.integers(8, 45))
    subsampling = int(rng.choice([0, 1, 2]))
    if rng.uniform() < 0.4:
        # Sent on by a messaging app: stored, shrunk a little and stored again.
        buffer = io.BytesIO()
        store(buffer, counts, rng, int(rng.integers(30, 80)), subsampling)
        with Image.open(io.BytesIO(buffer.getvalue())) as first:
            first = first.convert("RGB")
            factor = rng.uniform(0.75, 0.95)
            first = first.resize((int(first.width * factor), int(first.height * factor)), Image.BILINEAR)
            counts = np.asarray(first, dtype=float) / 255
    store(path, counts, rng, quality, subsampling)
    return texts


def kind_screen(rng, payloads, path):
    """A code on a phone or monitor screen: each module a block of screen pixels, each screen
    pixel three coloured stripes with a dark matrix between them; the camera's pixels, about as
    large as the screen's, integrate that grid unevenly: moire."""
    text, ecc = payloads.next()
    m = code_matrix(text, ecc)
    n = m.shape[0]
    per_module = int(rng.integers(3, 7))  # screen pixels a module
    pitch = rng.uniform(0.55, 1.5)  # camera pixels a screen pixel
    side = n * per_module * pitch
    width = int(side * rng.uniform(1.3, 1.7))
    height = int(side * rng.uniform(1.3, 1.6))
    centre = (width / 2 + rng.uniform(-0.05, 0.05) * side, height / 2 + rng.uniform(-0.05, 0.05) * side)
    screen_px = n * per_module + 2 * per_module * int(rng.integers(1, 4))  # the screen shows a margin
    corners = placed_corners(rng, centre, screen_px * pitch, rng.uniform(-0.3, 0.3), 0.05)
    h = homography(corners, [(0, 0), (screen_px, 0), (screen_px, screen_px), (0, screen_px)])
    offset = (screen_px - n * per_module) / 2
    gap = rng.uniform(0.1, 0.3)
    glow, dark_level = rng.uniform(0.75, 1.0), rng.uniform(0.02, 0.1)
    rgb = np.zeros((height, width, 3))
    ss = 4
    ys, xs = np.mgrid[0:height, 0:width].astype(float)
    for oy in (np.arange(ss) + 0.5) / ss:
        for ox in (np.arange(ss) + 0.5) / ss:
            sx, sy = apply(h, xs + ox, ys + oy)
            on_screen = (sx >= 0) & (sx < screen_px) & (sy >= 0) & (sy < screen_px)
            mu = np.floor((sx - offset) / per_module).astype(int)
            mv = np.floor((sy - offset) / per_module).astype(int)
            in_code = on_screen & (mu >= 0) & (mu < n) & (mv >= 0) & (mv < n)
            dark = in_code & (m[np.clip(mv, 0, n - 1), np.clip(mu, 0, n - 1)] == 1)
            level = np.where(dark, dark_level, glow)
            fx, fy = sx - np.floor(sx), sy - np.floor(sy)
            stripe = np.clip((fx * 3).astype(int), 0, 2)
            lit_part = ((fx * 3) % 1 > gap / 2) & ((fx * 3) % 1 < 1 - gap / 2) & (fy > gap / 2) & (fy < 1 - gap / 2)
            for c in range(3):
                rgb[..., c] += np.where(on_screen & lit_part & (stripe == c), 3 * level, 0)
            # The bezel and the room: dark, lit a little.
            rgb += np.where(on_screen, 0, 0.08)[..., None]
    rgb /= ss * ss
    rgb = np.stack([convolve(rgb[..., c], gaussian_kernel(rng.uniform(0.4, 0.8))) for c in range(3)], axis=-1)
    rgb = rgb / max(1.0, np.percentile(rgb, 99.5))
    counts = sensor(rng, rgb, 0.01, rng.uniform(0.01, 0.03))
    store(path, counts, rng, rng.integers(75, 93), 2)
    return [text]


def kind_glare(rng, payloads, path):
    """A glossy or laminated card: a specular highlight (a window or a lamp) over part of the
    code, washing it out to white where it is brightest."""
    canvas, texts, module_px = module_scene(rng, payloads, 3, 6)
    light = lit(rng, canvas)
    height, width = light.shape
    yy, xx = np.mgrid[0:height, 0:width].astype(float)
    code_side = min(height, width) / 1.6
    for _ in range(int(rng.integers(1, 3))):
        cx = width / 2 + rng.uniform(-0.35, 0.35) * code_side
        cy = height / 2 + rng.uniform(-0.35, 0.35) * code_side
        a = code_side * rng.uniform(0.06, 0.2)
        b = a * rng.uniform(0.3, 1.0)
        t = rng.uniform(0, math.pi)
        dx, dy = xx - cx, yy - cy
        u = (dx * math.cos(t) + dy * math.sin(t)) / a
        v = (-dx * math.sin(t) + dy * math.cos(t)) / b
        if rng.uniform() < 0.5:
            spot = np.exp(-(u * u + v * v))  # a lamp
        else:
            spot = np.clip(1.5 - np.maximum(np.abs(u), np.abs(v)), 0, 1)  # a window, soft-edged
        light = light + rng.uniform(0.5, 1.4) * spot
    # A broad sheen over the whole card lowers the contrast too.
    light = light + rng.uniform(0, 0.15)
    light = convolve(light, gaussian_kernel(rng.uniform(0.3, 0.7)))
    counts = sensor(rng, np.clip(light, 0, 1), 0.01, rng.uniform(0.01, 0.03))
    store(path, counts if rng.uniform() < 0.5 else coloured(rng, counts), rng, rng.integers(75, 93))
    return texts


def kind_curved(rng, payloads, path):
    """A label on a bottle or a curled page: the code wrapped round a cylinder."""
    arc = rng.uniform(0.9, 2.0)  # radians of the cylinder the code wraps
    canvas, texts, module_px = module_scene(rng, payloads, 3, 6, curved_arc=arc, tilt=0.04)
    light = convolve(lit(rng, canvas), gaussian_kernel(rng.uniform(0.3, 0.8)))
    counts = sensor(rng, light, 0.01, rng.uniform(0.01, 0.03))
    store(path, counts if rng.uniform() < 0.5 else coloured(rng, counts), rng, rng.integers(75, 93))
    return texts


def kind_small(rng, payloads, path):
    """A phone photo of a page: a small code among lines of print, on a desk."""
    width = int(rng.choice([1280, 1600, 2048, 2592]))
    height = width * 3 // 4
    canvas = desk(rng, height, width)
    # The page, most of the frame, with print on it.
    px0, py0 = int(width * rng.uniform(0.02, 0.1)), int(height * rng.uniform(0.02, 0.1))
    px1, py1 = int(width * rng.uniform(0.9, 0.98)), int(height * rng.uniform(0.9, 0.98))
    paper = rng.uniform(0.75, 0.92)
    canvas[py0:py1, px0:px1] = paper
    text_clutter(rng, canvas, px0, py0, px1, py1, glyph=rng.uniform(4, 12))
    text, ecc = payloads.next()
    m = code_matrix(text, ecc)
    module_px = rng.uniform(1.6, 3.2)
    side = m.shape[0] * module_px
    cx = rng.uniform(px0 + side, px1 - side)
    cy = rng.uniform(py0 + side, py1 - side)
    corners = placed_corners(rng, (cx, cy), side, rng.uniform(-0.5, 0.5), 0.03)
    # The code's quiet zone clears the print under it.
    draw(canvas, [flat_code(m, corners, rng.uniform(0.05, 0.2), paper, margin=1)])
    light = convolve(lit(rng, canvas), gaussian_kernel(rng.uniform(0.4, 0.7)))
    counts = sensor(rng, light, 0.01, rng.uniform(0.01, 0.03))
    store(path, counts if rng.uniform() < 0.5 else coloured(rng, counts), rng, rng.integers(78, 93))
    return [text]


def kind_several(rng, payloads, path):
    """Two to four codes on one desk, each on its own slip, turned its own way."""
    count = int(rng.integers(2, 5))
    columns = 2 if count > 1 else 1
    rows = (count + columns - 1) // columns
    module_px = rng.uniform(3, 5)
    matrices, texts = [], []
    for _ in range(count):
        text, ecc = payloads.next()
        matrices.append(code_matrix(text, ecc))
        texts.append(text)
    cell = max(mx.shape[0] for mx in matrices) * module_px * 1.5
    width, height = int(cell * columns), int(cell * rows)
    canvas = desk(rng, height, width)
    codes = []
    for i, m in enumerate(matrices):
        col, row = i % columns, i // columns
        centre = ((col + 0.5) * cell + rng.uniform(-0.05, 0.05) * cell, (row + 0.5) * cell + rng.uniform(-0.05, 0.05) * cell)
        corners = placed_corners(rng, centre, m.shape[0] * module_px, rng.uniform(0, 2 * math.pi), 0.04)
        codes.append(flat_code(m, corners, rng.uniform(0.05, 0.2), rng.uniform(0.75, 0.95), margin=1.5))
    draw(canvas, codes)
    light = convolve(lit(rng, canvas), gaussian_kernel(rng.uniform(0.3, 0.7)))
    counts = sensor(rng, light, 0.01, rng.uniform(0.01, 0.03))
    store(path, counts if rng.uniform() < 0.5 else coloured(rng, counts), rng, rng.integers(75, 93))
    return texts


def kind_no_code(rng, payloads, path):
    """No code at all: a page of print, a 1-D barcode, a checkered cloth, a grid of random
    squares with no finder patterns, nested-square logos, or a plain textured surface."""
    # Sized as the other kinds' photos are, so that what an unread photo costs compares.
    width = int(rng.choice([240, 320, 400, 480, 640]))
    height = width * 3 // 4
    canvas = desk(rng, height, width)
    what = int(rng.integers(0, 6))
    if what == 0:
        canvas[:, :] = rng.uniform(0.75, 0.92)
        text_clutter(rng, canvas, 0, 0, width, height, glyph=rng.uniform(3, 14))
    elif what == 1:
        x = width * 0.15
        top, bottom = int(height * 0.3), int(height * 0.7)
        canvas[top - 10:bottom + 10, int(width * 0.1):int(width * 0.9)] = 0.9
        while x < width * 0.85:
            bar = rng.uniform(1, 4) * width / 400
            canvas[top:bottom, int(x):int(x + bar)] = 0.1
            x += bar + rng.uniform(1, 4) * width / 400
    elif what == 2:
        cell = rng.uniform(4, 30)
        yy, xx = np.mgrid[0:height, 0:width]
        canvas = np.where(((xx // cell).astype(int) + (yy // cell).astype(int)) % 2 == 0, 0.2, 0.8)
    elif what == 3:
        n = int(rng.integers(21, 45))
        grid = (rng.uniform(0, 1, (n, n)) < 0.5).astype(np.uint8)
        side = min(width, height) * 0.6
        corners = placed_corners(rng, (width / 2, height / 2), side, rng.uniform(0, 2 * math.pi), 0.04)
        draw(canvas, [flat_code(grid, corners, 0.1, 0.85, margin=2)])
    elif what == 4:
        for _ in range(int(rng.integers(1, 3))):
            size = rng.uniform(0.05, 0.2) * min(width, height)
            cx, cy = rng.uniform(size, width - size), rng.uniform(size, height - size)
            for k, level in enumerate((0.1, 0.85, 0.1)):
                r = size * (1 - k / 3.5) / 2
                canvas[int(cy - r):int(cy + r), int(cx - r):int(cx + r)] = level
    counts = sensor(rng, convolve(lit(rng, canvas), gaussian_kernel(rng.uniform(0.3, 0.8))), 0.01,
                    rng.uniform(0.01, 0.04))
    store(path, counts if rng.uniform() < 0.5 else coloured(rng, counts), rng, rng.integers(70, 93))
    return []


MAKERS = {"motion": kind_motion, "defocus": kind_defocus, "jpeg-chroma": kind_jpeg, "screen": kind_screen,
          "glare": kind_glare, "curved": kind_curved, "small-in-frame": kind_small, "several": kind_several,
          "no-code": kind_no_code}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--count", type=int, default=40)
    p.add_argument("--texts", help="ticket texts, one a line, for half the codes")
    p.add_argument("--kinds", default=",".join(KINDS))
    args = p.parse_args()
    tickets = []
    if args.texts:
        with open(args.texts, encoding="utf-8") as f:
            tickets = [line for line in f.read().splitlines() if line]
    manifest = {"seed": args.seed, "kinds": {}}
    for index, kind in enumerate(k for k in args.kinds.split(",") if k):
        folder = os.path.join(args.out, kind)
        os.makedirs(folder, exist_ok=True)
        # One stream per kind, so that a kind's photos do not depend on which others are made.
        rng = np.random.default_rng([args.seed, KINDS.index(kind)])
        payloads = Payloads(rng, tickets)
        expected = {}
        for number in range(1, args.count + 1):
            name = f"{number:04d}.jpg"
            expected[name] = MAKERS[kind](rng, payloads, os.path.join(folder, name))
        manifest["kinds"][kind] = expected
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
