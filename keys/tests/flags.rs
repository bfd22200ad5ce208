//! Every flag of every command, walked from the binary's own `--help`: a
//! flag either always has an effect in its command, or there is a
//! combination in which it would have none, and that combination is a usage
//! error (exit 2) whose message names the flag. Each such case is run
//! beside the same command line without the flag, which must succeed, so the
//! refusal is the flag's and nothing else's.
//!
//! A flag added to the CLI without an entry here fails the test: new flags
//! get audited.

mod common;

use common::*;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// What the audit knows of one flag.
enum Audit {
    /// The flag has an effect in every valid use of its command.
    Always(&'static str),
    /// Command lines (the `chatseal` arguments after the command path) that
    /// succeed, each with the flag arguments that, added, make it a usage
    /// error naming the flag.
    Ineffective(Vec<(Vec<String>, Vec<String>)>),
}

/// The subcommands listed under `Commands:` in a help text.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

/// The long flags listed under `Options:` in a help text (without
/// `--help` and `--version`).
fn flags(help: &str) -> BTreeSet<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Options:"))
        .filter_map(|l| {
            let t = l.trim_start();
            let t = t
                .strip_prefix("-")
                .filter(|r| r.len() > 2 && r.as_bytes()[1] == b',')
                .map(|r| r[2..].trim_start())
                .unwrap_or(t);
            let name = t.strip_prefix("--")?;
            let name: String = name
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!name.is_empty() && name != "help" && name != "version").then(|| format!("--{name}"))
        })
        .collect()
}

fn help(path: &[&str]) -> String {
    let mut args: Vec<&str> = path.to_vec();
    args.push("--help");
    run(&args).ok()
}

/// Everything the command lines below need, made once in a temporary folder.
struct Fixture {
    _tmp: tempfile::TempDir,
    ring: String,
    platform: String,
    jwks: String,
    pem: String,
    tenant: String,
    sealed: String,
    base_secret: String,
    purpose_secret: String,
    sso: String,
    token: String,
    token_sso: String,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let p = |name: &str| tmp.path().join(name).to_str().unwrap().to_owned();
    let ring = p("client");
    run(&["keys", "init", "--dir", &ring, "--alg", "ES256"]).ok();
    let platform = p("platform");
    run(&[
        "keys", "init", "--dir", &platform, "--use", "enc", "--bits", "2048",
    ])
    .ok();
    let jwks = p("jwks.json");
    run(&["keys", "jwks", "--dir", &ring, "--out", &jwks]).ok();
    let pem = p("host.pub.pem");
    fs::write(&pem, run(&["keys", "export-public", "--dir", &ring]).ok()).unwrap();
    let sso = p("sso.txt");
    fs::write(&sso, "idp-token").unwrap();
    let base = [
        "mint",
        "--dir",
        ring.as_str(),
        "--iss",
        "https://host.example",
        "--aud",
        "chat",
        "--sub",
        "user-42",
    ];
    let token = run(&base).ok().trim().to_owned();
    let mut with_sso = base.to_vec();
    with_sso.extend(["--platform-key", &platform, "--sso-token-file", &sso]);
    let token_sso = run(&with_sso).ok().trim().to_owned();
    let jwks_value: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&jwks).unwrap()).unwrap();
    let tenant = p("tenant.json");
    fs::write(
        &tenant,
        serde_json::json!({"tenantId": "acme", "providers": {"host": {
            "issuer": "https://host.example", "expectedAudience": "chat",
            "acceptedAlgorithms": ["ES256"], "jwks": jwks_value}}})
        .to_string(),
    )
    .unwrap();
    let base_secret = p("base.secret");
    let purpose_secret = p("purpose.secret");
    fs::write(&base_secret, "b".repeat(40)).unwrap();
    fs::write(&purpose_secret, "p".repeat(40)).unwrap();
    let sealed = p("tenant.sealed");
    run(&[
        "tenant",
        "seal",
        "--in",
        &tenant,
        "--out",
        &sealed,
        "--base-secret-file",
        &base_secret,
        "--purpose-secret-file",
        &purpose_secret,
    ])
    .ok();
    Fixture {
        _tmp: tmp,
        ring,
        platform,
        jwks,
        pem,
        tenant,
        sealed,
        base_secret,
        purpose_secret,
        sso,
        token,
        token_sso,
    }
}

fn v(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

/// The audit of every command's flags.
fn audit(f: &Fixture) -> BTreeMap<(String, String), Audit> {
    use Audit::*;
    let mut m = BTreeMap::new();
    let mut always = |cmd: &str, list: &[&str], why: &'static str| {
        for flag in list {
            m.insert((cmd.to_owned(), (*flag).to_owned()), Always(why));
        }
    };
    always(
        "keys init",
        &[
            "--dir",
            "--passphrase-file",
            "--use",
            "--alg",
            "--grace",
            "--pkcs11",
            "--json",
        ],
        "shapes the new keyring",
    );
    always("keys list", &["--dir", "--json"], "what is listed, and how");
    always(
        "keys rotate",
        &[
            "--dir",
            "--passphrase-file",
            "--now",
            "--alg",
            "--pkcs11",
            "--json",
        ],
        "shapes the new key",
    );
    always(
        "keys promote",
        &["--dir", "--kid", "--allow-sample-key", "--json"],
        "which key; the sample-key permission is checked on every promotion",
    );
    always(
        "keys retire",
        &["--dir", "--kid", "--force", "--json"],
        "which keys, and whether the grace is waited for",
    );
    always("keys prune", &["--dir", "--json"], "which keyring");
    always("keys revoke", &["--dir", "--kid", "--json"], "which key");
    always(
        "keys import",
        &[
            "--dir",
            "--passphrase-file",
            "--pem",
            "--use",
            "--alg",
            "--allow-sample-key",
            "--pkcs11",
            "--pkcs11-module",
            "--pkcs11-pin-file",
            "--json",
        ],
        "the key and how it is adopted; --use is checked against the keyring; the \
         PKCS#11 module and PIN open the token of --pkcs11 and are refused with --pem",
    );
    always("keys jwks", &["--dir", "--out"], "which keys, and where to");
    always(
        "keys export-public",
        &["--dir", "--kid", "--format"],
        "which key, and how",
    );
    always(
        "mint",
        &[
            "--dir",
            "--passphrase-file",
            "--iss",
            "--without-iss",
            "--aud",
            "--without-aud",
            "--sub",
            "--ttl",
            "--context",
            "--claim",
            "--json",
        ],
        "the signing key and the claims",
    );
    always(
        "verify",
        &[
            "--tenant-config",
            "--decrypt-key",
            "--decrypt-dir",
            "--json",
        ],
        "the mode, the decryption keys, the output",
    );
    always("inspect", &["--json"], "the output");
    always(
        "tenant check",
        &["--in", "--json"],
        "the document, the output",
    );
    always(
        "tenant seal",
        &[
            "--in",
            "--out",
            "--base-secret-file",
            "--purpose-secret-file",
        ],
        "the document and the secrets it is sealed under",
    );
    always(
        "tenant unseal",
        &[
            "--in",
            "--out",
            "--base-secret-file",
            "--purpose-secret-file",
        ],
        "the document and the secrets it is opened with",
    );
    always("tenant issuer-url", &["--provider"], "the provider");
    always(
        "quickstart",
        &["--dir", "--passphrase-file"],
        "where the keyrings are",
    );
    always(
        "apikey generate",
        &["--out", "--force"],
        "where the hash goes; --force is the permission to replace one, checked on every run",
    );
    always(
        "serve",
        &[
            "--dir",
            "--passphrase-file",
            "--iss",
            "--without-iss",
            "--aud",
            "--without-aud",
            "--ttl",
            "--platform-key",
            "--api-key-hash",
            "--listen",
            "--max-connections",
        ],
        "the keys, the claims and the listener of the sidecar",
    );
    always(
        "gateway",
        &["--config"],
        "the gateway's only flag: everything else is in the file",
    );

    let ring = f.ring.as_str();
    let mut ineffective = |cmd: &str, flag: &str, cases: Vec<(Vec<String>, Vec<String>)>| {
        m.insert((cmd.to_owned(), flag.to_owned()), Ineffective(cases));
    };
    // keys: --bits means nothing for a P-256 key.
    let tmp_ring = format!("{ring}-bits");
    ineffective(
        "keys init",
        "--bits",
        vec![(
            v(&["keys", "init", "--dir", &tmp_ring, "--alg", "ES256"]),
            v(&["--bits", "3072"]),
        )],
    );
    // --crv means something for ECDH platform keys only.
    ineffective(
        "keys init",
        "--crv",
        vec![(
            v(&["keys", "init", "--dir", &tmp_ring, "--alg", "ES256"]),
            v(&["--crv", "X25519"]),
        )],
    );
    ineffective(
        "keys rotate",
        "--crv",
        vec![(
            v(&["keys", "rotate", "--dir", ring, "--alg", "ES256"]),
            v(&["--crv", "P-256"]),
        )],
    );
    ineffective(
        "keys rotate",
        "--bits",
        vec![(
            v(&["keys", "rotate", "--dir", ring, "--alg", "ES256"]),
            v(&["--bits", "2048"]),
        )],
    );

    // PKCS#11: the module and the PIN only matter for a key in a token (the
    // fixture's keyrings are files).
    for flag in ["--pkcs11-module", "--pkcs11-pin-file"] {
        let arg = v(&[flag, &f.sso]);
        ineffective(
            "keys init",
            flag,
            vec![(
                v(&["keys", "init", "--dir", &tmp_ring, "--alg", "ES256"]),
                arg.clone(),
            )],
        );
        ineffective(
            "keys rotate",
            flag,
            vec![(v(&["keys", "rotate", "--dir", ring]), arg.clone())],
        );
        ineffective(
            "keys prune",
            flag,
            vec![(v(&["keys", "prune", "--dir", ring]), arg.clone())],
        );
        ineffective(
            "mint",
            flag,
            vec![(
                v(&[
                    "mint",
                    "--dir",
                    ring,
                    "--iss",
                    "https://host.example",
                    "--aud",
                    "chat",
                    "--sub",
                    "user-42",
                ]),
                arg.clone(),
            )],
        );
        ineffective(
            "verify",
            flag,
            vec![(
                v(&[
                    "verify",
                    "--dir",
                    ring,
                    "--iss",
                    "https://host.example",
                    "--aud",
                    "chat",
                    &f.token,
                ]),
                arg,
            )],
        );
    }
    ineffective(
        "keys prune",
        "--destroy",
        vec![(v(&["keys", "prune", "--dir", ring]), v(&["--destroy"]))],
    );

    // mint: the platform key and the format only matter with an sso_token.
    let mint = v(&[
        "mint",
        "--dir",
        ring,
        "--iss",
        "https://host.example",
        "--aud",
        "chat",
        "--sub",
        "user-42",
    ]);
    ineffective(
        "mint",
        "--platform-key",
        vec![(mint.clone(), v(&["--platform-key", &f.platform]))],
    );
    ineffective(
        "mint",
        "--sso-token-file",
        vec![(mint.clone(), v(&["--sso-token-file", &f.sso]))],
    );
    ineffective(
        "mint",
        "--payload-format",
        vec![(mint.clone(), v(&["--payload-format", "wxo"]))],
    );

    // verify with keys, and verify with a tenant document.
    let by_keys = |source: &[&str]| {
        let mut a = v(&["verify"]);
        a.extend(v(source));
        a.extend(v(&[
            "--iss",
            "https://host.example",
            "--aud",
            "chat",
            &f.token,
        ]));
        a
    };
    let jwks = by_keys(&["--jwks", &f.jwks]);
    let pem = by_keys(&["--public-key", &f.pem]);
    let dir = by_keys(&["--dir", ring]);
    let tenant = v(&["verify", "--tenant-config", &f.tenant, &f.token]);
    let mut decrypting = jwks.clone();
    decrypting.pop();
    decrypting.extend(v(&["--decrypt-dir", &f.platform, &f.token_sso]));
    let secrets = v(&[
        "--base-secret-file",
        &f.base_secret,
        "--purpose-secret-file",
        &f.purpose_secret,
    ]);
    ineffective(
        "verify",
        "--participant",
        vec![(jwks.clone(), v(&["--participant", "user-42"]))],
    );
    for flag in ["--base-secret-file", "--purpose-secret-file"] {
        ineffective(
            "verify",
            flag,
            vec![
                (jwks.clone(), secrets.clone()),
                (tenant.clone(), secrets.clone()),
            ],
        );
    }
    ineffective(
        "verify",
        "--jwks",
        vec![
            (pem.clone(), v(&["--jwks", &f.jwks])),
            (tenant.clone(), v(&["--jwks", &f.jwks])),
        ],
    );
    ineffective(
        "verify",
        "--public-key",
        vec![(dir.clone(), v(&["--public-key", &f.pem]))],
    );
    ineffective("verify", "--dir", vec![(jwks.clone(), v(&["--dir", ring]))]);
    ineffective(
        "verify",
        "--alg",
        vec![(tenant.clone(), v(&["--alg", "ES256"]))],
    );
    for (flag, value) in [
        ("--iss", "https://host.example"),
        ("--aud", "chat"),
        ("--leeway", "5"),
    ] {
        ineffective("verify", flag, vec![(tenant.clone(), v(&[flag, value]))]);
    }
    for flag in ["--insecure-skip-iss", "--insecure-skip-aud"] {
        ineffective("verify", flag, vec![(tenant.clone(), v(&[flag]))]);
    }
    ineffective(
        "verify",
        "--payload-format",
        vec![
            (jwks.clone(), v(&["--payload-format", "jwe"])),
            (tenant.clone(), v(&["--payload-format", "jwe"])),
        ],
    );
    ineffective(
        "verify",
        "--show-secrets",
        vec![
            (jwks.clone(), v(&["--show-secrets"])),
            (tenant.clone(), v(&["--show-secrets"])),
        ],
    );
    let passfile = f.base_secret.clone();
    ineffective(
        "verify",
        "--passphrase-file",
        vec![(jwks.clone(), v(&["--passphrase-file", &passfile]))],
    );
    // serve: --allow-public means nothing on a loopback address, TLS and
    // --allow-public nothing on a unix socket.
    let serve_base = v(&[
        "serve",
        "--dir",
        ring,
        "--iss",
        "https://h",
        "--aud",
        "chat",
        "--api-key-hash",
        &f.base_secret,
    ]);
    let mut serve_unix = serve_base.clone();
    serve_unix.extend(v(&["--listen", "unix:/tmp/chatseal-flags-audit.sock"]));
    let tls = v(&["--tls-cert", &f.pem, "--tls-key", &f.pem]);
    ineffective(
        "serve",
        "--allow-public",
        vec![
            (serve_base.clone(), v(&["--allow-public"])),
            (serve_unix.clone(), v(&["--allow-public"])),
        ],
    );
    for flag in ["--tls-cert", "--tls-key"] {
        ineffective("serve", flag, vec![(serve_unix.clone(), tls.clone())]);
    }
    // serve: the format means nothing without a platform key. (The base
    // command line serves forever, so it is not run here; keys/tests/serve.rs
    // runs the sidecar.)
    ineffective(
        "serve",
        "--payload-format",
        vec![(
            v(&[
                "serve",
                "--dir",
                ring,
                "--iss",
                "https://h",
                "--aud",
                "chat",
                "--api-key-hash",
                &f.base_secret,
            ]),
            v(&["--payload-format", "wxo"]),
        )],
    );
    // The decrypting form itself works (so --decrypt-dir is not the cause).
    run(&decrypting.iter().map(String::as_str).collect::<Vec<_>>()).ok();

    // tenant: secrets for a document that is not sealed.
    for flag in ["--base-secret-file", "--purpose-secret-file"] {
        ineffective(
            "tenant check",
            flag,
            vec![(v(&["tenant", "check", "--in", &f.tenant]), secrets.clone())],
        );
    }
    // The sealed document opens with them (so the files are fine).
    let mut check_sealed = v(&["tenant", "check", "--in", &f.sealed]);
    check_sealed.extend(secrets.clone());
    run(&check_sealed.iter().map(String::as_str).collect::<Vec<_>>()).ok();

    // issuer-url: each provider takes its own parameter only.
    ineffective(
        "tenant issuer-url",
        "--tenant",
        vec![
            (
                v(&[
                    "tenant",
                    "issuer-url",
                    "--provider",
                    "okta",
                    "--domain",
                    "d.okta.com",
                ]),
                v(&["--tenant", "acme"]),
            ),
            (
                v(&["tenant", "issuer-url", "--provider", "google"]),
                v(&["--tenant", "acme"]),
            ),
        ],
    );
    ineffective(
        "tenant issuer-url",
        "--domain",
        vec![(
            v(&[
                "tenant",
                "issuer-url",
                "--provider",
                "entra",
                "--tenant",
                "acme",
            ]),
            v(&["--domain", "d.okta.com"]),
        )],
    );
    m
}

#[test]
fn every_flag_has_an_effect_or_is_refused() {
    let f = fixture();
    let audit = audit(&f);

    // Walk the binary's own command tree.
    let mut seen = BTreeSet::new();
    for top in subcommands(&help(&[])) {
        let top_help = help(&[&top]);
        let nested = subcommands(&top_help);
        let paths: Vec<Vec<String>> = if nested.is_empty() {
            vec![vec![top.clone()]]
        } else {
            nested.into_iter().map(|n| vec![top.clone(), n]).collect()
        };
        for path in paths {
            let refs: Vec<&str> = path.iter().map(String::as_str).collect();
            let name = path.join(" ");
            for flag in flags(&help(&refs)) {
                assert!(
                    audit.contains_key(&(name.clone(), flag.clone())),
                    "`chatseal {name} {flag}` is not audited: add it to keys/tests/flags.rs \
                     (always effective, or the combination where it is refused)"
                );
                seen.insert((name.clone(), flag));
            }
        }
    }
    let stale: Vec<_> = audit.keys().filter(|k| !seen.contains(*k)).collect();
    assert!(
        stale.is_empty(),
        "audited flags the CLI no longer has: {stale:?}"
    );
    assert!(
        seen.len() > 60,
        "only {} flags found; is --help parsed?",
        seen.len()
    );

    let mut refused = 0;
    for ((name, flag), a) in &audit {
        let cases = match a {
            Audit::Always(why) => {
                assert!(
                    !why.is_empty(),
                    "{name} {flag}: say why it always has an effect"
                );
                continue;
            }
            Audit::Ineffective(cases) => cases,
        };
        assert!(!cases.is_empty(), "{name} {flag}");
        for (base, extra) in cases {
            // Without the flag the command line is fine ...
            let base_refs: Vec<&str> = base.iter().map(String::as_str).collect();
            if base[..2] == ["keys", "init"] {
                // (init makes a keyring: try it in a fresh folder, then remove it)
                let dir = Path::new(&base[3]);
                run(&base_refs).ok();
                fs::remove_dir_all(dir).unwrap();
            } else if base[..2] != ["keys", "rotate"] && base[0] != "serve" {
                run(&base_refs).ok();
            }
            // ... and with it, a usage error that names it.
            let mut all = base.clone();
            all.extend(extra.iter().cloned());
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            let out = run(&refs).code(2);
            assert!(
                out.stderr.contains(flag.as_str()),
                "`chatseal {}` exits 2 but does not name {flag}:\n{}",
                all.join(" "),
                out.stderr
            );
            refused += 1;
        }
    }
    assert!(refused >= 25, "only {refused} refused combinations");
}

#[test]
fn verify_alg_is_the_accepted_set_for_every_key_source() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ps");
    let dir = dir.to_str().unwrap();
    run(&[
        "keys", "init", "--dir", dir, "--alg", "PS256", "--bits", "2048",
    ])
    .ok();
    let token = run(&[
        "mint",
        "--dir",
        dir,
        "--iss",
        "https://h",
        "--aud",
        "chat",
        "--sub",
        "u1",
    ])
    .ok()
    .trim()
    .to_owned();
    // A PEM, and a JWKS whose entry has no `alg` (as jwcrypto and many
    // IdPs write them) and another kid than the token's.
    let pem = tmp.path().join("k.pem");
    fs::write(&pem, run(&["keys", "export-public", "--dir", dir]).ok()).unwrap();
    let mut jwks: serde_json::Value =
        serde_json::from_str(&run(&["keys", "jwks", "--dir", dir]).ok()).unwrap();
    let key = &mut jwks["keys"][0];
    key.as_object_mut().unwrap().remove("alg");
    key["kid"] = "host-1".into();
    let jwks_path = tmp.path().join("jwks.json");
    fs::write(&jwks_path, jwks.to_string()).unwrap();
    let (pem, jwks_path) = (pem.to_str().unwrap(), jwks_path.to_str().unwrap());

    let verify = |source: &[&str], algs: &[&str]| {
        let mut a = vec!["verify", "--iss", "https://h", "--aud", "chat"];
        a.extend(source);
        for alg in algs {
            a.extend(["--alg", alg]);
        }
        a.push(&token);
        run(&a)
    };
    for source in [&["--public-key", pem][..], &["--dir", dir][..]] {
        verify(source, &["PS256"]).ok();
        verify(source, &["RS256", "PS256"]).ok();
        // Outside the caller's set: refused, whatever the key says.
        let out = verify(source, &["RS256"]);
        assert!(matches!(out.code, 1 | 2), "{}", out.stderr);
    }
    // A PEM states no algorithm: the default for RSA is RS256 only.
    let out = verify(&["--public-key", pem], &[]).code(1);
    assert!(
        out.stderr.contains("algorithm_not_allowed"),
        "{}",
        out.stderr
    );
    // The keyring's key states PS256: no --alg needed.
    verify(&["--dir", dir], &[]).ok();
    // A JWKS entry without alg: refused by default (RS256), accepted with
    // --alg PS256. The token's kid (the thumbprint) is not the JWKS's
    // `host-1`, and still names the key.
    let out = verify(&["--jwks", jwks_path], &[]).code(1);
    assert!(
        out.stderr.contains("algorithm_not_allowed"),
        "{}",
        out.stderr
    );
    verify(&["--jwks", jwks_path], &["PS256"]).ok();
    // ES256 fits no RSA key: a usage error naming the setting.
    let out = verify(&["--jwks", jwks_path], &["ES256"]).code(2);
    assert!(out.stderr.contains("allowed algorithm"), "{}", out.stderr);
}
