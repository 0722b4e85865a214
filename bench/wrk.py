"""wrk as a separate load process: one run per case, its numbers read from the line our script prints."""

import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

SCRIPT = Path(__file__).parent / "lua" / "shop.lua"


@dataclass
class Load:
    """How hard to push: wrk's threads, open connections and seconds per run."""

    threads: int = 2
    connections: int = 32
    seconds: float = 10.0
    timeout_seconds: int = 5


@dataclass
class Run:
    """One wrk run's outcome (latencies in milliseconds)."""

    requests: int
    seconds: float
    bytes: int
    errors: dict
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    output: str = field(repr=False, default="")

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def ok_per_second(self) -> float:
        """Answers that were not errors (2xx/3xx, no socket error), per second."""
        return max(self.requests - self.errors.get("status", 0), 0) / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("output")
        return data


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed: `sudo apt-get install wrk` (make bench does it as root)")
    return found


def run(
    url_base: str,
    paths: list[str],
    load: Load,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: str | None = None,
    extra_env: dict[str, str] | None = None,
    seconds: float | None = None,
    tokens: list[str] | None = None,
) -> Run:
    """Drive `url_base` + paths (round-robin) for `seconds` and return what wrk measured.

    With `tokens`, each request also takes the next one's `Authorization: Bearer` header (round-robin).
    """
    seconds = seconds if seconds is not None else load.seconds
    env = {
        **os.environ,
        "BENCH_METHOD": method,
        "BENCH_PATHS": "\n".join(paths),
        "BENCH_HEADERS": "\n".join(f"{k}: {v}" for k, v in (headers or {}).items()),
        "BENCH_THREADS": str(load.threads),
        **(extra_env or {}),
    }
    if body is not None:
        env["BENCH_BODY"] = body
    if tokens:
        env["BENCH_TOKENS"] = "\n".join(tokens)
    command = [
        wrk_binary(),
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={load.timeout_seconds}s",
        "--latency",
        "-s",
        str(SCRIPT),
        url_base + paths[0],
    ]
    completed = subprocess.run(  # noqa: S603 (a fixed program and our own arguments)
        command, env=env, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    return parse(completed.stdout + completed.stderr)


def parse(output: str) -> Run:
    """The numbers from wrk's output (the BENCH_JSON line our done() prints)."""
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line.removeprefix("BENCH_JSON "))
            latency = data["latency_us"]
            return Run(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                bytes=data["bytes"],
                errors=data["errors"],
                p50_ms=latency["p50"] / 1000,
                p90_ms=latency["p90"] / 1000,
                p99_ms=latency["p99"] / 1000,
                max_ms=latency["max"] / 1000,
                mean_ms=latency["mean"] / 1000,
                output=output,
            )
    raise RuntimeError(f"wrk gave no result:\n{output[-2000:]}")


def combine(runs: list[Run]) -> Run:
    """Several rounds of one case as one: counts added; p50 the median round's, p99 and max the worst."""
    if len(runs) == 1:
        return runs[0]
    p50s = sorted(r.p50_ms for r in runs)
    seconds = sum(r.seconds for r in runs)
    requests = sum(r.requests for r in runs)
    return Run(
        requests=requests,
        seconds=seconds,
        bytes=sum(r.bytes for r in runs),
        errors={k: sum(r.errors.get(k, 0) for r in runs) for k in runs[0].errors},
        p50_ms=p50s[len(p50s) // 2] if len(p50s) % 2 else (p50s[len(p50s) // 2 - 1] + p50s[len(p50s) // 2]) / 2,
        p90_ms=max(r.p90_ms for r in runs),
        p99_ms=max(r.p99_ms for r in runs),
        max_ms=max(r.max_ms for r in runs),
        mean_ms=sum(r.mean_ms * r.requests for r in runs) / requests if requests else 0.0,
        output="\n".join(r.output for r in runs),
    )
