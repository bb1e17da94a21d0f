"""Stop this SageMaker notebook instance once Jupyter has been idle for a while (saves cost).

Runs on the notebook from a systemd timer with the Jupyter server's own Python. Idle means: no kernel is
busy, and no kernel or open terminal has been active for `--idle-minutes` (a terminal that does not say
when it was last active counts as active). It first checks what it relies on: boto3 importable, Jupyter's
API answering. When one fails it says so in one line, on stderr and once per boot in the notebook's
CloudWatch log stream `<notebook>/autostop`, and exits non-zero instead of failing silently every run.
`--preflight` checks boto3 only: the on-start script runs it (Jupyter is not up yet then), so its line lands
in the `<notebook>/LifecycleConfigOnStart` stream. It avoids datetime.UTC and other 3.11-only names because
that Python's version is the platform's choice, not ours.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

JUPYTER = "https://localhost:8443"
METADATA = "/opt/ml/metadata/resource-metadata.json"
LOG_GROUP = "/aws/sagemaker/NotebookInstances"
REPORTED = "/run/notebook-autostop.reported"  # /run is emptied at boot: one CloudWatch line per boot
OFF = "the notebook will not stop itself when idle"


class PrerequisiteError(Exception):
    """Something auto-stop relies on is missing; the message is the one line users read."""


def require_boto3():
    """boto3 from the Python running this program (JupyterSystemEnv's on the notebook)."""
    try:
        import boto3
    except ImportError as error:
        raise PrerequisiteError(f"auto-stop: {sys.executable} cannot import boto3 ({error}); {OFF}.") from error
    return boto3


def jupyter_get(base_url: str, path: str) -> list:
    """GET a list from Jupyter's REST API; the local server uses a self-signed certificate."""
    url = f"{base_url}{path}"
    context = None
    if url.startswith("https:"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url, context=context, timeout=30) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        raise PrerequisiteError(
            f"auto-stop: Jupyter's API at {url} answered HTTP {error.code} (it may require a token); {OFF}."
        ) from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise PrerequisiteError(f"auto-stop: cannot reach Jupyter's API at {url} ({reason}); {OFF}.") from error


def activity(base_url: str) -> tuple[list, list]:
    """The running kernels and open terminals."""
    return jupyter_get(base_url, "/api/kernels"), jupyter_get(base_url, "/api/terminals")


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def is_idle(kernels: list, terminals: list, now: datetime, idle_for: timedelta, booted_at: datetime) -> bool:
    """True when nothing is busy and the last kernel or terminal activity (or the boot) is older than `idle_for`."""
    if any(kernel.get("execution_state") == "busy" for kernel in kernels):
        return False
    if any(not terminal.get("last_activity") for terminal in terminals):
        return False
    times = [_parse_time(item["last_activity"]) for item in [*kernels, *terminals] if item.get("last_activity")]
    return now - max(times, default=booted_at) >= idle_for


def boot_time() -> datetime:
    """When the machine started, the idle clock's origin when no kernel or terminal ever ran."""
    with open("/proc/uptime", encoding="ascii") as uptime:
        seconds = float(uptime.read().split()[0])
    return datetime.now(UTC) - timedelta(seconds=seconds)


def notebook_identity(metadata_path: str) -> tuple[str, str] | None:
    """(name, region) of this notebook instance, from the file SageMaker writes on it; None elsewhere."""
    try:
        with open(metadata_path, encoding="utf-8") as metadata:
            resource = json.load(metadata)
    except (OSError, ValueError):
        return None
    return resource["ResourceName"], resource["ResourceArn"].split(":")[3]


def report(line: str, boto3, identity: tuple[str, str] | None, reported_marker: str) -> None:
    """Say it on stderr (the journal) and, once per boot, in the notebook's CloudWatch stream `<name>/autostop`."""
    print(line, file=sys.stderr, flush=True)
    if boto3 is None or identity is None or os.path.exists(reported_marker):
        return
    name, region = identity
    logs = boto3.client("logs", region_name=region)
    stream = f"{name}/autostop"
    try:
        logs.create_log_stream(logGroupName=LOG_GROUP, logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    event = {"timestamp": int(time.time() * 1000), "message": line}
    logs.put_log_events(logGroupName=LOG_GROUP, logStreamName=stream, logEvents=[event])
    with open(reported_marker, "w", encoding="utf-8") as marker:
        marker.write(line + "\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-minutes", type=int, required=True)
    parser.add_argument("--preflight", action="store_true", help="check boto3 only, then exit")
    parser.add_argument("--jupyter-url", default=JUPYTER)
    parser.add_argument("--metadata", default=METADATA)
    parser.add_argument("--reported-marker", default=REPORTED)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Check the prerequisites, then stop the instance through the SageMaker API when it is idle."""
    args = parse_args(argv)
    identity = notebook_identity(args.metadata)
    boto3 = None
    try:
        boto3 = require_boto3()
        if args.preflight:
            print(f"auto-stop: boto3 found in {sys.executable}; stopping after {args.idle_minutes} idle minutes.")
            return 0
        kernels, terminals = activity(args.jupyter_url)
    except PrerequisiteError as problem:
        report(str(problem), boto3, identity, args.reported_marker)
        return 1
    idle_for = timedelta(minutes=args.idle_minutes)
    if identity is None or not is_idle(kernels, terminals, datetime.now(UTC), idle_for, boot_time()):
        return 0
    name, region = identity
    boto3.client("sagemaker", region_name=region).stop_notebook_instance(NotebookInstanceName=name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
