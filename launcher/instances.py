"""Which SageMaker instance types train on NVMe instance storage rather than an EBS volume.

SageMaker encrypts instance storage with a hardware module and refuses a VolumeKmsKeyId for those types
("You can't request a VolumeKmsKeyId when using an instance type with local storage": CreateTrainingJob's
ResourceConfig.VolumeKmsKeyId, https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ResourceConfig.html).
SageMaker's training storage guide names ml.p4d, ml.g4dn and ml.g5 as families with NVMe instance storage and
ml.c5 and ml.p2 as EBS-only (https://docs.aws.amazon.com/sagemaker/latest/dg/model-train-storage-tips-considerations.html),
and points to the EC2 instance types for the rest: there a `d` among a family's attributes (m5d, c5d, g4dn,
p3dn, p4d, p4de) means instance storage, and g5, g6, g6e, p5, p5e, p5en, trn1, trn1n and trn2 have it too.
"""
from __future__ import annotations

import re

_ALWAYS_INSTANCE_STORAGE = frozenset({"g5", "g6", "g6e", "p5", "p5e", "p5en", "trn1", "trn1n", "trn2"})
_FAMILY = re.compile(r"(?P<series>[a-z]+)(?P<generation>\d+)(?P<attributes>[a-z-]*)")


def has_instance_storage(instance_type: str) -> bool:
    """True for `ml.<family>.<size>` types whose storage is NVMe on the instance (no volume key allowed)."""
    family = instance_type.split(".")[1] if instance_type.count(".") == 2 else ""
    if family in _ALWAYS_INSTANCE_STORAGE:
        return True
    match = _FAMILY.fullmatch(family)
    return bool(match and "d" in match["attributes"])
