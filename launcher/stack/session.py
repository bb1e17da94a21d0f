"""The AWS session every launcher call shares, refused early when no credentials are found.

boto3 resolves credentials lazily, so without this check the first sign of a missing profile
would be a traceback from deep inside the SageMaker SDK.
"""

from __future__ import annotations

import boto3

from launcher.errors import LauncherError

NO_CREDENTIALS = (
    "no AWS credentials found: configure them (aws configure, or aws sso login), then run the command again"
)


def connect(region: str | None = None, session: boto3.Session | None = None) -> boto3.Session:
    """A session for `region` (or the given one) that is known to hold credentials and a region."""
    session = session or boto3.Session(region_name=region)
    if session.get_credentials() is None:
        raise LauncherError(NO_CREDENTIALS)
    if session.region_name is None:
        raise LauncherError("no AWS region set: export AWS_REGION=<the stack's region>, then run the command again")
    return session
