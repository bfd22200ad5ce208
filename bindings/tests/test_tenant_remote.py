"""Remote keys through the tenant document: a `jwksUri` (and OIDC discovery
from an `authority`) served by a real HTTP server on 127.0.0.1 that this test
starts. Plain HTTP is accepted only because the document says
`requireHttpsMetadata: false`, as the Rust core requires; without it the
document is refused."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import chatseal
from chatseal import Algorithm, ChatsealError


class KeyServer:
    """Serves `jwks` at /jwks.json and a discovery document at
    /.well-known/openid-configuration; counts the requests per path."""

    def __init__(self) -> None:
        self.jwks: dict = {"keys": []}
        self.status = 200
        self.hits: dict = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                with outer.lock:
                    outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                if self.path == "/jwks.json":
                    body = json.dumps(outer.jwks).encode()
                elif self.path == "/.well-known/openid-configuration":
                    body = json.dumps({"issuer": outer.url,
                                       "jwks_uri": outer.url + "/jwks.json"}).encode()
                else:
                    self.send_error(404)
                    return
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture()
def keys():
    server = KeyServer()
    try:
        yield server
    finally:
        server.close()


def tenant_doc(provider: dict, **extra) -> str:
    p = {"expectedAudience": "chat", "acceptedAlgorithms": ["ES256"], "requireHttpsMetadata": False}
    p.update(provider)
    doc = {"tenantId": "acme", "providers": {"idp": p}}
    doc.update(extra)
    return json.dumps(doc)


def token(key, iss: str, sub: str = "u1", **claims) -> str:
    return chatseal.Issuer(key, issuer=iss, audience="chat").mint(sub, claims=claims or None)


def test_keys_from_the_jwks_uri_are_fetched_once_and_cached(keys):
    idp = chatseal.ClientSigningKey.generate(Algorithm.ES256).with_kid("k1")
    keys.jwks = json.loads(chatseal.jwks_json([idp.verifying_key()]))
    config = chatseal.TenantConfig.from_json(tenant_doc(
        {"issuer": "https://idp.example", "jwksUri": keys.url + "/jwks.json",
         "allowedEmailDomains": ["acme.example"]}))
    tenant = chatseal.TenantVerifier(config)
    assert keys.hits == {}, "nothing is fetched before the first token"
    for i in range(3):
        who = tenant.verify(token(idp, "https://idp.example", f"u{i}", email="ana@acme.example"),
                            participant=f"u{i}")
        assert who.user_id() == f"u{i}"
    assert keys.hits == {"/jwks.json": 1}
    # The policy still applies to tokens checked with fetched keys.
    with pytest.raises(ChatsealError.ClaimRejected) as e:
        tenant.verify(token(idp, "https://idp.example", email="eve@evil.example"))
    assert e.value.code == "email_domain_not_allowed"
    # A key the endpoint does not serve is refused; within the refetch
    # cooldown the endpoint is not asked again.
    other = chatseal.ClientSigningKey.generate(Algorithm.ES256).with_kid("k2")
    with pytest.raises(ChatsealError.InvalidSignature) as e:
        tenant.verify(token(other, "https://idp.example"))
    assert e.value.code == "unknown_kid"
    assert keys.hits == {"/jwks.json": 1}

    # The same through a registry.
    registry = chatseal.TenantRegistry()
    registry.insert(tenant)
    assert registry.verify("acme", token(idp, "https://idp.example", email="bo@acme.example")).user_id() == "u1"
    assert keys.hits == {"/jwks.json": 1}


def test_keys_by_discovery_from_the_authority(keys):
    idp = chatseal.ClientSigningKey.generate(Algorithm.ES256)
    keys.jwks = json.loads(chatseal.jwks_json([idp.verifying_key()]))
    config = chatseal.TenantConfig.from_json(tenant_doc(
        {"issuer": keys.url, "authority": keys.url}))
    tenant = chatseal.TenantVerifier(config)
    assert tenant.verify(token(idp, keys.url)).user_id() == "u1"
    assert tenant.verify(token(idp, keys.url, "u2")).user_id() == "u2"
    assert keys.hits == {"/.well-known/openid-configuration": 1, "/jwks.json": 1}


def test_endpoint_errors_are_jwks_unavailable(keys):
    idp = chatseal.ClientSigningKey.generate(Algorithm.ES256)
    keys.status = 500
    tenant = chatseal.TenantVerifier(chatseal.TenantConfig.from_json(tenant_doc(
        {"issuer": "https://idp.example", "jwksUri": keys.url + "/jwks.json"})))
    with pytest.raises(ChatsealError.Io) as e:
        tenant.verify(token(idp, "https://idp.example"))
    assert e.value.code == "jwks_unavailable"
    assert "returned HTTP 500" in str(e.value)

    # A served set without a key for the accepted algorithms.
    keys.status = 200
    rsa = chatseal.ClientSigningKey.generate(Algorithm.RS256, rsa_bits=2048)
    keys.jwks = json.loads(chatseal.jwks_json([rsa.verifying_key()]))
    tenant = chatseal.TenantVerifier(chatseal.TenantConfig.from_json(tenant_doc(
        {"issuer": "https://idp.example", "jwksUri": keys.url + "/jwks.json"})))
    with pytest.raises(ChatsealError.Io) as e:
        tenant.verify(token(idp, "https://idp.example"))
    assert e.value.code == "jwks_unavailable"
    assert "no key for the accepted algorithms" in str(e.value)


def test_plain_http_needs_require_https_metadata_false(keys):
    doc = json.loads(tenant_doc({"issuer": "https://idp.example", "jwksUri": keys.url + "/jwks.json"}))
    del doc["providers"]["idp"]["requireHttpsMetadata"]
    with pytest.raises(ChatsealError.Config) as e:
        chatseal.TenantConfig.from_json(json.dumps(doc))
    assert e.value.code == "invalid_config"
    assert "plain HTTP" in str(e.value)
    assert keys.hits == {}
