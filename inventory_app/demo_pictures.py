"""Pictures for the demo items, drawn by Pillow at seed time: nothing fetched, nothing third-party.

Each demo item gets a flat illustration: a two-tone background and a simple shape that hints at the
thing (a mug, a pan, a sock, a book...), in colours of its own. They go through the same checks and
re-encoding as an admin's upload.
"""

import io

from PIL import Image, ImageDraw

SIZE = (640, 480)


def draw(kind: str, background: str, colour: str, accent: str) -> bytes:
    """A 640 x 480 PNG of `kind` in `colour` on `background`, with `accent` details."""
    image = Image.new("RGB", SIZE, background)
    pen = ImageDraw.Draw(image)
    w, h = SIZE
    pen.rectangle((0, h * 2 // 3, w, h), fill=accent)  # a table top or the ground
    SHAPES.get(kind, _box)(pen, colour, accent)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _mug(pen, colour, accent):
    pen.ellipse((400, 190, 500, 300), outline=colour, width=22)
    pen.rounded_rectangle((220, 150, 440, 350), radius=24, fill=colour)
    pen.ellipse((220, 135, 440, 170), fill=accent)


def _pan(pen, colour, accent):
    pen.rounded_rectangle((390, 245, 600, 275), radius=14, fill=colour)
    pen.ellipse((90, 170, 420, 350), fill=colour)
    pen.ellipse((120, 190, 390, 320), fill=accent)


def _sock(pen, colour, accent):
    pen.rounded_rectangle((250, 80, 360, 320), radius=30, fill=colour)
    pen.rounded_rectangle((250, 250, 470, 350), radius=50, fill=colour)
    for y in (100, 130, 160):
        pen.rectangle((250, y, 360, y + 12), fill=accent)


def _book(pen, colour, accent):
    pen.rounded_rectangle((220, 90, 420, 370), radius=12, fill=colour)
    pen.rectangle((385, 90, 400, 370), fill=accent)
    for y in range(140, 340, 40):
        pen.line((250, y, 370, y), fill=accent, width=4)


def _blanket(pen, colour, accent):
    pen.rounded_rectangle((130, 110, 510, 370), radius=20, fill=colour)
    for x in range(150, 500, 40):
        pen.line((x, 110, x + 30, 370), fill=accent, width=6)


def _board(pen, colour, accent):
    pen.rounded_rectangle((120, 160, 520, 360), radius=40, fill=colour)
    pen.rounded_rectangle((145, 185, 495, 335), radius=30, outline=accent, width=6)
    pen.ellipse((470, 240, 500, 270), fill=accent)


def _bottle(pen, colour, accent):
    pen.rounded_rectangle((275, 70, 365, 110), radius=8, fill=accent)
    pen.rounded_rectangle((240, 110, 400, 380), radius=50, fill=colour)
    pen.rectangle((240, 220, 400, 300), fill=accent)


def _bag(pen, colour, accent):
    pen.arc((250, 80, 390, 230), 180, 360, fill=accent, width=14)
    pen.polygon(((200, 160), (440, 160), (470, 380), (170, 380)), fill=colour)


def _opener(pen, colour, accent):
    pen.rounded_rectangle((160, 210, 480, 270), radius=30, fill=colour)
    pen.ellipse((420, 195, 510, 285), fill=colour)
    pen.ellipse((445, 220, 485, 260), fill=accent)


def _dripper(pen, colour, accent):
    pen.polygon(((200, 120), (440, 120), (360, 300), (280, 300)), fill=colour)
    pen.rectangle((250, 300, 390, 320), fill=colour)
    pen.rounded_rectangle((240, 320, 400, 380), radius=10, fill=accent)


def _wraps(pen, colour, accent):
    for n, (x, y) in enumerate(((140, 200), (240, 150), (340, 110))):
        pen.rounded_rectangle((x, y, x + 170, y + 170), radius=10, fill=colour if n % 2 else accent)
        pen.ellipse((x + 50, y + 50, x + 120, y + 120), outline="#ffffff", width=5)


def _towel(pen, colour, accent):
    pen.rectangle((200, 70, 440, 380), fill=colour)
    for y in (110, 130, 330, 350):
        pen.rectangle((200, y, 440, y + 8), fill=accent)


def _box(pen, colour, accent):
    pen.rounded_rectangle((200, 130, 440, 360), radius=16, fill=colour)


SHAPES = {
    "mug": _mug,
    "pan": _pan,
    "sock": _sock,
    "book": _book,
    "blanket": _blanket,
    "board": _board,
    "bottle": _bottle,
    "bag": _bag,
    "opener": _opener,
    "dripper": _dripper,
    "wraps": _wraps,
    "towel": _towel,
}
