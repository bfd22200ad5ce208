//! The `chatseal` command, end to end: every command and exit code, file
//! modes, encryption at rest (read back by openssl), sample keys, lock
//! contention and the full rotation story.

mod common;

use common::*;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::Duration;

fn mode(p: &Path) -> u32 {
    fs::metadata(p).unwrap().mode() & 0o777
}

fn init_sig(dir: &Path) {
    run(&["keys", "init", "--dir", s(dir), "--alg", "ES256"]).ok();
}

fn init_enc(dir: &Path) {
    run(&[
        "keys",
        "init",
        "--dir",
        s(dir),
        "--use",
        "enc",
        "--bits",
        "2048",
    ])
    .ok();
}

fn jwks_kids(dir: &Path) -> Vec<String> {
    let out = run(&["keys", "jwks", "--dir", s(dir)]).code(0);
    out.json()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

fn active_kid(dir: &Path) -> String {
    let v = run(&["keys", "list", "--dir", s(dir), "--json"])
        .code(0)
        .json();
    let keys = v["keys"].as_array().unwrap();
    let active: Vec<_> = keys.iter().filter(|k| k["state"] == "active").collect();
    assert_eq!(active.len(), 1);
    active[0]["kid"].as_str().unwrap().to_owned()
}

fn token_kid(token: &str) -> String {
    let v = run(&["inspect", "--json", token]).code(0).json();
    assert_eq!(v["verified"], false);
    v["header"]["kid"].as_str().unwrap().to_owned()
}

fn mint(dir: &Path) -> String {
    run(&[
        "mint",
        "--dir",
        s(dir),
        "--iss",
        "https://host.example",
        "--aud",
        "chat",
        "--sub",
        "user-42",
    ])
    .ok()
    .trim()
    .to_owned()
}

fn verify_dir(dir: &Path, token: &str) -> Run {
    run(&[
        "verify",
        "--dir",
        s(dir),
        "--iss",
        "https://host.example",
        "--aud",
        "chat",
        token,
    ])
}

#[test]
fn full_rotation_story() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("client");
    init_sig(&c);
    let old = active_kid(&c);
    // Mint with the old key.
    let t_old = mint(&c);
    assert_eq!(token_kid(&t_old), old);
    assert_eq!(jwks_kids(&c), vec![old.clone()]);

    // Rotate: the new key is pending and published; tokens still use the old one.
    let v = run(&["keys", "rotate", "--dir", s(&c), "--json"])
        .code(0)
        .json();
    let new = v["added"]["kid"].as_str().unwrap().to_owned();
    assert_eq!(v["added"]["state"], "pending");
    let jwks_file = tmp.path().join("www").join("jwks.json");
    fs::create_dir_all(jwks_file.parent().unwrap()).unwrap();
    run(&["keys", "jwks", "--dir", s(&c), "--out", s(&jwks_file)]).ok();
    assert_eq!(mode(&jwks_file), 0o644);
    let published: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&jwks_file).unwrap()).unwrap();
    let kids: Vec<&str> = published["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids, vec![old.as_str(), new.as_str()]);
    assert_eq!(token_kid(&mint(&c)), old);

    // Promote: new tokens carry the new kid; old tokens still verify.
    let v = run(&["keys", "promote", "--dir", s(&c), "--json"])
        .code(0)
        .json();
    assert_eq!(v["active"]["kid"], new.as_str());
    assert_eq!(v["retiring"]["kid"], old.as_str());
    let t_new = mint(&c);
    assert_eq!(token_kid(&t_new), new);
    verify_dir(&c, &t_old).code(0);
    verify_dir(&c, &t_new).code(0);
    run(&[
        "verify",
        "--jwks",
        s(&jwks_file),
        "--iss",
        "https://host.example",
        "--aud",
        "chat",
        &t_old,
    ])
    .code(0);

    // Retire respects the grace: nothing happens yet, old tokens still verify.
    let v = run(&["keys", "retire", "--dir", s(&c), "--json"])
        .code(0)
        .json();
    assert_eq!(v["retired"], serde_json::json!([]));
    verify_dir(&c, &t_old).code(0);

    // Forced retirement: old tokens fail, naming the check; new ones verify.
    let v = run(&["keys", "retire", "--dir", s(&c), "--force", "--json"])
        .code(0)
        .json();
    assert_eq!(v["retired"], serde_json::json!([old]));
    assert_eq!(jwks_kids(&c), vec![new.clone()]);
    let r = verify_dir(&c, &t_old).code(1);
    assert!(
        r.stderr
            .starts_with("chatseal: token rejected: unknown_kid:"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.trim_end().lines().count(), 1);
    verify_dir(&c, &t_new).code(0);

    // Prune drops the retired key's file, keeps the record.
    let v = run(&["keys", "prune", "--dir", s(&c), "--json"])
        .code(0)
        .json();
    assert_eq!(v["removed"].as_array().unwrap().len(), 1);
    let list = run(&["keys", "list", "--dir", s(&c)]).ok();
    assert!(
        list.contains("retired") && list.contains("private key pruned"),
        "{list}"
    );

    // Compromise: rotate --now, revoke the previous key; its tokens fail at once.
    let v = run(&["keys", "rotate", "--dir", s(&c), "--now", "--json"])
        .code(0)
        .json();
    let newest = v["added"]["kid"].as_str().unwrap().to_owned();
    assert_eq!(v["added"]["state"], "active");
    assert_eq!(v["retiring"]["kid"], new.as_str());
    verify_dir(&c, &t_new).code(0);
    run(&["keys", "revoke", "--dir", s(&c), "--kid", &new]).ok();
    let r = verify_dir(&c, &t_new).code(1);
    assert!(r.stderr.contains("unknown_kid"), "{}", r.stderr);
    assert_eq!(jwks_kids(&c), vec![newest.clone()]);
    assert_eq!(token_kid(&mint(&c)), newest);
    let list = run(&["keys", "list", "--dir", s(&c), "--json"])
        .code(0)
        .json();
    let states: Vec<&str> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["retired", "revoked", "active"]);
}

#[test]
fn mint_and_verify_with_sso_token_jwe_and_wxo() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c");
    let p = tmp.path().join("p");
    init_sig(&c);
    init_enc(&p);
    let sso = tmp.path().join("sso.txt");
    fs::write(&sso, "idp-secret-token\n").unwrap();

    let token = run(&[
        "mint",
        "--dir",
        s(&c),
        "--iss",
        "https://host.example",
        "--aud",
        "chat",
        "--sub",
        "user-1",
        "--context",
        r#"{"name":"Ada"}"#,
        "--claim",
        "email_verified=true",
        "--platform-key",
        s(&p),
        "--sso-token-file",
        s(&sso),
    ])
    .ok();
    let token = token.trim();
    assert!(!token.contains("idp-secret-token"));
    let base = [
        "verify",
        "--dir",
        s(&c),
        "--iss",
        "https://host.example",
        "--aud",
        "chat",
        "--decrypt-dir",
        s(&p),
        "--json",
    ];
    let v = run(&[&base[..], &[token]].concat()).code(0).json();
    assert_eq!(v["claims"]["sub"], "user-1");
    assert_eq!(v["claims"]["context"]["name"], "Ada");
    assert_eq!(v["claims"]["email_verified"], true);
    assert_eq!(v["header"]["alg"], "ES256");
    assert_eq!(v["user_payload"]["sso_token"], "[redacted]");
    let r = run(&[&base[..], &["--show-secrets", token]].concat()).code(0);
    assert_eq!(r.json()["user_payload"]["sso_token"], "idp-secret-token");
    // Human output redacts too.
    let human = run(&[&base[..base.len() - 1], &[token]].concat()).ok();
    assert!(human.contains("[redacted]") && !human.contains("idp-secret-token"));
    // Token from stdin.
    let r = run_stdin(&base, &format!("{token}\n")).code(0);
    assert_eq!(r.json()["claims"]["sub"], "user-1");

    // The platform key as a PEM file and as a JWK file; sso_token from stdin.
    let pem = tmp.path().join("platform.pem");
    fs::write(&pem, run(&["keys", "export-public", "--dir", s(&p)]).ok()).unwrap();
    let jwk = tmp.path().join("platform.jwk");
    fs::write(
        &jwk,
        run(&["keys", "export-public", "--dir", s(&p), "--format", "jwk"]).ok(),
    )
    .unwrap();
    for key in [&pem, &jwk] {
        let t = run_stdin(
            &[
                "mint",
                "--dir",
                s(&c),
                "--without-iss",
                "--without-aud",
                "--sub",
                "u",
                "--platform-key",
                s(key),
                "--sso-token-file",
                "-",
                "--payload-format",
                "wxo",
            ],
            "ibm-style-sso",
        )
        .ok();
        let v = run(&[
            "verify",
            "--dir",
            s(&c),
            "--insecure-skip-iss",
            "--insecure-skip-aud",
            "--decrypt-dir",
            s(&p),
            "--payload-format",
            "wxo",
            "--json",
            "--show-secrets",
            t.trim(),
        ])
        .code(0)
        .json();
        assert_eq!(v["user_payload"]["sso_token"], "ibm-style-sso");
        assert!(v["claims"].get("iss").is_none());
    }

    // Decrypting with a single private key file.
    let dk = fs::read_dir(&p)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pem"))
        .unwrap();
    let v = run(&[
        "verify",
        "--dir",
        s(&c),
        "--iss",
        "https://host.example",
        "--aud",
        "chat",
        "--decrypt-key",
        s(&dk),
        "--json",
        "--show-secrets",
        token,
    ])
    .code(0)
    .json();
    assert_eq!(v["user_payload"]["sso_token"], "idp-secret-token");
}

#[test]
fn verify_exit_codes_name_the_check() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c");
    init_sig(&c);
    let token = mint(&c);
    let pubkey = tmp.path().join("pub.pem");
    fs::write(
        &pubkey,
        run(&["keys", "export-public", "--dir", s(&c)]).ok(),
    )
    .unwrap();
    run(&[
        "verify",
        "--public-key",
        s(&pubkey),
        "--iss",
        "https://host.example",
        "--aud",
        "chat",
        &token,
    ])
    .code(0);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--iss", "https://host.example", "--aud", "other"],
            "invalid_audience",
        ),
        (
            vec!["--iss", "https://evil.example", "--aud", "chat"],
            "invalid_issuer",
        ),
    ];
    for (args, code) in cases {
        let r = run(&[&["verify", "--dir", s(&c)][..], &args, &[token.as_str()]].concat()).code(1);
        assert!(
            r.stderr
                .starts_with(&format!("chatseal: token rejected: {code}: ")),
            "{}",
            r.stderr
        );
    }
    // A flipped signature byte.
    // (a middle character: all its 6 bits are signature bits, so the token
    // stays valid base64url)
    let mut bad: Vec<char> = token.chars().collect();
    let i = bad.len() - 20;
    bad[i] = if bad[i] == 'A' { 'B' } else { 'A' };
    let bad: String = bad.into_iter().collect();
    let r = verify_dir(&c, &bad).code(1);
    assert!(r.stderr.contains("invalid_signature"), "{}", r.stderr);
    let r = verify_dir(&c, "not-a-token").code(1);
    assert!(r.stderr.contains("malformed_token"), "{}", r.stderr);
    // Missing iss/aud: refuses to run (usage).
    let r = run(&["verify", "--dir", s(&c), "--aud", "chat", &token]).code(2);
    assert!(r.stderr.contains("--insecure-skip-iss"), "{}", r.stderr);
    run(&["verify", "--dir", s(&c), "--iss", "x", &token]).code(2);
    run(&[
        "verify",
        "--dir",
        s(&c),
        "--insecure-skip-iss",
        "--insecure-skip-aud",
        &token,
    ])
    .code(0);
    // No key source, two key sources, empty stdin.
    run(&["verify", "--iss", "a", "--aud", "b", &token]).code(2);
    run(&[
        "verify",
        "--dir",
        s(&c),
        "--jwks",
        "x",
        "--iss",
        "a",
        "--aud",
        "b",
        &token,
    ])
    .code(2);
    run_stdin(&["verify", "--dir", s(&c), "--iss", "a", "--aud", "b"], "").code(2);
    // A key file that is not a key: the key is rejected.
    let junk = tmp.path().join("junk.pem");
    fs::write(&junk, "hello").unwrap();
    run(&[
        "verify",
        "--public-key",
        s(&junk),
        "--iss",
        "a",
        "--aud",
        "b",
        &token,
    ])
    .code(1);
}

#[test]
fn mint_usage_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c");
    init_sig(&c);
    let d = s(&c);
    run(&["mint", "--dir", d, "--aud", "a", "--sub", "u"]).code(2);
    run(&["mint", "--dir", d, "--iss", "i", "--sub", "u"]).code(2);
    run(&["mint", "--dir", d, "--iss", "i", "--aud", "a"]).code(2);
    run(&[
        "mint",
        "--dir",
        d,
        "--iss",
        "i",
        "--aud",
        "a",
        "--sub",
        "u",
        "--context",
        "[1]",
    ])
    .code(2);
    run(&[
        "mint", "--dir", d, "--iss", "i", "--aud", "a", "--sub", "u", "--claim", "x=nojson",
    ])
    .code(2);
    let r = run(&[
        "mint", "--dir", d, "--iss", "i", "--aud", "a", "--sub", "u", "--claim", "exp=1",
    ])
    .code(2);
    assert!(r.stderr.contains("api_misuse"), "{}", r.stderr);
    run(&[
        "mint", "--dir", d, "--iss", "i", "--aud", "a", "--sub", "u", "--ttl", "99999",
    ])
    .code(2);
    // sso_token without a platform key is refused by clap (never sent in clear).
    run(&[
        "mint",
        "--dir",
        d,
        "--iss",
        "i",
        "--aud",
        "a",
        "--sub",
        "u",
        "--sso-token-file",
        "-",
    ])
    .code(2);
    // The platform key must be an encryption key: a client keyring is refused.
    let r = run(&[
        "mint",
        "--dir",
        d,
        "--iss",
        "i",
        "--aud",
        "a",
        "--sub",
        "u",
        "--platform-key",
        d,
    ])
    .code(2);
    assert!(r.stderr.contains("enc"), "{}", r.stderr);
    let v = run(&[
        "mint", "--dir", d, "--iss", "i", "--aud", "a", "--sub", "u", "--json",
    ])
    .code(0)
    .json();
    assert!(v["token"].as_str().unwrap().split('.').count() == 3);
    assert!(v["exp"].as_i64().unwrap() > 0);
    run(&[
        "mint",
        "--dir",
        s(&tmp.path().join("none")),
        "--iss",
        "i",
        "--aud",
        "a",
        "--sub",
        "u",
    ])
    .code(2);
}

#[test]
fn keys_commands_and_their_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("ring");
    let d = s(&c);
    // Modes; init is quiet on stderr when it is not a terminal.
    let r = run(&["keys", "init", "--dir", d, "--bits", "2048", "--grace", "2"]).code(0);
    assert!(
        r.stderr.is_empty(),
        "progress shown while piped: {}",
        r.stderr
    );
    assert_eq!(mode(&c), 0o700);
    assert_eq!(mode(&c.join("keyring.json")), 0o600);
    let list = run(&["keys", "list", "--dir", d, "--json"]).code(0).json();
    assert_eq!(list["version"], 1);
    assert_eq!(list["grace_seconds"], 2);
    let key = &list["keys"][0];
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["bits"], 2048);
    assert_eq!(key["use"], "sig");
    assert_eq!(mode(&c.join(key["file"].as_str().unwrap())), 0o600);
    let kid = key["kid"].as_str().unwrap().to_owned();
    // Refuses to overwrite.
    let r = run(&["keys", "init", "--dir", d]).code(2);
    assert!(r.stderr.contains("already holds a keyring"), "{}", r.stderr);
    // Bad arguments are usage errors.
    run(&[
        "keys",
        "init",
        "--dir",
        s(&tmp.path().join("x")),
        "--bits",
        "1024",
    ])
    .code(2);
    run(&[
        "keys",
        "init",
        "--dir",
        s(&tmp.path().join("x")),
        "--use",
        "enc",
        "--alg",
        "RS256",
    ])
    .code(2);
    run(&[
        "keys",
        "init",
        "--dir",
        s(&tmp.path().join("x")),
        "--alg",
        "ES256",
        "--bits",
        "2048",
    ])
    .code(2);
    assert!(!tmp.path().join("x").exists());
    // Missing keyring.
    let r = run(&["keys", "list", "--dir", s(&tmp.path().join("nope"))]).code(2);
    assert!(r.stderr.contains("no keyring"), "{}", r.stderr);
    // State errors.
    run(&["keys", "promote", "--dir", d]).code(2);
    run(&["keys", "revoke", "--dir", d, "--kid", &kid]).code(2);
    run(&["keys", "revoke", "--dir", d, "--kid", "unknown"]).code(2);
    run(&["keys", "revoke", "--dir", d]).code(2);
    run(&["keys", "retire", "--dir", d, "--kid", &kid]).code(2);
    run(&["keys", "export-public", "--dir", d, "--kid", "unknown"]).code(2);
    // Export formats.
    let pem = run(&["keys", "export-public", "--dir", d]).ok();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    let jwk: serde_json::Value =
        serde_json::from_str(&run(&["keys", "export-public", "--dir", d, "--format", "jwk"]).ok())
            .unwrap();
    assert_eq!(jwk["kid"], kid.as_str());
    assert!(jwk.get("d").is_none());
    // Human list and plain outputs.
    let human = run(&["keys", "list", "--dir", d]).ok();
    assert!(human.contains("active") && human.contains(&kid));
    let out = run(&["keys", "rotate", "--dir", d]).ok();
    assert!(out.contains("pending"), "{out}");
    let out = run(&["keys", "promote", "--dir", d]).ok();
    assert!(out.contains("now active"), "{out}");
    let out = run(&["keys", "retire", "--dir", d]).ok();
    assert!(out.contains("nothing retired"), "{out}");
    let out = run(&["keys", "prune", "--dir", d]).ok();
    assert!(out.contains("nothing to prune"), "{out}");
    // The grace passes (2 s in this keyring): retire without --force.
    std::thread::sleep(Duration::from_millis(2_500));
    let v = run(&["keys", "retire", "--dir", d, "--json"])
        .code(0)
        .json();
    assert_eq!(v["retired"], serde_json::json!([kid]));
}

#[test]
fn encryption_at_rest_openssl_and_wrong_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("ring");
    let d = s(&c);
    let pass = tmp.path().join("pass");
    fs::write(&pass, "correct horse battery staple\n").unwrap();
    let wrong = tmp.path().join("wrong");
    fs::write(&wrong, "not it\n").unwrap();
    run(&[
        "keys",
        "init",
        "--dir",
        d,
        "--bits",
        "2048",
        "--passphrase-file",
        s(&pass),
    ])
    .ok();
    let list = run(&["keys", "list", "--dir", d, "--json"]).code(0).json();
    assert_eq!(list["keys"][0]["encrypted"], true);
    let file = c.join(list["keys"][0]["file"].as_str().unwrap());
    let text = fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    // openssl reads it with the passphrase (and not without the right one).
    let openssl = |passfile: &Path| {
        std::process::Command::new("openssl")
            .args(["pkey", "-in", s(&file), "-passin"])
            .arg(format!("file:{}", s(passfile)))
            .args(["-pubout"])
            .output()
            .expect("openssl is installed")
    };
    let o = openssl(&pass);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ours = run(&["keys", "export-public", "--dir", d]).ok();
    assert_eq!(String::from_utf8_lossy(&o.stdout), ours);
    assert!(!openssl(&wrong).status.success());

    // Public operations need no passphrase.
    run(&["keys", "jwks", "--dir", d]).code(0);
    // Minting needs it: missing or wrong is a clear configuration error.
    let args = ["mint", "--dir", d, "--iss", "i", "--aud", "a", "--sub", "u"];
    let r = run(&args).code(2);
    assert!(
        r.stderr.contains("wrong_passphrase") && r.stderr.contains("encrypted"),
        "{}",
        r.stderr
    );
    let r = run(&[&args[..], &["--passphrase-file", s(&wrong)]].concat()).code(2);
    assert!(r.stderr.contains("does not open"), "{}", r.stderr);
    assert!(!r.stderr.contains("not it"));
    let r = run_env(&args, &[("CHATSEAL_PASSPHRASE", "not it")]).code(2);
    assert!(r.stderr.contains("wrong_passphrase"), "{}", r.stderr);
    run_env(
        &args,
        &[("CHATSEAL_PASSPHRASE", "correct horse battery staple")],
    )
    .code(0);
    run(&[&args[..], &["--passphrase-file", s(&pass)]].concat()).code(0);
    // Rotation keeps encrypting, with the same passphrase only.
    run(&["keys", "rotate", "--dir", d]).code(2);
    run(&["keys", "rotate", "--dir", d, "--passphrase-file", s(&wrong)]).code(2);
    let v = run(&[
        "keys",
        "rotate",
        "--dir",
        d,
        "--passphrase-file",
        s(&pass),
        "--json",
    ])
    .code(0)
    .json();
    assert_eq!(v["added"]["encrypted"], true);
    // An empty passphrase is refused.
    let empty = tmp.path().join("empty");
    fs::write(&empty, "\n").unwrap();
    run(&[&args[..], &["--passphrase-file", s(&empty)]].concat()).code(2);
}

#[test]
fn import_openssl_keys_and_refuse_sample_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("ring");
    let d = s(&c);
    run(&["keys", "init", "--dir", d, "--bits", "2048"]).ok();
    // `openssl genrsa` PKCS#1, as IBM's key tool makes it.
    let k = tmp.path().join("client.key");
    let o = std::process::Command::new("openssl")
        .args(["genrsa", "-traditional", "-out", s(&k), "2048"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = run(&["keys", "import", "--dir", d, "--pem", s(&k), "--json"])
        .code(0)
        .json();
    assert_eq!(v["imported"]["state"], "pending");
    assert_eq!(v["imported"]["imported"], true);
    assert_eq!(v["imported"]["alg"], "RS256");
    // The same key twice is refused.
    run(&["keys", "import", "--dir", d, "--pem", s(&k)]).code(2);
    run(&["keys", "promote", "--dir", d]).ok();
    // An EC key into an RS256 keyring is detected as ES256 and kept.
    let ec = tmp.path().join("ec.key");
    let o = std::process::Command::new("openssl")
        .args([
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            s(&ec),
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let v = run(&["keys", "import", "--dir", d, "--pem", s(&ec), "--json"])
        .code(0)
        .json();
    assert_eq!(v["imported"]["alg"], "ES256");
    // Wrong use.
    run(&["keys", "import", "--dir", d, "--pem", s(&k), "--use", "enc"]).code(2);
    // Garbage is a rejected key.
    let junk = tmp.path().join("junk");
    fs::write(
        &junk,
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    run(&["keys", "import", "--dir", d, "--pem", s(&junk)]).code(1);

    // Published sample keys: refused with the reason, unless allowed.
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/sample-keys/ibm-wxo-obo-client.key.pem"
    );
    let r = run(&["keys", "import", "--dir", d, "--pem", sample]).code(1);
    assert!(
        r.stderr.contains("sample_key") && r.stderr.contains("IBM"),
        "{}",
        r.stderr
    );
    let v = run(&[
        "keys",
        "import",
        "--dir",
        d,
        "--pem",
        sample,
        "--allow-sample-key",
        "--json",
    ])
    .code(0)
    .json();
    let skid = v["imported"]["kid"].as_str().unwrap().to_owned();
    let r = run(&["keys", "promote", "--dir", d, "--kid", &skid]).code(1);
    assert!(r.stderr.contains("sample key"), "{}", r.stderr);
    run(&[
        "keys",
        "promote",
        "--dir",
        d,
        "--kid",
        &skid,
        "--allow-sample-key",
    ])
    .code(0);
}

#[test]
fn lock_contention_waits_then_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("ring");
    init_sig(&c);
    let held = chatseal_keys::Keyring::lock(&c).unwrap();
    let t = std::time::Instant::now();
    let r = run_env(
        &["keys", "rotate", "--dir", s(&c)],
        &[("CHATSEAL_LOCK_TIMEOUT_MS", "400")],
    )
    .code(2);
    assert!(t.elapsed() >= Duration::from_millis(400));
    assert!(
        r.stderr.contains("another chatseal process"),
        "{}",
        r.stderr
    );
    assert_eq!(
        jwks_kids(&c).len(),
        1,
        "a locked-out writer changed the keyring"
    );
    // A writer that waits gets the lock once it is released.
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        drop(held);
    });
    run_env(
        &["keys", "rotate", "--dir", s(&c)],
        &[("CHATSEAL_LOCK_TIMEOUT_MS", "10000")],
    )
    .code(0);
    releaser.join().unwrap();
    assert_eq!(jwks_kids(&c).len(), 2);
}

#[test]
fn inspect_is_labelled_unverified() {
    let tmp = tempfile::tempdir().unwrap();
    let c = tmp.path().join("c");
    init_sig(&c);
    let token = mint(&c);
    let out = run(&["inspect", &token]).ok();
    assert!(out.starts_with("UNVERIFIED"), "{out}");
    assert!(out.contains("user-42"));
    let r = run_stdin(&["inspect", "--json"], &token).code(0);
    assert_eq!(r.json()["verified"], false);
    assert!(r.json()["warning"].as_str().unwrap().contains("UNVERIFIED"));
    let r = run(&["inspect", "a.b"]).code(1);
    assert!(r.stderr.contains("malformed_token"), "{}", r.stderr);
    run_stdin(&["inspect"], "").code(2);
}

#[test]
fn quickstart_runs_twice_and_redacts() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().join("qs");
    let out = run(&["quickstart", "--dir", s(&d)]).ok();
    for step in [
        "Step 1",
        "Step 2",
        "Step 3",
        "Step 4",
        "created",
        "[redacted]",
    ] {
        assert!(out.contains(step), "missing {step}:\n{out}");
    }
    assert!(!out.contains("demo-idp-access-token"), "sso_token printed");
    assert!(chatseal_keys::Keyring::exists(d.join("client")));
    assert!(chatseal_keys::Keyring::exists(d.join("platform")));
    let again = run(&["quickstart", "--dir", s(&d)]).ok();
    assert!(
        again.contains("reusing") && !again.contains("created"),
        "{again}"
    );
}

#[test]
fn every_command_has_help_with_an_example() {
    let commands: &[&[&str]] = &[
        &[],
        &["keys"],
        &["keys", "init"],
        &["keys", "list"],
        &["keys", "rotate"],
        &["keys", "promote"],
        &["keys", "retire"],
        &["keys", "prune"],
        &["keys", "revoke"],
        &["keys", "import"],
        &["keys", "jwks"],
        &["keys", "export-public"],
        &["mint"],
        &["verify"],
        &["inspect"],
        &["quickstart"],
    ];
    for c in commands {
        let out = run(&[c, &["--help"][..]].concat()).ok();
        assert!(
            out.contains("chatseal ") && (out.contains("Example") || out.contains("Start here")),
            "{c:?} --help has no example:\n{out}"
        );
    }
    run(&["keys", "bogus"]).code(2);
    run(&["--bogus"]).code(2);
}

#[test]
fn rsa_generation_shows_progress_on_a_terminal_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ring");
    // `script` (util-linux, essential on Debian) gives the command a terminal.
    let o = std::process::Command::new("script")
        .args(["-qec"])
        .arg(format!("{BIN} keys init --dir {} --bits 2048", s(&dir)))
        .arg("/dev/null")
        .env_remove("CHATSEAL_PASSPHRASE")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("`script` runs");
    let tty = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{tty}");
    assert!(
        tty.contains("generating an RSA-2048 key...") && tty.contains("done in"),
        "{tty}"
    );
    // Piped: no progress at all.
    let r = run(&[
        "keys",
        "init",
        "--dir",
        s(&tmp.path().join("b")),
        "--bits",
        "2048",
    ])
    .code(0);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}
