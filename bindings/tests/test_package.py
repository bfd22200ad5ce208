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
    assert list(sig.parameters) == ["self", "sub", "context", "sso_token", "claims"]
    assert sig.return_annotation in (str, "str")


def test_docstrings_come_from_the_rust_doc_comments():
    assert "Mints a token for the user" in chatseal.Issuer.mint.__doc__
    assert "Safe by default" in chatseal.Verifier.__doc__
    assert "stable machine-readable code" in chatseal.ChatsealError.__doc__
    assert "sso_token" in chatseal.VerifiedToken.sso_token.__doc__
    assert "Rotation, step two" in chatseal.Keyring.promote.__doc__


def _stub_tree():
    import ast

    stub = Path(chatseal.__file__).parent / "__init__.pyi"
    assert stub.is_file(), "the type stub is installed beside __init__.py"
    return ast.parse(stub.read_text())


def _params(args):
    """(name, has_default) of every parameter of a stub or runtime callable."""
    positional = args.posonlyargs + args.args
    n_default = len(args.defaults)
    out = [(a.arg, i >= len(positional) - n_default) for i, a in enumerate(positional)]
    out += [(a.arg, d is not None) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    return out


def _runtime_params(fn):
    return [(p.name, p.default is not inspect.Parameter.empty)
            for p in inspect.signature(fn).parameters.values()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def test_type_stub_matches_the_runtime_api():
    """Every public class, method and function of the generated module is in
    the stub with the same parameters (names, order, which have defaults),
    and the stub names nothing the module lacks."""
    import ast
    import enum

    tree = _stub_tree()
    stub_names = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            stub_names.add(node.name)
            assert _params(node.args) == _runtime_params(getattr(chatseal, node.name)), node.name
        elif isinstance(node, ast.ClassDef):
            stub_names.add(node.name)
            cls = getattr(chatseal, node.name)
            methods = {m.name: m for m in node.body if isinstance(m, ast.FunctionDef)}
            if issubclass(cls, enum.Enum):
                members = [t.targets[0].id for t in node.body if isinstance(t, ast.Assign)]
                assert members == [m.name for m in cls], node.name
                continue
            if issubclass(cls, BaseException):
                variants = {c.name for c in node.body if isinstance(c, ast.ClassDef)}
                assert variants == {k for k, v in vars(cls).items() if isinstance(v, type)}
                continue
            runtime = {k: v for k, v in vars(cls).items()
                       if not k.startswith("_") and (inspect.isfunction(v) or isinstance(v, classmethod))}
            assert set(methods) - {"__init__"} == set(runtime), node.name
            for name, m in methods.items():
                fn = vars(cls)[name]
                fn = fn.__func__ if isinstance(fn, classmethod) else fn
                assert _params(m.args) == _runtime_params(fn), f"{node.name}.{name}"
    assert stub_names == set(chatseal.__all__)
