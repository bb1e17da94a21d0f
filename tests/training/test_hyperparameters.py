"""Typed hyperparameters from SageMaker's string values, and the sentence each bad one gives."""

import pytest

from training.contract.hyperparameters import Hyperparameters
from training.errors import JobError


def test_strings_become_typed_values_with_dash_or_underscore_names():
    hp = Hyperparameters.from_strings(
        {"batch-size": "32", "learning_rate": "0.05", "beta_1": "0.8", "use-gpu": "false", "beta-2-grid": "0.9,0.95"}
    )
    assert (hp.batch_size, hp.learning_rate, hp.beta_1, hp.use_gpu) == (32, 0.05, 0.8, False)
    assert hp.beta_2_grid == (0.9, 0.95)


def test_defaults_are_the_reference_job():
    hp = Hyperparameters()
    assert (hp.batch_size, hp.learning_rate, hp.beta_1, hp.beta_2, hp.epochs) == (128, 0.001, 0.9, 0.999, 1)
    assert hp.use_gpu is None and hp.backend == "auto"


def test_json_encoded_strings_from_older_sdks_are_accepted():
    assert Hyperparameters.from_strings({"epochs": '"3"'}).epochs == 3


def test_platform_keys_are_ignored():
    hp = Hyperparameters.from_strings({"sagemaker_region": '"us-east-1"', "_tuning_objective_metric": "loss"})
    assert hp == Hyperparameters()


def test_an_estimators_sagemaker_program_means_program_script_and_the_rest_is_the_scripts():
    hp = Hyperparameters.from_strings({"sagemaker_program": '"train.py"', "epochs": "0", "lr": "0.1"})
    assert (hp.program, hp.epochs) == ("script", Hyperparameters().epochs)
    assert Hyperparameters.from_strings({"sagemaker_program": '"x.py"', "program": "train"}).program == "train"


def test_round_trip_through_strings():
    hp = Hyperparameters.from_strings({"use-gpu": "true", "asha": "true", "beta-1-grid": "0.5,0.6"})
    assert Hyperparameters.from_strings(hp.as_strings()) == hp


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"lr": "0.1"}, "unknown hyperparameter 'lr'"),
        ({"epochs": "three"}, "hyperparameter 'epochs' must be a whole number, got 'three'"),
        ({"epochs": "0"}, "hyperparameter 'epochs' must be at least 1, got 0"),
        ({"beta_1": "1.0"}, "hyperparameter 'beta_1' must be in [0.0, 1.0), got 1.0"),
        ({"beta_2": "-0.1"}, "hyperparameter 'beta_2' must be in [0.0, 1.0)"),
        ({"learning-rate": "0"}, "hyperparameter 'learning-rate' must be in (0.0, 10.0)"),
        ({"learning-rate": "nan"}, "hyperparameter 'learning-rate' must be in"),
        ({"weight-decay": "inf"}, "hyperparameter 'weight-decay' must be in [0.0, inf), got inf"),
        ({"backend": "mpi"}, "hyperparameter 'backend' must be one of auto, gloo, nccl, got 'mpi'"),
        ({"asha": "auto"}, "hyperparameter 'asha' must be true or false"),
        ({"beta-1-grid": ""}, "hyperparameter 'beta-1-grid' must be a comma-separated list"),
        ({"beta-1-grid": "0.5,1.5"}, "hyperparameter 'beta-1-grid' must be in [0.0, 1.0), got 1.5"),
    ],
)
def test_bad_values_name_the_hyperparameter(raw, message):
    with pytest.raises(JobError) as error:
        Hyperparameters.from_strings(raw)
    assert message in str(error.value)
    assert "\n" not in str(error.value)
