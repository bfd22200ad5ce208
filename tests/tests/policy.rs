//! Tenant policy across the crate: the example tenant document, one refusal
//! per stable code (table-driven), API key precedence, sealed configuration.
//!
//! `cargo test -p chatseal-tests --test policy -- --nocapture` prints every
//! refusal as `code: message`.

use std::net::TcpListener;
use std::time::{Duration, SystemTime};

use chatseal::*;
use serde_json::{json, Value};

const TID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
const HOST_ISS: &str = "https://app.acme.example";
const GOOGLE_AUD: &str = "123456789012-chat.apps.googleusercontent.com";

fn entra_iss() -> String {
    IdentityProvider::Entra { tenant: TID.into() }
        .issuer_url()
        .unwrap()
}

fn example_doc() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/tenant/example-tenant.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

struct World {
    entra: ClientSigningKey,
    google: ClientSigningKey,
    host: ClientSigningKey,
    platform: PlatformDecryptionKey,
    doc: Value,
    tenant: TenantVerifier,
}

fn jwks_of(k: &ClientSigningKey) -> Value {
    serde_json::from_str(&ClientVerifyingKey::to_jwks([k.verifying_key()]).to_json()).unwrap()
}

/// The example document with each provider's remote keys replaced by the
/// inline public keys of keys made here.
fn world() -> World {
    let entra = ClientSigningKey::generate(Algorithm::RS256)
        .unwrap()
        .with_kid("entra-1")
        .unwrap();
    let google = ClientSigningKey::generate(Algorithm::RS256)
        .unwrap()
        .with_kid("google-1")
        .unwrap();
    let host = ClientSigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("host-1")
        .unwrap();
    let platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048)
        .unwrap()
        .with_kid("platform-2026-01")
        .unwrap();
    let mut doc = example_doc();
    let p = &mut doc["providers"];
    p["entra"].as_object_mut().unwrap().remove("authority");
    p["entra"]["jwks"] = jwks_of(&entra);
    p["google"].as_object_mut().unwrap().remove("authority");
    p["google"]["jwks"] = jwks_of(&google);
    p["host-app"].as_object_mut().unwrap().remove("jwksUri");
    p["host-app"]["jwks"] = jwks_of(&host);
    let tenant = tenant_of(&doc, &platform);
    World {
        entra,
        google,
        host,
        platform,
        doc,
        tenant,
    }
}

fn tenant_of(doc: &Value, platform: &PlatformDecryptionKey) -> TenantVerifier {
    let config = TenantConfig::from_json_for_tenant(&doc.to_string(), "acme").unwrap();
    TenantVerifier::new(&config, std::slice::from_ref(platform)).unwrap()
}

fn entra_claims() -> Vec<(&'static str, Value)> {
    vec![
        ("oid", json!("oid-ana")),
        ("tid", json!(TID)),
        ("scp", json!("chat.read chat.write")),
        ("roles", json!(["Chat.User"])),
        ("acct", json!(0)),
        ("email", json!("Ana@ACME.example")),
        ("groups", json!(["chat-users", "staff"])),
    ]
}

/// A token of `key` for `iss`/`aud` with `claims`, `changes` applied
/// (`None` removes a claim), minted at `at`.
fn mint(
    key: &ClientSigningKey,
    iss: &str,
    aud: &str,
    claims: Vec<(&'static str, Value)>,
    changes: &[(&'static str, Option<Value>)],
    at: SystemTime,
) -> String {
    let issuer = Issuer::builder(key.clone())
        .issuer(iss)
        .audience(aud)
        .build()
        .unwrap();
    let mut req = TokenRequest::new("sub-ana");
    for (name, value) in claims {
        match changes.iter().find(|(n, _)| *n == name) {
            Some((_, None)) => {}
            Some((_, Some(v))) => req = req.claim(name, v.clone()),
            None => req = req.claim(name, value),
        }
    }
    for (name, value) in changes {
        if let Some(v) = value {
            req = req.claim(*name, v.clone());
        }
    }
    issuer.mint_at(&req, at).unwrap()
}

fn entra_token(w: &World, changes: &[(&'static str, Option<Value>)]) -> String {
    mint(
        &w.entra,
        &entra_iss(),
        "api://acme-chat",
        entra_claims(),
        changes,
        SystemTime::now(),
    )
}

fn google_token(w: &World, changes: &[(&'static str, Option<Value>)]) -> String {
    mint(
        &w.google,
        "https://accounts.google.com",
        GOOGLE_AUD,
        vec![
            ("email", json!("bo@acme.example")),
            ("email_verified", json!(true)),
        ],
        changes,
        SystemTime::now(),
    )
}

fn host_token(w: &World, email: &str) -> String {
    let issuer = Issuer::builder(w.host.clone())
        .issuer(HOST_ISS)
        .audience("chat-platform")
        .platform_key(w.platform.encryption_key().clone(), PayloadFormat::Jwe)
        .build()
        .unwrap();
    issuer
        .mint(
            &TokenRequest::new("host-user-7")
                .claim("email", json!(email))
                .context(json!({"plan": "pro", "seats": 3}))
                .sso_token(SsoToken::new("idp-access-token")),
        )
        .unwrap()
}

#[test]
fn example_document_is_valid_as_shipped() {
    let c = TenantConfig::from_json(&example_doc().to_string()).unwrap();
    assert_eq!(c.tenant_id(), "acme");
    let names: Vec<&str> = c.providers().iter().map(|p| p.name()).collect();
    assert_eq!(names, ["entra", "google", "host-app"]);
    assert_eq!(c.providers()[0].issuer(), entra_iss());
    assert_eq!(
        c.providers()[1].issuer(),
        IdentityProvider::Google.issuer_url().unwrap()
    );
    assert_eq!(c.providers()[0].user_id_claims(), ["oid", "sub"]);
    assert_eq!(c.providers()[0].scopes(), ["chat.read", "chat.write"]);
    assert_eq!(c.providers()[0].claim_rules().len(), 3);
    // The remote providers build without fetching anything.
    let platform = PlatformDecryptionKey::generate(RsaKeySize::Rsa2048)
        .unwrap()
        .with_kid("platform-2026-01")
        .unwrap();
    TenantVerifier::new(&c, &[platform]).unwrap();
    // The decryption key is referenced by kid and must be supplied.
    let e = TenantVerifier::new(&c, &[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(e.message().contains("platform-2026-01"), "{e}");
}

#[test]
fn accepted_tokens_give_the_identity() {
    let w = world();
    let id = w
        .tenant
        .verify(&entra_token(&w, &[]), Some("oid-ana"))
        .unwrap();
    assert_eq!(id.tenant_id(), "acme");
    assert_eq!(id.provider(), "entra");
    assert_eq!(id.user_id(), "oid-ana");
    assert_eq!(id.email(), Some("Ana@ACME.example"));
    assert_eq!(id.groups(), ["chat-users", "staff"]);
    assert_eq!(id.claims()["tid"], TID);
    assert_eq!(id.claims()["sub"], "sub-ana");
    assert!(id.sso_token().is_none());

    // The chain falls back to `sub` when `oid` is absent.
    let id = w
        .tenant
        .verify(&entra_token(&w, &[("oid", None)]), None)
        .unwrap();
    assert_eq!(id.user_id(), "sub-ana");

    // Either required group suffices; `contains` matches any listed role.
    let t = entra_token(
        &w,
        &[
            ("groups", Some(json!("support"))),
            ("roles", Some(json!(["Chat.Admin"]))),
        ],
    );
    w.tenant.verify(&t, None).unwrap();

    let id = w
        .tenant
        .verify(&host_token(&w, "ana@acme.example"), Some("host-user-7"))
        .unwrap();
    assert_eq!(id.provider(), "host-app");
    assert_eq!(id.claims()["context.plan"], "pro");
    assert_eq!(id.claims()["context.seats"], 3);
    assert!(!id.claims().contains_key("user_payload"));
    assert_eq!(
        id.sso_token().map(SsoToken::expose_secret),
        Some("idp-access-token")
    );
    assert!(!format!("{id:?}").contains("idp-access-token"));

    w.tenant.verify(&google_token(&w, &[]), None).unwrap();
    // Some providers send email_verified as a string.
    w.tenant
        .verify(
            &google_token(&w, &[("email_verified", Some(json!("true")))]),
            None,
        )
        .unwrap();
}

/// One row per refusal: the token, the participant, the stable code, and a
/// piece of the message.
#[test]
fn every_refusal_code() {
    let w = world();
    let now = SystemTime::now();
    let es_key = ClientSigningKey::generate(Algorithm::ES256)
        .unwrap()
        .with_kid("entra-1")
        .unwrap();
    let impostor = ClientSigningKey::generate(Algorithm::RS256)
        .unwrap()
        .with_kid("entra-1")
        .unwrap();
    let rotated = ClientSigningKey::generate(Algorithm::RS256)
        .unwrap()
        .with_kid("entra-2")
        .unwrap();
    let iss = entra_iss();
    let aud = "api://acme-chat";
    let ok = entra_token(&w, &[]);

    // A tenant that allows only google and host-app.
    let mut narrow = w.doc.clone();
    narrow["allowedProviders"] = json!(["google", "host-app"]);
    let narrow = tenant_of(&narrow, &w.platform);

    // A tenant whose host-app keys are at an endpoint that is down.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut down = w.doc.clone();
    let h = down["providers"]["host-app"].as_object_mut().unwrap();
    h.remove("jwks");
    h.insert(
        "jwksUri".into(),
        json!(format!("http://127.0.0.1:{port}/jwks.json")),
    );
    h.insert("requireHttpsMetadata".into(), json!(false));
    let down = tenant_of(&down, &w.platform);

    let registry = TenantRegistry::new();

    type Check<'a> = Box<dyn Fn() -> Result<VerifiedIdentity> + 'a>;
    let rows: Vec<(&str, &str, Check)> = vec![
        (
            "no_provider_for_issuer",
            "no provider of tenant `acme` has issuer `https://evil.example`",
            Box::new(|| {
                w.tenant.verify(
                    &mint(
                        &w.entra,
                        "https://evil.example",
                        aud,
                        entra_claims(),
                        &[],
                        now,
                    ),
                    None,
                )
            }),
        ),
        (
            "provider_not_allowed",
            "Provider not allowed for tenant",
            Box::new(|| narrow.verify(&ok, None)),
        ),
        (
            "no_providers_configured",
            "No OIDC providers configured for tenant `globex`",
            Box::new(|| registry.verify("globex", &ok, None)),
        ),
        (
            "algorithm_not_allowed",
            "Signing algorithm not allowed",
            Box::new(|| {
                w.tenant
                    .verify(&mint(&es_key, &iss, aud, entra_claims(), &[], now), None)
            }),
        ),
        (
            "scope_missing",
            "Required scope missing: `chat.write`",
            Box::new(|| {
                w.tenant
                    .verify(&entra_token(&w, &[("scp", Some(json!("chat.read")))]), None)
            }),
        ),
        (
            "invalid_audience",
            "is not among the verifier's audiences",
            Box::new(|| {
                w.tenant.verify(
                    &mint(&w.entra, &iss, "api://other", entra_claims(), &[], now),
                    None,
                )
            }),
        ),
        (
            "claim_rule_failed",
            "additionalClaims[0] `tid equals",
            Box::new(|| {
                w.tenant
                    .verify(&entra_token(&w, &[("tid", Some(json!("other-tid")))]), None)
            }),
        ),
        (
            "claim_rule_failed",
            "additionalClaims[1] `roles contains",
            Box::new(|| {
                w.tenant.verify(
                    &entra_token(&w, &[("roles", Some(json!(["chat.user"])))]),
                    None,
                )
            }),
        ),
        (
            "claim_rule_failed",
            "additionalClaims[2] `acct not_equals [1]`",
            Box::new(|| {
                w.tenant
                    .verify(&entra_token(&w, &[("acct", Some(json!(1)))]), None)
            }),
        ),
        (
            "claim_rule_failed",
            "the token has no such claim",
            Box::new(|| w.tenant.verify(&entra_token(&w, &[("tid", None)]), None)),
        ),
        (
            "user_not_allowed",
            "`eve@acme.example` is not in allowedUsers",
            Box::new(|| w.tenant.verify(&host_token(&w, "eve@acme.example"), None)),
        ),
        (
            "email_domain_not_allowed",
            "`ana@acme.example.evil` is not in allowedEmailDomains",
            Box::new(|| {
                w.tenant.verify(
                    &entra_token(&w, &[("email", Some(json!("ana@acme.example.evil")))]),
                    None,
                )
            }),
        ),
        (
            "email_domain_not_allowed",
            "(none: the token has no `email`)",
            Box::new(|| w.tenant.verify(&entra_token(&w, &[("email", None)]), None)),
        ),
        (
            "required_group_missing",
            "has none of requiredGroups",
            Box::new(|| {
                w.tenant.verify(
                    &entra_token(&w, &[("groups", Some(json!(["Chat-Users"])))]),
                    None,
                )
            }),
        ),
        (
            "email_not_verified",
            "requireEmailVerified",
            Box::new(|| {
                w.tenant.verify(
                    &google_token(&w, &[("email_verified", Some(json!(false)))]),
                    None,
                )
            }),
        ),
        (
            "email_not_verified",
            "requireEmailVerified",
            Box::new(|| {
                w.tenant
                    .verify(&google_token(&w, &[("email_verified", None)]), None)
            }),
        ),
        (
            "participant_mismatch",
            "participant id `oid-bob` is not the token's user id `oid-ana`",
            Box::new(|| w.tenant.verify(&ok, Some("oid-bob"))),
        ),
        (
            "expired",
            "token expired",
            Box::new(|| {
                w.tenant.verify(
                    &mint(
                        &w.entra,
                        &iss,
                        aud,
                        entra_claims(),
                        &[],
                        now - Duration::from_secs(3 * 3600),
                    ),
                    None,
                )
            }),
        ),
        (
            "not_yet_valid",
            "not valid before",
            Box::new(|| {
                w.tenant.verify(
                    &mint(
                        &w.entra,
                        &iss,
                        aud,
                        entra_claims(),
                        &[],
                        now + Duration::from_secs(3600),
                    ),
                    None,
                )
            }),
        ),
        (
            "invalid_signature",
            "signature is invalid",
            Box::new(|| {
                w.tenant
                    .verify(&mint(&impostor, &iss, aud, entra_claims(), &[], now), None)
            }),
        ),
        (
            "unknown_kid",
            "token kid `entra-2` names none",
            Box::new(|| {
                w.tenant
                    .verify(&mint(&rotated, &iss, aud, entra_claims(), &[], now), None)
            }),
        ),
        (
            "jwks_unavailable",
            "provider `host-app`: fetching http://127.0.0.1:",
            Box::new(|| down.verify(&host_token(&w, "ana@acme.example"), None)),
        ),
    ];

    let mut seen = std::collections::BTreeSet::new();
    for (code, fragment, check) in &rows {
        let err = match check() {
            Ok(id) => panic!("{code}: accepted as {id:?}"),
            Err(e) => e,
        };
        println!("{}: {}", err.code(), err);
        assert_eq!(err.code(), *code, "{err}");
        assert!(
            err.message().contains(fragment),
            "{code}: {fragment:?} not in {:?}",
            err.message()
        );
        assert!(!err.message().contains("idp-access-token"));
        if err.code().ends_with("_not_allowed")
            || matches!(err.kind(), ErrorKind::PolicyDenied { .. })
        {
            assert!(err.kind().is_token_rejection());
        }
        seen.insert(*code);
    }
    // Every code the issue names is covered by a row above.
    for code in [
        "no_provider_for_issuer",
        "provider_not_allowed",
        "no_providers_configured",
        "algorithm_not_allowed",
        "scope_missing",
        "invalid_audience",
        "claim_rule_failed",
        "user_not_allowed",
        "email_domain_not_allowed",
        "required_group_missing",
        "email_not_verified",
        "participant_mismatch",
        "expired",
        "not_yet_valid",
        "invalid_signature",
        "unknown_kid",
        "jwks_unavailable",
    ] {
        assert!(seen.contains(code), "no row for {code}");
    }
    // The valid token itself passes, so each row fails for its own reason.
    w.tenant.verify(&ok, Some("oid-ana")).unwrap();
}

#[test]
fn token_from_another_tenant_provider_is_not_accepted_by_key_confusion() {
    // The google key signs a token that claims the entra issuer: the entra
    // provider's keys decide, so the signature check refuses it.
    let w = world();
    let t = mint(
        &w.google.clone().with_kid("entra-1").unwrap(),
        &entra_iss(),
        "api://acme-chat",
        entra_claims(),
        &[],
        SystemTime::now(),
    );
    assert_eq!(
        w.tenant.verify(&t, None).unwrap_err().kind(),
        ErrorKind::InvalidSignature
    );
    // Unsigned and HMAC tokens are refused before any key is used.
    let none = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2FjY291bnRzLmdvb2dsZS5jb20ifQ.";
    assert_eq!(
        w.tenant.verify(none, None).unwrap_err().kind(),
        ErrorKind::AlgorithmNone
    );
}

#[test]
fn two_providers_with_one_issuer_are_told_apart_by_audience() {
    let w = world();
    let mut doc = w.doc.clone();
    let mut second = doc["providers"]["google"].clone();
    second["expectedAudience"] = json!(["other-client-id"]);
    second["allowedEmailDomains"] = json!(["partner.example"]);
    doc["providers"]["google-partner"] = second;
    doc["allowedProviders"] = json!(["entra", "google", "google-partner", "host-app"]);
    let t = tenant_of(&doc, &w.platform);
    let partner = mint(
        &w.google,
        "https://accounts.google.com",
        "other-client-id",
        vec![
            ("email", json!("bo@partner.example")),
            ("email_verified", json!(true)),
        ],
        &[],
        SystemTime::now(),
    );
    assert_eq!(
        t.verify(&partner, None).unwrap().provider(),
        "google-partner"
    );
    assert_eq!(
        t.verify(&google_token(&w, &[]), None).unwrap().provider(),
        "google"
    );
}

#[test]
fn api_key_decides_over_jwt() {
    let w = world();
    let mut slot = ApiKeySlot::empty();
    let key = slot.generate().unwrap();
    let jwt = entra_token(&w, &[]);

    let both = RequestCredentials {
        api_key: Some(key.expose_secret()),
        bearer_token: Some("garbage"),
        participant_id: Some("someone-else"),
        origin: None,
    };
    assert!(matches!(
        authenticate(&both, &slot, &w.tenant).unwrap(),
        Authenticated::ApiKey
    ));

    // A wrong key is refused even with a valid JWT beside it.
    let old = key.expose_secret().to_owned();
    let new = slot.regenerate().unwrap();
    let stale = RequestCredentials {
        api_key: Some(&old),
        bearer_token: Some(&jwt),
        participant_id: None,
        origin: None,
    };
    let e = authenticate(&stale, &slot, &w.tenant).unwrap_err();
    assert_eq!(e.code(), rules::API_KEY_INVALID);
    assert!(!e.message().contains(&old[4..]));

    let jwt_only = RequestCredentials {
        api_key: None,
        bearer_token: Some(&jwt),
        participant_id: Some("oid-ana"),
        origin: None,
    };
    match authenticate(&jwt_only, &slot, &w.tenant).unwrap() {
        Authenticated::User(id) => assert_eq!(id.user_id(), "oid-ana"),
        other => panic!("{other:?}"),
    }
    let e = authenticate(&RequestCredentials::default(), &slot, &w.tenant).unwrap_err();
    assert_eq!(e.code(), rules::NO_CREDENTIALS);

    // Delete: the newest key dies too; only the hash was ever stored.
    let stored = slot.to_stored().unwrap();
    assert!(stored.starts_with("sha256:"));
    assert!(!stored.contains(&new.expose_secret()[4..]));
    slot.delete();
    let e = authenticate(
        &RequestCredentials {
            api_key: Some(new.expose_secret()),
            ..RequestCredentials::default()
        },
        &slot,
        &w.tenant,
    )
    .unwrap_err();
    assert_eq!(e.code(), rules::API_KEY_INVALID);
}

#[test]
fn ed25519_provider_with_an_x25519_platform_key() {
    // acceptedAlgorithms knows Ed25519 (and EdDSA); the provider's JWKS is
    // an OKP key without alg; user_payload is ECDH-ES+A256KW to X25519.
    let host = ClientSigningKey::generate(Algorithm::Ed25519).unwrap();
    let platform = PlatformDecryptionKey::generate_ecdh(EcdhCurve::X25519)
        .unwrap()
        .with_kid("platform-x")
        .unwrap();
    let mut jwk: serde_json::Value =
        serde_json::from_str(&host.verifying_key().to_jwk().to_json()).unwrap();
    jwk.as_object_mut().unwrap().remove("alg");
    assert_eq!(jwk["kty"], "OKP");
    for accepted in ["Ed25519", "EdDSA"] {
        let doc = serde_json::json!({"tenantId": "acme", "providers": {"host": {
            "issuer": "https://host.example", "expectedAudience": "chat",
            "acceptedAlgorithms": [accepted], "jwks": {"keys": [jwk]},
            "decryptionKeys": ["platform-x"]}}});
        let config = TenantConfig::from_json(&doc.to_string()).unwrap();
        assert_eq!(config.providers()[0].algorithms(), &[Algorithm::Ed25519]);
        let tenant = TenantVerifier::new(&config, std::slice::from_ref(&platform)).unwrap();
        let token = Issuer::builder(host.clone())
            .issuer("https://host.example")
            .audience("chat")
            .platform_key(platform.encryption_key().clone(), PayloadFormat::Jwe)
            .build()
            .unwrap()
            .mint(&TokenRequest::new("u1").sso_token(SsoToken::new("obo")))
            .unwrap();
        let who = tenant.verify(&token, Some("u1")).unwrap();
        assert_eq!(who.sso_token().unwrap().expose_secret(), "obo");
    }
}

#[test]
fn allowed_origins_and_anonymous_security() {
    let idp = ClientSigningKey::generate(Algorithm::ES256).unwrap();
    let jwks: serde_json::Value =
        serde_json::from_str(&ClientVerifyingKey::to_jwks([idp.verifying_key()]).to_json())
            .unwrap();
    let doc = |extra: serde_json::Value| {
        let mut d = serde_json::json!({"tenantId": "acme", "providers": {"p": {
            "issuer": "https://idp", "expectedAudience": "chat",
            "acceptedAlgorithms": ["ES256"], "jwks": jwks}}});
        for (k, v) in extra.as_object().unwrap() {
            d[k] = v.clone();
        }
        TenantConfig::from_json(&d.to_string())
    };
    // Defaults: every origin (with a warning), security on.
    let open = doc(serde_json::json!({})).unwrap();
    assert!(open.allowed_origins().is_empty());
    assert_eq!(open.security(), SecurityMode::On);
    assert!(open.warnings().iter().any(|w| w.contains("allowedOrigins")));
    // Normalised at load; bad entries are configuration errors.
    let c = doc(
        serde_json::json!({"allowedOrigins": ["HTTPS://Host.Example:443/"],
                                   "security": "anonymous"}),
    )
    .unwrap();
    assert_eq!(c.allowed_origins(), ["https://host.example"]);
    assert_eq!(c.security(), SecurityMode::Anonymous);
    for bad in [
        serde_json::json!({"allowedOrigins": ["https://host.example/*"]}),
        serde_json::json!({"allowedOrigins": ["*"]}),
        serde_json::json!({"security": "off"}),
    ] {
        assert_eq!(doc(bad).unwrap_err().kind(), ErrorKind::InvalidConfig);
    }
    let tenant = TenantVerifier::new(&c, &[]).unwrap();
    let slot = ApiKeySlot::empty();
    let token = Issuer::builder(idp.clone())
        .issuer("https://idp")
        .audience("chat")
        .build()
        .unwrap()
        .mint(&TokenRequest::new("u1"))
        .unwrap();
    let creds = |token: Option<&'static str>, origin: Option<&'static str>| RequestCredentials {
        api_key: None,
        bearer_token: token,
        participant_id: None,
        origin,
    };
    let token: &'static str = Box::leak(token.into_boxed_str());
    // The origin is checked on every request, before any credential.
    for origin in [
        "https://host.example.evil.test",
        "http://host.example",
        "null",
    ] {
        let e = authenticate(&creds(Some(token), Some(origin)), &slot, &tenant).unwrap_err();
        assert_eq!(e.code(), rules::ORIGIN_NOT_ALLOWED, "{origin}");
        let e = authenticate(&creds(None, Some(origin)), &slot, &tenant).unwrap_err();
        assert_eq!(e.code(), rules::ORIGIN_NOT_ALLOWED, "{origin}");
    }
    assert!(matches!(
        authenticate(
            &creds(Some(token), Some("https://HOST.example")),
            &slot,
            &tenant
        )
        .unwrap(),
        Authenticated::User(_)
    ));
    // Anonymous: no credentials pass; a bad credential is still refused.
    assert!(matches!(
        authenticate(&creds(None, Some("https://host.example")), &slot, &tenant).unwrap(),
        Authenticated::Anonymous
    ));
    assert!(authenticate(&creds(Some("a.b.c"), None), &slot, &tenant).is_err());
    // With security on, no credentials is refused.
    let strict = TenantVerifier::new(&open, &[]).unwrap();
    let e = authenticate(
        &creds(None, Some("https://anywhere.example")),
        &slot,
        &strict,
    )
    .unwrap_err();
    assert_eq!(e.code(), rules::NO_CREDENTIALS);
}

#[test]
fn sealed_example_round_trips_and_refuses_changed_keys() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/tenant/example-tenant.json"
    ))
    .unwrap();
    let keys = ConfigKeys::new(
        SecretString::new("base-secret-0123456789abcdef"),
        SecretString::new("tenant-oidc-secret-0123456789"),
    )
    .unwrap();
    let sealed = seal_config(&text, &keys).unwrap();
    assert!(!sealed.contains("acme"));
    let opened = unseal_config(&sealed, &keys).unwrap();
    assert_eq!(opened, text);
    TenantConfig::from_json_for_tenant(&opened, "acme").unwrap();
    let c = TenantConfig::from_sealed(&sealed, &keys, "acme").unwrap();
    assert_eq!(c.providers().len(), 3);
    let e = TenantConfig::from_sealed(&sealed, &keys, "globex").unwrap_err();
    assert!(e.message().contains("tenantId mismatch"), "{e}");

    let changed = ConfigKeys::new(
        SecretString::new("base-secret-0123456789abcdef"),
        SecretString::new("tenant-oidc-secret-rotated!!"),
    )
    .unwrap();
    let e = unseal_config(&sealed, &changed).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConfigKeysChanged);
    assert_eq!(
        e.to_string(),
        "the encryption keys may have changed; re-save the configuration"
    );
}
