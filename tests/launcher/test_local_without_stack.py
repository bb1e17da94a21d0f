"""`make run ... --executor local` with no deployed stack: code and data from the user's folders, results in jobs/."""

import json
import os
import re
from pathlib import Path

from tests.infra.helpers import run_make

JOB = """
import json, os, sys
import ray

seen = {
    "argv": sys.argv[1:],
    "cpus": ray.cluster_resources()["CPU"],
    "code": sorted(os.listdir(".")),
    "training": sorted(os.listdir(os.environ["SM_CHANNEL_TRAINING"])),
}
with open(os.path.join(os.environ["SM_MODEL_DIR"], "seen.json"), "w") as out:
    json.dump(seen, out)
with open(os.path.join(os.environ["SM_OUTPUT_DATA_DIR"], "notes.txt"), "w") as out:
    out.write("done")
"""


def test_run_with_the_local_executor_needs_no_stack(tmp_path: Path) -> None:
    code, data, jobs = tmp_path / "code", tmp_path / "data", tmp_path / "jobs"
    code.mkdir()
    (code / "job.py").write_text(JOB)
    (code / "secret.txt").write_text("never packed")
    (code / ".gitignore").write_text("secret.txt\n")
    (data / "training").mkdir(parents=True)
    (data / "training" / "rows.csv").write_text("1,2\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env["STACK_OUTPUTS"] = str(tmp_path / "no-outputs.json")  # make deploy never ran

    args = f"ARGS=--executor local --jobs-dir {jobs} --greeting hi"
    result = run_make("run", env, f"SCRIPT={code / 'job.py'}", f"DATA={data}", args)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (folder,) = jobs.iterdir()
    assert re.fullmatch(r"script-\d{8}-\d{6}", folder.name)
    assert f"results in {folder}/" in result.stdout
    seen = json.loads((folder / "model" / "seen.json").read_text())
    assert seen["argv"] == ["--greeting", "hi"]
    assert seen["cpus"] >= 1 and seen["training"] == ["rows.csv"]
    assert seen["code"] == [".gitignore", "job.py"]  # packed as for SageMaker: the ignore rules apply
    assert (folder / "output" / "notes.txt").read_text() == "done"
