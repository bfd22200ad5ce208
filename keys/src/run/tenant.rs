//! `chatseal tenant …` and `chatseal verify --tenant-config`.

use super::*;

// ---------------------------------------------------------------- tenants

/// Environment variable of the base secret of sealed tenant documents.
const BASE_SECRET_ENV: &str = "EncryptionKeys__BaseSecret";
/// Environment variable of the per-purpose secret of sealed tenant documents.
const PURPOSE_SECRET_ENV: &str = "EncryptionKeys__UniqueSecrets__TenantOidcSecretKey";

/// The secrets of sealed documents: from the two files, else the environment.
/// A missing or too short secret is a configuration error (exit 2).
pub(super) fn config_keys(arg: &SealKeysArg) -> CliResult<ConfigKeys> {
    let keys = match (&arg.base_secret_file, &arg.purpose_secret_file) {
        (Some(b), Some(p)) => ConfigKeys::from_files(b, p),
        _ => ConfigKeys::from_env(BASE_SECRET_ENV, PURPOSE_SECRET_ENV),
    };
    keys.map_err(|e| {
        usage(format!(
            "{}: {} (the secrets of sealed tenant documents come from {BASE_SECRET_ENV} and \
             {PURPOSE_SECRET_ENV}, or --base-secret-file and --purpose-secret-file)",
            e.code(),
            e.message()
        ))
    })
}

pub(super) fn is_sealed(text: &str) -> bool {
    text.trim_start().starts_with(SEALED_PREFIX)
}

/// A tenant document from `path`, plain or sealed; returns it and whether it
/// was sealed.
pub(super) fn load_tenant(path: &Path, secrets: &SealKeysArg) -> CliResult<(TenantConfig, bool)> {
    let text = read_file(path, "the tenant document")?;
    if is_sealed(&text) {
        let plain = unseal_config(&text, &config_keys(secrets)?)?;
        Ok((TenantConfig::from_json(&plain)?, true))
    } else {
        if secrets.base_secret_file.is_some() {
            return Err(usage(format!(
                "--base-secret-file and --purpose-secret-file have no effect: `{}` is not \
                 sealed",
                path.display()
            )));
        }
        Ok((TenantConfig::from_json(&text)?, false))
    }
}

pub(super) fn verify_tenant(a: VerifyArgs) -> CliResult {
    let Some(path) = &a.tenant_config else {
        return Err(usage("give --tenant-config FILE"));
    };
    check_decrypt_flags(&a)?;
    let (config, _) = load_tenant(path, &a.secrets)?;
    let pass = passphrase(&a.pass)?;
    let decryption = load_decryption_keys(
        a.decrypt_key.as_deref(),
        a.decrypt_dir.as_deref(),
        pass.as_ref(),
    )?;
    let token = read_token(a.token)?;
    let tenant = TenantVerifier::new(&config, &decryption)?;
    let who = tenant
        .verify(&token, a.participant.as_deref())
        .map_err(|e| {
            // A key set that cannot be fetched is the operator's problem
            // (exit 2), not the token's.
            if e.kind().is_token_rejection() && e.kind() != ErrorKind::JwksUnavailable {
                CliError::TokenRejected(e)
            } else {
                CliError::Core(e)
            }
        })?;
    let sso_shown = who.sso_token().map(|t| {
        if a.show_secrets {
            t.expose_secret().to_owned()
        } else {
            "[redacted]".to_owned()
        }
    });
    if a.json {
        return emit_json(&json!({
            "valid": true,
            "tenant": who.tenant_id(),
            "provider": who.provider(),
            "user_id": who.user_id(),
            "participant_checked": a.participant.is_some(),
            "email": who.email(),
            "groups": who.groups(),
            "claims": who.claims(),
            "sso_token_present": who.sso_token().is_some(),
            "sso_token": sso_shown,
        }));
    }
    let mut out = format!(
        "token OK for tenant {}: provider `{}` signed it and every rule of the tenant passed\n  \
         user id: {}{}\n  email:   {}\n  groups:  {}\nclaims:\n{}\n",
        who.tenant_id(),
        who.provider(),
        who.user_id(),
        if a.participant.is_some() {
            " (matches --participant)"
        } else {
            ""
        },
        who.email().unwrap_or("(none)"),
        if who.groups().is_empty() {
            "(none)".to_owned()
        } else {
            who.groups().join(", ")
        },
        serde_json::to_string_pretty(who.claims()).unwrap_or_default()
    );
    match (&sso_shown, who.sso_token()) {
        (Some(s), Some(t)) if !a.show_secrets => out.push_str(&format!(
            "sso_token: {s} ({} bytes; --show-secrets prints it)\n",
            t.len()
        )),
        (Some(s), _) => out.push_str(&format!("sso_token: {s}\n")),
        (None, _) => out.push_str("sso_token: (none)\n"),
    }
    emit(&out)
}

pub(super) fn tenant_check(a: TenantCheckArgs) -> CliResult {
    let (config, sealed) = load_tenant(&a.input, &a.secrets)?;
    let allowed = |name: &str| {
        config
            .allowed_providers()
            .is_none_or(|set| set.contains(name))
    };
    let providers: Vec<Value> = config
        .providers()
        .iter()
        .map(|p| {
            json!({
                "name": p.name(),
                "allowed": allowed(p.name()),
                "issuer": p.issuer(),
                "audiences": p.audiences(),
                "algorithms": p.algorithms().iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                "scopes": p.scopes(),
                "claim_rules": p.claim_rules().len(),
                "user_id_claims": p.user_id_claims(),
                "require_https_metadata": p.require_https_metadata(),
            })
        })
        .collect();
    let warnings = config.warnings();
    if a.json {
        return emit_json(&json!({
            "valid": true,
            "sealed": sealed,
            "tenant": config.tenant_id(),
            "allowed_providers": config.allowed_providers(),
            "allowed_origins": config.allowed_origins(),
            "security": config.security().as_str(),
            "warnings": warnings,
            "providers": providers,
        }));
    }
    for w in &warnings {
        eprintln!("chatseal: warning: {w}");
    }
    let mut out = format!(
        "tenant document OK: tenant {} ({}), {} provider(s), security {}, origins {}\n",
        config.tenant_id(),
        if sealed { "sealed" } else { "plain JSON" },
        config.providers().len(),
        config.security().as_str(),
        if config.allowed_origins().is_empty() {
            "(any)".to_owned()
        } else {
            config.allowed_origins().join(", ")
        }
    );
    for p in config.providers() {
        out.push_str(&format!(
            "  {}{}\n    issuer:     {}\n    audiences:  {}\n    algorithms: {}\n",
            p.name(),
            if allowed(p.name()) {
                ""
            } else {
                "  (NOT in allowedProviders: its tokens are refused)"
            },
            p.issuer(),
            p.audiences().join(", "),
            p.algorithms()
                .iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ));
        if !p.scopes().is_empty() {
            out.push_str(&format!("    scopes:     {}\n", p.scopes().join(" ")));
        }
        if !p.claim_rules().is_empty() {
            out.push_str(&format!(
                "    rules:      {} additionalClaims\n",
                p.claim_rules().len()
            ));
        }
        out.push_str(&format!(
            "    user id:    first of {}\n",
            p.user_id_claims().join(", ")
        ));
    }
    emit(&out)
}

pub(super) fn tenant_seal(a: TenantSealArgs) -> CliResult {
    let text = read_file(&a.input, "the tenant document")?;
    if is_sealed(&text) {
        return Err(usage(format!(
            "`{}` is already sealed; `chatseal tenant unseal` opens it",
            a.input.display()
        )));
    }
    let config = TenantConfig::from_json(&text)?;
    let keys = config_keys(&a.secrets)?;
    let mut sealed = seal_config(&text, &keys)?;
    sealed.push('\n');
    match &a.out {
        Some(out) => {
            chatseal_keys::write_public_file(out, &sealed)?;
            eprintln!(
                "sealed tenant {} ({} provider(s)) to {}",
                config.tenant_id(),
                config.providers().len(),
                out.display()
            );
            Ok(())
        }
        None => emit(&sealed),
    }
}

pub(super) fn tenant_unseal(a: TenantUnsealArgs) -> CliResult {
    let text = read_file(&a.input, "the sealed tenant document")?;
    let keys = config_keys(&a.secrets)?;
    let plain = unseal_config(&text, &keys)?;
    match &a.out {
        Some(out) => {
            chatseal_keys::write_private_file(out, &plain)?;
            eprintln!("wrote the plain tenant document to {}", out.display());
            Ok(())
        }
        None => emit(&plain),
    }
}

pub(super) fn issuer_url(a: IssuerUrlArgs) -> CliResult {
    let idp = match (a.provider, a.tenant, a.domain) {
        (ProviderArg::Entra, Some(tenant), None) => IdentityProvider::Entra { tenant },
        (ProviderArg::Entra, _, _) => {
            return Err(usage(
                "--provider entra needs --tenant ID_OR_DOMAIN (not --domain)",
            ))
        }
        (ProviderArg::Okta, None, Some(domain)) => IdentityProvider::Okta { domain },
        (ProviderArg::Okta, _, _) => {
            return Err(usage(
                "--provider okta needs --domain DOMAIN (not --tenant)",
            ))
        }
        (ProviderArg::Google, None, None) => IdentityProvider::Google,
        (ProviderArg::Google, _, _) => {
            return Err(usage(
                "--provider google takes neither --tenant nor --domain",
            ))
        }
    };
    emit(&format!("{}\n", idp.issuer_url()?))
}

/// A tenant document from `path`, plain or sealed (the secrets of a sealed
/// one from the environment), for the services.
#[cfg(feature = "services")]
pub(crate) fn load_tenant_document(path: &Path) -> CliResult<(TenantConfig, bool)> {
    load_tenant(
        path,
        &SealKeysArg {
            base_secret_file: None,
            purpose_secret_file: None,
        },
    )
}
