"""Item pictures: checking an upload, re-encoding it, storing its sizes, and reading them back.

An upload is trusted for nothing: its type is read from its bytes by Pillow with the formats
limited to PNG, JPEG and WebP (never the file name or the Content-Type); its size in pixels is read
from the header and anything over 40 megapixels is refused before a single pixel is decoded (a
20000 x 20000 PNG of one colour is a few kilobytes on disk and 1.6 GB in memory); a file carrying
markup anywhere (an HTML or SVG document, or a picture with a page hidden in a comment, a text chunk
or after its end: a polyglot) is refused. What is kept is never the upload itself but Pillow's
re-encoding of its pixels: EXIF orientation applied, colours turned into sRGB by their ICC profile,
metadata dropped, at most 2000 px a side, in WebP and in JPEG at a few widths for `srcset`.
Refusals raise PictureError with a message for the person who uploaded; nothing is stored then.

Stored pictures are addressed by the SHA-256 of the uploaded bytes, so a URL
(`/inventory/pictures/<hash>-<width>.webp`) names bytes that never change and can be cached for a
year; the same upload for two items is stored once, and a stored picture no item shows any more is
deleted with the change that let it go.
"""

import functools
import hashlib
import io
import re
import struct
import threading
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import delete, select

from inventory_app.extensions import db
from inventory_app.models import ALT_MAX, CONTROL_CHARACTERS, ItemImage, PictureFile
from shared_ui.db import serialize

if TYPE_CHECKING:
    from PIL import Image

#: the upload itself; the request body may be a little larger (the form around it)
UPLOAD_MAX_BYTES = 5 * 1024 * 1024
#: the body limit of the upload routes (nginx's client_max_body_size there is the same 6m)
UPLOAD_BODY_MAX = 6 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2000
#: the widths made for srcset (never wider than the picture itself); its full size is kept too
WIDTHS = (160, 320, 640, 1280)
#: the densest screen a page's srcset serves at full sharpness (a phone's 3x)
MAX_DENSITY = 3
FORMATS = {"webp": "image/webp", "jpg": "image/jpeg"}
ACCEPTED = ("PNG", "JPEG", "WEBP")
ACCEPT_ATTRIBUTE = "image/png,image/jpeg,image/webp"

#: markup a browser could run or render if the file were ever taken for a page (each long enough
#: that compressed pixel data holds one by chance about once in millions of 5 MB uploads)
MARKUP = re.compile(
    rb"<\s*(?:script|html|body|head|svg|iframe|object|embed|meta)[\s/>]|<!doctype\s|<\?php|javascript:",
    re.IGNORECASE,
)
HASH = re.compile(r"^[0-9a-f]{64}$")


class PictureError(Exception):
    """An upload refused, with the reason for the person who sent it and the field it is about."""

    def __init__(self, message: str, field: str = "file"):
        self.message = str(message)
        self.field = field
        super().__init__(self.message)


@dataclass
class PreparedPicture:
    """A checked upload re-encoded: its hash, its full size, and the encoded files by (width, format)."""

    hash: str
    width: int
    height: int
    files: dict[tuple[int, str], tuple[int, bytes]] = field(default_factory=dict)


#: one upload decoded and encoded at a time in a process: a picture of MAX_PIXELS takes about half a
#: gigabyte while it is worked on (its pixels, their upright and sRGB copies), and an app's threads
#: taking several at once would take that many times as much
_WORKING = threading.BoundedSemaphore(1)


def prepare(data: bytes) -> PreparedPicture:
    """Check an upload and re-encode it; PictureError says why it was refused."""
    if not data:
        raise PictureError(_("Choose a picture file to upload."))
    if len(data) > UPLOAD_MAX_BYTES:
        raise PictureError(_("The picture is larger than 5 MB. Upload a smaller file."))
    with _WORKING:
        image = _open_checked(data)
        picture = PreparedPicture(hashlib.sha256(data).hexdigest(), image.width, image.height)
        for width in sorted({min(w, image.width) for w in WIDTHS} | {image.width}):
            sized = image if width == image.width else _scaled(image, width)
            for fmt in FORMATS:
                picture.files[(width, fmt)] = (sized.height, _encode(sized, fmt))
        return picture


def _open_checked(data: bytes) -> "Image.Image":
    """The upload's pixels, upright, in RGB or RGBA, at most MAX_SIDE a side, with no metadata."""
    # Pillow is imported on the first upload, not in every worker at start (3 MB each, make bench).
    from PIL import Image, UnidentifiedImageError

    # Pillow's own guard: warn past MAX_PIXELS, refuse past twice that. Both are refusals here: the
    # warning is raised as an error in this process for good (catch_warnings is not thread-safe, and
    # gunicorn's workers run threads), and the explicit size check below does not depend on it.
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
    try:
        # Only the header is read here: the size is checked before any pixel is decoded.
        with Image.open(io.BytesIO(data), formats=ACCEPTED) as probe:
            _refuse_huge(probe.width, probe.height)
            if MARKUP.search(data):
                raise PictureError(_("The picture hides web page code (HTML or SVG), so it is refused."))
            _refuse_trailing_data(probe.format, data)
            probe.verify()
        image = Image.open(io.BytesIO(data), formats=ACCEPTED)
        _refuse_huge(image.width, image.height)
        if image.format == "JPEG":  # decode a big JPEG at a fraction of its size: less memory and time
            image.draft(None, (MAX_SIDE, MAX_SIDE))
        image.load()
        image = _upright_plain(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PictureError(_too_big_message()) from None
    except UnidentifiedImageError:
        if MARKUP.search(data) or data.lstrip()[:1] == b"<":
            message = _("The file is a web page or an SVG drawing, not a PNG, JPEG or WebP picture.")
        else:
            message = _("The file is not a PNG, JPEG or WebP picture.")
        raise PictureError(message) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error):
        raise PictureError(_("The picture file is damaged or incomplete.")) from None
    return image


def _upright_plain(image: "Image.Image") -> "Image.Image":
    """The pixels turned as EXIF says, in RGB or RGBA, at most MAX_SIDE a side, with no metadata."""
    from PIL import Image, ImageOps

    image = _in_srgb(ImageOps.exif_transpose(image))
    if image.mode.startswith("I"):
        # 16- or 32-bit grey (a scanner's PNG): Pillow's convert would clip every shade past 255 to
        # white, so the samples are scaled down to 8 bits first.
        image = image.convert("I").point(lambda value: value / 257).convert("L")
    mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB"
    image = image.convert(mode)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    clean = Image.new(mode, image.size)  # a new image: nothing of the upload's info comes along
    clean.paste(image)
    return clean


def _in_srgb(image: "Image.Image") -> "Image.Image":
    """The pixels as its colour profile says they look, in sRGB: the files kept carry no profile, so
    browsers take them as sRGB, and a camera's Adobe RGB or a phone's Display P3 would look dull."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    from PIL import ImageCms

    if "transparency" in image.info:  # a transparent colour: alpha first (the conversion keeps no info)
        image = image.convert("RGBA")

    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode)
    except (OSError, ImageCms.PyCMSError):
        return image  # a profile LittleCMS cannot use (or not an RGB one): the pixels as they are


def _refuse_huge(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise PictureError(_too_big_message())


def _too_big_message() -> str:
    return _("The picture has more than %(max)d megapixels. Upload a smaller one.", max=MAX_PIXELS // 1_000_000)


def _refuse_trailing_data(fmt: str, data: bytes) -> None:
    """A PNG or WebP file must end where the picture ends: anything after it is a hidden payload."""
    end = None
    if fmt == "PNG":
        end = _png_end(data)
    elif fmt == "WEBP" and len(data) >= 8:
        end = 8 + int.from_bytes(data[4:8], "little")
        end += end % 2
    if end is not None and len(data.rstrip(b"\0")) > end:
        raise PictureError(_("The file has other data after the picture, so it is refused."))


def _png_end(data: bytes) -> int | None:
    """Where a PNG's IEND chunk ends, walking the chunks by their lengths (None: no IEND)."""
    pos = 8
    while pos + 12 <= len(data):
        length, kind = int.from_bytes(data[pos : pos + 4], "big"), data[pos + 4 : pos + 8]
        pos += 12 + length  # length, type, data, CRC
        if kind == b"IEND":
            return pos
    return None


def _scaled(image: "Image.Image", width: int) -> "Image.Image":
    from PIL import Image

    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode(image: "Image.Image", fmt: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    if fmt == "webp":
        image.save(out, "WEBP", quality=80, method=4)
    else:
        if image.mode == "RGBA":  # JPEG has no transparency: lay it on white
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        image.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue()


def clean_alt(value) -> str | None:
    """The admin's alt text, tidied; None when empty (the item's name stands in)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PictureError(_("The alternative text must be text."), "alt")
    value = " ".join(value.split())
    if len(value) > ALT_MAX:
        raise PictureError(_("Use at most %(max)d characters.", max=ALT_MAX), "alt")
    if CONTROL_CHARACTERS.search(value):
        raise PictureError(_("The alternative text contains characters that cannot be shown."), "alt")
    return value or None


def attach(item, picture: PreparedPicture, alt: str | None) -> None:
    """Show `picture` for `item` (replacing its picture), inside the caller's write transaction."""
    old = item.image.hash if item.image is not None else None
    _lock(picture.hash, *([old] if old else []))  # before reading which of its files are stored
    sizes = select(PictureFile.width, PictureFile.format).where(PictureFile.hash == picture.hash)
    have = {(width, fmt) for width, fmt in db.session.execute(sizes)}
    for (width, fmt), (height, data) in picture.files.items():
        if (width, fmt) not in have:
            db.session.add(PictureFile(hash=picture.hash, width=width, format=fmt, height=height, data=data))
    if item.image is None:
        item.image = ItemImage(hash=picture.hash, alt=alt, width=picture.width, height=picture.height)
    else:
        item.image.hash, item.image.alt = picture.hash, alt
        item.image.width, item.image.height = picture.width, picture.height
    db.session.flush()
    if old and old != picture.hash:
        forget_unused(old)


def detach(item) -> bool:
    """Remove the item's picture (inside the caller's write transaction); False if it had none."""
    if item.image is None:
        return False
    old = item.image.hash
    item.image = None
    db.session.flush()
    forget_unused(old)
    return True


def forget_unused(picture_hash: str) -> None:
    """Delete a stored picture's files when no item shows it any more."""
    _lock(picture_hash)
    if db.session.scalar(select(ItemImage.item_id).where(ItemImage.hash == picture_hash).limit(1)) is None:
        db.session.execute(delete(PictureFile).where(PictureFile.hash == picture_hash))


def _lock(*picture_hashes: str) -> None:
    """Within a write transaction: one transaction at a time uses or forgets these stored pictures.

    Items share the files of one picture (its hash). Without it, on PostgreSQL, an admin giving item 1
    the picture item 2 shows (its files stored: none written) and another removing it from item 2
    (no other item shows it, as far as committed rows say: its files deleted) would leave item 1
    showing files that are gone. SQLite's one writer at a time does it already."""
    serialize(db, *(f"inventory.picture:{picture_hash}" for picture_hash in picture_hashes))


def file_exists(picture_hash: str, width: int, fmt: str) -> bool:
    """Whether that size of the picture is stored (its bytes are not read)."""
    query = select(PictureFile.hash).where(
        PictureFile.hash == picture_hash, PictureFile.width == width, PictureFile.format == fmt
    )
    return db.session.scalar(query) is not None


def stored_file(picture_hash: str, width: int, fmt: str) -> PictureFile | None:
    if not HASH.match(picture_hash) or fmt not in FORMATS:
        return None
    return db.session.get(PictureFile, (picture_hash, width, fmt))


@dataclass(frozen=True)
class Shown:
    """A picture as pages and the API show it: URLs of every size, alt text, full size."""

    hash: str
    alt: str
    width: int
    height: int

    def widths(self) -> list[int]:
        return sorted({min(w, self.width) for w in WIDTHS} | {self.width})

    def url(self, width: int, fmt: str = "webp") -> str:
        return f"/inventory/pictures/{self.hash}-{width}.{fmt}"

    def srcset(self, fmt: str = "webp", up_to: int | None = None) -> str:
        return ", ".join(f"{self.url(w, fmt)} {w}w" for w in self.widths() if up_to is None or w <= up_to)

    def fit(self, width: int) -> tuple[int, int]:
        """The width and height of this picture shown `width` px wide at most (no upscaling)."""
        shown = min(width, self.width)
        return shown, max(1, round(self.height * shown / self.width))

    def smallest_at_least(self, width: int) -> int:
        return next((w for w in self.widths() if w >= width), self.width)


def item_picture(
    item, box: int, sizes: str, lazy: bool = True, css_class: str = "", beside_name: bool = False
) -> Markup:
    """Template filter `item|picture(box, sizes, lazy=..., css_class=..., beside_name=...)`: the item's `<picture>`.

    Its alternative text is the admin's, else the item's name; a thumbnail `beside_name` (a catalog
    or admin row, whose next cell is the name) has none but the admin's: a screen reader would read
    the name twice (WAI's images tutorial: redundant images take alt="").

    A filter, not a global: Jinja calls a filter straight, a global through Context.call (~1 µs
    more, three times a catalog row). Kept per picture and place (see `_picture_markup`).
    """
    image = item.image
    alt = image.alt or ("" if beside_name else item.name)
    return _picture_markup(image.hash, alt, image.width, image.height, box, sizes, lazy, css_class)


@functools.lru_cache(maxsize=4096)
def _picture_markup(
    picture_hash: str, alt: str, width: int, height: int, box: int, sizes: str, lazy: bool, css_class: str
) -> Markup:
    """Kept per picture and place, keyed on plain values: a catalog page shows 24 pictures, and
    building each again cost the rendered page a third more time."""
    return picture_html(Shown(picture_hash, alt, width, height), box, sizes, lazy, css_class)


def picture_html(picture: Shown, box: int, sizes: str, lazy: bool = True, css_class: str = "") -> Markup:
    """`<picture>`: WebP at the stored widths a `box` px wide place can use, up to a 3x screen (a
    catalog thumbnail lists two, not every size made), and one JPEG for a browser without WebP;
    width and height set (no layout shift), lazy unless near the top.

    The JPEG is a single `src` at the box's first width, not a srcset of its own: every browser of
    the last five years takes the WebP, and the fallback's URLs were a third of a catalog page.
    """
    width, height = picture.fit(box)
    return Markup(
        '<picture class="{cls}"><source type="image/webp" srcset="{webp}" sizes="{sizes}">'
        '<img src="{src}" width="{width}" height="{height}" alt="{alt}" decoding="async"{lazy}></picture>'
    ).format(
        cls=css_class,
        webp=picture.srcset("webp", up_to=picture.smallest_at_least(box * MAX_DENSITY)),
        sizes=sizes,
        src=picture.url(picture.smallest_at_least(box), "jpg"),
        width=width,
        height=height,
        alt=picture.alt,
        lazy=Markup(' loading="lazy"') if lazy else "",
    )


def shown(item) -> Shown | None:
    """The item's picture as pages show it, or None."""
    image = item.image
    if image is None:
        return None
    return Shown(image.hash, image.alt or item.name, image.width, image.height)


def picture_json(item) -> dict | None:
    picture = shown(item)
    if picture is None:
        return None
    return {"url": picture.url(picture.width), "alt": picture.alt, "width": picture.width, "height": picture.height}
