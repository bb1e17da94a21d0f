"""Small helpers the launcher tests share."""

import json

IMAGE_TAG = "0123456789ab"  # the tag `make push-image` would give commit 0123456789ab


def created_jobs(requests: list[dict]) -> list[dict]:
    """The bodies of the CreateTrainingJob requests among moto's recorded requests."""
    return [
        json.loads(r["body"])
        for r in requests
        if r.get("headers", {}).get("X-Amz-Target") == "SageMaker.CreateTrainingJob"
    ]
