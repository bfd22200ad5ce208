"""Python and the `chatseal` command-line tool (Rust, crate chatseal-keys)
on the same keyrings: each verifies what the other minted, and a refusal
carries the same code and message on both sides.

tests/steps/50-bindings.sh builds the CLI and sets CHATSEAL_CLI; run alone,
these tests skip unless CHATSEAL_REQUIRE_PEERS=1, which makes a missing CLI
a failure."""

import json
import os
import subprocess

import pytest

import chatseal
from chatseal import ChatsealError, KeyAlgorithm

ISS, AUD = "https://host.example", "chat-platform"


@pytest.fixture(scope="module")
def cli():
    path = os.environ.get("CHATSEAL_CLI")
    if not path or not os.access(path, os.X_OK):
        if os.environ.get("CHATSEAL_REQUIRE_PEERS") == "1":
            pytest.fail("CHATSEAL_CLI does not name the chatseal binary")
        pytest.skip("CHATSEAL_CLI not set")
    return path


@pytest.fixture()
def rings(tmp_path):
    client = chatseal.Keyring.init(str(tmp_path / "client"), KeyAlgorithm.RS256, rsa_bits=2048)
    platform = chatseal.Keyring.init(str(tmp_path / "platform"), KeyAlgorithm.RSA_OAEP256,
                                     rsa_bits=2048)
    return client, platform


def run(cli, *args, stdin=None):
    return subprocess.run([cli, *args], input=stdin, capture_output=True, text=True, timeout=60)


def test_python_verifies_what_the_cli_minted(cli, rings, tmp_path):
    client, platform = rings
    sso_file = tmp_path / "sso.txt"
    sso_file.write_text("idp-token-ü")
    r = run(cli, "mint", "--dir", client.dir(), "--iss", ISS, "--aud", AUD, "--sub", "user-5",
            "--context", '{"team": "blue"}', "--platform-key", platform.dir(),
            "--sso-token-file", str(sso_file), "--json")
    assert r.returncode == 0, r.stderr
    token = json.loads(r.stdout)["token"]

    verifier = chatseal.Verifier(client.verifying_keys(), issuers=[ISS], audiences=[AUD],
                                 decryption_keys=platform.decryption_keys())
    v = verifier.verify(token)
    assert v.subject() == "user-5"
    assert v.sso_token() == "idp-token-ü"
    assert v.context() == {"team": "blue"}


def test_cli_verifies_what_python_minted(cli, rings):
    client, platform = rings
    issuer = chatseal.Issuer(client.signing_key(), issuer=ISS, audience=AUD,
                             platform_key=platform.encryption_key())
    token = issuer.mint("user-6", sso_token="from-python")
    r = run(cli, "verify", "--dir", client.dir(), "--iss", ISS, "--aud", AUD,
            "--decrypt-dir", platform.dir(), "--json", "--show-secrets", stdin=token)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["valid"] is True
    assert out["claims"]["sub"] == "user-6"
    assert out["user_payload"] == {"sso_token": "from-python"}


def test_same_refusal_on_both_sides(cli, rings):
    client, _ = rings
    token = chatseal.Issuer(client.signing_key(), issuer=ISS, audience=AUD).mint("user-7")
    r = run(cli, "verify", "--dir", client.dir(), "--iss", ISS, "--aud", "another-platform",
            stdin=token)
    assert r.returncode == 1

    verifier = chatseal.Verifier(client.verifying_keys(), issuers=[ISS],
                                 audiences=["another-platform"])
    with pytest.raises(ChatsealError.ClaimRejected) as e:
        verifier.verify(token)
    # The CLI prints "chatseal: token rejected: <code>: <message>".
    assert r.stderr.strip() == f"chatseal: token rejected: {e.value.code}: {e.value.reason}"
