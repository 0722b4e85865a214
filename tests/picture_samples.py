"""Files for the picture upload tests: good pictures made by Pillow, and the ones the shop refuses."""

import io
import struct
import zlib

from PIL import Image, ImageDraw

BOMB_SIDE = 20_000


def picture(fmt: str = "JPEG", size: tuple[int, int] = (800, 600), colour=(200, 60, 40), **save) -> bytes:
    """A small picture with a shape on it, in `fmt`."""
    mode = "RGBA" if fmt == "PNG" else "RGB"
    image = Image.new(mode, size, colour)
    ImageDraw.Draw(image).ellipse((size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4), fill=(20, 90, 160))
    out = io.BytesIO()
    image.save(out, fmt, **save)
    return out.getvalue()


def jpeg_with_exif(orientation: int = 6) -> bytes:
    """A 400 x 200 JPEG whose EXIF says: turn me (6: 90° clockwise), made by a camera with a serial."""
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    exif[0x010F] = "SpyCam"  # Make
    exif[0xA431] = "SERIAL-12345"  # BodySerialNumber
    return picture("JPEG", (400, 200), exif=exif.tobytes())


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb(side: int = BOMB_SIDE) -> bytes:
    """A real `side` x `side` one-bit PNG of zeros: a few tens of kilobytes that decode to 400 MB.

    Written chunk by chunk (zlib streaming rows of zeros): drawing it with Pillow would itself take
    side² bytes of memory. Pillow reads it back like any PNG (tests check it opens it).
    """
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    packer = zlib.compressobj(9)
    row = b"\0" * (1 + (side + 7) // 8)  # filter byte + packed bits
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


HTML_AS_PNG = b"<!doctype html>\n<html><body><script>alert(document.cookie)</script></body></html>\n"

SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
    b'<script>alert(1)</script><circle cx="50" cy="50" r="40" fill="red"/></svg>\n'
)


def polyglot() -> bytes:
    """A valid JPEG that is also a web page: HTML in a JPEG comment (COM segment) after the header."""
    jpeg = picture("JPEG", (64, 64))
    html = b"<html><body><script>alert(document.domain)</script></body></html>"
    comment = b"\xff\xfe" + struct.pack(">H", len(html) + 2) + html
    return jpeg[:2] + comment + jpeg[2:]


def png_with_trailer() -> bytes:
    """A valid PNG with a zip archive (or anything) appended after its end."""
    return picture("PNG", (64, 64)) + b"PK\x03\x04" + b"\x00" * 40 + b"payload"


def png_with_hidden_end() -> bytes:
    """A PNG with a payload after its end that itself ends in "IEND", as if the file ended there."""
    return picture("PNG", (64, 64)) + b"<payload>" + b"\x00" * 8 + b"IEND\xaeB`\x82"


def png_16_bit_grey(level: int, size: tuple[int, int] = (120, 80)) -> bytes:
    """A 16-bit greyscale PNG (what scanners and photo editors write) of one `level` out of 65535."""
    header = struct.pack(">IIBBBBB", size[0], size[1], 16, 0, 0, 0, 0)  # 16-bit greyscale
    row = b"\0" + struct.pack(">H", level) * size[0]  # filter byte + samples
    body = zlib.compress(row * size[1])
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", body) + _chunk(b"IEND", b"")


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15(x) + _s15(y) + _s15(z)


def adobe_rgb_profile() -> bytes:
    """An ICC profile of Adobe RGB (1998), a camera's wide-gamut setting: its primaries (adapted to
    D50, as ICC wants) and its 2.2 gamma, written tag by tag (ICC v2, matrix and curves)."""
    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 563) + b"\0\0"  # gamma 563/256
    tags = [
        (b"wtpt", _xyz(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz(0.6097, 0.3111, 0.0195)),
        (b"gXYZ", _xyz(0.2053, 0.6257, 0.0609)),
        (b"bXYZ", _xyz(0.1492, 0.0632, 0.7446)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    start = 128 + 4 + 12 * len(tags)
    table = body = b""
    for kind, data in tags:
        table += kind + struct.pack(">II", start + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    header = struct.pack(">I", start + len(body)) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ "
    header += b"\0" * 12 + b"acsp" + b"\0" * 28 + _s15(0.9642) + _s15(1.0) + _s15(0.8249)
    header += b"\0" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + body
