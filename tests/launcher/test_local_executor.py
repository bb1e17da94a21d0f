"""`make train ARGS="--executor local --epochs 1"` end to end on moto's S3: the channels come down from
the data bucket, real training runs, the archives go up to the job's output path, and come back unpacked."""

import json
import re

from infra import stack_names
from launcher.sagemaker_jobs.metrics import METRICS
from tests.infra.helpers import run_make

NAME = re.compile(r"running (ray-on-sagemaker-train-\d{17}) on this machine")


def test_local_executor_runs_the_same_job_and_reports_like_sagemaker(
    launcher_env, data, deployed, aws, tmp_path
) -> None:
    result = run_make(
        "train", launcher_env, "ARGS=--executor local --epochs 1 --batch-size 64", f"JOBS_DIR={tmp_path}", timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    name = NAME.search(result.stdout)[1]
    assert f"{name} completed" in result.stdout
    job_lines = [line for line in result.stdout.splitlines() if line.startswith("[algo-1] ")]
    for metric, regex in METRICS.items():  # the definitions SageMaker would scrape match the job's real output
        assert any(re.search(regex, line) for line in job_lines), metric
    assert re.search(
        r"^final metrics: epoch_seconds=\S+ test_accuracy=0\.\d{4} test_loss=\S+ train_loss=\S+$", result.stdout, re.M
    )

    keys = {
        o["Key"]
        for o in aws("s3").list_objects_v2(Bucket=deployed[stack_names.ARTIFACTS_BUCKET], Prefix=f"jobs/{name}/")[
            "Contents"
        ]
    }
    assert keys == {f"jobs/{name}/output/model.tar.gz", f"jobs/{name}/output/output.tar.gz"}
    for file in ("model.pth", "metrics.json"):
        path = tmp_path / name / "model" / file
        assert path.is_file() and f"{file + ':':<13} {path}" in result.stdout
    record = tmp_path / name / "output" / "ray"  # Ray's record of the run (training/cluster/ray_record.py), unpacked
    assert [node["host"] for node in json.loads((record / "nodes.json").read_text())] == ["algo-1"]
    assert "epoch=1 train_loss=" in (record / "last_lines" / "algo-1.log").read_text()  # the workers' lines, kept
    assert f"{'ray record:':<13} {record}/" in result.stdout  # its logs: see test_multihost.py (own network)

    # Nothing given: the job logged to a store in its own output folder, which came back with the results.
    from mlflow.tracking import MlflowClient

    store = tmp_path / name / "output" / "mlflow" / "mlflow.db"
    client = MlflowClient(tracking_uri=f"sqlite:///{store}")
    (run,) = client.search_runs([client.get_experiment_by_name("train").experiment_id])
    assert run.info.run_name == name and run.info.status == "FINISHED"
    assert [m.step for m in client.get_metric_history(run.info.run_id, "test_accuracy")] == [1]
