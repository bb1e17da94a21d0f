"""Experiment tracking: a SageMaker MLflow App whose artifacts live under the artifacts bucket's mlflow/ prefix.

An MLflow App rather than an MLflow tracking server: the App is SageMaker's serverless MLflow (no size
to pick, nothing to start or stop), while a tracking server (CfnMlflowTrackingServer) is an instance of
a chosen size that is billed for every hour it runs until it is stopped. The App's own role reads and
writes only its prefix; the training role logs to this one App and the notebook role also opens its UI.
Action names: the SageMaker SDK's MLflow policy for execution roles
(sagemaker/core/helper/iam_policies.py, "mlflow_policy"), with its `Get*` and `Search*` spelled out as the
reads MLflow's client makes of experiments and runs (the actions as parliament's list of AWS actions names
them; no model-registry or trace reads), and CreatePresignedMlflowAppUrl from botocore's SageMaker model.
"""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from infra import permissions as p
from infra.suppressions import Finding, nag_item, suppress_nag

ARTIFACTS_PREFIX = "mlflow"
# What a job (and the notebook) does with MLflow: experiments, runs, metrics, params, tags, artifacts.
LOG_TO_MLFLOW = [
    "sagemaker-mlflow:AccessUI",
    "sagemaker-mlflow:CreateExperiment",
    "sagemaker-mlflow:CreateRun",
    "sagemaker-mlflow:DeleteTag",
    "sagemaker-mlflow:GetExperiment",
    "sagemaker-mlflow:GetExperimentByName",
    "sagemaker-mlflow:GetMetricHistory",
    "sagemaker-mlflow:GetRun",
    "sagemaker-mlflow:ListArtifacts",
    "sagemaker-mlflow:LogBatch",
    "sagemaker-mlflow:LogInputs",
    "sagemaker-mlflow:LogMetric",
    "sagemaker-mlflow:LogModel",
    "sagemaker-mlflow:LogOutputs",
    "sagemaker-mlflow:LogParam",
    "sagemaker-mlflow:RestoreRun",
    "sagemaker-mlflow:SearchExperiments",
    "sagemaker-mlflow:SearchRuns",
    "sagemaker-mlflow:SetExperimentTag",
    "sagemaker-mlflow:SetTag",
    "sagemaker-mlflow:UpdateExperiment",
    "sagemaker-mlflow:UpdateRun",
    "sagemaker:DescribeMlflowApp",
]
OPEN_UI = ["sagemaker:CreatePresignedMlflowAppUrl"]
WHY_MLFLOW_OBJECTS = "The MLflow App keeps each run's artifacts under its own prefix of the artifacts bucket."


class Tracking(Construct):
    """The MLflow App, its service role, and `grant_logging` for the roles that use it."""

    def __init__(
        self, scope: Construct, construct_id: str, *, name: str, artifacts_bucket: s3.IBucket, key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        trust = iam.ServicePrincipal(p.SAGEMAKER, conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}})
        role = iam.Role(self, "ServiceRole", assumed_by=trust, description="Role of this stack's MLflow App")
        objects = artifacts_bucket.arn_for_objects(f"{ARTIFACTS_PREFIX}/*")
        role.add_to_policy(iam.PolicyStatement(actions=p.READ_OBJECTS + p.WRITE_OBJECTS, resources=[objects]))
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[artifacts_bucket.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{ARTIFACTS_PREFIX}/*"]}},
            )
        )
        via_s3 = {"StringEquals": {"kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com"}}
        role.add_to_policy(iam.PolicyStatement(actions=p.USE_KEY, resources=[key.key_arn], conditions=via_s3))
        suppress_nag(role, Finding("AwsSolutions-IAM5", WHY_MLFLOW_OBJECTS, [nag_item(Stack.of(self), objects)]))
        self.app = sagemaker.CfnMlflowApp(
            self,
            "App",
            name=name,
            artifact_store_uri=f"s3://{artifacts_bucket.bucket_name}/{ARTIFACTS_PREFIX}",
            role_arn=role.role_arn,
        )
        # The App may use its artifact store from its creation on: its role's policy comes first.
        self.app.node.add_dependency(role.node.find_child("DefaultPolicy"))
        self.arn = self.app.attr_arn

    def grant_logging(self, role: iam.Role, open_ui: bool = False) -> None:
        """Let role log runs to this App (and, with open_ui, open its UI through a presigned URL)."""
        actions = LOG_TO_MLFLOW + (OPEN_UI if open_ui else [])
        role.add_to_policy(iam.PolicyStatement(actions=actions, resources=[self.arn]))
