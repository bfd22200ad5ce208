"""The installed package: its public names, typing marker and docstrings."""

import inspect
from pathlib import Path

import chatseal
import chatseal._native.chatseal as native


def test_public_names_match_the_generated_module():
    generated = {n for n in native.__all__ if not n.endswith("Protocol")}
    assert set(chatseal.__all__) == generated
    for name in chatseal.__all__:
        assert getattr(chatseal, name) is getattr(native, name)


def test_package_is_typed():
    assert (Path(chatseal.__file__).parent / "py.typed").is_file()
    sig = inspect.signature(chatseal.Issuer.mint)
    assert list(sig.parameters) == ["self", "sub", "context_json", "sso_token", "extra_claims_json"]
    assert sig.return_annotation in (str, "str")


def test_docstrings_come_from_the_rust_doc_comments():
    assert "Mints a token for the user" in chatseal.Issuer.mint.__doc__
    assert "Safe by default" in chatseal.Verifier.__doc__
    assert "stable machine-readable code" in chatseal.ChatsealError.__doc__
    assert "sso_token" in chatseal.VerifiedToken.sso_token.__doc__
    assert "Rotation, step two" in chatseal.Keyring.promote.__doc__
