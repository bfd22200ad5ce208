//! Writes the seed corpus of every fuzz target into `fuzz/corpus/<target>/`
//! from valid tokens, payloads, keys and documents made with the fixed keys
//! of `fuzz/keys/`, plus a few hostile ones the attack corpus knows about.
//!
//! Run from `fuzz/`: `cargo run --example make_seeds`. The output is checked
//! in; RSA-OAEP and ECDSA are randomized, so a rerun changes the bytes but
//! not what the seeds cover.

use std::fs;
use std::path::Path;

use chatseal::{
    dangerous, ClientVerifyingKey, Issuer, JweAlgorithm, PayloadFormat, SsoToken, TokenRequest,
};
use chatseal_fuzz::{keys, make_keyring, now, trusted, AUD, ISS};
use serde_json::json;

fn b64(data: &[u8]) -> String {
    // base64url without padding, written out so the example needs no crate.
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn write(target: &str, name: &str, data: impl AsRef<[u8]>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(name), data).unwrap();
}

fn main() {
    let k = keys();
    let sso = SsoToken::new("eyJraWQiOiJpZHAifQ.idp-sso-token.c2ln");
    let ctx = json!({"name": "Ada", "email": "ada@acme.example", "groups": ["chat-users"]});

    // --- jws_verify, jwe_decrypt, wxo_decrypt -----------------------------
    let mut n = 0;
    for (signer, format) in [
        (&k.es, PayloadFormat::Jwe),
        (&k.rs, PayloadFormat::Jwe),
        (&k.es, PayloadFormat::Wxo),
        (&k.rs, PayloadFormat::Wxo),
    ] {
        let issuer = Issuer::builder(signer.clone())
            .issuer(ISS)
            .audience(AUD)
            .platform_key(k.platform.encryption_key().clone(), format)
            .build()
            .unwrap();
        for (i, req) in [
            TokenRequest::new("user-42"),
            TokenRequest::new("user-42").context(ctx.clone()),
            TokenRequest::new("user-42")
                .context(ctx.clone())
                .sso_token(sso.clone()),
            TokenRequest::new("user-42")
                .sso_token(SsoToken::new("x".repeat(400)))
                .claim("tenant", json!("acme")),
        ]
        .into_iter()
        .enumerate()
        {
            let token = issuer.mint_at(&req, now()).unwrap();
            // Every seed token passes every check, so the targets start
            // from inputs that reach the code behind the signature.
            chatseal_fuzz::verifier(format)
                .verify_at(&token, now())
                .unwrap();
            n += 1;
            // Only the JWE-format tokens verify in jws_verify (its verifier
            // decrypts jwe); the wxo ones exercise the refusal after the
            // signature.
            write(
                "jws_verify",
                &format!("{}-{}-{i}", signer.algorithm(), format),
                &token,
            );
            let (_, claims) = dangerous::insecure_decode(&token).unwrap();
            if let Some(p) = claims.get("user_payload").and_then(|v| v.as_str()) {
                let target = match format {
                    PayloadFormat::Jwe => "jwe_decrypt",
                    PayloadFormat::Wxo => "wxo_decrypt",
                };
                write(target, &format!("{}-{i}", signer.algorithm()), p);
            }
        }
    }
    // Hostile tokens next to the valid ones.
    let claims =
        b64(format!(r#"{{"iss":"{ISS}","sub":"u","aud":"{AUD}","exp":1800000600}}"#).as_bytes());
    for (name, header) in [
        ("alg-none", r#"{"alg":"none"}"#.to_owned()),
        ("hs256", r#"{"alg":"HS256","kid":"rs-1"}"#.to_owned()),
        (
            "crit",
            r#"{"alg":"ES256","kid":"es-1","crit":["b64"],"b64":false}"#.to_owned(),
        ),
        (
            "jwk",
            format!(
                r#"{{"alg":"ES256","jwk":{}}}"#,
                k.es.verifying_key().to_jwk().to_json()
            ),
        ),
        ("dup-alg", r#"{"alg":"ES256","alg":"none"}"#.to_owned()),
        (
            "cty",
            r#"{"alg":"RS256","kid":"rs-1","cty":"JWT"}"#.to_owned(),
        ),
    ] {
        write(
            "jws_verify",
            &format!("hostile-{name}"),
            format!("{}.{claims}.", b64(header.as_bytes())),
        );
    }
    let jwe_h = b64(br#"{"alg":"RSA-OAEP-256","enc":"A256GCM","zip":"DEF"}"#);
    write(
        "jwe_decrypt",
        "hostile-zip",
        format!("{jwe_h}.AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA"),
    );

    // --- jwe_ecdh_decrypt: both curves, both algorithms, and hostile epks --
    for key in &k.platform_ec {
        let crv = key.encryption_key().curve().unwrap().as_str();
        for alg in [JweAlgorithm::EcdhEsA256kw, JweAlgorithm::EcdhEs] {
            let token = Issuer::builder(k.es.clone())
                .issuer(ISS)
                .audience(AUD)
                .platform_key(
                    key.encryption_key().with_jwe_algorithm(alg).unwrap(),
                    PayloadFormat::Jwe,
                )
                .build()
                .unwrap()
                .mint_at(&TokenRequest::new("user-42").sso_token(sso.clone()), now())
                .unwrap();
            let (_, claims) = dangerous::insecure_decode(&token).unwrap();
            let jwe = claims["user_payload"].as_str().unwrap().to_owned();
            write("jwe_ecdh_decrypt", &format!("{crv}-{alg}"), &jwe);
        }
    }
    for (name, epk) in [
        (
            "off-curve",
            json!({"kty":"EC","crv":"P-256","x":b64(&[1u8;32]),"y":b64(&[2u8;32])}),
        ),
        (
            "x25519-zero",
            json!({"kty":"OKP","crv":"X25519","x":b64(&[0u8;32])}),
        ),
        (
            "private-d",
            json!({"kty":"OKP","crv":"X25519","x":b64(&[9u8;32]),"d":b64(&[1u8;32])}),
        ),
        ("p384", json!({"kty":"EC","crv":"P-384","x":"AA","y":"AA"})),
    ] {
        let h = b64(
            json!({"alg":"ECDH-ES+A256KW","enc":"A256GCM","epk":epk,"apu":"QWxpY2U"})
                .to_string()
                .as_bytes(),
        );
        write(
            "jwe_ecdh_decrypt",
            &format!("hostile-{name}"),
            format!("{h}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA"),
        );
    }

    // --- jwk_parse --------------------------------------------------------
    let sig = trusted();
    write(
        "jwk_parse",
        "es256",
        k.es.verifying_key().to_jwk().to_json(),
    );
    write(
        "jwk_parse",
        "rs256",
        k.rs.verifying_key().to_jwk().to_json(),
    );
    write(
        "jwk_parse",
        "enc",
        k.platform.encryption_key().to_jwk().to_json(),
    );
    write(
        "jwk_parse",
        "jwks-sig",
        ClientVerifyingKey::to_jwks(&sig).to_json(),
    );
    let mut all = ClientVerifyingKey::to_jwks(&sig);
    all.keys.push(k.platform.encryption_key().to_jwk());
    write("jwk_parse", "jwks-mixed", all.to_json());
    let mut private = serde_json::to_value(k.es.verifying_key().to_jwk()).unwrap();
    private["d"] = json!("AQAB");
    write("jwk_parse", "private-member", private.to_string());
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/sample-keys");
    for f in [
        "rfc7517-a-rsa-2011-04-29.jwk.json",
        "rfc7520-meriadoc-p256.jwk.json",
        "rfc7520-peregrin-p384.jwk.json",
    ] {
        if let Ok(text) = fs::read_to_string(fixtures.join(f)) {
            write("jwk_parse", f, text);
        }
    }

    // --- pem_import -------------------------------------------------------
    for (i, pem) in k.pems.iter().enumerate() {
        write("pem_import", &format!("pkcs8-{i}"), pem);
    }
    write(
        "pem_import",
        "spki-es256",
        k.es.verifying_key().to_spki_pem().unwrap(),
    );
    write(
        "pem_import",
        "spki-rs256",
        k.rs.verifying_key().to_spki_pem().unwrap(),
    );
    write(
        "pem_import",
        "spki-enc",
        k.platform.encryption_key().to_spki_pem().unwrap(),
    );
    write(
        "pem_import",
        "der-pkcs8-es256",
        k.es.to_pkcs8_der().unwrap().expose_secret(),
    );
    write(
        "pem_import",
        "der-pkcs8-platform",
        k.platform.to_pkcs8_der().unwrap().expose_secret(),
    );
    write(
        "pem_import",
        "der-spki-es256",
        k.es.verifying_key().to_spki_der().unwrap(),
    );
    write(
        "pem_import",
        "der-spki-rs256",
        k.rs.verifying_key().to_spki_der().unwrap(),
    );
    let enc =
        k.es.to_encrypted_pkcs8_pem(&chatseal::Passphrase::new("fuzz"))
            .unwrap();
    write("pem_import", "encrypted", enc.expose_secret());
    let attacks = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/attacks/keys");
    for f in [
        "rsa1024.pkcs1.key.pem",
        "p384.key.pem",
        "secp256k1.pub.pem",
        "ed25519.key.pem",
    ] {
        if let Ok(text) = fs::read_to_string(attacks.join(f)) {
            write("pem_import", f, text);
        }
    }

    // --- tenant_config ----------------------------------------------------
    let tenant =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/tenant/example-tenant.json");
    if let Ok(text) = fs::read_to_string(tenant) {
        chatseal::TenantConfig::from_json(&text).unwrap();
        write("tenant_config", "example-tenant", text);
    }
    let minimal = json!({"tenantId": "t1", "providers": {"host": {
        "issuer": ISS, "expectedAudience": [AUD], "jwksUri": "https://host.example/jwks.json"
    }}});
    chatseal::TenantConfig::from_json(&minimal.to_string()).unwrap();
    write(
        "tenant_config",
        "minimal",
        json!({"tenantId": "t1", "providers": {"host": {
            "issuer": ISS, "expectedAudience": [AUD], "jwksUri": "https://host.example/jwks.json"
        }}})
        .to_string(),
    );
    write(
        "tenant_config",
        "inline-keys",
        json!({"tenantId": "t2", "allowedProviders": ["host"], "providers": {"host": {
            "issuer": ISS, "expectedAudience": [AUD], "acceptedAlgorithms": ["ES256", "RS256"],
            "jwks": ClientVerifyingKey::to_jwks(&sig),
            "payloadFormat": "wxo",
            "additionalClaims": [{"claim": "tid", "op": "equals", "value": "x"}]
        }}})
        .to_string(),
    );
    for f in ["minimal", "inline-keys"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/tenant_config");
        let text = fs::read_to_string(dir.join(f)).unwrap();
        chatseal::TenantConfig::from_json(&text).unwrap_or_else(|e| panic!("{f}: {e}"));
    }

    // --- keyring_manifest -------------------------------------------------
    let dir = std::env::temp_dir().join(format!("chatseal-seeds-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    make_keyring(&dir);
    write(
        "keyring_manifest",
        "two-keys",
        fs::read(dir.join(chatseal_keys::MANIFEST_FILE)).unwrap(),
    );
    let _ = fs::remove_dir_all(&dir);

    eprintln!("wrote {n} tokens and the other seeds under fuzz/corpus/");
}
