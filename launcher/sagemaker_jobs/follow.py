"""Following a running job: one live status line and every host's log stream, until the job ends.

Status comes from DescribeTrainingJob (TrainingJobStatus and SecondaryStatus: Starting, Downloading,
Training, Uploading...); logs from the CloudWatch group SageMaker writes training jobs to, one stream
per host named `<job>/algo-N-<epoch>`, each followed from where it was last read.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from infra.stack_names import TRAINING_LOG_GROUP

ENDED = ("Completed", "Failed", "Stopped")
# CloudWatch Logs delivers a host's last lines a little after the job's status changes: one more read this late.
LATE_LINES_SECONDS = 5.0


class StatusLine:
    """The job's status on one line: rewritten in place on a terminal, printed once per change elsewhere."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._tty = out.isatty()
        self._shown = ""
        self._pending = False

    def show(self, text: str) -> None:
        if self._tty:
            self._out.write(f"\r\033[K{text}")
            self._pending = True
        elif text.split(" (")[0] != self._shown.split(" (")[0]:
            self._out.write(text + "\n")
        self._shown = text
        self._out.flush()

    def print(self, text: str) -> None:
        """A log line above the status line."""
        if self._pending:
            self._out.write("\r\033[K")
        self._out.write(text + "\n")
        if self._pending:
            self._out.write(self._shown)
        self._out.flush()

    def close(self) -> None:
        if self._pending:
            self._out.write("\n")
            self._pending = False


class LogStreams:
    """Every stream of one job, each read on from its last token."""

    def __init__(self, logs, job_name: str) -> None:
        self._logs = logs
        self._job = job_name
        self._tokens: dict[str, str | None] = {}

    def new_lines(self) -> list[tuple[str, str]]:
        """(host, message) of every event written since the last call, stream by stream."""
        lines = []
        for stream in self._streams():
            lines += [(host_of(stream, self._job), message) for message in self._drain(stream)]
        return lines

    def _streams(self) -> list[str]:
        """Every stream of the job: DescribeLogStreams answers 50 at most a page, the rest behind nextToken."""
        names, token = [], None
        request = {"logGroupName": TRAINING_LOG_GROUP, "logStreamNamePrefix": f"{self._job}/"}
        while True:
            try:
                answer = self._logs.describe_log_streams(**request, **({"nextToken": token} if token else {}))
            except self._logs.exceptions.ResourceNotFoundException:
                return []  # the group appears with the first job's first log line
            names += [stream["logStreamName"] for stream in answer.get("logStreams", [])]
            token = answer.get("nextToken")
            if not token:
                return sorted(names)

    def _drain(self, stream: str) -> list[str]:
        """The stream's new events. GetLogEvents may answer an empty page before later events; the end of
        the stream is the page whose nextForwardToken is the token that was sent (CloudWatch Logs API reference)."""
        messages = []
        while True:
            token = self._tokens.get(stream)
            request = {"logGroupName": TRAINING_LOG_GROUP, "logStreamName": stream, "startFromHead": True}
            answer = self._logs.get_log_events(**request, **({"nextToken": token} if token else {}))
            messages += [event["message"] for event in answer.get("events", [])]
            self._tokens[stream] = answer.get("nextForwardToken")
            if answer.get("nextForwardToken") in (token, None):
                return messages


def host_of(stream: str, job_name: str) -> str:
    """`algo-2` from `<job>/algo-2-1700000000`."""
    name = stream[len(job_name) + 1 :] if stream.startswith(f"{job_name}/") else stream
    return "-".join(name.split("-")[:2])


def status_text(job: dict[str, Any], elapsed: float) -> str:
    minutes, seconds = divmod(int(elapsed), 60)
    secondary = job.get("SecondaryStatus")
    status = job["TrainingJobStatus"] + (
        f" / {secondary}" if secondary and secondary != job["TrainingJobStatus"] else ""
    )
    return f"{job['TrainingJobName']}: {status} ({minutes}m{seconds:02d}s)"


def follow_job(
    sagemaker,
    logs,
    job_name: str,
    out: TextIO = sys.stdout,
    poll_seconds: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Show status and logs until the job ends; return its last description. Ctrl-C propagates (the job runs on).

    After the final status the logs are read once more, LATE_LINES_SECONDS later, for lines delivered late.
    """
    line, streams, started = StatusLine(out), LogStreams(logs, job_name), clock()

    def show_new_lines() -> None:
        for host, message in streams.new_lines():
            line.print(f"[{host}] {message}")

    try:
        while True:
            job = sagemaker.describe_training_job(TrainingJobName=job_name)
            line.show(status_text(job, clock() - started))
            show_new_lines()
            if job["TrainingJobStatus"] in ENDED:
                sleep(min(poll_seconds, LATE_LINES_SECONDS))
                show_new_lines()
                return job
            sleep(poll_seconds)
    finally:
        line.close()
