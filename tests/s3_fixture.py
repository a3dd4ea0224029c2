"""moto's S3 server on a free loopback port, for the store on ``s3://`` (nothing leaves
127.0.0.1). Clients reach it through the standard AWS variables (``S3Server.env``), as a
deployment's flow process and Dask workers would reach real S3."""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from tests.flows.server_fixture import free_port
from tests.helpers import require_module


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    @property
    def env(self) -> dict[str, str]:
        """What a client process needs: endpoint, dummy credentials, region; no profile
        or config file of the developer's, no proxy for loopback."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true",
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        }

    def new_bucket(self) -> str:
        """A new empty bucket's name (call with ``env`` set)."""
        import s3fs

        name = f"tw-{uuid.uuid4().hex[:12]}"
        s3fs.S3FileSystem(skip_instance_cache=True).mkdir(name)
        return name


@contextlib.contextmanager
def running_s3() -> Iterator[S3Server]:
    require_module("moto.server", "'moto[server]'")
    require_module("s3fs", "'topicwatch[s3]'")
    import s3fs
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request else
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        s3fs.S3FileSystem.clear_instance_cache()  # none bound to another endpoint
        yield S3Server(f"http://127.0.0.1:{port}")
    finally:
        server.stop()
