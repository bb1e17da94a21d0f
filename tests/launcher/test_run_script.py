"""`make run SCRIPT=examples/digits_search/search.py` against the stack deployed to moto_server: the folder goes
up once as the `code` channel, the request runs it as program=script, and `--executor local` runs that very
request here end to end (the example's own arguments keep it to two trials of one epoch)."""

import re
from pathlib import Path

import pytest

from infra import stack_names
from launcher.stack.code_channel import pack_code
from tests.infra.helpers import ROOT, run_make
from tests.launcher.helpers import created_jobs

SCRIPT = "examples/digits_search/search.py"
SMALL = "--num-samples 2 --epochs 1"
SUBMITTED = re.compile(r"submitted (ray-on-sagemaker-script-\d{17})")
RAN = re.compile(r"running (ray-on-sagemaker-script-\d{17}) on this machine")


@pytest.fixture(scope="module", autouse=True)
def no_code_left_behind(deployed, aws):
    """The data bucket holds only make data's channels for the other tests once this module is done."""
    yield
    s3, bucket = aws("s3"), deployed[stack_names.DATA_BUCKET]
    for item in s3.list_objects_v2(Bucket=bucket, Prefix="code/").get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])


@pytest.fixture(scope="module")
def digest() -> str:
    return pack_code(ROOT / SCRIPT).digest


@pytest.fixture(scope="module")
def submitted(launcher_env, data, record, deployed, aws, digest) -> dict:
    """`make run … --no-wait` twice from an empty code prefix: both outputs and what reached moto each time."""
    s3, bucket = aws("s3"), deployed[stack_names.DATA_BUCKET]
    for item in s3.list_objects_v2(Bucket=bucket, Prefix=f"code/{digest}/").get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    runs, requests = [], []
    for _ in range(2):
        requests.append(
            record(lambda: runs.append(run_make("run", launcher_env, f"SCRIPT={SCRIPT}", f"ARGS={SMALL} --no-wait")))
        )
        assert runs[-1].returncode == 0, runs[-1].stdout + runs[-1].stderr
    return {"runs": [run.stdout for run in runs], "requests": requests}


def test_run_sends_the_code_channel_and_program_script_with_the_scripts_arguments(submitted, deployed, digest) -> None:
    (request,) = created_jobs(submitted["requests"][0])
    assert request["TrainingJobName"] == SUBMITTED.search(submitted["runs"][0])[1]
    channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in request["InputDataConfig"]}
    bucket = deployed[stack_names.DATA_BUCKET]
    assert channels == {
        "training": f"s3://{bucket}/training/",
        "testing": f"s3://{bucket}/testing/",
        "code": f"s3://{bucket}/code/{digest}/",
    }
    assert request["HyperParameters"] == {
        "program": "script",
        "entry-script": "search.py",
        "num-samples": "2",
        "epochs": "1",
    }
    assert "ContainerEntrypoint" not in request["AlgorithmSpecification"]  # the image's entry point runs the script
    assert request["RoleArn"] == deployed[stack_names.TRAINING_ROLE] and request["EnableManagedSpotTraining"] is True


def test_the_folder_goes_up_once_then_the_same_content_is_not_sent_again(submitted, deployed, aws, digest) -> None:
    first, second = submitted["runs"]
    uri = f"s3://{deployed[stack_names.DATA_BUCKET]}/code/{digest}/"
    assert "uploaded 1 of 1 files" in first and uri in first
    assert "unchanged: 1 files" in second and uri in second
    listed = aws("s3").list_objects_v2(Bucket=deployed[stack_names.DATA_BUCKET], Prefix=f"code/{digest}/")["Contents"]
    assert [o["Key"] for o in listed] == [f"code/{digest}/search.py"]
    puts = [
        [r for r in run if r.get("method") == "PUT" and "/code/" in r.get("url", "")] for run in submitted["requests"]
    ]
    assert len(puts[0]) == 1 and puts[1] == []
    assert len(created_jobs(submitted["requests"][1])) == 1  # but the job is a new one


def test_run_with_the_local_executor_runs_the_script_end_to_end_on_motos_s3(
    launcher_env, data, deployed, aws, tmp_path: Path
) -> None:
    result = run_make(
        "run", launcher_env, f"SCRIPT={SCRIPT}", f"ARGS=--executor local {SMALL}", f"JOBS_DIR={tmp_path}", timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    name = RAN.search(result.stdout)[1]
    assert "[algo-1] search.py finished (exit status 0)" in result.stdout
    assert f"{name} completed" in result.stdout

    keys = {
        o["Key"]
        for o in aws("s3").list_objects_v2(Bucket=deployed[stack_names.ARTIFACTS_BUCKET], Prefix=f"jobs/{name}/")[
            "Contents"
        ]
    }
    assert keys == {f"jobs/{name}/output/model.tar.gz", f"jobs/{name}/output/output.tar.gz"}
    best, trials = tmp_path / name / "model" / "best.json", tmp_path / name / "output" / "trials.csv"
    assert f"model/best.json: {best}" in result.stdout and f"output/trials.csv: {trials}" in result.stdout
    assert '"test_accuracy"' in best.read_text()
    assert len(trials.read_text().splitlines()) == 1 + 2  # header and the two trials asked for


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ([], "run: name your program: make run SCRIPT=path/to/job.py [ARGS=...]"),
        (["SCRIPT=examples/nothing.py"], "run: SCRIPT=examples/nothing.py is not a file: give the path of your Python"),
        ([f"SCRIPT={SCRIPT}", "ARGS=--entry-script x.py"], "run: --entry-script is make run's own hyperparameter"),
    ],
)
def test_a_run_that_cannot_start_is_one_sentence_and_sends_nothing(launcher_env, record, variables, message) -> None:
    results = []
    requests = record(lambda: results.append(run_make("run", launcher_env, *variables)))
    assert results[0].returncode != 0 and message in results[0].stderr
    assert "Traceback" not in results[0].stderr
    assert requests == []
