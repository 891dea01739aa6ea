"""Cost Explorer clients through boto3's standard credential and configuration chain.

Nothing here reads or stores a secret: credentials come from the environment, a profile or the
instance/task role; a source may name a role to assume through STS (with its external id), whose
temporary credentials live only in memory for the run. boto3 honours AWS_ENDPOINT_URL_COST_EXPLORER
(and AWS_ENDPOINT_URL) by itself, so the pull works against any endpoint speaking the API.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings

# Cost Explorer's endpoint lives in us-east-1 whatever region the workloads run in.
COST_EXPLORER_REGION = "us-east-1"


def client_config() -> Config:
    """Timeouts and attempts from settings (COST_EXPLORER_*), read when a client is made.

    Adaptive retry backs off on LimitExceededException, throttling and timeouts, client-side rate
    limited; a request that still times out after every attempt fails the run as "timed out" and the
    task retries later (costdata.tasks).
    """
    return Config(
        # total_max_attempts counts the first try ("max_attempts" would count retries only).
        retries={"mode": "adaptive", "total_max_attempts": settings.COST_EXPLORER_MAX_ATTEMPTS},
        connect_timeout=settings.COST_EXPLORER_CONNECT_TIMEOUT,
        read_timeout=settings.COST_EXPLORER_READ_TIMEOUT,
    )


def cost_explorer_client(
    *, role_arn: str = "", external_id: str = "", session_name: str = "partnership-pull"
) -> Any:
    session = boto3.session.Session()
    config = client_config()
    if role_arn:
        assume: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": session_name}
        if external_id:
            assume["ExternalId"] = external_id
        # STS in the configured region (its regional endpoint), us-east-1 when none is configured.
        sts = session.client("sts", region_name=session.region_name or COST_EXPLORER_REGION, config=config)
        credentials = sts.assume_role(**assume)["Credentials"]
        session = boto3.session.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
        )
    return session.client("ce", region_name=COST_EXPLORER_REGION, config=config)
