"""A minimal host backend that mints a chat-widget token per request.

Standard library only (http.server). GET /widget-token returns
{"token": "...", "expires_in": 3600} for the signed-in user; the page hands the
token to the widget, and calls the endpoint again when the widget fires
`authTokenNeeded`.

    python host_backend.py --client-key client.key.pem \
        --platform-key platform.pub.pem --issuer https://host.example \
        --audience chat-platform --port 8080

Keys are read once at start-up; the Issuer is shared by every request thread.
The user's sso_token (for on-behalf-of calls) is encrypted to the platform
key; only the platform can read it.
"""

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Optional, Type

import chatseal

TTL_SECONDS = 3600


def current_user(handler: BaseHTTPRequestHandler) -> Optional[Dict[str, Any]]:
    """Who is signed in. A real backend reads its own session cookie here;
    this demo trusts an `X-Demo-User` header so the example stays runnable.
    Never let the browser choose the user in production."""
    user = handler.headers.get("X-Demo-User")
    if not user:
        return None
    return {
        "id": user,
        "context": {"name": user.title(), "email": f"{user}@example.com"},
        # The user's token at your identity provider, for on-behalf-of calls.
        "sso_token": handler.headers.get("X-Demo-Sso-Token"),
    }


def make_handler(issuer: chatseal.Issuer) -> Type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self.path != "/widget-token":
                return self.reply(404, {"error": "not found"})
            user = current_user(self)
            if user is None:
                return self.reply(401, {"error": "sign in first"})
            try:
                token = issuer.mint(user["id"], context=user["context"],
                                    sso_token=user["sso_token"])
            except chatseal.ChatsealError as e:
                # The message names the setting at fault and holds no secret.
                self.log_error("mint failed: %s (%s)", e.reason, e.code)
                return self.reply(500, {"error": "token could not be minted"})
            self.reply(200, {"token": token, "expires_in": TTL_SECONDS})

        def reply(self, status: int, body: Dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt: str, *args: Any) -> None:  # no tokens in logs
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    return Handler


def main(argv: Optional[list[str]] = None) -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--client-key", required=True, help="client private key PEM (RS256)")
    p.add_argument("--platform-key", help="platform public key PEM (for sso_tokens)")
    p.add_argument("--issuer", default="https://host.example")
    p.add_argument("--audience", default="chat-platform")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    args = p.parse_args(argv)

    with open(args.client_key, encoding="utf-8") as f:
        key = chatseal.ClientSigningKey.from_pem(f.read(), chatseal.Algorithm.RS256)
    platform = None
    if args.platform_key:
        with open(args.platform_key, encoding="utf-8") as f:
            platform = chatseal.PlatformEncryptionKey.from_pem(f.read())
    issuer = chatseal.Issuer(key, issuer=args.issuer, audience=args.audience,
                             ttl_seconds=TTL_SECONDS, platform_key=platform)

    server = ThreadingHTTPServer((args.host, args.port), make_handler(issuer))
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
