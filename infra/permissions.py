"""The exact IAM actions the two roles need, grouped by purpose so each statement reads as a sentence."""

SAGEMAKER = "sagemaker.amazonaws.com"
READ_OBJECTS = ["s3:GetObject", "s3:GetObjectVersion"]
WRITE_OBJECTS = ["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
LIST_BUCKET = ["s3:ListBucket", "s3:GetBucketLocation"]
USE_KEY = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
PULL_IMAGES = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
PUSH_IMAGES = [
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:DescribeImages",
    "ecr:ListImages",
]
WRITE_LOGS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
READ_LOGS = ["logs:DescribeLogStreams", "logs:GetLogEvents", "logs:FilterLogEvents"]
TRAINING_JOBS = [
    "sagemaker:CreateTrainingJob",
    "sagemaker:DescribeTrainingJob",
    "sagemaker:StopTrainingJob",
    "sagemaker:AddTags",
]
OWN_NOTEBOOK = ["sagemaker:DescribeNotebookInstance", "sagemaker:StopNotebookInstance"]
TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
NOTEBOOK_LOG_GROUP = "/aws/sagemaker/NotebookInstances"
METRICS_NAMESPACE = "/aws/sagemaker/TrainingJobs"

# Why the wildcards that remain cannot be narrower (shown in cdk-nag reports next to each item).
WHY_OBJECTS = "Object-level S3 actions need the bucket's /*; this is one of this stack's own buckets."
WHY_TRAINING_LOGS = (
    "SageMaker creates one log stream per training job at run time, in the training-jobs log group only."
)
WHY_NOTEBOOK_LOGS = (
    "The notebook writes its lifecycle logs to streams created at run time, in the notebook log group only."
)
WHY_JOBS = "Training jobs are named at run time; this covers only this stack's job-name prefix."
WHY_NO_RESOURCE_TRAINING = (
    "ecr:GetAuthorizationToken and cloudwatch:PutMetricData support no resource-level permissions; "
    "PutMetricData is held to the SageMaker training namespace by a condition."
)
WHY_NO_RESOURCE_NOTEBOOK = (
    "ecr:GetAuthorizationToken supports no resource-level permissions; "
    "pushes and pulls are scoped to this stack's repository."
)
