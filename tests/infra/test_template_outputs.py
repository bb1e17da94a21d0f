"""Stack outputs: fixed names the Makefile and launcher read, pointing at the right resources."""

from tests.infra.helpers import OPTIONAL_OUTPUT_NAMES, OUTPUT_NAMES, logical_id


def test_outputs_have_fixed_names_and_descriptions(template) -> None:
    outputs = template.to_json()["Outputs"]
    assert sorted(outputs) == sorted(OUTPUT_NAMES + OPTIONAL_OUTPUT_NAMES)
    assert all(output["Description"] for output in outputs.values())
    assert not any("Export" in output for output in outputs.values())


def test_outputs_point_at_the_stack_resources(template, resources: dict) -> None:
    outputs = {name: output["Value"] for name, output in template.to_json()["Outputs"].items()}
    assert outputs["DataBucketName"] == {"Ref": logical_id(resources, "AWS::S3::Bucket", "/Storage/Data/")}
    assert outputs["ArtifactsBucketName"] == {"Ref": logical_id(resources, "AWS::S3::Bucket", "/Storage/Artifacts/")}
    assert outputs["TrainingRoleArn"] == {
        "Fn::GetAtt": [logical_id(resources, "AWS::IAM::Role", "/TrainingRole/"), "Arn"]
    }
    assert outputs["KmsKeyArn"] == {"Fn::GetAtt": [logical_id(resources, "AWS::KMS::Key", "/Encryption/"), "Arn"]}
    notebook = logical_id(resources, "AWS::SageMaker::NotebookInstance", "/Notebook/")
    assert outputs["NotebookName"] == {"Fn::GetAtt": [notebook, "NotebookInstanceName"]}
    assert outputs["Region"] == {"Ref": "AWS::Region"}
    assert outputs["JobNamePrefix"] == "ray-on-sagemaker-"
