"""Static assets: shared_ui's own files and the npm packages, copied under content-hashed names.

`python -m shopctl assets` (run by `make assets`) writes build/static/ and its manifest.json;
nginx serves that folder at /static/ with a long cache, and templates read `assets[name]`.
"""

import gzip
import hashlib
import json
import shutil
from pathlib import Path

from shared_ui.config import PROJECT_ROOT

BUILD_DIR = PROJECT_ROOT / "build" / "static"
SOURCES = {
    "htmx.min.js": PROJECT_ROOT / "node_modules/htmx.org/dist/htmx.min.js",
    "pico.min.css": PROJECT_ROOT / "node_modules/@picocss/pico/css/pico.min.css",
    "shop.css": PROJECT_ROOT / "shared_ui/static/shop.css",
    "shop.js": PROJECT_ROOT / "shared_ui/static/shop.js",
}


def build(dest: Path = BUILD_DIR) -> dict[str, str]:
    """Copy every asset to `dest` as name.<hash>.ext and write the manifest; return it."""
    dest.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for name, source in SOURCES.items():
        if not source.exists():
            raise SystemExit(f"missing asset {source}: run `npm ci` first")
        digest = hashlib.sha256(source.read_bytes()).hexdigest()[:12]
        stem, _, ext = name.partition(".")
        hashed = f"{stem}.{digest}.{ext}"
        shutil.copyfile(source, dest / hashed)
        (dest / f"{hashed}.gz").write_bytes(gzip.compress(source.read_bytes(), compresslevel=9, mtime=0))
        manifest[name] = f"/static/{hashed}"
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for path in [dest, *dest.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)  # nginx workers run as nobody
    return manifest


def load_manifest(dest: Path = BUILD_DIR) -> dict[str, str]:
    """The manifest, or plain /static/ names when assets were not built (per-app tests)."""
    try:
        return json.loads((dest / "manifest.json").read_text())
    except FileNotFoundError:
        return {name: f"/static/{name}" for name in SOURCES}


class Assets(dict):
    """The template global `assets`: `assets["shop.css"]` is the file's URL under its hashed name.

    An item lookup, not a call (`asset_url(name)` went through Jinja's Context.call: ~16 k
    instructions each, four on every page). A name that is not an asset fails the page: Jinja would
    read a missing item as undefined and render an empty link.
    """

    def __missing__(self, name: str):
        raise RuntimeError(f"no asset named {name!r} (shared_ui/assets.py SOURCES)")
