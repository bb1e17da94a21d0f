"""Remote debugging (make dashboard) as synthesized: the jobs' SSM agent may open its channels, and the
notebook may open sessions into this stack's jobs only, with the port-forwarding document, and end its own."""

import json

from infra.remote_debug import AGENT_CHANNELS, PORT_FORWARDING, TARGET_TAG
from tests.infra.helpers import as_list, role_statements


def _with(statements: list[dict], action: str) -> list[dict]:
    return [s for s in statements if action in as_list(s["Action"])]


def test_the_training_role_may_open_exactly_the_ssm_agents_channels(resources: dict) -> None:
    statements = role_statements(resources, "TrainingRole")
    (channels,) = _with(statements, AGENT_CHANNELS[0])  # CDK merges it with the role's other Resource * actions
    assert set(AGENT_CHANNELS) <= set(as_list(channels["Action"])) and channels["Resource"] == "*"
    assert not [a for s in statements for a in as_list(s["Action"]) if a.startswith("ssmmessages:")][
        len(AGENT_CHANNELS) :
    ]
    assert not _with(statements, "ssm:StartSession")


def test_the_notebook_may_start_sessions_only_into_this_stacks_jobs_by_port_forwarding(resources: dict) -> None:
    statements = _with(role_statements(resources, "NotebookRole"), "ssm:StartSession")
    targets = [s for s in statements if s["Resource"] == "*"]
    documents = [json.dumps(s["Resource"]) for s in statements if s["Resource"] != "*"]
    assert [s["Condition"] for s in targets] == [
        {"StringLike": {TARGET_TAG: ["sagemaker-training-job:ray-on-sagemaker-*"]}}
    ]
    assert len(documents) == 1 and documents[0].endswith(f':document/{PORT_FORWARDING}"' + "]]}")
    assert '"arn:", {"Ref": "AWS::Partition"}, ":ssm:", {"Ref": "AWS::Region"}, "::document/' in documents[0]


def test_the_notebook_may_end_only_its_own_sessions(resources: dict) -> None:
    (ending,) = _with(role_statements(resources, "NotebookRole"), "ssm:TerminateSession")
    assert json.dumps(ending["Resource"]).endswith(':session/${aws:userid}-*"]]}') and "Condition" not in ending
