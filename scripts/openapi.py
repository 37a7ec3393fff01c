"""Write the networks' OpenAPI descriptions to `docs/openapi/` (`make openapi`).

The apps are built on throwaway settings (a temporary directory, nothing started): the
description depends on the code only, so the files change exactly when the API does.
`tests/openapi/test_spec.py` fails when they drift from the code.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from core.openapi import render
from request_network.app import create_app as create_request_app
from request_network.settings import RequestSettings
from response_network.app import create_app as create_response_app
from response_network.settings import ResponseSettings

DIRECTORY = Path(__file__).resolve().parent.parent / "docs" / "openapi"
RESPONSE_SPEC = DIRECTORY / "response-network.json"
REQUEST_SPEC = DIRECTORY / "request-network.json"
SECRET = "openapi-description-only-never-a-real-secret"  # noqa: S105 (no token is issued)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        response = create_response_app(
            ResponseSettings(
                environment="test",
                var_dir=where / "response",
                transfer_dir=where / "transfer",
                secret_key=SECRET,
                metrics_enabled=False,
            )
        )
        request = create_request_app(
            RequestSettings(
                environment="test",
                var_dir=where / "request",
                transfer_dir=where / "transfer",
                secret_key=SECRET,
                metrics_enabled=False,
            )
        )
        DIRECTORY.mkdir(parents=True, exist_ok=True)
        RESPONSE_SPEC.write_text(render(response))
        REQUEST_SPEC.write_text(render(request))
    sys.stderr.write(f"wrote {RESPONSE_SPEC.name} and {REQUEST_SPEC.name} in {DIRECTORY}\n")


if __name__ == "__main__":
    main()
