"""Render nginx.conf (a template: nginx cannot read the environment) into $SHOP_VAR_DIR."""

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from shared_ui.assets import BUILD_DIR
from shared_ui.config import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "nginx.conf"
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )
    if not found:
        raise SystemExit("nginx is not installed: `sudo apt-get install nginx` (make run does it as root)")
    return found


def render(env: dict[str, str]) -> Path:
    """Write $SHOP_VAR_DIR/nginx.conf for these settings and return its path."""
    var = Path(env["SHOP_VAR_DIR"])
    for sub in ("logs", "tmp"):
        (var / sub).mkdir(parents=True, exist_ok=True)
    public = urlsplit(env["SHOP_PUBLIC_URL"])
    values = {
        **env,
        "VAR_DIR": str(var),
        "STATIC_DIR": str(BUILD_DIR),
        "SERVER_NAMES": " ".join(sorted({public.hostname or "127.0.0.1", "127.0.0.1", "localhost"})),
        "MIME_TYPES": _mime_types(),
    }
    text = PLACEHOLDER.sub(lambda m: values[m.group(1)], TEMPLATE.read_text())
    target = var / "nginx.conf"
    target.write_text(text)
    return target


def _mime_types() -> str:
    for path in ("/etc/nginx/mime.types", "/usr/local/nginx/conf/mime.types"):
        if Path(path).exists():
            return path
    raise SystemExit("nginx's mime.types was not found; is nginx installed?")
