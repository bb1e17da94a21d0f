"""What AWS accepts for the notebook's platform and instance type, and which training types have local disks.

Sources, so the lists can be re-checked when AWS changes them:
- Platform: CloudFormation's AWS::SageMaker::NotebookInstance schema allows PlatformIdentifier
  `^(notebook-al1-v1|notebook-al2-v1|notebook-al2-v2|notebook-al2-v3|notebook-al2023-v1)$`; of those only
  `notebook-al2023-v1` is Amazon Linux 2023 (the SageMaker API model already lists `-v2`, CloudFormation not yet).
- AL2023 notebooks do not offer the ml.p2, ml.p3, ml.p3dn, ml.inf1 and ml.g3 families (SageMaker developer guide,
  "Amazon Linux 2023 notebook instances", as the review in issue 12 reports; not found in the stored docs, so
  unverified here), although CloudFormation's InstanceType list still contains some of them.
- Local storage: "Certain Nitro-based instances include local storage ... You can't request a VolumeKmsKeyId when
  using an instance type with local storage" (SageMaker API reference, ResourceConfig.VolumeKmsKeyId); the families
  below have NVMe instance store volumes (EC2 "Instance store volumes"; SageMaker's training storage guide names
  ml.p4d, ml.g4dn and ml.g5 as such and ml.c5 and ml.p2 as EBS-only,
  https://docs.aws.amazon.com/sagemaker/latest/dg/model-train-storage-tips-considerations.html). Their disks are
  encrypted by the instance's hardware, so IAM requires the stack's key for the output only on those types, and
  the launcher sends no VolumeKmsKeyId for them: this one list serves the stack's IAM and the launcher's request.
"""

# The shape of a SageMaker instance type, `ml.<family>.<size>` (ml.g4dn.xlarge, ml.p6-b200.48xlarge): the stack's
# settings and the launcher's flags are checked against it before AWS sees them, and family() relies on it.
INSTANCE_TYPE = r"ml\.[a-z0-9-]+\.[a-z0-9]+"
AL2023_PLATFORMS = ("notebook-al2023-v1",)
AL2023_UNSUPPORTED_FAMILIES = frozenset({"p2", "p3", "p3dn", "inf1", "g3"})
LOCAL_STORAGE_FAMILIES = frozenset(
    {
        "c5d", "c6id", "m5d", "m6id", "r5d", "r6id",
        "g4dn", "g4ad", "g5", "g6", "g6e", "g7e",
        "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200",
        "trn1", "trn1n", "trn2",
    }
)  # fmt: skip
# CPU types for small jobs and the stack's notebook size, and the two smallest GPU families (local NVMe disks).
DEFAULT_TRAINING_INSTANCE_TYPES = (
    "ml.m5.xlarge",
    "ml.m5.2xlarge",
    "ml.m5.4xlarge",
    "ml.m5.12xlarge",
    "ml.c5.2xlarge",
    "ml.c5.4xlarge",
    "ml.c5.9xlarge",
    "ml.g4dn.xlarge",
    "ml.g4dn.2xlarge",
    "ml.g5.xlarge",
    "ml.g5.2xlarge",
)


def family(instance_type: str) -> str:
    """`ml.g4dn.xlarge` -> `g4dn`."""
    return instance_type.split(".")[1]


def al2023_rejects(instance_type: str) -> bool:
    """True for notebook instance types an Amazon Linux 2023 notebook cannot run on."""
    return family(instance_type) in AL2023_UNSUPPORTED_FAMILIES


def has_local_storage(instance_type: str) -> bool:
    """True when SageMaker refuses a VolumeKmsKeyId for this type (its volumes are local NVMe disks)."""
    return family(instance_type) in LOCAL_STORAGE_FAMILIES
