"""The end-of-job report: billable time for the whole cluster and what became of a requested warm pool."""

import pytest

from launcher.sagemaker_jobs.results import summary
from launcher.sagemaker_jobs.warm_pool import QUOTA_GUIDE

JOB = "ray-on-sagemaker-train-20261203140000123"


def described(status: str = "Completed", count: int = 1, keep_alive: int = 0, **more) -> dict:
    resources = {"InstanceType": "ml.m5.4xlarge", "InstanceCount": count, "KeepAlivePeriodInSeconds": keep_alive}
    return {"TrainingJobName": JOB, "TrainingJobStatus": status, "ResourceConfig": resources, **more}


def test_billable_seconds_are_per_instance_times_the_instance_count() -> None:
    lines = summary(described(count=3, BillableTimeInSeconds=100, TrainingTimeInSeconds=100))
    assert "billable seconds: 300 (3 x 100 s)" in lines


def test_a_single_instance_bills_its_own_seconds() -> None:
    assert "billable seconds: 100" in summary(described(BillableTimeInSeconds=100, TrainingTimeInSeconds=100))


def test_no_warm_pool_line_for_a_job_that_asked_for_none() -> None:
    assert not [line for line in summary(described()) if "warm pool" in line]


def test_a_completed_keep_alive_job_without_warm_pool_status_names_the_quota() -> None:
    (line,) = [line for line in summary(described(keep_alive=600)) if "warm pool" in line]
    assert "none kept" in line and "ml.m5.4xlarge is 0 unless raised" in line and QUOTA_GUIDE in line


@pytest.mark.parametrize(
    ("pool", "expected"),
    [
        ({"Status": "Available"}, "kept for up to 600 s"),
        ({"Status": "Reused", "ReusedByJob": "ray-on-sagemaker-train-2"}, "reused by ray-on-sagemaker-train-2"),
        ({"Status": "Terminated", "ResourceRetainedBillableTimeInSeconds": 600}, "billed 1200 instance-seconds"),
    ],
)
def test_warm_pool_status_is_said_in_one_line(pool: dict, expected: str) -> None:
    lines = summary(described(count=2, keep_alive=600, WarmPoolStatus=pool))
    assert len([line for line in lines if "warm pool" in line]) == 1 and any(expected in line for line in lines)


def test_a_failed_keep_alive_job_says_why_none_was_kept() -> None:
    lines = summary(described("Failed", keep_alive=600, FailureReason="AlgorithmError: bad data"))
    assert lines == [f"{JOB} failed: AlgorithmError: bad data", "warm pool: none kept, the job ended failed"]
