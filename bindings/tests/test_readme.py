"""The Python examples of bindings/README.md run as written."""

import re
from pathlib import Path

import chatseal

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_mint_example_runs(tmp_path, monkeypatch, client_key, platform_key):
    (tmp_path / "client.key.pem").write_text(client_key.private_pem())
    (tmp_path / "platform.pub.pem").write_text(platform_key.encryption_key().public_pem())
    monkeypatch.chdir(tmp_path)
    mint_block = python_blocks()[0]
    assert len(mint_block.strip().splitlines()) <= 12
    scope: dict = {}
    exec(compile(mint_block, str(README), "exec"), scope)

    token = scope["widget_token"]("user-42", "ada@example.com", "idp-token")
    verifier = chatseal.Verifier([client_key.verifying_key()], issuers=["https://host.example"],
                                 audiences=["chat-platform"], decryption_keys=[platform_key])
    v = verifier.verify(token)
    assert v.subject() == "user-42" and v.sso_token() == "idp-token"
    assert v.context() == {"email": "ada@example.com"}


def test_verify_example_runs(issuer, client_key, platform_key):
    verify_block = python_blocks()[1]
    logged = []

    class Log:
        def warning(self, *args):
            logged.append(args)

    scope = {
        "chatseal": chatseal,
        "host_jwks_json": chatseal.jwks_json([client_key.verifying_key()]),
        "platform_private_key": platform_key,
        "raw": issuer.mint("user-9", context={"email": "u9@example.com"}, sso_token="s-9"),
        "log": Log(),
    }
    exec(compile(verify_block, str(README), "exec"), scope)
    assert scope["user"] == "user-9" and scope["sso"] == "s-9"
    assert scope["email"] == "u9@example.com"

    scope["raw"] = "not-a-token"
    exec(compile(verify_block, str(README), "exec"), scope)
    assert logged and logged[0][2] == "malformed_token"
