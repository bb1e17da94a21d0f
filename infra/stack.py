"""The one stack users deploy, and the outputs the Makefile and launcher read.

One stack rather than a stateful and a stateless pair: the stateless part (roles, notebook, VPC)
references every stateful resource, and cross-stack exports would pin those references and block
replacements; the removal policy setting (default `retain`) already keeps buckets, key and
repository when the stack is deleted, and one stack gives one outputs section to read.

No resource that can be replaced or is retained carries a name of ours (the KMS alias is deleted with the
stack), so `make destroy` then `make deploy` and an update that replaces the notebook both succeed.
Every resource is tagged with the stack name, which is how retained ones are found again.
"""

from aws_cdk import Aws, CfnOutput, RemovalPolicy, Stack, Tags
from constructs import Construct

from infra.encryption import Encryption
from infra.network import Network
from infra.notebook import Notebook
from infra.permissions import STACK_TAG
from infra.registry import Registry
from infra.remote_debug import grant_remote_debug
from infra.roles import Roles, RoleTargets
from infra.settings import InfraSettings
from infra.stack_names import (
    ARTIFACTS_BUCKET,
    DATA_BUCKET,
    JOB_NAME_PREFIX,
    KMS_KEY,
    MLFLOW_APP,
    NOTEBOOK_NAME,
    NOTEBOOK_URL,
    REGION,
    REPOSITORY_URI,
    TRAINING_ROLE,
)
from infra.storage import Storage
from infra.tracking import Tracking

REMOVAL = {"retain": RemovalPolicy.RETAIN, "destroy": RemovalPolicy.DESTROY}


class RayOnSageMakerStack(Stack):
    """Composes storage, encryption, registry, network, roles and notebook, and exports their names."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: InfraSettings) -> None:
        super().__init__(
            scope,
            construct_id,
            description="Ray on SageMaker: notebook, training role, buckets, KMS key and ECR repository",
        )
        # The key goes untagged: moto cannot create a tagged key from a template (KeyError 'TagKey'), and a
        # retained bucket's default encryption names its key anyway (see docs/stack.md).
        Tags.of(self).add(STACK_TAG, settings.name_prefix, exclude_resource_types=["AWS::KMS::Key"])
        removal = REMOVAL[settings.removal_policy]
        key = Encryption(self, "Encryption", name_prefix=settings.name_prefix, removal_policy=removal).key
        storage = Storage(self, "Storage", key=key, removal_policy=removal, checkpoint_days=settings.checkpoint_days)
        repository = Registry(
            self,
            "Registry",
            repository_name=settings.repository_name or None,
            key=key,
            keep_images=settings.keep_images,
            removal_policy=removal,
        ).repository
        network = Network(self, "Network", settings=settings, log_bucket=storage.log_bucket)
        targets = RoleTargets(
            data_bucket=storage.data_bucket,
            artifacts_bucket=storage.artifacts_bucket,
            key=key,
            repository=repository,
            stack_name=settings.name_prefix,
            job_name_prefix=settings.job_name_prefix,
            training_instance_types=settings.training_instance_types,
        )
        roles = Roles(self, "Roles", targets=targets)
        grant_remote_debug(roles.training_role, roles.notebook_role, settings.job_name_prefix)  # make dashboard
        notebook = Notebook(
            self,
            "Notebook",
            settings=settings,
            role=roles.notebook_role,
            key=key,
            subnet=network.notebook_subnet,
            security_group=network.security_group,
        )
        # The on-start script needs its role's permissions and, to install Ray, its subnet's route to the NAT.
        notebook.node.add_dependency(roles.notebook_role.node.find_child("DefaultPolicy"))
        notebook.node.add_dependency(network.notebook_subnet.internet_connectivity_established)

        name = notebook.instance.attr_notebook_instance_name
        outputs = {
            DATA_BUCKET: (storage.data_bucket.bucket_name, "S3 bucket for training data"),
            ARTIFACTS_BUCKET: (storage.artifacts_bucket.bucket_name, "S3 bucket for models and checkpoints"),
            TRAINING_ROLE: (roles.training_role.role_arn, "Execution role to pass to SageMaker training jobs"),
            REPOSITORY_URI: (repository.repository_uri, "ECR repository for the training image"),
            NOTEBOOK_NAME: (name, "SageMaker notebook instance name"),
            NOTEBOOK_URL: (
                f"https://{Aws.REGION}.console.aws.amazon.com/sagemaker/home?region={Aws.REGION}"
                f"#/notebook-instances/openNotebook/{name}?view=lab",
                "Opens the notebook's JupyterLab through the AWS console",
            ),
            KMS_KEY: (key.key_arn, "KMS key that encrypts buckets, images and the notebook volume"),
            REGION: (Aws.REGION, "Region the stack is deployed in"),
            JOB_NAME_PREFIX: (settings.job_name_prefix, "Training job names must start with this prefix"),
        }
        if settings.mlflow:
            name = f"{settings.name_prefix}-mlflow"
            tracking = Tracking(self, "Tracking", name=name, artifacts_bucket=storage.artifacts_bucket, key=key)
            tracking.grant_logging(roles.training_role)
            tracking.grant_logging(roles.notebook_role, open_ui=True)
            outputs[MLFLOW_APP] = (tracking.arn, "SageMaker MLflow App that every job logs its experiment to")
        for output_id, (value, description) in outputs.items():
            CfnOutput(self, output_id, value=value, description=description)
