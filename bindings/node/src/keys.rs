//! Key types: thin wrappers around chatseal's client and platform keys.

use chatseal::{Jwk, Passphrase, RsaKeySize, SecretString};
use napi::bindgen_prelude::{AsyncTask, Buffer, Either, Unknown};
use napi::{Env, Task};
use napi_derive::napi;

use crate::error::{misuse, Failure, OrThrow};
use crate::json;

/// A PEM handed in as a string or a `Buffer`, held in memory that is wiped
/// when dropped (it may be a private key).
pub(crate) fn pem_text(pem: Either<String, Buffer>) -> SecretString {
    match pem {
        Either::A(s) => SecretString::new(s),
        // Bytes that are not UTF-8 are not a PEM either: the lossy text makes
        // the core parser report it as such.
        Either::B(b) => SecretString::new(String::from_utf8_lossy(&b).into_owned()),
    }
}

/// A JOSE algorithm name as the core parses it (`alg_none`,
/// `hmac_algorithm` and `unsupported_algorithm` refusals included).
pub(crate) fn algorithm(name: &str) -> Result<chatseal::Algorithm, Failure> {
    Ok(name.parse::<chatseal::Algorithm>()?)
}

/// A payload format name: `jwe` or `wxo`.
pub(crate) fn payload_format(name: &str) -> Result<chatseal::PayloadFormat, Failure> {
    Ok(name.parse::<chatseal::PayloadFormat>()?)
}

fn passphrase(p: Option<String>) -> Option<Passphrase> {
    p.map(Passphrase::new)
}

fn rsa_size(bits: Option<u32>) -> Result<RsaKeySize, Failure> {
    Ok(bits
        .map(RsaKeySize::from_bits)
        .transpose()?
        .unwrap_or_default())
}

fn jwk_arg(env: &Env, jwk: Unknown<'_>) -> Result<Jwk, Failure> {
    Ok(Jwk::from_json(&json::json_text_arg(env, jwk, "jwk")?)?)
}

/// Options of `ClientSigningKey.fromPem` and `PlatformDecryptionKey.fromPem`.
#[napi(object)]
#[derive(Default)]
pub struct PemOptions {
    /// Opens an `ENCRYPTED PRIVATE KEY` PEM.
    pub passphrase: Option<String>,
}

/// Options of `ClientSigningKey.generate`.
#[napi(object)]
#[derive(Default)]
pub struct GenerateOptions {
    /// RSA modulus size for RS256 and PS256: 2048, 3072 (the default) or
    /// 4096. Must be left out for ES256 and Ed25519.
    pub rsa_bits: Option<u32>,
}

/// Options of the `privatePem` methods.
#[napi(object)]
#[derive(Default)]
pub struct PrivatePemOptions {
    /// Encrypts the PEM (`ENCRYPTED PRIVATE KEY`, PBES2) with this
    /// passphrase.
    pub passphrase: Option<String>,
}

// ---------------------------------------------------------------------------

/// The host's private signing key (the *client* key pair).
///
/// Generate one, or load it from a PEM file; register its public half
/// (`publicPem()` or `publicJwk()`) with the platform. The `kid` put in every
/// token header is the RFC 7638 thumbprint unless `withKid` set another.
///
/// The private key stays inside Rust (wiped when the object is collected);
/// it leaves only through an explicit `privatePem()` call.
#[napi]
pub struct ClientSigningKey(pub(crate) chatseal::ClientSigningKey);

fn generate_signing(
    alg: &str,
    rsa_bits: Option<u32>,
) -> Result<chatseal::ClientSigningKey, Failure> {
    use chatseal::Algorithm::{PS256, RS256};
    let alg = algorithm(alg)?;
    Ok(match (alg, rsa_bits) {
        (RS256 | PS256, bits) => chatseal::ClientSigningKey::generate_rsa(alg, rsa_size(bits)?)?,
        (_, Some(_)) => {
            return Err(misuse(format!(
                "rsaBits applies to RS256 and PS256 keys, not {alg}"
            )))
        }
        (_, None) => chatseal::ClientSigningKey::generate(alg)?,
    })
}

/// Key generation off the event loop (`ClientSigningKey.generateAsync`).
pub struct GenerateSigningKey {
    alg: String,
    rsa_bits: Option<u32>,
}

impl Task for GenerateSigningKey {
    type Output = Result<chatseal::ClientSigningKey, Failure>;
    type JsValue = ClientSigningKey;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(generate_signing(&self.alg, self.rsa_bits))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<ClientSigningKey> {
        output.map(ClientSigningKey).or_throw(&env)
    }
}

#[napi]
impl ClientSigningKey {
    /// Generates a new key for `algorithm` (`'RS256'`, `'PS256'`, `'ES256'`
    /// or `'Ed25519'`). RSA keys are `options.rsaBits` long (default 3072).
    #[napi(
        factory,
        ts_args_type = "algorithm: Algorithm, options?: GenerateOptions"
    )]
    pub fn generate(
        env: Env,
        algorithm: String,
        options: Option<GenerateOptions>,
    ) -> napi::Result<Self> {
        let bits = options.unwrap_or_default().rsa_bits;
        generate_signing(&algorithm, bits).map(Self).or_throw(&env)
    }

    /// `generate` on a worker thread: RSA generation (seconds for 4096 bits)
    /// does not block the event loop.
    #[napi(
        ts_args_type = "algorithm: Algorithm, options?: GenerateOptions",
        ts_return_type = "Promise<ClientSigningKey>"
    )]
    pub fn generate_async(
        algorithm: String,
        options: Option<GenerateOptions>,
    ) -> AsyncTask<GenerateSigningKey> {
        AsyncTask::new(GenerateSigningKey {
            alg: algorithm,
            rsa_bits: options.unwrap_or_default().rsa_bits,
        })
    }

    /// Loads a private key PEM (string or `Buffer`) for `algorithm`: PKCS#8
    /// `PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, or an
    /// `ENCRYPTED PRIVATE KEY` opened with `options.passphrase`.
    #[napi(
        factory,
        ts_args_type = "pem: string | Buffer, algorithm: Algorithm, options?: PemOptions"
    )]
    pub fn from_pem(
        env: Env,
        pem: Either<String, Buffer>,
        algorithm: String,
        options: Option<PemOptions>,
    ) -> napi::Result<Self> {
        let pem = pem_text(pem);
        let load = || -> Result<_, Failure> {
            let alg = self::algorithm(&algorithm)?;
            Ok(match passphrase(options.unwrap_or_default().passphrase) {
                Some(p) => {
                    chatseal::ClientSigningKey::from_encrypted_pem(pem.expose_secret(), &p, alg)?
                }
                None => chatseal::ClientSigningKey::from_pem(pem.expose_secret(), alg)?,
            })
        };
        load().map(Self).or_throw(&env)
    }

    /// The same key under another key id.
    #[napi]
    pub fn with_kid(&self, env: Env, kid: String) -> napi::Result<ClientSigningKey> {
        self.0.clone().with_kid(kid).map(Self).or_throw(&env)
    }

    /// The key id put in every token's header.
    #[napi(getter)]
    pub fn kid(&self) -> String {
        self.0.kid().to_owned()
    }

    /// The RFC 7638 thumbprint of the public key.
    #[napi(getter)]
    pub fn thumbprint(&self) -> String {
        self.0.thumbprint().to_owned()
    }

    /// The one algorithm this key signs with.
    #[napi(getter, ts_return_type = "Algorithm")]
    pub fn algorithm(&self) -> &'static str {
        self.0.algorithm().as_str()
    }

    /// The public half, as the platform trusts it.
    #[napi]
    pub fn verifying_key(&self) -> ClientVerifyingKey {
        ClientVerifyingKey(self.0.verifying_key().clone())
    }

    /// The public key as an SPKI `PUBLIC KEY` PEM, to register with the
    /// platform.
    #[napi]
    pub fn public_pem(&self, env: Env) -> napi::Result<String> {
        self.0.verifying_key().to_spki_pem().or_throw(&env)
    }

    /// The public key as a JWK with `kid`, `use: 'sig'` and `alg`.
    #[napi(ts_return_type = "JsonWebKey")]
    pub fn public_jwk<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        json::parse(env, &self.0.verifying_key().to_jwk().to_json())
    }

    /// The private key as PKCS#8 PEM; with `options.passphrase`, encrypted.
    /// The only way the private key leaves Rust: write it 0600, never log it.
    #[napi]
    pub fn private_pem(
        &self,
        env: Env,
        options: Option<PrivatePemOptions>,
    ) -> napi::Result<String> {
        let pem = match passphrase(options.unwrap_or_default().passphrase) {
            Some(p) => self.0.to_encrypted_pkcs8_pem(&p),
            None => self.0.to_pkcs8_pem(),
        };
        pem.map(|p| p.expose_secret().to_owned()).or_throw(&env)
    }

    /// `[ClientSigningKey RS256 kid=…]`: never the key.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        format!(
            "[ClientSigningKey {} kid={}]",
            self.0.algorithm(),
            self.0.kid()
        )
    }
}

// ---------------------------------------------------------------------------

/// A host's public key that the platform trusts to verify its tokens.
///
/// A key either states its algorithm and is used with that one only, or
/// states none (a PEM loaded without `algorithm`, a JWK without `alg`) and is
/// used with every algorithm of the verifier's `algorithms` that fits its
/// type (RS256 and PS256 for RSA, ES256 for P-256).
#[napi]
pub struct ClientVerifyingKey(pub(crate) chatseal::ClientVerifyingKey);

#[napi]
impl ClientVerifyingKey {
    /// Loads an SPKI `PUBLIC KEY` PEM (or PKCS#1 `RSA PUBLIC KEY`) for
    /// `algorithm`. Without `algorithm` the key states none, as a PEM a host
    /// uploads does not: the verifier's `algorithms` decide.
    #[napi(factory, ts_args_type = "pem: string | Buffer, algorithm?: Algorithm")]
    pub fn from_pem(
        env: Env,
        pem: Either<String, Buffer>,
        algorithm: Option<String>,
    ) -> napi::Result<Self> {
        let pem = pem_text(pem);
        let load = || -> Result<_, Failure> {
            Ok(match algorithm {
                Some(a) => chatseal::ClientVerifyingKey::from_spki_pem(
                    pem.expose_secret(),
                    self::algorithm(&a)?,
                )?,
                None => {
                    chatseal::ClientVerifyingKey::from_spki_pem_without_alg(pem.expose_secret())?
                }
            })
        };
        load().map(Self).or_throw(&env)
    }

    /// Loads one public JWK (an object or JSON text). Without `algorithm`, a
    /// JWK with `alg` is for that algorithm and one without states none; with
    /// `algorithm`, a JWK whose `alg` differs is refused.
    #[napi(
        factory,
        ts_args_type = "jwk: JsonWebKey | string, algorithm?: Algorithm"
    )]
    pub fn from_jwk(env: Env, jwk: Unknown<'_>, algorithm: Option<String>) -> napi::Result<Self> {
        let load = || -> Result<_, Failure> {
            let jwk = jwk_arg(&env, jwk)?;
            Ok(match algorithm {
                Some(a) => {
                    chatseal::ClientVerifyingKey::from_jwk_with_alg(&jwk, self::algorithm(&a)?)?
                }
                None => chatseal::ClientVerifyingKey::from_jwk(&jwk)?,
            })
        };
        load().map(Self).or_throw(&env)
    }

    /// Every signature key of a JWKS (an object or JSON text). Encryption
    /// keys and unknown key types are skipped; private members, duplicate
    /// `kid`s or a set without a usable key are refused.
    #[napi(ts_args_type = "jwks: JsonWebKeySet | string")]
    pub fn from_jwks(env: Env, jwks: Unknown<'_>) -> napi::Result<Vec<ClientVerifyingKey>> {
        let load = || -> Result<_, Failure> {
            let text = json::json_text_arg(&env, jwks, "jwks")?;
            Ok(chatseal::ClientVerifyingKey::from_jwks(&text)?)
        };
        load()
            .map(|keys| keys.into_iter().map(Self).collect())
            .or_throw(&env)
    }

    /// A JWKS publishing `keys`.
    #[napi(ts_return_type = "JsonWebKeySet")]
    pub fn to_jwks<'env>(
        env: &'env Env,
        keys: Vec<&ClientVerifyingKey>,
    ) -> napi::Result<Unknown<'env>> {
        json::parse(
            env,
            &chatseal::ClientVerifyingKey::to_jwks(keys.iter().map(|k| &k.0)).to_json(),
        )
    }

    /// The same key with `kid` as its declared kid.
    #[napi]
    pub fn with_kid(&self, env: Env, kid: String) -> napi::Result<ClientVerifyingKey> {
        self.0.with_kid(kid).map(Self).or_throw(&env)
    }

    /// The key id written to JWKs: the declared kid, or the thumbprint.
    #[napi(getter)]
    pub fn kid(&self) -> String {
        self.0.kid().to_owned()
    }

    /// The kid the key's owner gave it, or `null` (a PEM, a JWK without
    /// `kid`).
    #[napi(getter)]
    pub fn declared_kid(&self) -> Option<String> {
        self.0.declared_kid().map(str::to_owned)
    }

    /// The RFC 7638 thumbprint.
    #[napi(getter)]
    pub fn thumbprint(&self) -> String {
        self.0.thumbprint().to_owned()
    }

    /// The key's algorithm: the one it states, or its type's default (RS256
    /// for RSA, ES256 for P-256) when it states none.
    #[napi(getter, ts_return_type = "Algorithm")]
    pub fn algorithm(&self) -> &'static str {
        self.0.algorithm().as_str()
    }

    /// The algorithm the key states, or `null`.
    #[napi(getter, ts_return_type = "Algorithm | null")]
    pub fn stated_algorithm(&self) -> Option<&'static str> {
        self.0.stated_algorithm().map(|a| a.as_str())
    }

    /// The key as an SPKI `PUBLIC KEY` PEM.
    #[napi]
    pub fn public_pem(&self, env: Env) -> napi::Result<String> {
        self.0.to_spki_pem().or_throw(&env)
    }

    /// The key as a JWK with `kid`, `use: 'sig'`, and `alg` when it states
    /// one.
    #[napi(ts_return_type = "JsonWebKey")]
    pub fn to_jwk<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        json::parse(env, &self.0.to_jwk().to_json())
    }
}

/// If the public key with this RFC 7638 `thumbprint` is one of the published
/// sample keys (RFCs, IBM's samples, jwt.io, ...), where it was published;
/// such a key's private half is public. `null` for any other key.
#[napi]
pub fn published_sample_key(thumbprint: String) -> Option<String> {
    chatseal::published_sample_key(&thumbprint).map(str::to_owned)
}

// ---------------------------------------------------------------------------

/// The platform's public key (RSA, P-256 or X25519) that hosts encrypt
/// sso_tokens to.
#[napi]
pub struct PlatformEncryptionKey(pub(crate) chatseal::PlatformEncryptionKey);

#[napi]
impl PlatformEncryptionKey {
    /// Loads an SPKI `PUBLIC KEY` PEM (or PKCS#1 `RSA PUBLIC KEY`), a string
    /// or a `Buffer`.
    #[napi(factory, ts_args_type = "pem: string | Buffer")]
    pub fn from_pem(env: Env, pem: Either<String, Buffer>) -> napi::Result<Self> {
        let pem = pem_text(pem);
        chatseal::PlatformEncryptionKey::from_spki_pem(pem.expose_secret())
            .map(Self)
            .or_throw(&env)
    }

    /// Loads a public RSA JWK (an object or JSON text) meant for encryption
    /// (`use: 'enc'`, `alg: 'RSA-OAEP-256'` when present).
    #[napi(factory, ts_args_type = "jwk: JsonWebKey | string")]
    pub fn from_jwk(env: Env, jwk: Unknown<'_>) -> napi::Result<Self> {
        let load = || -> Result<_, Failure> {
            Ok(chatseal::PlatformEncryptionKey::from_jwk(&jwk_arg(
                &env, jwk,
            )?)?)
        };
        load().map(Self).or_throw(&env)
    }

    /// Loads the encryption key of a JWKS (an object or JSON text): the one
    /// with `kid`, or the only encryption key when `kid` is left out.
    #[napi(factory, ts_args_type = "jwks: JsonWebKeySet | string, kid?: string")]
    pub fn from_jwks(env: Env, jwks: Unknown<'_>, kid: Option<String>) -> napi::Result<Self> {
        let load = || -> Result<_, Failure> {
            let text = json::json_text_arg(&env, jwks, "jwks")?;
            Ok(match kid {
                Some(kid) => chatseal::PlatformEncryptionKey::from_jwks_kid(&text, &kid)?,
                None => chatseal::PlatformEncryptionKey::from_jwks(&text)?,
            })
        };
        load().map(Self).or_throw(&env)
    }

    /// The key id put in the JWE header.
    #[napi(getter)]
    pub fn kid(&self) -> String {
        self.0.kid().to_owned()
    }

    /// The RFC 7638 thumbprint: compare it with the platform out of band.
    #[napi(getter)]
    pub fn thumbprint(&self) -> String {
        self.0.thumbprint().to_owned()
    }

    /// The key size in bits (the RSA modulus, or the curve's size).
    #[napi(getter)]
    pub fn bits(&self) -> u32 {
        u32::try_from(self.0.bits()).unwrap_or(u32::MAX)
    }

    /// The curve of an elliptic-curve key (`'P-256'` or `'X25519'`), `null`
    /// for RSA.
    #[napi(getter, ts_return_type = "EcdhCurve | null")]
    pub fn curve(&self) -> Option<&'static str> {
        self.0.curve().map(|c| c.as_str())
    }

    /// The JWE key management algorithm tokens encrypted to this key use
    /// (`'RSA-OAEP-256'`, `'ECDH-ES+A256KW'` or `'ECDH-ES'`).
    #[napi(getter, ts_return_type = "JweAlgorithm")]
    pub fn jwe_algorithm(&self) -> &'static str {
        self.0.jwe_algorithm().as_str()
    }

    /// The key as an SPKI `PUBLIC KEY` PEM.
    #[napi]
    pub fn public_pem(&self, env: Env) -> napi::Result<String> {
        self.0.to_spki_pem().or_throw(&env)
    }

    /// The key as a JWK with `kid`, `use: 'enc'` and `alg: 'RSA-OAEP-256'`.
    #[napi(ts_return_type = "JsonWebKey")]
    pub fn to_jwk<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        json::parse(env, &self.0.to_jwk().to_json())
    }
}

/// The platform's private key (RSA, P-256 or X25519) that decrypts
/// sso_tokens.
///
/// The private key stays inside Rust; it leaves only through an explicit
/// `privatePem()` call.
#[napi]
pub struct PlatformDecryptionKey(pub(crate) chatseal::PlatformDecryptionKey);

/// Key generation off the event loop (`PlatformDecryptionKey.generateAsync`).
pub struct GenerateDecryptionKey {
    bits: Option<u32>,
}

impl Task for GenerateDecryptionKey {
    type Output = Result<chatseal::PlatformDecryptionKey, Failure>;
    type JsValue = PlatformDecryptionKey;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(generate_decryption(self.bits))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<PlatformDecryptionKey> {
        output.map(PlatformDecryptionKey).or_throw(&env)
    }
}

fn generate_decryption(bits: Option<u32>) -> Result<chatseal::PlatformDecryptionKey, Failure> {
    Ok(chatseal::PlatformDecryptionKey::generate(rsa_size(bits)?)?)
}

#[napi]
impl PlatformDecryptionKey {
    /// Generates a new platform key pair of `bits`: 2048, 3072 (the default)
    /// or 4096.
    #[napi(factory)]
    pub fn generate(env: Env, bits: Option<u32>) -> napi::Result<Self> {
        generate_decryption(bits).map(Self).or_throw(&env)
    }

    /// Generates a new elliptic-curve platform key pair on `curve`
    /// (`'P-256'` or `'X25519'`): `user_payload` as an `ECDH-ES+A256KW` JWE,
    /// far cheaper to decrypt than RSA. Not for the `wxo` format.
    #[napi(factory, ts_args_type = "curve: EcdhCurve")]
    pub fn generate_ecdh(env: Env, curve: String) -> napi::Result<Self> {
        let generate = || -> Result<_, Failure> {
            let curve = curve.parse::<chatseal::EcdhCurve>()?;
            Ok(chatseal::PlatformDecryptionKey::generate_ecdh(curve)?)
        };
        generate().map(Self).or_throw(&env)
    }

    /// `generate` on a worker thread.
    #[napi(ts_return_type = "Promise<PlatformDecryptionKey>")]
    pub fn generate_async(bits: Option<u32>) -> AsyncTask<GenerateDecryptionKey> {
        AsyncTask::new(GenerateDecryptionKey { bits })
    }

    /// Loads a private key PEM (string or `Buffer`): PKCS#8 `PRIVATE KEY`
    /// (RSA, P-256 or X25519), PKCS#1 `RSA PRIVATE KEY`, SEC1 `EC PRIVATE
    /// KEY`, or an `ENCRYPTED PRIVATE KEY` opened with `options.passphrase`.
    #[napi(factory, ts_args_type = "pem: string | Buffer, options?: PemOptions")]
    pub fn from_pem(
        env: Env,
        pem: Either<String, Buffer>,
        options: Option<PemOptions>,
    ) -> napi::Result<Self> {
        let pem = pem_text(pem);
        let key = match passphrase(options.unwrap_or_default().passphrase) {
            Some(p) => chatseal::PlatformDecryptionKey::from_encrypted_pem(pem.expose_secret(), &p),
            None => chatseal::PlatformDecryptionKey::from_pem(pem.expose_secret()),
        };
        key.map(Self).or_throw(&env)
    }

    /// The same key under another key id.
    #[napi]
    pub fn with_kid(&self, env: Env, kid: String) -> napi::Result<PlatformDecryptionKey> {
        self.0.clone().with_kid(kid).map(Self).or_throw(&env)
    }

    /// The key id (by default the RFC 7638 thumbprint).
    #[napi(getter)]
    pub fn kid(&self) -> String {
        self.0.kid().to_owned()
    }

    /// The RFC 7638 thumbprint of the public key.
    #[napi(getter)]
    pub fn thumbprint(&self) -> String {
        self.0.thumbprint().to_owned()
    }

    /// The public half, to give to hosts.
    #[napi]
    pub fn encryption_key(&self) -> PlatformEncryptionKey {
        PlatformEncryptionKey(self.0.encryption_key().clone())
    }

    /// The private key as PKCS#8 PEM; with `options.passphrase`, encrypted.
    /// The only way the private key leaves Rust: write it 0600, never log it.
    #[napi]
    pub fn private_pem(
        &self,
        env: Env,
        options: Option<PrivatePemOptions>,
    ) -> napi::Result<String> {
        let pem = match passphrase(options.unwrap_or_default().passphrase) {
            Some(p) => self.0.to_encrypted_pkcs8_pem(&p),
            None => self.0.to_pkcs8_pem(),
        };
        pem.map(|p| p.expose_secret().to_owned()).or_throw(&env)
    }

    /// `[PlatformDecryptionKey kid=…]`: never the key.
    #[napi(js_name = "toString")]
    pub fn to_js_string(&self) -> String {
        format!("[PlatformDecryptionKey kid={}]", self.0.kid())
    }
}
