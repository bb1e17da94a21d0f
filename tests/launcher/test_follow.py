"""Following a job against a fake service that walks it through SageMaker's statuses and log events.

moto completes a job at once and keeps no job logs, so the fake plays the service: each
DescribeTrainingJob moves the job one step on, and log streams appear and grow between calls.
"""

import io

import pytest
from botocore.exceptions import ClientError

from infra.stack_names import TRAINING_LOG_GROUP
from launcher.sagemaker_jobs.follow import follow_job, host_of
from launcher.sagemaker_jobs.results import summary

JOB = "ray-on-sagemaker-train-20261130050000"
STEPS = [
    # (TrainingJobStatus, SecondaryStatus, {stream: new messages})
    ("InProgress", "Starting", {}),
    ("InProgress", "Downloading", {}),
    ("InProgress", "Training", {"algo-1-1764478800": ["running train on algo-1 of ['algo-1', 'algo-2']"]}),
    (
        "InProgress",
        "Training",
        {"algo-2-1764478801": ["joined"], "algo-1-1764478800": ["epoch=1 test_accuracy=0.9100"]},
    ),
    ("InProgress", "Uploading", {"algo-1-1764478800": ["model written to /opt/ml/model/model.pth"]}),
    ("Completed", "Completed", {}),
]


class FakeService:
    """DescribeTrainingJob, DescribeLogStreams and GetLogEvents of one job, one step per describe.

    Like CloudWatch Logs: streams come 50 a page; with empty_pages, every page of events is preceded by an
    empty one with a new token; `late` lines reach their streams only on the second read after the job ended.
    """

    class exceptions:
        ResourceNotFoundException = ClientError

    def __init__(self, steps=STEPS, empty_pages: bool = False, late: dict[str, list[str]] | None = None) -> None:
        self.steps, self.step, self.streams = steps, -1, {}
        self.empty_pages, self.late, self.reads_after_end = empty_pages, late or {}, 0

    def describe_training_job(self, TrainingJobName: str) -> dict:
        self.step = min(self.step + 1, len(self.steps) - 1)
        status, secondary, events = self.steps[self.step]
        for stream, messages in events.items():
            self.streams.setdefault(f"{TrainingJobName}/{stream}", []).extend(messages)
        return {"TrainingJobName": TrainingJobName, "TrainingJobStatus": status, "SecondaryStatus": secondary}

    def describe_log_streams(self, logGroupName, logStreamNamePrefix, nextToken="0") -> dict:
        assert logGroupName == TRAINING_LOG_GROUP
        if nextToken == "0":
            self._deliver_late_lines(logStreamNamePrefix)
        if not self.streams:
            raise ClientError(
                {"Error": {"Code": "ResourceNotFoundException", "Message": "no group"}}, "DescribeLogStreams"
            )
        names = sorted(s for s in self.streams if s.startswith(logStreamNamePrefix))
        start = int(nextToken)
        page = {"logStreams": [{"logStreamName": s} for s in names[start : start + 50]]}
        return {**page, "nextToken": str(start + 50)} if start + 50 < len(names) else page

    def _deliver_late_lines(self, prefix: str) -> None:
        """Count the reads (first pages) after the final status; the second brings the late lines."""
        if self.step == len(self.steps) - 1:
            self.reads_after_end += 1
            if self.reads_after_end == 2:
                for stream, messages in self.late.items():
                    self.streams.setdefault(f"{prefix}{stream}", []).extend(messages)

    def get_log_events(self, logGroupName, logStreamName, startFromHead, nextToken="f/0") -> dict:
        """Two events a page at most, so that following must page; the token is the next index."""
        kind, start = nextToken.split("/")[0], int(nextToken.split("/")[1])
        if self.empty_pages and kind == "f" and start < len(self.streams[logStreamName]):
            return {"events": [], "nextForwardToken": f"e/{start}"}
        events = self.streams[logStreamName][start : start + 2]
        return {"events": [{"message": m} for m in events], "nextForwardToken": f"f/{start + len(events)}"}


def test_follow_shows_each_status_once_and_every_host_line_prefixed_by_host() -> None:
    service, out, naps = FakeService(), io.StringIO(), []
    job = follow_job(
        service, service, JOB, out, poll_seconds=5, sleep=naps.append, clock=iter(range(0, 1000, 30)).__next__
    )
    assert job["TrainingJobStatus"] == "Completed"
    assert out.getvalue().splitlines() == [
        f"{JOB}: InProgress / Starting (0m30s)",
        f"{JOB}: InProgress / Downloading (1m00s)",
        f"{JOB}: InProgress / Training (1m30s)",
        "[algo-1] running train on algo-1 of ['algo-1', 'algo-2']",
        "[algo-1] epoch=1 test_accuracy=0.9100",
        "[algo-2] joined",
        f"{JOB}: InProgress / Uploading (2m30s)",
        "[algo-1] model written to /opt/ml/model/model.pth",
        f"{JOB}: Completed (3m00s)",
    ]
    assert naps == [5] * 6  # one pause between describes, one before the last read of the logs


def test_a_long_stream_is_read_page_by_page_without_repeats() -> None:
    lines = [f"line {i}" for i in range(5)]
    steps = [("InProgress", "Training", {"algo-1-1": lines}), ("Failed", "Failed", {"algo-1-1": ["error: bad data"]})]
    service, out = FakeService(steps), io.StringIO()
    job = follow_job(service, service, JOB, out, sleep=lambda _: None)
    printed = [line for line in out.getvalue().splitlines() if line.startswith("[algo-1]")]
    assert printed == [f"[algo-1] {line}" for line in [*lines, "error: bad data"]]
    assert job["TrainingJobStatus"] == "Failed"


def test_ctrl_c_leaves_the_job_running_and_ends_the_status_line() -> None:
    service, out = FakeService(), io.StringIO()

    def interrupted(_: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        follow_job(service, service, JOB, out, sleep=interrupted)
    assert service.step == 0 and out.getvalue() == f"{JOB}: InProgress / Starting (0m00s)\n"


def test_host_comes_from_the_stream_name() -> None:
    assert host_of(f"{JOB}/algo-12-1764478800", JOB) == "algo-12"


def test_the_end_of_a_job_reports_metrics_billing_and_spot_saving_or_the_failure_reason() -> None:
    done = {
        "TrainingJobName": JOB,
        "TrainingJobStatus": "Completed",
        "FinalMetricDataList": [
            {"MetricName": "test_accuracy", "Value": 0.9642},
            {"MetricName": "test_loss", "Value": 0.11},
        ],
        "BillableTimeInSeconds": 90,
        "TrainingTimeInSeconds": 300,
        "EnableManagedSpotTraining": True,
    }
    assert summary(done) == [
        f"{JOB} completed",
        "final metrics: test_accuracy=0.9642 test_loss=0.1100",
        "training seconds: 300",
        "billable seconds: 90",
        "managed spot training saved 70% (billable 90 s of 300 s)",
    ]
    failed = {"TrainingJobName": JOB, "TrainingJobStatus": "Failed", "FailureReason": "AlgorithmError: bad data"}
    assert summary(failed) == [f"{JOB} failed: AlgorithmError: bad data"]


def test_ctrl_c_in_make_train_detaches_with_the_commands_to_follow_or_stop(monkeypatch, capsys) -> None:
    from launcher import api, cli

    def interrupted(stack, name):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "follow", interrupted)
    assert cli._follow_and_finish(None, JOB, None) == cli.EXIT_DETACHED
    assert f"runs on: follow it with make logs JOB={JOB}, stop it with make stop JOB={JOB}" in capsys.readouterr().out


def test_on_a_terminal_the_status_line_is_rewritten_in_place_below_the_log_lines() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    steps = [("InProgress", "Training", {"algo-1-1": ["hello"]}), ("Completed", "Completed", {})]
    service, out = FakeService(steps), Terminal()
    follow_job(service, service, JOB, out, sleep=lambda _: None, clock=lambda: 0.0)
    training, done = f"{JOB}: InProgress / Training (0m00s)", f"{JOB}: Completed (0m00s)"
    assert out.getvalue() == f"\r\033[K{training}\r\033[K[algo-1] hello\n{training}\r\033[K{done}\n"


def test_more_than_a_page_of_streams_are_all_followed() -> None:
    hosts = {f"algo-{n}-1764478800": [f"hello from algo-{n}"] for n in range(1, 121)}
    service, out = FakeService([("InProgress", "Training", hosts), ("Completed", "Completed", {})]), io.StringIO()
    follow_job(service, service, JOB, out, sleep=lambda _: None)
    printed = {line for line in out.getvalue().splitlines() if line.startswith("[algo-")}
    assert printed == {f"[algo-{n}] hello from algo-{n}" for n in range(1, 121)}


def test_an_empty_page_of_events_is_not_the_end_of_a_stream() -> None:
    lines = [f"line {i}" for i in range(7)]
    steps = [("InProgress", "Training", {"algo-1-1": lines}), ("Completed", "Completed", {})]
    service, out = FakeService(steps, empty_pages=True), io.StringIO()
    follow_job(service, service, JOB, out, sleep=lambda _: None)
    assert [line for line in out.getvalue().splitlines() if line.startswith("[")] == [f"[algo-1] {x}" for x in lines]


def test_lines_delivered_after_the_final_status_are_still_shown() -> None:
    steps = [("InProgress", "Training", {"algo-1-1": ["training"]}), ("Completed", "Completed", {})]
    service, out, naps = FakeService(steps, late={"algo-1-1": ["model written"]}), io.StringIO(), []
    follow_job(service, service, JOB, out, poll_seconds=10, sleep=naps.append)
    assert out.getvalue().splitlines()[-1] == "[algo-1] model written"
    assert naps == [10, 5]  # the poll, then the short wait before the last read
