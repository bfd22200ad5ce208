//! The platform side per tenant: `TenantVerifier` over a tenant document.

use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, ClassInstance, Unknown};
use napi::{Env, ScopedTask};
use napi_derive::napi;

use crate::error::{Failure, OrThrow};
use crate::json;
use crate::keys::PlatformDecryptionKey;
use crate::verifier::SsoToken;

/// Options of `TenantVerifier.fromJson`.
#[napi(object, object_to_js = false)]
pub struct TenantOptions<'env> {
    /// The platform's private keys; a provider's `decryptionKeys` names some
    /// of them by `kid` (keys are never in the document).
    pub decryption_keys: Option<Vec<ClassInstance<'env, PlatformDecryptionKey>>>,
}

/// Options of `tenantVerifier.verify`.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct TenantVerifyOptions {
    /// The chat request's participant id: it must equal the token's user id
    /// exactly (`participant_mismatch` otherwise).
    pub participant: Option<String>,
    /// The request's `Origin` header: checked first against the tenant's
    /// `allowedOrigins` (`origin_not_allowed`). Left out (not a browser
    /// request) or with an empty list, it passes.
    pub origin: Option<String>,
}

/// Who a verified token says the user is, after every check passed.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct VerifiedIdentity<'env> {
    /// The tenant.
    pub tenant_id: String,
    /// The provider (its name in the tenant document) that vouched for the
    /// token.
    pub provider: String,
    /// The user id: the first present claim of the provider's user id claims
    /// (default `sub`, then `oid`).
    pub user_id: String,
    /// The `email` claim, or `null`.
    pub email: Option<String>,
    /// The groups (from `groups` or the provider's `groupsClaim`).
    pub groups: Vec<String>,
    /// Every claim as a flat object: nested objects joined with `.`
    /// (`context.plan`), arrays kept whole, `user_payload` left out.
    #[napi(ts_type = "Record<string, unknown>")]
    pub claims: Unknown<'env>,
    /// The decrypted sso_token, when the token carried one and the provider
    /// has decryption keys; `null` otherwise.
    pub sso_token: Option<SsoToken>,
}

fn identity<'env>(
    env: &'env Env,
    v: chatseal::VerifiedIdentity,
) -> napi::Result<VerifiedIdentity<'env>> {
    let claims = chatseal::serde_json::to_string(v.claims())
        .map_err(|e| napi::Error::from_reason(e.to_string()))?;
    Ok(VerifiedIdentity {
        tenant_id: v.tenant_id().to_owned(),
        provider: v.provider().to_owned(),
        user_id: v.user_id().to_owned(),
        email: v.email().map(str::to_owned),
        groups: v.groups().to_vec(),
        claims: json::parse(env, &claims)?,
        sso_token: v.sso_token().cloned().map(SsoToken),
    })
}

/// Verifies tokens for one tenant against its document: the provider is
/// picked by the token's `iss`, its keys check the signature and times, then
/// the tenant's policy rules (allowed users, email domains, groups, claim
/// rules, participant, origin) decide. Every refusal carries a stable `code`
/// (`email_domain_not_allowed`, `expired`, ...).
#[napi]
pub struct TenantVerifier(Arc<chatseal::TenantVerifier>);

/// Tenant verification off the event loop (`verifyAsync`): a provider with a
/// remote JWKS may fetch keys.
pub struct TenantVerify {
    verifier: Arc<chatseal::TenantVerifier>,
    token: String,
    options: TenantVerifyOptions,
}

/// The request checks of the core's `authenticate`, in its order: the
/// origin, then the token (with the participant).
fn tenant_verify(
    verifier: &chatseal::TenantVerifier,
    token: &str,
    options: &TenantVerifyOptions,
) -> Result<chatseal::VerifiedIdentity, Failure> {
    verifier.check_origin(options.origin.as_deref())?;
    Ok(verifier.verify(token, options.participant.as_deref())?)
}

impl<'task> ScopedTask<'task> for TenantVerify {
    type Output = Result<chatseal::VerifiedIdentity, Failure>;
    type JsValue = VerifiedIdentity<'task>;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(tenant_verify(&self.verifier, &self.token, &self.options))
    }

    fn resolve(
        &mut self,
        env: &'task Env,
        output: Self::Output,
    ) -> napi::Result<VerifiedIdentity<'task>> {
        identity(env, output.or_throw(env)?)
    }
}

#[napi]
impl TenantVerifier {
    /// Parses and validates a tenant document (an object or JSON text) and
    /// builds its verifier. Every problem with the document is an
    /// `invalid_config` error naming the member and the provider.
    #[napi(
        factory,
        ts_args_type = "doc: Record<string, unknown> | string, options?: TenantOptions"
    )]
    pub fn from_json(
        env: Env,
        doc: Unknown<'_>,
        options: Option<TenantOptions<'_>>,
    ) -> napi::Result<Self> {
        let build = || -> Result<_, Failure> {
            let text = json::json_text_arg(&env, doc, "doc")?;
            let config = chatseal::TenantConfig::from_json(&text)?;
            let keys: Vec<chatseal::PlatformDecryptionKey> = options
                .and_then(|o| o.decryption_keys)
                .unwrap_or_default()
                .iter()
                .map(|k| k.0.clone())
                .collect();
            Ok(chatseal::TenantVerifier::new(&config, &keys)?)
        };
        build().map(|v| Self(Arc::new(v))).or_throw(&env)
    }

    /// The tenant id.
    #[napi(getter)]
    pub fn tenant_id(&self) -> String {
        self.0.tenant_id().to_owned()
    }

    /// Verifies a chat request now: `options.origin` (the `Origin` header)
    /// against `allowedOrigins`, then `token`; with `options.participant`,
    /// the token's user id must equal it.
    #[napi]
    pub fn verify<'env>(
        &self,
        env: &'env Env,
        token: String,
        options: Option<TenantVerifyOptions>,
    ) -> napi::Result<VerifiedIdentity<'env>> {
        let options = options.unwrap_or_default();
        identity(env, tenant_verify(&self.0, &token, &options).or_throw(env)?)
    }

    /// `verify` on a worker thread.
    #[napi(ts_return_type = "Promise<VerifiedIdentity>")]
    pub fn verify_async(
        &self,
        token: String,
        options: Option<TenantVerifyOptions>,
    ) -> AsyncTask<TenantVerify> {
        AsyncTask::new(TenantVerify {
            verifier: self.0.clone(),
            token,
            options: options.unwrap_or_default(),
        })
    }
}
