"""Render nginx.conf (a template: nginx cannot read the environment) into $SHOP_VAR_DIR."""

import grp
import ipaddress
import os
import pwd
import re
import shutil
import stat
from pathlib import Path
from urllib.parse import urlsplit

from shared_ui.assets import BUILD_DIR
from shared_ui.config import PROJECT_ROOT
from shopctl.settings import APPS, ports

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
    for sub in ("logs", "tmp", "cache"):
        (var / sub).mkdir(parents=True, exist_ok=True)
    public = urlsplit(env["SHOP_PUBLIC_URL"])
    values = {
        **env,
        "VAR_DIR": str(var),
        "STATIC_DIR": str(BUILD_DIR),
        "SERVER_NAMES": " ".join(sorted({public.hostname or "127.0.0.1", "127.0.0.1", "localhost"})),
        "MIME_TYPES": _mime_types(),
        "WORKER_USER": _worker_user(),
        "REAL_IP": _real_ip(env.get("SHOP_TRUSTED_PROXIES", "")),
        "SHOP_AUTH_REQUESTS_PER_MINUTE": str(_positive(env, "SHOP_AUTH_REQUESTS_PER_MINUTE")),
        "SHOP_PICTURE_CACHE_SECONDS": str(_positive(env, "SHOP_PICTURE_CACHE_SECONDS")),
    }
    for app in APPS:
        values[f"{app.upper()}_SERVERS"] = "\n        ".join(f"server 127.0.0.1:{port};" for port in ports(env, app))
    text = PLACEHOLDER.sub(lambda m: values[m.group(1)], TEMPLATE.read_text())
    target = var / "nginx.conf"
    target.write_text(text)
    return target


def _positive(env: dict[str, str], name: str) -> int:
    try:
        value = int(env[name])
    except ValueError:
        value = 0
    if value < 1:
        raise SystemExit(f"{name} must be a whole number of 1 or more, not {env[name]!r}")
    return value


def _real_ip(trusted: str) -> str:
    """nginx's realip lines for SHOP_TRUSTED_PROXIES (addresses or CIDR ranges, comma- or space-separated)."""
    proxies = [each for each in re.split(r"[,\s]+", trusted) if each]
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise SystemExit(f"SHOP_TRUSTED_PROXIES: {proxy!r} is not an address or a CIDR range") from None
    if not proxies:
        return "# SHOP_TRUSTED_PROXIES is empty: the connection's address is the client's."
    lines = [f"set_real_ip_from {proxy};" for proxy in proxies]
    lines += ["real_ip_header X-Forwarded-For;", "real_ip_recursive on;"]
    return "\n    ".join(lines)


def _mime_types() -> str:
    for path in ("/etc/nginx/mime.types", "/usr/local/nginx/conf/mime.types"):
        if Path(path).exists():
            return path
    raise SystemExit("nginx's mime.types was not found; is nginx installed?")


def _worker_user() -> str:
    """nginx started as root runs its workers as nobody, who must be able to read build/static.

    When some folder above the project is closed to others (a private home or CI folder), the
    workers run as the project's owner instead, so static files are served all the same.
    """
    if os.geteuid() != 0:
        return ""
    path = BUILD_DIR
    while path != path.parent:
        if path.exists() and not path.stat().st_mode & stat.S_IXOTH:
            owner = pwd.getpwuid(PROJECT_ROOT.stat().st_uid).pw_name
            group = grp.getgrgid(PROJECT_ROOT.stat().st_gid).gr_name
            return f"user {owner} {group};"
        path = path.parent
    return ""
