"""The names by which the stack's readers find what it made: its default name, its outputs and their file,
and the log group its training jobs write to.

infra/stack.py declares the outputs under these ids; container/stack_outputs.py, launcher/stack/outputs.py and
the tests read them by the same names. No CDK import, so container/ and launcher/ can import this module
without the CDK. The Makefile's CDK_OUTPUTS is checked equal to OUTPUTS_FILE by tests/infra/test_makefile.py.
"""

from pathlib import Path

# The project's name. It is the default name prefix (infra/settings.py), so it names the default stack, its
# resources and its training jobs; it is also the stack tag's namespace and the project tag the launcher sets.
PROJECT = "ray-on-sagemaker"
# Where `make deploy` has `cdk deploy --outputs-file` write {"<stack name>": {"<output id>": "<value>"}}.
OUTPUTS_FILE = Path("cdk-outputs.json")

DATA_BUCKET = "DataBucketName"
ARTIFACTS_BUCKET = "ArtifactsBucketName"
TRAINING_ROLE = "TrainingRoleArn"
REPOSITORY_URI = "RepositoryUri"
NOTEBOOK_NAME = "NotebookName"
NOTEBOOK_URL = "NotebookUrl"
KMS_KEY = "KmsKeyArn"
REGION = "Region"
JOB_NAME_PREFIX = "JobNamePrefix"
# Only when the mlflow setting is on (its default).
MLFLOW_APP = "MlflowArn"
# Every stack has these outputs, whatever its settings.
ALWAYS = (
    DATA_BUCKET,
    ARTIFACTS_BUCKET,
    TRAINING_ROLE,
    REPOSITORY_URI,
    NOTEBOOK_NAME,
    NOTEBOOK_URL,
    KMS_KEY,
    REGION,
    JOB_NAME_PREFIX,
)

# The CloudWatch Logs group SageMaker writes every training job's streams to (the SDK reads it from there:
# sagemaker.core.resources TrainingJob.wait's log_group_name); the IAM of infra/roles.py scopes to it.
TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
