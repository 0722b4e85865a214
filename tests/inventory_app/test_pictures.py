"""Item pictures: uploads checked from their bytes, re-encoded, stored by hash, served cached a year."""

import io
import re
import threading

import pytest
from PIL import Image, ImageFile
from sqlalchemy import func, select

from inventory_app import pictures
from inventory_app.extensions import db
from inventory_app.models import ItemImage, PictureFile
from tests import picture_samples as samples
from tests.helpers import csrf_from
from tests.inventory_app.conftest import htmx

REFUSED = [
    ("bomb.png", samples.png_bomb, "more than 40 megapixels"),
    ("50-megapixels.png", lambda: samples.png_bomb(7100), "more than 40 megapixels"),  # Pillow only warns
    ("page.png", lambda: samples.HTML_AS_PNG, "a web page or an SVG drawing"),
    ("drawing.svg", lambda: samples.SVG, "a web page or an SVG drawing"),
    ("polyglot.jpg", samples.polyglot, "hides web page code"),
    ("trailer.png", samples.png_with_trailer, "other data after the picture"),
    ("fake-end.png", samples.png_with_hidden_end, "other data after the picture"),
    ("notes.png", lambda: b"just some text, not a picture", "not a PNG, JPEG or WebP picture"),
    ("cut.png", lambda: samples.picture("PNG")[:600], "damaged or incomplete"),
]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def multipart(fields: dict) -> dict:
    """A multipart body built here: werkzeug's test client spools a big one to a file it never closes."""
    boundary = "----shop-test-boundary"
    parts = []
    for name, value in fields.items():
        if isinstance(value, tuple):
            data, filename = value
            head = f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            head += "Content-Type: application/octet-stream"
        else:
            data, head = value.encode(), f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{head}\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def upload(admin, item_id, data, name="photo.jpg", alt=None, **extra):
    """The row's upload as htmx sends it (multipart, CSRF header)."""
    fields = {"file": (data, name), **({"alt": alt} if alt is not None else {}), **extra}
    return htmx(admin, "POST", f"/inventory/admin/items/{item_id}/picture", **multipart(fields))


def stored_counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(ItemImage)),
            db.session.scalar(select(func.count()).select_from(PictureFile)),
        )


def picture_urls(html: str) -> list[str]:
    return re.findall(r"/inventory/pictures/[0-9a-f]{64}-\d+\.(?:webp|jpg)", html)


def test_admin_uploads_a_jpeg_from_the_row_and_the_catalog_and_item_page_show_it(app, admin, client, make_item):
    item_id = make_item("Blue Mug")
    row = upload(admin, item_id, samples.picture("JPEG", (800, 600)))
    assert row.status_code == 200
    html = row.get_data(as_text=True)
    assert f'id="item-{item_id}"' in html and "<html" not in html
    assert "The picture of Blue Mug is saved." in html  # announced to screen readers
    assert picture_urls(html)

    catalog = client.get("/inventory/").get_data(as_text=True)
    thumb = re.search(
        r'<source type="image/webp" srcset="([^"]+)" sizes="80px">'
        r'<img src="([^"]+)" width="(\d+)" height="(\d+)" alt="([^"]*)"',
        catalog,
    )
    assert thumb, catalog
    srcset, src, width, height, alt = thumb.groups()
    # An 80 px thumbnail lists the WebP widths a screen up to 3x uses (160 and 320), not all four
    # made; a browser without WebP gets one JPEG.
    assert re.findall(r"-(\d+)\.webp (\d+)w", srcset) == [("160", "160"), ("320", "320")]
    assert src.endswith("-160.jpg") and (width, height) == ("80", "60")
    # The row's next cell is the name: a thumbnail named after it would be read out twice.
    assert alt == "" and 'class="item-name">Blue Mug</a>' in catalog

    page = client.get(f"/inventory/items/{item_id}").get_data(as_text=True)
    large = re.search(r'<source type="image/webp" srcset="([^"]+)" sizes="[^"]+"><img src="([^"]+)"', page)
    assert large, page
    assert re.findall(r"-(\d+)\.webp (\d+)w", large.group(1)) == [
        ("160", "160"),
        ("320", "320"),
        ("640", "640"),
        ("800", "800"),
    ]
    assert large.group(2).endswith("-640.jpg")
    assert re.search(r'width="640" height="480" alt="Blue Mug" decoding="async">', page)  # large, not lazy


def test_every_srcset_size_is_served_as_webp_and_jpeg_at_its_size(app, admin, client, make_item):
    item_id = make_item()
    upload(admin, item_id, samples.picture("PNG", (2400, 1800)))  # over 2000 px: scaled down
    body = client.get(f"/inventory/api/items/{item_id}").get_json()
    assert body["picture"]["width"] == 2000 and body["picture"]["height"] == 1500
    hash_ = re.search(r"/([0-9a-f]{64})-2000\.webp$", body["picture"]["url"]).group(1)
    for width in (160, 320, 640, 1280, 2000):
        for fmt, kind, pil in (("webp", "image/webp", "WEBP"), ("jpg", "image/jpeg", "JPEG")):
            response = client.get(f"/inventory/pictures/{hash_}-{width}.{fmt}")
            assert response.status_code == 200 and response.mimetype == kind
            image = Image.open(io.BytesIO(response.data))
            assert image.format == pil and image.size == (width, round(width * 0.75))


def test_re_encoding_applies_the_exif_orientation_and_drops_the_metadata(app, admin, client, make_item):
    item_id = make_item()
    upload(admin, item_id, samples.jpeg_with_exif(orientation=6))  # 400 x 200, "turn me 90°"
    picture = client.get(f"/inventory/api/items/{item_id}").get_json()["picture"]
    assert (picture["width"], picture["height"]) == (200, 400)  # upright
    for url in (picture["url"], picture["url"].replace(".webp", ".jpg")):
        data = client.get(url).data
        image = Image.open(io.BytesIO(data))
        assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info
        assert b"SERIAL-12345" not in data and b"SpyCam" not in data


def test_a_16_bit_greyscale_png_keeps_its_shades_instead_of_turning_white(app, admin, client, make_item):
    item_id = make_item()
    upload(admin, item_id, samples.png_16_bit_grey(30000))  # 46 % grey, as a scanner writes it
    url = client.get(f"/inventory/api/items/{item_id}").get_json()["picture"]["url"]
    for shown in (url, url.replace(".webp", ".jpg")):
        red, green, blue = Image.open(io.BytesIO(client.get(shown).data)).convert("RGB").getpixel((0, 0))
        assert 110 <= red <= 124 and red == green == blue


def test_a_wide_gamut_photo_keeps_its_colours_in_the_srgb_files_it_is_served_as(app, admin, client, make_item):
    item_id = make_item()
    flat_red = Image.new("RGB", (300, 200), (200, 60, 40))
    data = io.BytesIO()
    flat_red.save(data, "JPEG", quality=95, icc_profile=samples.adobe_rgb_profile())  # a camera's Adobe RGB
    upload(admin, item_id, data.getvalue())
    url = client.get(f"/inventory/api/items/{item_id}").get_json()["picture"]["url"]
    for shown in (url, url.replace(".webp", ".jpg")):
        image = Image.open(io.BytesIO(client.get(shown).data))
        assert "icc_profile" not in image.info  # no profile: browsers take the pixels as sRGB
        red, green, blue = image.convert("RGB").getpixel((150, 100))
        assert red >= 222 and abs(green - 57) <= 8 and abs(blue - 34) <= 8  # as sRGB shows it: (231, 57, 34)


def test_a_png_with_a_colour_profile_keeps_its_transparent_colour_transparent(app, admin, client, make_item):
    item_id = make_item()
    keyed = Image.new("RGB", (300, 200), (255, 0, 255))  # magenta stands for "transparent" (a tRNS chunk)
    keyed.paste((200, 60, 40), (100, 50, 200, 150))
    data = io.BytesIO()
    keyed.save(data, "PNG", transparency=(255, 0, 255), icc_profile=samples.adobe_rgb_profile())
    upload(admin, item_id, data.getvalue())
    url = client.get(f"/inventory/api/items/{item_id}").get_json()["picture"]["url"]
    webp = Image.open(io.BytesIO(client.get(url).data)).convert("RGBA")
    assert webp.getpixel((10, 10))[3] == 0 and webp.getpixel((150, 100))[0] >= 222
    jpeg = Image.open(io.BytesIO(client.get(url.replace(".webp", ".jpg")).data))
    assert min(jpeg.getpixel((10, 10))) >= 245  # laid on white, not magenta


def test_pictures_are_cached_a_year_with_an_etag_and_answer_304(app, admin, client, make_item):
    item_id = make_item()
    upload(admin, item_id, samples.picture())
    url = client.get(f"/inventory/api/items/{item_id}").get_json()["picture"]["url"]
    first = client.get(url)
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert first.headers["ETag"] and "Set-Cookie" not in first.headers
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert client.get(url.replace("-", "-9", 1).replace(".webp", ".webp")).status_code == 404
    assert client.get("/inventory/pictures/not-a-hash-160.webp").status_code == 404
    assert client.get(url.replace(".webp", ".gif")).status_code == 404


@pytest.mark.parametrize(("name", "make", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_file_shows_its_reason_next_to_the_field_and_stores_nothing(
    app, admin, make_item, name, make, reason
):
    item_id = make_item()
    response = upload(admin, item_id, make(), name=name)
    assert response.status_code == 200  # htmx swaps 2xx only: the row comes back with the error
    html = response.get_data(as_text=True)
    error = re.search(rf'<small id="item-{item_id}-picture-file-error" class="field-error[^"]*">([^<]+)</small>', html)
    assert error and reason in error.group(1)
    assert f'aria-describedby="item-{item_id}-picture-file-error"' in html and 'aria-invalid="true"' in html
    assert stored_counts(app) == (0, 0)


def test_a_bomb_is_refused_from_its_header_before_any_pixel_is_decoded(app, monkeypatch):
    def no_decoding(self):
        raise AssertionError("the bomb was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with app.test_request_context(), pytest.raises(pictures.PictureError, match="40 megapixels"):
        pictures.prepare(samples.png_bomb())


def test_the_bomb_sample_is_a_real_20000_by_20000_png_of_a_few_kilobytes():
    data = samples.png_bomb()
    assert len(data) < 100_000
    Image.MAX_IMAGE_PIXELS, saved = None, Image.MAX_IMAGE_PIXELS
    try:
        assert Image.open(io.BytesIO(data)).size == (20_000, 20_000)
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def test_without_javascript_an_upload_redirects_and_a_refusal_is_a_422_page(app, admin, client, make_item):
    item_id = make_item("Red Kettle")
    token = csrf_from(admin, f"/inventory/admin/items/{item_id}/picture")
    form = {"csrf_token": token, "file": (io.BytesIO(samples.SVG), "kettle.png")}
    refused = admin.post(f"/inventory/admin/items/{item_id}/picture", data=form, content_type="multipart/form-data")
    assert refused.status_code == 422 and "<html" in refused.get_data(as_text=True)
    assert "not a PNG, JPEG or WebP picture" in refused.get_data(as_text=True)
    form = {"csrf_token": token, "file": (io.BytesIO(samples.picture()), "kettle.jpg"), "alt": "A red kettle"}
    done = admin.post(f"/inventory/admin/items/{item_id}/picture", data=form, content_type="multipart/form-data")
    assert done.status_code == 303
    assert client.get(f"/inventory/api/items/{item_id}").get_json()["picture"]["alt"] == "A red kettle"
    # From the item page: back to the item page.
    form = {"csrf_token": token, "file": (io.BytesIO(samples.picture("WEBP")), "k.webp"), "return_to": "item"}
    done = admin.post(f"/inventory/admin/items/{item_id}/picture", data=form, content_type="multipart/form-data")
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/inventory/items/{item_id}")


def test_the_item_page_upload_swaps_its_picture_section(app, admin, make_item):
    item_id = make_item("Green Vase")
    page = admin.get(f"/inventory/items/{item_id}").get_data(as_text=True)
    assert 'id="item-picture-form"' in page and "Add a picture" in page
    refused = upload(admin, item_id, samples.HTML_AS_PNG, name="vase.png", return_to="item")
    html = refused.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="item-picture"') and "item-picture-file-error" in html
    done = upload(admin, item_id, samples.picture(), return_to="item").get_data(as_text=True)
    assert "<picture" in done and "Change the picture" in done and 'alt="Green Vase"' in done


def test_customers_and_visitors_see_no_upload_form_on_the_item_page(client, customer, make_item):
    item_id = make_item()
    for who in (client, customer):
        assert "item-picture-form" not in who.get(f"/inventory/items/{item_id}").get_data(as_text=True)


def test_replacing_and_removing_a_picture_leaves_no_unused_files(app, admin, client, make_item):
    item_id = make_item()
    upload(admin, item_id, samples.picture(colour=(1, 2, 3)))
    files_one = stored_counts(app)[1]
    upload(admin, item_id, samples.picture(colour=(9, 9, 9)))
    assert stored_counts(app) == (1, files_one)  # the first picture's files are gone
    removed = htmx(admin, "POST", f"/inventory/admin/items/{item_id}/picture/delete")
    assert removed.status_code == 200 and "The picture of Blue Mug is removed." in removed.get_data(as_text=True)
    assert stored_counts(app) == (0, 0)
    assert client.get(f"/inventory/api/items/{item_id}").get_json()["picture"] is None


def test_the_same_file_for_two_items_is_stored_once_and_kept_while_one_shows_it(app, admin, make_item):
    first, second = make_item("One"), make_item("Two")
    data = samples.picture()
    upload(admin, first, data)
    upload(admin, second, data)
    images, files = stored_counts(app)
    assert images == 2 and files == 8  # 160, 320, 640, 800 wide, WebP and JPEG, once
    htmx(admin, "POST", f"/inventory/admin/items/{first}/picture/delete")
    assert stored_counts(app) == (1, 8)
    assert htmx(admin, "DELETE", f"/inventory/admin/items/{second}").status_code == 200  # erased with the item
    assert stored_counts(app) == (0, 0)


def test_the_alt_text_of_a_picture_changes_without_sending_the_file_again(app, admin, client, make_item):
    item_id = make_item("Oak Stool")
    upload(admin, item_id, samples.picture(), alt="A stool")
    before = client.get(f"/inventory/api/items/{item_id}").get_json()["picture"]
    counts = stored_counts(app)
    row = upload(admin, item_id, b"", name="", alt="A three-legged oak stool")  # no file chosen, as browsers send it
    html = row.get_data(as_text=True)
    assert row.status_code == 200 and "field-error" not in html
    assert "The alternative text of Oak Stool is saved." in html
    assert client.get(f"/inventory/api/items/{item_id}").get_json()["picture"] == {
        **before,
        "alt": "A three-legged oak stool",
    }
    assert stored_counts(app) == counts
    page = upload(admin, item_id, b"", name="", alt="", return_to="item").get_data(as_text=True)  # the item page's form
    assert "The alternative text of Oak Stool is saved." in page and 'alt="Oak Stool"' in page  # empty: the name
    without = make_item("Pine Stool")
    refused = upload(admin, without, b"", name="", alt="A stool").get_data(as_text=True)
    assert "Choose a picture file to upload." in refused  # no picture to describe yet


def test_a_thumbnail_beside_the_name_has_only_the_alt_text_the_admin_wrote(app, admin, client, make_item):
    plain = make_item("Oak Stool")
    described = make_item("Pine Stool")
    upload(admin, plain, samples.picture())
    upload(admin, described, samples.picture(), alt="A three-legged pine stool")
    alts = re.findall(r'alt="([^"]*)"', client.get("/inventory/").get_data(as_text=True))
    assert sorted(alts) == ["", "A three-legged pine stool"]
    admin_table = admin.get("/inventory/admin/").get_data(as_text=True)
    assert sorted(re.findall(r'alt="([^"]*)"', admin_table)) == ["", "A three-legged pine stool"]
    item_page = client.get(f"/inventory/items/{plain}").get_data(as_text=True)
    assert 'alt="Oak Stool"' in item_page  # the page's own picture: the name is what it shows


def test_alt_text_is_the_items_name_unless_the_admin_writes_one(app, admin, client, make_item):
    item_id = make_item("Oak Stool")
    upload(admin, item_id, samples.picture(), alt="   ")
    assert client.get(f"/inventory/api/items/{item_id}").get_json()["picture"]["alt"] == "Oak Stool"
    upload(admin, item_id, samples.picture(), alt="A three-legged <b>oak</b> stool")
    page = client.get(f"/inventory/items/{item_id}").get_data(as_text=True)
    assert 'alt="A three-legged &lt;b&gt;oak&lt;/b&gt; stool"' in page  # escaped
    too_long = upload(admin, item_id, samples.picture(), alt="x" * 201).get_data(as_text=True)
    assert f'id="item-{item_id}-picture-alt-error"' in too_long


def test_alt_text_with_characters_that_cannot_be_shown_is_refused_next_to_its_field(
    app, admin, client, admin_token, make_item
):
    item_id = make_item("Oak Stool")
    row = upload(admin, item_id, samples.picture(), alt="Oak\x00stool").get_data(as_text=True)
    error = re.search(rf'<small id="item-{item_id}-picture-alt-error" class="field-error">([^<]+)</small>', row)
    assert error and "cannot be shown" in error.group(1)
    path = f"/inventory/api/items/{item_id}/picture"
    fields = {"file": (samples.picture(), "stool.jpg"), "alt": "Oak \x07stool"}
    refused = client.put(path, headers=bearer(admin_token), **multipart(fields))
    assert refused.status_code == 422 and refused.get_json()["error"]["field"] == "alt"
    assert stored_counts(app) == (0, 0)


def test_picture_routes_are_for_admins_only_and_need_the_csrf_token(app, admin, customer, client, make_item):
    item_id = make_item()
    path = f"/inventory/admin/items/{item_id}/picture"
    form = lambda: {"file": (io.BytesIO(samples.picture()), "a.jpg")}  # noqa: E731
    assert client.get(path).status_code == 302  # to the login page
    assert customer.get(path).status_code == 403
    assert (
        htmx(
            customer, "POST", path, data=form(), content_type="multipart/form-data", token_page="/inventory/"
        ).status_code
        == 403
    )
    no_token = admin.post(path, data=form(), content_type="multipart/form-data", headers={"HX-Request": "true"})
    assert no_token.status_code == 400
    assert admin.post(path + "/delete").status_code == 400
    assert stored_counts(app) == (0, 0)


def test_upload_routes_take_bodies_up_to_6_mib_and_other_routes_1_mib(app, admin, make_item):
    item_id = make_item()
    big = b"\xff\xd8" + b"\0" * (5 * 1024 * 1024 + 100)  # over 5 MiB, under 6 MiB
    response = upload(admin, item_id, big, name="big.jpg")
    assert response.status_code == 200 and "larger than 5 MB" in response.get_data(as_text=True)
    huge = upload(admin, item_id, b"\0" * (6 * 1024 * 1024 + 10), name="huge.jpg")
    assert huge.status_code == 413
    other = htmx(admin, "POST", "/inventory/admin/items", data={"name": "x" * (2 * 1024 * 1024)})
    assert other.status_code == 413


def test_api_puts_and_deletes_a_picture_and_refuses_with_422_and_the_reason(
    app, client, admin_token, customer_token, make_item
):
    item_id = make_item("Clay Pot")
    path = f"/inventory/api/items/{item_id}/picture"

    def put(data, token=admin_token, name="pot.png", **fields):
        return client.put(path, headers=bearer(token), **multipart({"file": (data, name), **fields}))

    assert put(samples.picture("PNG")).status_code == 200
    assert put(samples.picture(), token=customer_token).status_code == 403
    anonymous = client.put(
        path, data={"file": (io.BytesIO(samples.picture()), "a.jpg")}, content_type="multipart/form-data"
    )
    assert anonymous.status_code == 401
    for data, reason in (
        (samples.png_bomb(), "40 megapixels"),
        (samples.HTML_AS_PNG, "web page"),
        (samples.SVG, "SVG"),
    ):
        refused = put(data)
        assert refused.status_code == 422
        error = refused.get_json()["error"]
        assert error["code"] == "invalid_field" and error["field"] == "file" and reason in error["message"]
    missing = client.put(path, data={"alt": "x"}, headers=bearer(admin_token), content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.get_json()["error"]["field"] == "file"

    item = put(samples.picture("WEBP", (300, 300)), alt="A clay pot").get_json()
    assert item["picture"]["alt"] == "A clay pot" and (item["picture"]["width"], item["picture"]["height"]) == (
        300,
        300,
    )
    assert client.get(item["picture"]["url"]).status_code == 200
    assert client.delete(path, headers=bearer(customer_token)).status_code == 403
    gone = client.delete(path, headers=bearer(admin_token))
    assert gone.status_code == 200 and gone.get_json()["picture"] is None
    assert client.get(item["picture"]["url"]).status_code == 404
    assert (
        client.put(
            "/inventory/api/items/999999/picture",
            data={"file": (io.BytesIO(b"x"), "a")},
            headers=bearer(admin_token),
            content_type="multipart/form-data",
        ).status_code
        == 404
    )
    assert stored_counts(app) == (0, 0)


def test_an_upload_that_meets_the_same_file_stored_meanwhile_tries_once_more(
    app, admin, client, make_item, monkeypatch
):
    from sqlalchemy.exc import IntegrityError

    item_id = make_item()
    real_attach, calls = pictures.attach, []

    def attach_after_a_race(item, prepared, alt):
        calls.append(item.id)
        if len(calls) == 1:  # as when another instance inserted the same file's rows first
            raise IntegrityError("INSERT INTO picture_files", {}, Exception("duplicate key"))
        return real_attach(item, prepared, alt)

    monkeypatch.setattr(pictures, "attach", attach_after_a_race)
    assert upload(admin, item_id, samples.picture()).status_code == 200
    assert calls == [item_id, item_id]
    assert client.get(f"/inventory/api/items/{item_id}").get_json()["picture"] is not None


def test_one_upload_at_a_time_is_worked_on_in_a_process_and_the_next_waits_its_turn(app, monkeypatch):
    """A 40-megapixel picture takes about half a gigabyte while it is decoded and encoded: a worker's
    threads taking several at once would take that many times as much."""
    encoding, go_on = threading.Event(), threading.Event()
    encode = pictures._encode

    def held_encode(image, fmt):
        encoding.set()
        assert go_on.wait(30)
        return encode(image, fmt)

    monkeypatch.setattr(pictures, "_encode", held_encode)
    done = []

    def upload(data):
        with app.test_request_context():
            done.append(pictures.prepare(data))

    first = threading.Thread(target=upload, args=(samples.picture("PNG", (300, 200)),))
    first.start()
    assert encoding.wait(30)  # the first is being worked on
    assert not pictures._WORKING.acquire(blocking=False)  # so a second would wait for it
    second = threading.Thread(target=upload, args=(samples.picture("JPEG", (200, 300)),))
    second.start()
    go_on.set()
    first.join(30)
    second.join(30)
    assert sorted((picture.width, picture.height) for picture in done) == [(200, 300), (300, 200)]
    assert pictures._WORKING.acquire(blocking=False)  # and then it is free again
    pictures._WORKING.release()
