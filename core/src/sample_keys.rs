//! Published sample keys that must never sign or decrypt in production.
//!
//! Each of these key pairs was published, private half included or
//! recoverable, in a vendor sample, a product's shipped defaults, an RFC
//! example or a JWT debugger, and gets copied into real deployments. Keys are
//! compared by RFC 7638 JWK thumbprint (base64url, no padding, of SHA-256 over
//! `{"e":..,"kty":"RSA","n":..}` or `{"crv":"P-256","kty":"EC","x":..,"y":..}`),
//! so a re-encoded copy (PEM, DER, JWK, another `kid`) still matches. The keys
//! themselves, where each was published, and a script that recomputes every
//! thumbprint and checks the key text against signatures published with it are
//! in `tests/fixtures/sample-keys/`.

/// A published sample key: its RFC 7638 thumbprint and where it was published.
pub(crate) struct SampleKey {
    /// RFC 7638 thumbprint (base64url SHA-256, no padding).
    pub(crate) thumbprint: &'static str,
    /// Where the key was published, for the refusal message.
    pub(crate) source: &'static str,
}

/// Every published sample key chatseal knows.
pub(crate) const SAMPLE_KEYS: &[SampleKey] = &[
    SampleKey {
        thumbprint: "QH9-WTQYVkv0_cVWxzRiXwRsXr50YcyzzLBgCW1plDc",
        source: "IBM watsonx Assistant web chat security sample (client key, example-jwtRS256.key)",
    },
    SampleKey {
        thumbprint: "EpAVBeLf_jSLdSvUt6AYF1Ne8ro_MY-dPB0DkUjqW0k",
        source: "IBM watsonx Assistant web chat security sample (IBM public key, ibmPublic.key.pub)",
    },
    SampleKey {
        thumbprint: "wPsRQJqsxLJ3J5QXnrG3_V_mtyYfWEdyld5GacKldmM",
        source: "IBM watsonx Orchestrate on-behalf-of embed chat tutorial (client key)",
    },
    SampleKey {
        thumbprint: "ya7gCRB9zejlq189zW_9lfNMPUi20d4FoZDobtD819w",
        source: "IBM watsonx Orchestrate on-behalf-of embed chat tutorial (IBM public key)",
    },
    SampleKey {
        thumbprint: "Db0dhKG2UYMwVssQYb4_2XxUSyB2gmaXm-nOhX2Hvug",
        source: "OpenMetadata default JWT key (conf/private_key.der, kid Gb389a-9f76-gdjs-a92j-0242bk94356)",
    },
    SampleKey {
        thumbprint: "beePU2BNCt1CjE1wDRR6l8dNGFHvkwS8rcYsxtbxo6w",
        source: "OpenMetadata test key (openmetadata-service private_key_pkcs8.pem)",
    },
    SampleKey {
        thumbprint: "oGDmHqCJ7yzMkWEkrlZVHkvrHIyQwtlDmeq5ForUHeY",
        source: "jwt.io RS256/PS256 sample key",
    },
    SampleKey {
        thumbprint: "19J8y7Zprt2-QKLjF2I5pVk0OELX6cY2AfaAv1LC_w8",
        source: "jwt.io ES256 sample key",
    },
    SampleKey {
        thumbprint: "IsUn6_e04MaShXFIISMp4kG62LWzMIPy_MvSA5pJgX8",
        source: "RFC 7515 Appendix A.2",
    },
    SampleKey {
        thumbprint: "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U",
        source: "RFC 7515 Appendix A.3",
    },
    SampleKey {
        thumbprint: "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s",
        source: "RFC 7517 Appendix A (EC key \"1\")",
    },
    SampleKey {
        thumbprint: "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
        source: "RFC 7517 Appendix A / RFC 7638 section 3.1 (RSA key \"2011-04-29\")",
    },
    SampleKey {
        thumbprint: "DdsFv-2-wgcPoDcyS6OXOWVh00JdbWkkVXDCYdxJ3uM",
        source: "RFC 7517 Appendix B (RSA key \"1b94c\")",
    },
    SampleKey {
        thumbprint: "D8R4-FeTJfzuDUy8bZ0c4hcwpul-Q11gCPs3mw6-R9Q",
        source: "RFC 7517 Appendix C.1 (juliet@capulet.lit)",
    },
    SampleKey {
        thumbprint: "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI",
        source: "RFC 7520 section 3.3 (bilbo.baggins@hobbiton.example RSA)",
    },
    SampleKey {
        thumbprint: "h_jutvC-jg3Nwueq8LmdSybXykVsBwk4_5u5Y9JiS7E",
        source: "RFC 7520 section 5.1 (frodo.baggins@hobbiton.example RSA)",
    },
    SampleKey {
        thumbprint: "Rt-IyDEhXohvTl_ozKQ9YGflXGuDb3uu3QmqN2LoMwM",
        source: "RFC 7520 section 5.2 (samwise.gamgee@hobbiton.example RSA)",
    },
    SampleKey {
        thumbprint: "HsSFalww3yP-dO-lWGYgFcyV5H22oScIFc4V2Y6GOto",
        source: "RFC 7520 section 5.5 (meriadoc.brandybuck@buckland.example P-256)",
    },
];
