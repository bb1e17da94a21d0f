"""Stack outputs: fixed names the Makefile and launcher read, pointing at the right resources."""

from infra import stack_names
from tests.infra.helpers import logical_id


def test_outputs_have_fixed_names_and_descriptions(template) -> None:
    outputs = template.to_json()["Outputs"]
    assert sorted(outputs) == sorted((*stack_names.ALWAYS, stack_names.MLFLOW_APP))
    assert all(output["Description"] for output in outputs.values())
    assert not any("Export" in output for output in outputs.values())


def test_outputs_point_at_the_stack_resources(template, resources: dict) -> None:
    outputs = {name: output["Value"] for name, output in template.to_json()["Outputs"].items()}
    assert outputs[stack_names.DATA_BUCKET] == {"Ref": logical_id(resources, "AWS::S3::Bucket", "/Storage/Data/")}
    artifacts = logical_id(resources, "AWS::S3::Bucket", "/Storage/Artifacts/")
    assert outputs[stack_names.ARTIFACTS_BUCKET] == {"Ref": artifacts}
    assert outputs[stack_names.TRAINING_ROLE] == {
        "Fn::GetAtt": [logical_id(resources, "AWS::IAM::Role", "/TrainingRole/"), "Arn"]
    }
    key = logical_id(resources, "AWS::KMS::Key", "/Encryption/")
    assert outputs[stack_names.KMS_KEY] == {"Fn::GetAtt": [key, "Arn"]}
    notebook = logical_id(resources, "AWS::SageMaker::NotebookInstance", "/Notebook/")
    assert outputs[stack_names.NOTEBOOK_NAME] == {"Fn::GetAtt": [notebook, "NotebookInstanceName"]}
    assert outputs[stack_names.REGION] == {"Ref": "AWS::Region"}
    assert outputs[stack_names.JOB_NAME_PREFIX] == "ray-on-sagemaker-"
