"""Stored pictures, served by content hash: the bytes of a URL never change, so they are cached a year."""

from flask import Blueprint, Response, abort, request

from inventory_app import pictures

bp = Blueprint("pictures", __name__, url_prefix="/inventory/pictures")

YEAR = 365 * 24 * 3600


@bp.route("/<string:picture_hash>-<int:width>.<string:fmt>")
def show(picture_hash: str, width: int, fmt: str):
    """One size of a picture, with an ETag (the URL names the bytes) and a year's immutable cache."""
    if not pictures.HASH.match(picture_hash) or fmt not in pictures.FORMATS:
        abort(404)
    etag = f"{picture_hash[:32]}-{width}-{fmt}"
    if request.if_none_match.contains(etag):
        pictures.file_exists(picture_hash, width, fmt) or abort(404)  # not once it is deleted
        response = Response(status=304)
    else:
        found = pictures.stored_file(picture_hash, width, fmt) or abort(404)
        response = Response(found.data, mimetype=pictures.FORMATS[fmt])
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response
