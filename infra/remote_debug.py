"""What SSM sessions into this stack's training jobs need (`make dashboard`), on the two roles.

SageMaker starts an SSM agent in the containers of a job submitted with RemoteDebugConfig.EnableRemoteDebug;
the job's execution role must then allow the four ssmmessages channel actions, and whoever connects needs
ssm:StartSession (and ssm:TerminateSession) on the target `sagemaker-training-job:<job>_algo-<n>`, which
IAM sees as the resource tag `aws:ssmmessages:target-id`
(https://docs.aws.amazon.com/sagemaker/latest/dg/train-remote-debugging.html). A port-forwarding session
also names its document, which StartSession authorizes as a resource of its own
(https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-specify-session-document.html).
Within the stack the caller is the notebook's role; a user on a laptop needs the same statement on their own.
"""

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam

from infra.suppressions import Finding, nag_item, suppress_nag

AGENT_CHANNELS = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]
TARGET_TAG = "ssm:resourceTag/aws:ssmmessages:target-id"
TARGET_PREFIX = "sagemaker-training-job"
PORT_FORWARDING = "AWS-StartPortForwardingSession"
USER_ID = "${aws:userid}"  # the IAM policy variable: the caller's unique id, which starts its sessions' names
WHY_AGENT = "The ssmmessages channel actions support no resource-level permissions (SageMaker documents Resource *)."
WHY_TARGETS = (
    "SSM names a training job's container only by the target-id tag; the condition holds it to this stack's "
    "job-name prefix."
)
WHY_OWN_SESSIONS = "Sessions are named at run time; the caller may end only its own (the aws:userid- prefix)."


def grant_remote_debug(training_role: iam.Role, caller: iam.Role, job_name_prefix: str) -> None:
    """Let the jobs' SSM agent talk to SSM, and let `caller` open and end sessions into this stack's jobs only."""
    stack = Stack.of(caller)
    training_role.add_to_policy(iam.PolicyStatement(actions=AGENT_CHANNELS, resources=["*"]))
    suppress_nag(training_role, Finding("AwsSolutions-IAM5", WHY_AGENT, ["Resource::*"]))
    targets = {"StringLike": {TARGET_TAG: [f"{TARGET_PREFIX}:{job_name_prefix}*"]}}
    caller.add_to_policy(iam.PolicyStatement(actions=["ssm:StartSession"], resources=["*"], conditions=targets))
    document = stack.format_arn(service="ssm", account="", resource="document", resource_name=PORT_FORWARDING)
    caller.add_to_policy(iam.PolicyStatement(actions=["ssm:StartSession"], resources=[document]))
    sessions = stack.format_arn(
        service="ssm", resource="session", resource_name=f"{USER_ID}-*", arn_format=ArnFormat.SLASH_RESOURCE_NAME
    )
    caller.add_to_policy(iam.PolicyStatement(actions=["ssm:TerminateSession"], resources=[sessions]))
    suppress_nag(
        caller,
        Finding("AwsSolutions-IAM5", WHY_TARGETS, ["Resource::*"]),
        # cdk-nag writes a policy variable ${name} as <name>.
        Finding("AwsSolutions-IAM5", WHY_OWN_SESSIONS, [nag_item(stack, sessions).replace(USER_ID, "<aws:userid>")]),
    )
