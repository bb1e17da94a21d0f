"""Whether a --keep-alive job's instances were kept warm, and if not why, from DescribeTrainingJob.

SageMaker keeps a warm pool only within the account's warm-pool quota, which is 0 by default for every
instance type ("Request a warm pool quota increase", SageMaker developer guide, train-warm-pools-resource-limits):
on a new account --keep-alive keeps nothing and says nothing. WarmPoolStatus (API reference) tells.
"""

from __future__ import annotations

from typing import Any

QUOTA_GUIDE = "https://docs.aws.amazon.com/sagemaker/latest/dg/train-warm-pools-resource-limits.html"


def warm_pool_line(job: dict[str, Any]) -> str | None:
    """One line about the warm pool of a job that asked for one; None for a job that did not."""
    resources = job.get("ResourceConfig", {})
    keep_alive = resources.get("KeepAlivePeriodInSeconds")
    if not keep_alive:
        return None
    pool = job.get("WarmPoolStatus")
    if pool is None:
        return _not_kept(job, resources.get("InstanceType", "this instance type"))
    count = resources.get("InstanceCount", 1)
    retained = pool.get("ResourceRetainedBillableTimeInSeconds")
    billed = f"; billed {retained * count} instance-seconds kept warm" if retained is not None else ""
    return (
        _STATES.get(pool["Status"], "warm pool {status}").format(
            status=pool["Status"], keep_alive=keep_alive, reused_by=pool.get("ReusedByJob", "another job")
        )
        + billed
    )


def _not_kept(job: dict[str, Any], instance_type: str) -> str:
    if job["TrainingJobStatus"] != "Completed":
        return f"warm pool: none kept, the job ended {job['TrainingJobStatus'].lower()}"
    return (
        f"warm pool: none kept; the account's warm-pool quota for {instance_type} is 0 unless raised"
        f" (Service Quotas, SageMaker, 'warm pool'; {QUOTA_GUIDE})"
    )


_STATES = {
    "Available": "warm pool: kept for up to {keep_alive} s; the next job of the same type and count reuses it",
    "InUse": "warm pool: kept, in use by this job",
    "Reused": "warm pool: kept, then reused by {reused_by}",
    "Terminated": "warm pool: kept, now terminated (its {keep_alive} s ran out, or it was stopped or patched)",
}
