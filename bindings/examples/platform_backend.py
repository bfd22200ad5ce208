"""A minimal chat platform backend that verifies every request against its
tenant's document.

Standard library only (http.server). Each tenant is a tenant document (JSON,
or sealed with `chatseal tenant seal`); every request names its tenant in the
path and is authenticated by chatseal before anything else happens:

    POST /tenants/<tenant>/chat       a chat user: `Authorization: Bearer <token>`,
                                      body {"participantId": "...", "message": "..."}
    GET  /tenants/<tenant>/analytics  the service's operator: `X-Api-Key: csk_...`

A browser's `Origin` must be in the tenant's `allowedOrigins`; an API key,
when present, decides alone (the token beside it is not looked at); the
chat's participant id must be the token's user id. A refusal is answered as
chatseal says (`e.http_status`: 401 for a token problem or missing
credentials, 403 for a policy or origin refusal, 503 when the identity
provider's keys cannot be fetched; `e.www_authenticate`) with the stable code
(`{"error": "email_domain_not_allowed"}`); the reason goes to the log, never
the token.

    python platform_backend.py --tenant acme.json --tenant globex.sealed \
        --decryption-key platform.key.pem --api-key-hash-file api-key.hash --port 8090

A sealed document `<tenant>.sealed` is opened with the secrets in the
environment variables EncryptionKeys__BaseSecret and
EncryptionKeys__UniqueSecrets__TenantOidcSecretKey (as the `chatseal` CLI
does). The API key's hash file holds `ApiKeySlot.to_stored()`, never the key.
"""

import argparse
import json
import os
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List, Optional, Type

import chatseal

MAX_BODY = 64 * 1024
ROUTE = re.compile(r"^/tenants/([A-Za-z0-9._-]{1,256})/(chat|analytics)$")
BASE_SECRET = "EncryptionKeys__BaseSecret"
PURPOSE_SECRET = "EncryptionKeys__UniqueSecrets__TenantOidcSecretKey"


def load_tenant(path: Path) -> chatseal.TenantConfig:
    """A tenant document from a file: JSON, or sealed (`.sealed`, the tenant
    id is the file name's stem)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".sealed":
        return chatseal.TenantConfig.from_json(text)
    base, purpose = os.environ.get(BASE_SECRET), os.environ.get(PURPOSE_SECRET)
    if not base or not purpose:
        raise SystemExit(f"{path}: set {BASE_SECRET} and {PURPOSE_SECRET} to open it")
    return chatseal.TenantConfig.from_sealed(text, base, purpose, path.stem)


def bearer(header: Optional[str]) -> Optional[str]:
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return None


def make_handler(registry: chatseal.TenantRegistry,
                 api_keys: chatseal.ApiKeySlot) -> Type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self.handle_request("GET")

        def do_POST(self) -> None:  # noqa: N802
            self.handle_request("POST")

        def handle_request(self, method: str) -> None:
            route = ROUTE.match(self.path)
            if route is None:
                return self.reply(404, {"error": "not_found"})
            tenant_id, action = route.groups()
            if (action, method) not in (("chat", "POST"), ("analytics", "GET")):
                return self.reply(405, {"error": "method_not_allowed"})
            body: Dict[str, Any] = {}
            if method == "POST":
                parsed = self.read_json()
                if parsed is None:
                    return self.reply(400, {"error": "bad_request"})
                body = parsed
            participant = body.get("participantId")
            if participant is not None and not isinstance(participant, str):
                return self.reply(400, {"error": "bad_request"})

            tenant = registry.get(tenant_id)
            if tenant is None:
                return self.reply(404, {"error": "unknown_tenant"})
            try:
                who = chatseal.authenticate(
                    tenant, api_keys,
                    api_key=self.headers.get("X-Api-Key"),
                    bearer_token=bearer(self.headers.get("Authorization")),
                    participant=participant,
                    origin=self.headers.get("Origin"),
                )
            except chatseal.ChatsealError as e:
                # chatseal's answer: 401 a token problem or missing
                # credentials, 403 a policy or origin refusal, 503 keys that
                # cannot be fetched. The reason names the setting that
                # decided; it holds no token.
                self.log_error("tenant %s refused: %s: %s", tenant_id, e.code, e.reason)
                headers = {"WWW-Authenticate": e.www_authenticate} if e.www_authenticate else {}
                return self.reply(e.http_status, {"error": e.code}, headers)

            kind = who.kind()
            if action == "analytics":
                if kind != chatseal.AuthenticatedKind.API_KEY:
                    return self.reply(403, {"error": "api_key_required"})
                return self.reply(200, {"tenant": tenant_id, "conversations": 0})
            identity = who.identity()
            if identity is None:  # the operator's key, or anonymous (demo)
                if kind == chatseal.AuthenticatedKind.API_KEY:
                    return self.reply(403, {"error": "chat_needs_a_user"})
                return self.reply(200, {"tenant": tenant_id, "user": None,
                                        "reply": "hello, guest"})
            # identity.sso_token() is what an on-behalf-of call would use;
            # it is neither logged nor echoed.
            self.reply(200, {
                "tenant": tenant_id,
                "provider": identity.provider(),
                "user": identity.user_id(),
                "email": identity.email(),
                "groups": identity.groups(),
                "has_sso_token": identity.sso_token() is not None,
                "reply": f"hello, {identity.user_id()}",
            })

        def read_json(self) -> Optional[Dict[str, Any]]:
            try:
                length = int(self.headers.get("Content-Length", "0"))
            except ValueError:
                return None
            if length < 0 or length > MAX_BODY:
                return None
            try:
                value = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return None
            return value if isinstance(value, dict) else None

        def reply(self, status: int, body: Dict[str, Any],
                  headers: Optional[Dict[str, str]] = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt: str, *args: Any) -> None:  # no tokens in logs
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    return Handler


def main(argv: Optional[List[str]] = None) -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--tenant", action="append", required=True, type=Path,
                   help="a tenant document (JSON, or <tenant>.sealed); repeat for more")
    p.add_argument("--decryption-key", action="append", default=[], type=Path,
                   help="a platform private key PEM the documents' decryptionKeys name by kid")
    p.add_argument("--api-key-hash-file", type=Path,
                   help="the stored hash of the service's API key (ApiKeySlot.to_stored())")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8090, help="0 picks a free port")
    args = p.parse_args(argv)

    keys = [chatseal.PlatformDecryptionKey.from_pem(path.read_text(encoding="utf-8"))
            for path in args.decryption_key]
    registry = chatseal.TenantRegistry()
    for path in args.tenant:
        config = load_tenant(path)
        for warning in config.warnings():
            print(f"warning: {warning}", file=sys.stderr)
        registry.insert(chatseal.TenantVerifier(config, decryption_keys=keys))
    stored = None
    if args.api_key_hash_file:
        stored = args.api_key_hash_file.read_text(encoding="utf-8").strip()
    api_keys = chatseal.ApiKeySlot(stored)

    server = ThreadingHTTPServer((args.host, args.port), make_handler(registry, api_keys))
    port = server.server_address[1]
    print(f"listening on http://{args.host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
