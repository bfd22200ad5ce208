"""Starts bindings/examples/host_backend.py on 127.0.0.1 (a free port),
fetches one token over HTTP and verifies it."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import chatseal

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "host_backend.py"


@pytest.fixture()
def backend(tmp_path, client_key, platform_key):
    key_file = tmp_path / "client.key.pem"
    key_file.write_text(client_key.private_pem())
    os.chmod(key_file, 0o600)
    platform_file = tmp_path / "platform.pub.pem"
    platform_file.write_text(platform_key.encryption_key().public_pem())
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--client-key", str(key_file),
         "--platform-key", str(platform_file), "--port", "0",
         "--issuer", "https://shop.example", "--audience", "chat"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), (line, proc.stderr.read())
        yield line.split()[-1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def get(url: str, headers: dict):
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, json.loads(r.read())


def test_backend_mints_a_token_per_request(backend, client_key, platform_key):
    status, body = get(backend + "/widget-token",
                       {"X-Demo-User": "ada", "X-Demo-Sso-Token": "idp-ada"})
    assert status == 200 and body["expires_in"] == 3600

    verifier = chatseal.Verifier([client_key.verifying_key()], issuers=["https://shop.example"],
                                 audiences=["chat"], decryption_keys=[platform_key])
    v = verifier.verify(body["token"])
    assert v.subject() == "ada"
    assert v.sso_token() == "idp-ada"
    assert v.context() == {"name": "Ada", "email": "ada@example.com"}

    with pytest.raises(urllib.error.HTTPError) as e:
        get(backend + "/widget-token", {})
    assert e.value.code == 401
