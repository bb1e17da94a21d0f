"""The entry point's own behaviour: help, and unexpected errors still reaching the failure file."""

import dataclasses

import training.entrypoint
from training.contract.hyperparameters import Hyperparameters
from training.entrypoint import main


def test_help_lists_every_hyperparameter_with_its_default(capsys):
    assert main(["--help"], {}) == 0
    text = capsys.readouterr().out
    for field in dataclasses.fields(Hyperparameters):
        assert f"--{field.name.replace('_', '-')}" in text
    assert "(default 0.75,0.8,0.85,0.9)" in text


def test_an_unexpected_error_keeps_its_traceback_and_exits_2(tmp_path, capsys, monkeypatch):
    def broken(env):
        raise RuntimeError("a bug")

    monkeypatch.setattr(training.entrypoint, "_program", lambda name: broken)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.pth").write_bytes(b"stale")

    assert main([], {"SM_BASE_DIR": str(tmp_path), "SM_NUM_GPUS": "0"}) == 2

    assert (tmp_path / "output" / "failure").read_text() == "internal error: RuntimeError: a bug\n"
    assert "Traceback" in capsys.readouterr().err
    assert not (tmp_path / "model" / "model.pth").exists()
