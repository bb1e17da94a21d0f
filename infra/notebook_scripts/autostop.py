"""Stop this SageMaker notebook instance once Jupyter has been idle for a while (saves cost).

Runs on the notebook from a systemd timer with the Jupyter server's own Python (which has boto3).
Idle means: no kernel is busy and none has been active for `--idle-minutes`. It avoids datetime.UTC
and other 3.11-only names because that Python's version is the platform's choice, not ours.
"""

import argparse
import json
import ssl
import urllib.request
from datetime import datetime, timedelta, timezone

import boto3

JUPYTER = "https://localhost:8443"
METADATA = "/opt/ml/metadata/resource-metadata.json"


def is_idle(kernels: list[dict], now: datetime, idle_for: timedelta, booted_at: datetime) -> bool:
    """True when no kernel is busy and the last activity (or the boot, if none) is older than `idle_for`."""
    if any(kernel.get("execution_state") == "busy" for kernel in kernels):
        return False
    times = [
        datetime.fromisoformat(k["last_activity"].replace("Z", "+00:00")) for k in kernels if k.get("last_activity")
    ]
    return now - max(times, default=booted_at) >= idle_for


def jupyter_kernels() -> list[dict]:
    """List kernels from the local Jupyter server, which uses a self-signed certificate."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(f"{JUPYTER}/api/kernels", context=context, timeout=30) as response:
        return json.load(response)


def boot_time() -> datetime:
    """When the machine started, the idle clock's origin when no kernel ever ran."""
    with open("/proc/uptime", encoding="ascii") as uptime:
        seconds = float(uptime.read().split()[0])
    return datetime.now(timezone.utc) - timedelta(seconds=seconds)


def main() -> None:
    """Stop the instance through the SageMaker API when it is idle."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle-minutes", type=int, required=True)
    args = parser.parse_args()
    if not is_idle(jupyter_kernels(), datetime.now(timezone.utc), timedelta(minutes=args.idle_minutes), boot_time()):
        return
    with open(METADATA, encoding="utf-8") as metadata:
        resource = json.load(metadata)
    region = resource["ResourceArn"].split(":")[3]
    boto3.client("sagemaker", region_name=region).stop_notebook_instance(NotebookInstanceName=resource["ResourceName"])


if __name__ == "__main__":
    main()
