"""S3 and KMS as synthesized: private, TLS-only, versioned, encrypted, logged buckets; expiring checkpoints."""

import pytest

from tests.infra.helpers import logical_id, of_type, only

BLOCK_ALL = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}


@pytest.fixture(scope="module")
def buckets(resources: dict) -> dict:
    return {
        name: resources[logical_id(resources, "AWS::S3::Bucket", f"/Storage/{name}/")]["Properties"]
        for name in ("Data", "Artifacts", "AccessLogs")
    }


def test_there_are_exactly_three_buckets(resources: dict) -> None:
    assert len(of_type(resources, "AWS::S3::Bucket")) == 3


@pytest.mark.parametrize("name", ["Data", "Artifacts", "AccessLogs"])
def test_every_bucket_blocks_public_access_and_is_versioned(buckets: dict, name: str) -> None:
    assert buckets[name]["PublicAccessBlockConfiguration"] == BLOCK_ALL
    assert buckets[name]["VersioningConfiguration"] == {"Status": "Enabled"}
    assert buckets[name]["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


@pytest.mark.parametrize("name", ["Data", "Artifacts", "AccessLogs"])
def test_every_bucket_denies_requests_without_tls(resources: dict, name: str) -> None:
    bucket = logical_id(resources, "AWS::S3::Bucket", f"/Storage/{name}/")
    (policy,) = [
        p for p in of_type(resources, "AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert {
        "Action": "s3:*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
    }.items() <= statements[0].items()


@pytest.mark.parametrize("name", ["Data", "Artifacts"])
def test_data_buckets_use_the_stack_key_and_log_to_the_log_bucket(resources: dict, buckets: dict, name: str) -> None:
    key = logical_id(resources, "AWS::KMS::Key", "/Encryption/")
    (rule,) = buckets[name]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule == {
        "BucketKeyEnabled": True,
        "ServerSideEncryptionByDefault": {"KMSMasterKeyID": {"Fn::GetAtt": [key, "Arn"]}, "SSEAlgorithm": "aws:kms"},
    }
    log_bucket = logical_id(resources, "AWS::S3::Bucket", "/Storage/AccessLogs/")
    assert buckets[name]["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": log_bucket},
        "LogFilePrefix": f"{name.lower()}/",
    }


def test_log_bucket_uses_s3_managed_keys_because_log_delivery_needs_them(buckets: dict) -> None:
    (rule,) = buckets["AccessLogs"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_log_bucket_accepts_access_logs_from_s3_through_its_policy(resources: dict) -> None:
    log_bucket = logical_id(resources, "AWS::S3::Bucket", "/Storage/AccessLogs/")
    (policy,) = [
        p
        for p in of_type(resources, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": log_bucket}
    ]
    principals = [s.get("Principal", {}).get("Service") for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    assert "logging.s3.amazonaws.com" in principals


def test_artifacts_bucket_expires_old_checkpoints_and_old_versions(buckets: dict) -> None:
    rules = {rule["Id"]: rule for rule in buckets["Artifacts"]["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-old-checkpoints"] == {
        "ExpirationInDays": 30,
        "Id": "expire-old-checkpoints",
        "Prefix": "checkpoints/",
        "Status": "Enabled",
    }
    assert rules["expire-noncurrent"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}


def test_stateful_resources_are_retained_by_default(resources: dict) -> None:
    stateful = [
        *of_type(resources, "AWS::S3::Bucket").values(),
        only(resources, "AWS::KMS::Key"),
        only(resources, "AWS::ECR::Repository"),
    ]
    assert {(r["DeletionPolicy"], r["UpdateReplacePolicy"]) for r in stateful} == {("Retain", "Retain")}


def test_one_kms_key_with_rotation_and_an_alias(resources: dict) -> None:
    key = only(resources, "AWS::KMS::Key")["Properties"]
    assert key["EnableKeyRotation"] is True
    assert key["PendingWindowInDays"] == 30
    alias = only(resources, "AWS::KMS::Alias")["Properties"]
    assert alias["AliasName"] == "alias/ray-on-sagemaker"
