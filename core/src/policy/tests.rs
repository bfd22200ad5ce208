//! Unit tests of the tenant policy.

use super::*;

/// The feature-off build: documents that need fetched keys are refused,
/// inline keys work.
#[cfg(all(test, not(feature = "remote-jwks")))]
mod without_remote_tests {
    use super::*;
    use crate::ClientSigningKey;
    use serde_json::json;

    #[test]
    fn fetched_keys_need_the_feature() {
        for member in [
            json!({"jwksUri": "https://idp.example/keys"}),
            json!({"authority": "https://idp.example"}),
        ] {
            let mut p = json!({"issuer": "https://idp.example", "expectedAudience": "chat"});
            for (k, v) in member.as_object().unwrap() {
                p[k] = v.clone();
            }
            let doc = json!({"tenantId": "t1", "providers": {"corp": p}}).to_string();
            let e = TenantConfig::from_json(&doc).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig);
            assert!(e.message().contains("built without remote-jwks"), "{e}");
        }
        let k = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        let jwks: Value =
            serde_json::from_str(&ClientVerifyingKey::to_jwks([k.verifying_key()]).to_json())
                .unwrap();
        let doc = json!({"tenantId": "t1", "providers": {"corp": {
            "issuer": "https://idp.example", "expectedAudience": "chat",
            "acceptedAlgorithms": ["ES256"], "jwks": jwks}}});
        let c = TenantConfig::from_json(&doc.to_string()).unwrap();
        TenantVerifier::new(&c, &[]).unwrap();
    }
}

#[cfg(all(test, feature = "remote-jwks"))]
mod with_remote {
    use super::*;
    use crate::{ClientSigningKey, Issuer, TokenRequest};
    use serde_json::json;

    fn base(extra: Value) -> String {
        let mut p = json!({
            "issuer": "https://idp.example",
            "expectedAudience": ["chat"],
            "jwksUri": "https://idp.example/keys"
        });
        for (k, v) in extra.as_object().unwrap() {
            p[k] = v.clone();
        }
        json!({"tenantId": "t1", "providers": {"corp": p}}).to_string()
    }

    fn config_err(doc: &str) -> String {
        let e = TenantConfig::from_json(doc).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
        e.message().to_owned()
    }

    #[test]
    fn load_keys_fetches_remote_sets_and_reports_failures() {
        // Nothing listens on port 9: the fetch fails at once.
        let doc = base(json!({"jwksUri": "http://127.0.0.1:9/keys",
            "requireHttpsMetadata": false}));
        let t = TenantVerifier::new(&TenantConfig::from_json(&doc).unwrap(), &[]).unwrap();
        assert_eq!(t.jwks_fetches(), 0);
        assert_eq!(
            t.load_keys().unwrap_err().kind(),
            ErrorKind::JwksUnavailable
        );
        assert!(t.jwks_fetches() >= 1);
        // Inline keys are always loaded.
        let idp = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        let jwks: Value =
            serde_json::from_str(&ClientVerifyingKey::to_jwks([idp.verifying_key()]).to_json())
                .unwrap();
        let doc = json!({"tenantId": "t2", "providers": {"p": {"issuer": "https://i",
            "expectedAudience": "chat", "acceptedAlgorithms": ["ES256"], "jwks": jwks}}});
        let t =
            TenantVerifier::new(&TenantConfig::from_json(&doc.to_string()).unwrap(), &[]).unwrap();
        assert!(!t.has_remote_keys());
        t.load_keys().unwrap();
        assert_eq!(t.jwks_fetches(), 0);
    }

    #[test]
    fn defaults() {
        let c = TenantConfig::from_json(&base(json!({}))).unwrap();
        let p = &c.providers()[0];
        assert_eq!(p.algorithms(), &[Algorithm::RS256]);
        assert_eq!(p.user_id_claims(), &["sub", "oid"]);
        assert!(p.require_https_metadata());
        assert!(c.allowed_providers().is_none());
    }

    #[test]
    fn document_errors_are_clear() {
        let cases: Vec<(String, &str)> = vec![
            (base(json!({"scopee": "x"})), "unknown field `scopee`"),
            (
                json!({"tenantId": "t", "providers": {}}).to_string(),
                "No OIDC providers",
            ),
            (
                json!({"providers": {}}).to_string(),
                "`tenantId` is missing",
            ),
            (
                json!({"tenantId": "t", "providers": {
                    "a": {}, "b": {}, "c": {}, "d": {}, "e": {}, "f": {}}})
                .to_string(),
                "at most 5",
            ),
            (
                json!({"tenantId": "t", "providers": {"p": {"expectedAudience": "a",
                    "jwksUri": "https://x"}}})
                .to_string(),
                "`issuer` is missing",
            ),
            (base(json!({"acceptedAlgorithms": ["HS256"]})), "HMAC"),
            (base(json!({"acceptedAlgorithms": ["none"]})), "none"),
            (
                base(json!({"acceptedAlgorithms": ["RS384"]})),
                "not supported",
            ),
            (base(json!({"acceptedAlgorithms": []})), "empty"),
            (
                base(json!({"requireSignedTokens": false})),
                "requireSignedTokens",
            ),
            (base(json!({"expectedAudience": []})), "expectedAudience"),
            (
                base(json!({"jwksUri": "http://idp.example/keys"})),
                "plain HTTP",
            ),
            (
                base(json!({"additionalClaims": [{"claim": "tid", "op": "like", "value": "x"}]})),
                "op `like`",
            ),
            (
                base(json!({"additionalClaims": [{"claim": "tid", "op": "equals", "value": {}}]})),
                "`value`",
            ),
            (base(json!({"payloadFormat": "xml"})), "payloadFormat"),
            (base(json!({"allowedUsers": ["bob"]})), "not an email"),
            (base(json!({"publicKeyPem": "x"})), "exactly one"),
            (
                base(
                    json!({"providerSpecificSettings": {"userIdClaim": "sub", "userIdClaims": "oid"}}),
                ),
                "not both",
            ),
            (
                base(json!({"providerSpecificSettings": {"userIdClaimz": "sub"}})),
                "unknown field",
            ),
        ];
        for (doc, want) in cases {
            let m = config_err(&doc);
            assert!(m.contains(want), "{want:?} not in {m:?}");
        }
        let m = config_err(
            &json!({"tenantId": "t", "allowedProviders": ["nope"], "providers": {"p": {
                "issuer": "https://i", "expectedAudience": "a", "jwksUri": "https://x"}}})
            .to_string(),
        );
        assert!(m.contains("allowedProviders"), "{m}");
        let e = TenantConfig::from_json_for_tenant(&base(json!({})), "t2").unwrap_err();
        assert!(e.message().contains("tenantId mismatch"));
        // Plain HTTP is fine when the document says so.
        TenantConfig::from_json(&base(json!({
            "jwksUri": "http://127.0.0.1:1/keys", "requireHttpsMetadata": false})))
        .unwrap();
    }

    #[test]
    fn user_id_claim_chain() {
        let c = TenantConfig::from_json(&base(json!({
            "providerSpecificSettings": {"userIdClaims": "email, sub"}})))
        .unwrap();
        assert_eq!(c.providers()[0].user_id_claims(), &["email", "sub"]);
    }

    #[test]
    fn claim_rules_semantics() {
        let claims: Map<String, Value> = serde_json::from_value(json!({
            "tid": "abc", "n": 3, "b": true, "roles": ["a", "B"], "s": "hello world",
            "context": {"plan": "pro"}
        }))
        .unwrap();
        let rule = |claim: &str, op, v: Value| ClaimRule {
            claim: claim.into(),
            op,
            values: match v {
                Value::Array(a) => a,
                v => vec![v],
            },
        };
        use ClaimOp::*;
        let table = [
            (rule("tid", Equals, json!("abc")), true),
            (rule("tid", Equals, json!("ABC")), false),
            (rule("tid", Equals, json!(["x", "abc"])), true),
            (rule("tid", NotEquals, json!(["x", "y"])), true),
            (rule("tid", NotEquals, json!(["abc"])), false),
            (rule("n", Equals, json!(3)), true),
            (rule("n", Equals, json!("3")), false),
            (rule("b", Equals, json!(true)), true),
            (rule("roles", Contains, json!("B")), true),
            (rule("roles", Contains, json!("b")), false),
            (rule("roles", Equals, json!("a")), false),
            (rule("s", Contains, json!("lo wo")), true),
            (rule("s", Contains, json!("LO")), false),
            (rule("missing", NotEquals, json!("x")), false),
            (rule("missing", Equals, json!("x")), false),
            (rule("context.plan", Equals, json!("pro")), true),
        ];
        for (r, want) in table {
            assert_eq!(r.holds(&claims), want, "{}", r.describe());
        }
    }

    #[test]
    fn static_keys_end_to_end() {
        let k = ClientSigningKey::generate(Algorithm::ES256)
            .unwrap()
            .with_kid("k1")
            .unwrap();
        let jwks: Value =
            serde_json::from_str(&ClientVerifyingKey::to_jwks([k.verifying_key()]).to_json())
                .unwrap();
        let doc = base(json!({"acceptedAlgorithms": ["ES256"], "jwks": jwks,
            "jwksUri": null}));
        // `jwksUri: null` counts as unset.
        let c = TenantConfig::from_json(&doc).unwrap();
        let t = TenantVerifier::new(&c, &[]).unwrap();
        let iss = Issuer::builder(k)
            .issuer("https://idp.example")
            .audience("chat")
            .build()
            .unwrap();
        let tok = iss
            .mint(&TokenRequest::new("u1").context(json!({"plan": "pro"})))
            .unwrap();
        let id = t.verify(&tok, Some("u1")).unwrap();
        assert_eq!(id.user_id(), "u1");
        assert_eq!(id.claims()["context.plan"], "pro");
        assert_eq!(
            t.verify(&tok, Some("u2")).unwrap_err().code(),
            rules::PARTICIPANT_MISMATCH
        );
    }
}

/// `verify_request` (origin, then token) and the registry around it, with
/// inline keys so both feature sets run it.
#[cfg(test)]
mod request_tests {
    use super::*;
    use crate::{ClientSigningKey, Issuer, TokenRequest};
    use serde_json::json;

    fn tenant(id: &str, idp: &ClientSigningKey) -> TenantVerifier {
        let jwks: Value =
            serde_json::from_str(&ClientVerifyingKey::to_jwks([idp.verifying_key()]).to_json())
                .unwrap();
        let doc = json!({"tenantId": id, "allowedOrigins": ["https://host.example"],
            "providers": {"p": {"issuer": "https://idp.example", "expectedAudience": "chat",
            "acceptedAlgorithms": ["ES256"], "jwks": jwks}}});
        TenantVerifier::new(&TenantConfig::from_json(&doc.to_string()).unwrap(), &[]).unwrap()
    }

    #[test]
    fn origin_first_then_token_then_participant() {
        let idp = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        let t = tenant("acme", &idp);
        let token = Issuer::builder(idp)
            .issuer("https://idp.example")
            .audience("chat")
            .build()
            .unwrap()
            .mint(&TokenRequest::new("u1"))
            .unwrap();
        let code = |r: Result<VerifiedIdentity>| r.unwrap_err().code().to_owned();
        // A bad origin is refused before the token is looked at.
        let bad = Some("https://evil.example");
        assert_eq!(
            code(t.verify_request("a.b", None, bad)),
            rules::ORIGIN_NOT_ALLOWED
        );
        assert_eq!(
            code(t.verify_request("a.b", None, Some("https://host.example"))),
            "malformed_token"
        );
        assert_eq!(
            code(t.verify_request(&token, Some("u2"), None)),
            rules::PARTICIPANT_MISMATCH
        );
        let who = t
            .verify_request(&token, Some("u1"), Some("https://HOST.example:443"))
            .unwrap();
        assert_eq!(who.user_id(), "u1");

        // The registry: unknown tenants first, then the same checks; an
        // `Arc` is shared, not copied, and a clone shares the verifiers.
        let mut registry = TenantRegistry::new();
        assert_eq!(
            code(registry.verify_request("acme", &token, None, bad)),
            rules::NO_PROVIDERS_CONFIGURED
        );
        let shared = Arc::new(t);
        assert!(registry.insert(shared.clone()).is_none());
        assert!(Arc::ptr_eq(registry.get("acme").unwrap(), &shared));
        assert_eq!(
            code(registry.verify_request("acme", &token, None, bad)),
            rules::ORIGIN_NOT_ALLOWED
        );
        let copy = registry.clone();
        assert!(Arc::ptr_eq(copy.get("acme").unwrap(), &shared));
        let other = ClientSigningKey::generate(Algorithm::ES256).unwrap();
        let previous = registry.insert(tenant("acme", &other)).unwrap();
        assert!(Arc::ptr_eq(&previous, &shared));
        assert_eq!(
            copy.verify_request("acme", &token, Some("u1"), None)
                .unwrap()
                .user_id(),
            "u1"
        );
        // The replacement trusts another key: the token's kid is unknown.
        assert_eq!(
            code(registry.verify_request("acme", &token, Some("u1"), None)),
            "unknown_kid"
        );
    }
}
