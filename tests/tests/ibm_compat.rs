//! IBM watsonx Orchestrate compatibility (`PayloadFormat::Wxo`).
//!
//! The peer `tests/peers/ibm_create_jwt.js` replays IBM's secure-embed sample
//! `createJWT.js` with its own libraries (npm `node-rsa` + `jsonwebtoken`,
//! defaults untouched). These tests check, both ways:
//! - tokens that sample mints (RS256, `sub`, `context`, no `iss`/`aud`/`kid`,
//!   `user_payload` = node-rsa OAEP-SHA-1 blocks, base64) verify and decrypt
//!   in chatseal, with sso_tokens long enough to need several RSA blocks and
//!   with non-ASCII text;
//! - chatseal's `wxo` tokens verify with `jsonwebtoken` and their
//!   `user_payload` decrypts with `node-rsa`, cut into as many blocks as
//!   node-rsa itself cuts the same plaintext into;
//! - a 4096-bit client key in PKCS#1 `RSA PRIVATE KEY` PEM (what IBM's key
//!   tool, `openssl genrsa 4096`, makes) works on both sides, and so does a
//!   PKCS#1 platform key;
//! - the default verifier (issuer and audience required) refuses IBM's tokens
//!   with `MissingClaim`; a wrong client or platform key is refused with
//!   `InvalidSignature` / `DecryptionFailed`.

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use chatseal::{
    thumbprint_of_spki_pem, Algorithm, ClientSigningKey, ClientVerifyingKey, ErrorKind, Issuer,
    PayloadFormat, PlatformDecryptionKey, RsaKeySize, SsoToken, TokenRequest, Verifier,
};
use chatseal_tests::peers::{self, Peer};
use serde_json::{json, Value};

// --------------------------------------------------------------------------
// Keys
// --------------------------------------------------------------------------

fn chatseal_client_2048() -> &'static ClientSigningKey {
    static KEY: OnceLock<ClientSigningKey> = OnceLock::new();
    KEY.get_or_init(|| {
        ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048).expect("client key")
    })
}

fn chatseal_platform(bits: u32) -> &'static PlatformDecryptionKey {
    static P2048: OnceLock<PlatformDecryptionKey> = OnceLock::new();
    static P4096: OnceLock<PlatformDecryptionKey> = OnceLock::new();
    let (cell, size) = match bits {
        2048 => (&P2048, RsaKeySize::Rsa2048),
        4096 => (&P4096, RsaKeySize::Rsa4096),
        other => panic!("no platform key of {other} bits in these tests"),
    };
    cell.get_or_init(|| PlatformDecryptionKey::generate(size).expect("platform key"))
}

/// An RSA key pair as IBM's key tool makes it: a PKCS#1 `RSA PRIVATE KEY`
/// PEM and an SPKI `PUBLIC KEY` PEM.
struct Pkcs1Pair {
    private_pem: String,
    public_pem: String,
    /// Which tool made it, for messages.
    made_by: &'static str,
}

/// Runs `program args` with `input` on stdin (private keys never go in argv)
/// and returns stdout, or `None` if it cannot run or fails.
fn run(program: &str, args: &[&str], input: &str) -> Option<String> {
    let mut child = Command::new(program)
        .args(args)
        .env_remove("PYTHONPATH")
        .env("PYTHONNOUSERSITE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().ok()?;
    writer.join().ok()?.ok()?;
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).ok())
        .flatten()
}

/// `openssl genrsa -traditional BITS` + `openssl rsa -pubout`: IBM's key
/// tool's own commands (`-traditional` keeps OpenSSL 3 on PKCS#1).
fn openssl_pkcs1(bits: u32) -> Option<Pkcs1Pair> {
    let bits = bits.to_string();
    let private_pem = run("openssl", &["genrsa", "-traditional", &bits], "")?;
    let public_pem = run("openssl", &["rsa", "-pubout"], &private_pem)?;
    Some(Pkcs1Pair {
        private_pem,
        public_pem,
        made_by: "openssl genrsa -traditional",
    })
}

/// The same with Python `cryptography` from the peers' venv
/// (`PrivateFormat.TraditionalOpenSSL` is PKCS#1 for RSA).
fn python_pkcs1(bits: u32) -> Option<Pkcs1Pair> {
    const SCRIPT: &str = r#"
import json, sys
from cryptography.hazmat.primitives import serialization as s
from cryptography.hazmat.primitives.asymmetric import rsa
k = rsa.generate_private_key(public_exponent=65537, key_size=int(sys.argv[1]))
print(json.dumps({
    "private_pem": k.private_bytes(s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL,
                                   s.NoEncryption()).decode(),
    "public_pem": k.public_key().public_bytes(s.Encoding.PEM,
                                              s.PublicFormat.SubjectPublicKeyInfo).decode(),
}))
"#;
    let python = peers::repo_root().join(".peers/venv/bin/python");
    let out = run(python.to_str()?, &["-c", SCRIPT, &bits.to_string()], "")?;
    let v: Value = serde_json::from_str(out.trim()).ok()?;
    Some(Pkcs1Pair {
        private_pem: v["private_pem"].as_str()?.to_owned(),
        public_pem: v["public_pem"].as_str()?.to_owned(),
        made_by: "python cryptography TraditionalOpenSSL",
    })
}

fn pkcs1_pair(bits: u32) -> Pkcs1Pair {
    let pair = openssl_pkcs1(bits)
        .or_else(|| python_pkcs1(bits))
        .expect("neither openssl nor the peers' Python venv generated a PKCS#1 key");
    assert!(
        pair.private_pem
            .starts_with("-----BEGIN RSA PRIVATE KEY-----"),
        "{}: not a PKCS#1 PEM",
        pair.made_by
    );
    assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    pair
}

/// The 4096-bit PKCS#1 client key of IBM's key tool.
fn ibm_tool_client_4096() -> &'static Pkcs1Pair {
    static PAIR: OnceLock<Pkcs1Pair> = OnceLock::new();
    PAIR.get_or_init(|| pkcs1_pair(4096))
}

/// A 2048-bit PKCS#1 platform key.
fn pkcs1_platform_2048() -> &'static Pkcs1Pair {
    static PAIR: OnceLock<Pkcs1Pair> = OnceLock::new();
    PAIR.get_or_init(|| pkcs1_pair(2048))
}

// --------------------------------------------------------------------------
// Helpers
// --------------------------------------------------------------------------

fn call_ok(peer: Peer, request: &Value) -> Value {
    peers::call(peer, request).unwrap_or_else(|e| panic!("{e}"))
}

fn text(value: &Value, field: &str) -> String {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("no string field `{field}` in {value}"))
        .to_owned()
}

/// Bytes encoded by standard padded base64 text (no decoding needed).
fn b64_decoded_len(b64: &str) -> usize {
    let pad = b64.bytes().rev().take_while(|b| *b == b'=').count();
    b64.len() / 4 * 3 - pad
}

/// Bytes of the plaintext `{"sso_token":"…"}` for an sso_token with nothing
/// to escape.
fn payload_len(sso: &str) -> usize {
    json!({ "sso_token": sso }).to_string().len()
}

/// A long sso_token with non-ASCII text: 700+ chars, 1,000+ UTF-8 bytes,
/// five or more OAEP-SHA-1 blocks under a 2048-bit key (214 bytes each).
fn long_sso_token() -> String {
    let token = "eyJhbGciOi.Grüße aus 東京 🎉 ümlaut—ñ ".repeat(22);
    assert!(token.chars().count() >= 600);
    token
}

/// sso_token lengths around node-rsa's block boundaries for a key of `bits`
/// (max plaintext per block = key bytes − 42), plus the long non-ASCII one.
fn sso_tokens(bits: u32) -> Vec<String> {
    let max = usize::try_from(bits / 8 - 42).expect("fits");
    let overhead = payload_len("");
    let mut out = vec![String::new(), "short-sso-token".to_owned()];
    for total in [max, max + 1, 3 * max, 3 * max + 1] {
        out.push("t".repeat(total - overhead));
    }
    out.push(long_sso_token());
    out
}

fn context() -> Value {
    json!({"name": "Zoë Ångström", "email": "zoe@example.com", "role": "Admin", "tier": 2})
}

/// The verifier an IBM-compatible platform runs: no `iss`/`aud` (IBM's tokens
/// have none), RS256, `wxo` payloads.
fn wxo_verifier(
    client: ClientVerifyingKey,
    platforms: impl IntoIterator<Item = PlatformDecryptionKey>,
) -> Verifier {
    Verifier::builder([client])
        .dangerous_skip_issuer_check()
        .dangerous_skip_audience_check()
        .decryption_keys(platforms, PayloadFormat::Wxo)
        // A 3-block payload under RSA-4096 and the long sso_token stay far
        // below the default 16 KiB; no size setting is loosened.
        .build()
        .expect("verifier")
}

fn ibm_mint(client_private_pem: &str, platform_public_pem: &str, sub: &str, sso: &str) -> String {
    text(
        &call_ok(
            Peer::IbmSample,
            &json!({"op": "mint", "client_private_pem": client_private_pem,
                    "platform_public_pem": platform_public_pem, "sub": sub,
                    "sso_token": sso, "context": context()}),
        ),
        "token",
    )
}

fn chatseal_wxo_issuer(client: ClientSigningKey, platform_public_pem: &str) -> Issuer {
    let platform = chatseal::PlatformEncryptionKey::from_spki_pem(platform_public_pem)
        .expect("platform public key");
    Issuer::builder(client)
        .without_issuer()
        .without_audience()
        .platform_key(platform, PayloadFormat::Wxo)
        .build()
        .expect("issuer")
}

// --------------------------------------------------------------------------
// IBM sample → chatseal
// --------------------------------------------------------------------------

/// Checks one IBM-sample token in chatseal.
fn check_ibm_token_in_chatseal(
    what: &str,
    token: &str,
    verifier: &Verifier,
    sso: &str,
    platform_bits: u32,
) {
    let verified = verifier
        .verify(token)
        .unwrap_or_else(|e| panic!("{what}: chatseal refused the IBM sample's token: {e}"));
    assert_eq!(verified.subject(), "ibm-user-1", "{what}");
    assert_eq!(verified.header().alg, Algorithm::RS256, "{what}");
    assert_eq!(
        verified.header().kid,
        None,
        "{what}: IBM's tokens have no kid"
    );
    assert_eq!(
        verified.context().cloned().map(Value::Object),
        Some(context()),
        "{what}"
    );
    assert_eq!(
        verified.sso_token().map(SsoToken::expose_secret),
        Some(sso),
        "{what}"
    );
    let claims = verified.claims();
    assert_eq!(claims.iss, None, "{what}");
    assert!(claims.aud.is_empty(), "{what}");
    assert_eq!(claims.iat.map(|iat| claims.exp - iat), Some(3600), "{what}");

    // node-rsa cut the plaintext into ceil(len / (k - 42)) blocks of k bytes.
    let payload = claims.user_payload().expect("user_payload");
    let k = usize::try_from(platform_bits / 8).expect("fits");
    let blocks = payload_len(sso).div_ceil(k - 42).max(1);
    assert_eq!(b64_decoded_len(payload), blocks * k, "{what}");
}

#[test]
fn ibm_sample_tokens_verify_and_decrypt_in_chatseal() {
    if !peers::require(Peer::IbmSample) {
        return;
    }
    let client = chatseal_client_2048();
    let client_pem = client.to_pkcs8_pem().expect("PKCS#8");
    for bits in [2048, 4096] {
        let platform = chatseal_platform(bits);
        let platform_pub = platform.encryption_key().to_spki_pem().expect("SPKI");
        // The other platform key sits beside it, as during a rotation.
        let other = chatseal_platform(if bits == 2048 { 4096 } else { 2048 });
        let verifier = wxo_verifier(
            client.verifying_key().clone(),
            [other.clone(), platform.clone()],
        );
        for sso in sso_tokens(bits) {
            let what = format!(
                "platform RSA-{bits}, sso_token of {} chars",
                sso.chars().count()
            );
            let token = ibm_mint(
                client_pem.expose_secret(),
                &platform_pub,
                "ibm-user-1",
                &sso,
            );
            check_ibm_token_in_chatseal(&what, &token, &verifier, &sso, bits);
        }
    }
}

/// IBM's key tool makes a 4096-bit PKCS#1 client key; a platform may hand
/// out a PKCS#1 key too. chatseal loads both and reads the sample's tokens.
#[test]
fn ibm_sample_tokens_with_pkcs1_keys_verify_and_decrypt_in_chatseal() {
    if !peers::require(Peer::IbmSample) || !peers::require(Peer::Jwcrypto) {
        return;
    }
    let client = ibm_tool_client_4096();
    let platform_pair = pkcs1_platform_2048();
    let made_by = format!("{} / {}", client.made_by, platform_pair.made_by);

    let platform = PlatformDecryptionKey::from_pem(&platform_pair.private_pem)
        .unwrap_or_else(|e| panic!("{made_by}: PKCS#1 platform key: {e}"));
    assert_eq!(
        platform.thumbprint(),
        thumbprint_of_spki_pem(&platform_pair.public_pem).expect("thumbprint"),
        "{made_by}"
    );
    let trusted = ClientVerifyingKey::from_spki_pem(&client.public_pem, Algorithm::RS256)
        .expect("client public key");
    let verifier = wxo_verifier(trusted, [platform]);
    let sso = long_sso_token();
    let token = ibm_mint(
        &client.private_pem,
        &platform_pair.public_pem,
        "ibm-user-1",
        &sso,
    );
    check_ibm_token_in_chatseal(&made_by, &token, &verifier, &sso, 2048);
}

// --------------------------------------------------------------------------
// chatseal → node-rsa + jsonwebtoken
// --------------------------------------------------------------------------

/// Checks one chatseal `wxo` token with the IBM sample's libraries, and that
/// its `user_payload` has as many blocks as node-rsa makes for the same
/// plaintext.
fn check_chatseal_token_in_ibm(
    what: &str,
    token: &str,
    client_public_pem: &str,
    platform_private_pem: &str,
    reference_payload: &str,
    sso: &str,
) {
    let claims = call_ok(
        Peer::IbmSample,
        &json!({"op": "verify", "client_public_pem": client_public_pem, "token": token}),
    )["claims"]
        .clone();
    assert_eq!(claims["sub"], "wxo-user-1", "{what}");
    assert_eq!(claims["context"], context(), "{what}");
    assert!(claims.get("iss").is_none(), "{what}: no iss in wxo mode");
    assert!(claims.get("aud").is_none(), "{what}: no aud in wxo mode");
    let iat = claims["iat"].as_i64().expect("iat");
    assert_eq!(claims["exp"].as_i64(), Some(iat + 3600), "{what}");

    let payload = text(&claims, "user_payload");
    assert_eq!(
        b64_decoded_len(&payload),
        b64_decoded_len(reference_payload),
        "{what}: chatseal and node-rsa cut the plaintext into different block counts"
    );
    let opened = call_ok(
        Peer::IbmSample,
        &json!({"op": "decrypt_payload", "platform_private_pem": platform_private_pem,
                "user_payload": payload}),
    );
    let plain: Value = serde_json::from_str(&text(&opened, "plaintext")).expect("JSON");
    assert_eq!(plain, json!({ "sso_token": sso }), "{what}");
}

/// The `user_payload` node-rsa makes for `sso` under `platform_public_pem`
/// (through the sample), to compare block counts with.
fn node_rsa_reference(platform_public_pem: &str, sso: &str) -> String {
    let scratch = chatseal_client_2048().to_pkcs8_pem().expect("PKCS#8");
    let token = ibm_mint(scratch.expose_secret(), platform_public_pem, "ref", sso);
    let (_, claims) = chatseal::dangerous::insecure_decode(&token).expect("decode");
    claims["user_payload"]
        .as_str()
        .expect("user_payload")
        .to_owned()
}

#[test]
fn chatseal_wxo_tokens_decrypt_with_node_rsa_and_verify_with_jsonwebtoken() {
    if !peers::require(Peer::IbmSample) {
        return;
    }
    let client = chatseal_client_2048();
    let client_pub = client.verifying_key().to_spki_pem().expect("SPKI");
    for bits in [2048, 4096] {
        let platform = chatseal_platform(bits);
        let platform_pub = platform.encryption_key().to_spki_pem().expect("SPKI");
        let platform_priv = platform.to_pkcs8_pem().expect("PKCS#8");
        let issuer = chatseal_wxo_issuer(client.clone(), &platform_pub);
        for sso in sso_tokens(bits) {
            let what = format!(
                "platform RSA-{bits}, sso_token of {} chars",
                sso.chars().count()
            );
            let token = issuer
                .mint(
                    &TokenRequest::new("wxo-user-1")
                        .context(context())
                        .sso_token(SsoToken::new(sso.clone())),
                )
                .expect("mint");
            let reference = node_rsa_reference(&platform_pub, &sso);
            check_chatseal_token_in_ibm(
                &what,
                &token,
                &client_pub,
                platform_priv.expose_secret(),
                &reference,
                &sso,
            );
        }
    }
}

/// chatseal signs with the 4096-bit PKCS#1 key of IBM's key tool and
/// encrypts to a platform key given as PKCS#1; jsonwebtoken verifies with
/// the tool's own public PEM and node-rsa decrypts with the PKCS#1 private
/// key.
#[test]
fn chatseal_wxo_tokens_with_pkcs1_keys_work_in_ibm_sample() {
    if !peers::require(Peer::IbmSample) || !peers::require(Peer::Jwcrypto) {
        return;
    }
    let client = ibm_tool_client_4096();
    let platform_pair = pkcs1_platform_2048();
    let made_by = format!("{} / {}", client.made_by, platform_pair.made_by);
    let signing = ClientSigningKey::from_pem(&client.private_pem, Algorithm::RS256)
        .unwrap_or_else(|e| panic!("{made_by}: PKCS#1 client key: {e}"));
    assert_eq!(
        signing.thumbprint(),
        thumbprint_of_spki_pem(&client.public_pem).expect("thumbprint"),
        "{made_by}: the PKCS#1 key and `openssl rsa -pubout` disagree"
    );
    // The PKCS#1 platform key also loads as chatseal's decryption key and
    // gives the same public key as the tool's PEM.
    let platform = PlatformDecryptionKey::from_pem(&platform_pair.private_pem).expect("PKCS#1");
    assert_eq!(
        platform
            .encryption_key()
            .to_spki_pem()
            .expect("SPKI")
            .trim(),
        platform_pair.public_pem.trim(),
        "{made_by}"
    );

    let issuer = chatseal_wxo_issuer(signing, &platform_pair.public_pem);
    let sso = long_sso_token();
    let token = issuer
        .mint(
            &TokenRequest::new("wxo-user-1")
                .context(context())
                .sso_token(SsoToken::new(sso.clone())),
        )
        .expect("mint");
    let reference = node_rsa_reference(&platform_pair.public_pem, &sso);
    check_chatseal_token_in_ibm(
        &made_by,
        &token,
        &client.public_pem,
        &platform_pair.private_pem,
        &reference,
        &sso,
    );
}

// --------------------------------------------------------------------------
// Refusals
// --------------------------------------------------------------------------

/// IBM's tokens have no `iss` and no `aud`: a verifier that requires either
/// refuses them with `MissingClaim`. Accepting them takes the two
/// `dangerous_skip_*` calls.
#[test]
fn default_verifier_refuses_ibm_tokens_with_missing_claim() {
    if !peers::require(Peer::IbmSample) {
        return;
    }
    let client = chatseal_client_2048();
    let platform = chatseal_platform(2048);
    let token = ibm_mint(
        client.to_pkcs8_pem().expect("PKCS#8").expose_secret(),
        &platform.encryption_key().to_spki_pem().expect("SPKI"),
        "ibm-user-1",
        "sso",
    );
    let keys = || [client.verifying_key().clone()];
    let decrypt = || [platform.clone()];
    let verifiers = [
        (
            "issuer and audience required (the default)",
            Verifier::builder(keys())
                .issuer("https://host.example")
                .audience("chatseal-platform")
                .decryption_keys(decrypt(), PayloadFormat::Wxo)
                .build(),
        ),
        (
            "audience required",
            Verifier::builder(keys())
                .dangerous_skip_issuer_check()
                .audience("chatseal-platform")
                .decryption_keys(decrypt(), PayloadFormat::Wxo)
                .build(),
        ),
        (
            "issuer required",
            Verifier::builder(keys())
                .issuer("https://host.example")
                .dangerous_skip_audience_check()
                .decryption_keys(decrypt(), PayloadFormat::Wxo)
                .build(),
        ),
    ];
    for (what, verifier) in verifiers {
        let err = verifier.expect("verifier").verify(&token).expect_err(what);
        assert_eq!(err.kind(), ErrorKind::MissingClaim, "{what}: {err}");
    }
    // And the IBM-compatible verifier accepts the very same token.
    let ok = wxo_verifier(client.verifying_key().clone(), [platform.clone()]).verify(&token);
    assert!(ok.is_ok(), "{ok:?}");
}

/// The IBM sample's token under another client key is `InvalidSignature`;
/// its `user_payload` for another platform key is `DecryptionFailed`.
#[test]
fn ibm_tokens_with_wrong_keys_are_refused() {
    if !peers::require(Peer::IbmSample) {
        return;
    }
    let client = chatseal_client_2048();
    let client_pem = client.to_pkcs8_pem().expect("PKCS#8");
    let platform = chatseal_platform(2048);
    let foreign = chatseal_platform(4096);

    // Signed by a key the verifier does not trust.
    let rogue = ClientSigningKey::generate_rsa(Algorithm::RS256, RsaKeySize::Rsa2048).expect("key");
    let token = ibm_mint(
        rogue.to_pkcs8_pem().expect("PKCS#8").expose_secret(),
        &platform.encryption_key().to_spki_pem().expect("SPKI"),
        "ibm-user-1",
        "sso",
    );
    let err = wxo_verifier(client.verifying_key().clone(), [platform.clone()])
        .verify(&token)
        .expect_err("rogue client key");
    assert_eq!(err.kind(), ErrorKind::InvalidSignature, "{err}");

    // Encrypted to a platform key the verifier does not hold, of the same
    // size (so the block length fits) and of another size.
    let same_size = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048).expect("key");
    for (what, other_pub) in [
        (
            "another RSA-2048 platform key",
            same_size.encryption_key().to_spki_pem(),
        ),
        (
            "an RSA-4096 platform key",
            foreign.encryption_key().to_spki_pem(),
        ),
    ] {
        let token = ibm_mint(
            client_pem.expose_secret(),
            &other_pub.expect("SPKI"),
            "ibm-user-1",
            &long_sso_token(),
        );
        let err = wxo_verifier(client.verifying_key().clone(), [platform.clone()])
            .verify(&token)
            .expect_err(what);
        assert_eq!(err.kind(), ErrorKind::DecryptionFailed, "{what}: {err}");
    }

    // node-rsa refuses chatseal's wxo payload under the wrong private key.
    let issuer = chatseal_wxo_issuer(
        client.clone(),
        &platform.encryption_key().to_spki_pem().expect("SPKI"),
    );
    let token = issuer
        .mint(&TokenRequest::new("wxo-user-1").sso_token(SsoToken::new("sso")))
        .expect("mint");
    let (_, claims) = chatseal::dangerous::insecure_decode(&token).expect("decode");
    let wrong = peers::call(
        Peer::IbmSample,
        &json!({"op": "decrypt_payload",
                "platform_private_pem": same_size.to_pkcs8_pem().expect("PKCS#8").expose_secret(),
                "user_payload": claims["user_payload"]}),
    );
    assert!(wrong.is_err(), "node-rsa decrypted under another key");
}

/// An IBM `wxo` payload given to a verifier configured for `jwe` payloads is
/// refused, never silently passed through undecrypted.
#[test]
fn ibm_tokens_are_refused_by_a_jwe_verifier() {
    if !peers::require(Peer::IbmSample) {
        return;
    }
    let client = chatseal_client_2048();
    let platform = chatseal_platform(2048);
    let token = ibm_mint(
        client.to_pkcs8_pem().expect("PKCS#8").expose_secret(),
        &platform.encryption_key().to_spki_pem().expect("SPKI"),
        "ibm-user-1",
        "sso",
    );
    let err = Verifier::builder([client.verifying_key().clone()])
        .dangerous_skip_issuer_check()
        .dangerous_skip_audience_check()
        .decryption_keys([platform.clone()], PayloadFormat::Jwe)
        .build()
        .expect("verifier")
        .verify(&token)
        .expect_err("wxo payload in jwe mode");
    assert_eq!(err.kind(), ErrorKind::MalformedToken, "{err}");
}
