"""A job stopped the way SageMaker stops it (SIGTERM) resumes from its last checkpoint when run again."""

import json
import os
import re
import signal
import subprocess
import time

from training.contract.layout import entrypoint_command

EPOCHS = 5  # the first run is stopped in its second epoch; the rerun trains the rest


def _start(root):
    argv, env = entrypoint_command(root)
    return subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _group_gone(pgid, deadline_s=60.0):
    """True once no process of the job's process group is left (polled, with a deadline)."""
    deadline = time.monotonic() + deadline_s
    while _group_alive(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_sigterm_then_rerun_continues_from_the_saved_epoch(make_job, quick):
    root = make_job({**quick, "epochs": str(EPOCHS), "num-workers": "2", "cpus-per-worker": "1"})
    first = _start(root)
    try:
        for line in first.stdout:
            if "epoch=2 train_loss=" in line:  # epoch 1's checkpoint has been reported by now
                break
        first.send_signal(signal.SIGTERM)
        rest = first.communicate(timeout=120)[0]
        assert first.returncode == 128 + signal.SIGTERM, rest
        assert _group_gone(first.pid), "Ray processes of the stopped job are still running"
    finally:
        if _group_alive(first.pid):
            os.killpg(first.pid, signal.SIGKILL)
    assert not (root / "model" / "model.pth").exists()
    # The leader's record of the run, on SIGTERM too (its logs need the dashboard agent's fixed port, which
    # another Ray on a shared machine may hold: then record.json says so and the job still stops cleanly).
    record = root / "output" / "data" / "ray"
    nodes = json.loads((record / "nodes.json").read_text())
    assert [node["host"] for node in nodes] == ["algo-1"], (record / "record.json").read_text()

    second = _start(root)
    output = second.communicate(timeout=300)[0]

    assert second.returncode == 0, output
    resumed = re.search(r"resuming after epoch (\d+)", output)
    assert resumed, output
    saved = int(resumed.group(1))
    assert 1 <= saved < EPOCHS
    epochs_run = [int(n) for n in re.findall(r"epoch=(\d+) train_loss=", output)]
    assert epochs_run == list(range(saved + 1, EPOCHS + 1))
    summary = json.loads((root / "model" / "metrics.json").read_text())
    assert summary["metrics"]["epoch"] == EPOCHS
    assert [row["epoch"] for row in summary["history"]] == list(range(1, EPOCHS + 1))  # kept across the resume
