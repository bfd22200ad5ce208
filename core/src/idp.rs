//! Issuer URLs of the common identity providers, for a tenant's `issuer`.

use crate::error::{Error, ErrorKind, Result};
use crate::jwks::check_url;
use crate::keys::truncate_for_message;

/// An identity provider whose OIDC issuer URL chatseal can build.
///
/// ```
/// use chatseal::IdentityProvider;
///
/// let entra = IdentityProvider::Entra { tenant: "contoso.onmicrosoft.com".into() };
/// assert_eq!(entra.issuer_url()?, "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0");
/// let okta = IdentityProvider::Okta { domain: "dev-123.okta.com".into() };
/// assert_eq!(okta.issuer_url()?, "https://dev-123.okta.com/oauth2/default");
/// assert_eq!(IdentityProvider::Google.issuer_url()?, "https://accounts.google.com");
/// # Ok::<(), chatseal::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityProvider {
    /// Microsoft Entra ID (v2.0 endpoint) for a directory id (GUID) or a
    /// verified domain: `https://login.microsoftonline.com/{tenant}/v2.0`.
    Entra {
        /// The directory (tenant) id or domain.
        tenant: String,
    },
    /// Okta's default authorization server: `https://{domain}/oauth2/default`.
    Okta {
        /// The Okta domain, e.g. `dev-123.okta.com` (no scheme).
        domain: String,
    },
    /// Google: `https://accounts.google.com`.
    Google,
    /// Any other issuer, given as its exact `https://` URL.
    Explicit(String),
}

fn host_like(what: &str, v: &str) -> Result<()> {
    let ok = !v.is_empty()
        && v.len() <= 253
        && !v.starts_with(['.', '-'])
        && !v.ends_with(['.', '-'])
        && v.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidConfig,
            format!(
                "{what} `{}` is not a bare host name or id (letters, digits, `.` and `-`; no \
                 scheme, no path)",
                truncate_for_message(v)
            ),
        ))
    }
}

impl IdentityProvider {
    /// The issuer URL, exactly as the provider writes it into `iss`.
    /// Invalid input (a scheme or path in a domain, a non-HTTPS explicit URL)
    /// is an [`ErrorKind::InvalidConfig`].
    pub fn issuer_url(&self) -> Result<String> {
        match self {
            Self::Entra { tenant } => {
                host_like("Entra tenant", tenant)?;
                Ok(format!("https://login.microsoftonline.com/{tenant}/v2.0"))
            }
            Self::Okta { domain } => {
                host_like("Okta domain", domain)?;
                Ok(format!("https://{domain}/oauth2/default"))
            }
            Self::Google => Ok("https://accounts.google.com".to_owned()),
            Self::Explicit(url) => {
                check_url(url, false, "issuer")?;
                Ok(url.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            (
                IdentityProvider::Entra {
                    tenant: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
                },
                "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
            ),
            (
                IdentityProvider::Okta {
                    domain: "acme.okta.com".into(),
                },
                "https://acme.okta.com/oauth2/default",
            ),
            (IdentityProvider::Google, "https://accounts.google.com"),
            (
                IdentityProvider::Explicit("https://auth.example/realms/x".into()),
                "https://auth.example/realms/x",
            ),
        ];
        for (p, want) in cases {
            assert_eq!(p.issuer_url().unwrap(), want);
        }
    }

    #[test]
    fn bad_inputs() {
        for p in [
            IdentityProvider::Entra { tenant: "".into() },
            IdentityProvider::Entra {
                tenant: "x/../evil".into(),
            },
            IdentityProvider::Okta {
                domain: "https://acme.okta.com".into(),
            },
            IdentityProvider::Okta {
                domain: "acme.okta.com/oauth2".into(),
            },
            IdentityProvider::Explicit("http://auth.example".into()),
            IdentityProvider::Explicit("auth.example".into()),
        ] {
            assert_eq!(p.issuer_url().unwrap_err().kind(), ErrorKind::InvalidConfig);
        }
    }
}
