"""Starts bindings/examples/platform_backend.py on 127.0.0.1 (a free port) with two
tenant documents, one of them sealed, and sends it real HTTP requests: users
with tokens, the operator with the API key, refusals with their codes."""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import chatseal
from chatseal import Algorithm

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "platform_backend.py"
BASE, PURPOSE = "base-secret-0123456789abcdef", "tenant-oidc-secret-0123456789"


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.idp = chatseal.ClientSigningKey.generate(Algorithm.ES256)
        self.platform = chatseal.PlatformDecryptionKey.generate_ecdh(chatseal.EcdhCurve.P256)
        jwks = json.loads(chatseal.jwks_json([self.idp.verifying_key()]))
        acme = {"tenantId": "acme", "allowedOrigins": ["https://host.example"], "providers": {"corp": {
            "issuer": "https://idp.example", "expectedAudience": "chat",
            "acceptedAlgorithms": ["ES256"], "jwks": jwks,
            "allowedEmailDomains": ["acme.example"],
            "decryptionKeys": [self.platform.kid()]}}}
        globex = {"tenantId": "globex", "security": "anonymous", "providers": {"corp": {
            "issuer": "https://idp.example", "expectedAudience": "globex-chat",
            "acceptedAlgorithms": ["ES256"], "jwks": jwks}}}
        (tmp_path / "acme.json").write_text(json.dumps(acme))
        (tmp_path / "globex.sealed").write_text(chatseal.seal_config(json.dumps(globex), BASE, PURPOSE))
        key_file = tmp_path / "platform.key.pem"
        key_file.write_text(self.platform.private_pem())
        os.chmod(key_file, 0o600)
        slot = chatseal.ApiKeySlot()
        self.api_key = slot.generate()
        (tmp_path / "api-key.hash").write_text(slot.to_stored())
        self.args = ["--tenant", str(tmp_path / "acme.json"), "--tenant", str(tmp_path / "globex.sealed"),
                     "--decryption-key", str(key_file), "--api-key-hash-file", str(tmp_path / "api-key.hash")]

    def token(self, sub: str, email: str, audience: str = "chat", sso: bool = False) -> str:
        issuer = chatseal.Issuer(self.idp, issuer="https://idp.example", audience=audience,
                                 platform_key=self.platform.encryption_key() if sso else None)
        return issuer.mint(sub, claims={"email": email}, sso_token="obo-secret" if sso else None)


@pytest.fixture()
def platform(tmp_path):
    setup = Setup(tmp_path)
    env = dict(os.environ, EncryptionKeys__BaseSecret=BASE,
               EncryptionKeys__UniqueSecrets__TenantOidcSecretKey=PURPOSE)
    proc = subprocess.Popen([sys.executable, str(EXAMPLE), *setup.args, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), (line, proc.stderr.read())
        setup.url = line.split()[-1]
        yield setup
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        setup.log = proc.stderr.read()
        assert "obo-secret" not in setup.log
        assert setup.api_key[4:] not in setup.log


def call(url: str, method: str = "GET", headers=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def chat(p: Setup, tenant: str, token=None, participant=None, headers=None):
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    return call(f"{p.url}/tenants/{tenant}/chat", "POST", h,
                {"participantId": participant, "message": "hi"})


def test_users_with_valid_tokens_are_served(platform):
    p = platform
    status, _, body = chat(p, "acme", p.token("u1", "ana@acme.example", sso=True), participant="u1",
                           headers={"Origin": "https://HOST.example"})
    assert status == 200, body
    assert body == {"tenant": "acme", "provider": "corp", "user": "u1", "email": "ana@acme.example",
                    "groups": [], "has_sso_token": True, "reply": "hello, u1"}
    # The sealed tenant, anonymous: a guest passes, a user is still verified.
    status, _, body = chat(p, "globex")
    assert (status, body["user"]) == (200, None)
    status, _, body = chat(p, "globex", p.token("u2", "bo@globex.example", audience="globex-chat"))
    assert (status, body["user"]) == (200, "u2")


@pytest.mark.parametrize("case,status,code", [
    ("email_domain", 403, "email_domain_not_allowed"),
    ("participant", 403, "participant_mismatch"),
    ("origin", 403, "origin_not_allowed"),
    ("other_tenant", 401, "invalid_audience"),
    ("garbage", 401, "malformed_token"),
    ("none", 401, "no_credentials"),
    ("old_api_key", 401, "api_key_invalid"),
])
def test_refusals_carry_the_status_and_code(platform, case, status, code):
    p = platform
    good = p.token("u1", "ana@acme.example")
    args = {
        "email_domain": dict(token=p.token("u1", "eve@evil.example")),
        "participant": dict(token=good, participant="u2"),
        "origin": dict(token=good, headers={"Origin": "https://evil.example"}),
        "other_tenant": dict(token=p.token("u1", "ana@acme.example", audience="globex-chat")),
        "garbage": dict(token="garbage"),
        "none": dict(),
        # A wrong API key is refused even beside a valid token.
        "old_api_key": dict(token=good, headers={"X-Api-Key": chatseal.ApiKeySlot().generate()}),
    }[case]
    got, headers, body = chat(p, "acme", **args)
    assert (got, body) == (status, {"error": code})
    if code == "no_credentials":  # RFC 6750 3.1: no error code without credentials
        assert headers["WWW-Authenticate"] == 'Bearer realm="chatseal"'
    else:
        assert headers["WWW-Authenticate"] == (
            f'Bearer realm="chatseal", error="invalid_token", error_description="{code}"')


def test_unreachable_keys_are_503(tmp_path):
    # A tenant whose provider's keys are at an endpoint that is down.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    doc = {"tenantId": "down", "providers": {"corp": {
        "issuer": "https://idp.example", "expectedAudience": "chat", "acceptedAlgorithms": ["ES256"],
        "jwksUri": f"http://127.0.0.1:{port}/jwks.json", "requireHttpsMetadata": False}}}
    (tmp_path / "down.json").write_text(json.dumps(doc))
    proc = subprocess.Popen([sys.executable, str(EXAMPLE), "--tenant", str(tmp_path / "down.json"),
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), (line, proc.stderr.read())
        idp = chatseal.ClientSigningKey.generate(Algorithm.ES256)
        token = chatseal.Issuer(idp, issuer="https://idp.example", audience="chat").mint("u1")
        got, headers, body = call(line.split()[-1] + "/tenants/down/chat", "POST",
                                  {"Authorization": f"Bearer {token}"}, {"message": "hi"})
        assert (got, body) == (503, {"error": "jwks_unavailable"})
        assert "WWW-Authenticate" not in headers
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_api_key_decides_and_routes(platform):
    p = platform
    key = {"X-Api-Key": p.api_key}
    # The operator's key reads analytics, with or without a token beside it.
    assert call(f"{p.url}/tenants/acme/analytics", headers=key)[0] == 200
    status, _, _ = call(f"{p.url}/tenants/acme/analytics",
                        headers=dict(key, Authorization="Bearer not.a.token"))
    assert status == 200
    # A user's token does not open analytics; the key does not chat.
    token = p.token("u1", "ana@acme.example")
    status, _, body = call(f"{p.url}/tenants/acme/analytics", headers={"Authorization": f"Bearer {token}"})
    assert (status, body) == (403, {"error": "api_key_required"})
    assert chat(p, "acme", headers=key)[0] == 403
    assert call(f"{p.url}/tenants/initech/analytics", headers=key)[:3:2] == (404, {"error": "unknown_tenant"})
    assert call(f"{p.url}/elsewhere")[0] == 404
    assert call(f"{p.url}/tenants/acme/chat")[0] == 405


def test_no_example_shadows_a_standard_module():
    # A script's folder comes first on sys.path: an example named like a
    # standard module (platform.py) would be imported in its place by
    # everything run from there, the generated bindings included.
    names = {p.stem for p in EXAMPLE.parent.glob("*.py")}
    assert not names & set(sys.stdlib_module_names)
