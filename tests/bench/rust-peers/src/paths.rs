//! The key paths of issue 13 side by side: the whole widget-token job (mint
//! with an encrypted sso_token; verify + decrypt) on each pair of client and
//! platform keys a deployment can choose, and the same cryptography done bare
//! with aws-lc-rs.
//!
//! | path      | signature | user_payload JWE                         |
//! |-----------|-----------|------------------------------------------|
//! | `rsa2048` | RS256     | RSA-OAEP-256 + A256GCM, RSA-2048 platform key |
//! | `rsa3072` | RS256     | the same, 3072-bit client and platform keys |
//! | `rsa4096` | RS256     | the same, 4096-bit keys                  |
//! | `p256`    | ES256     | ECDH-ES+A256KW + A256GCM on P-256        |
//! | `x25519`  | Ed25519   | ECDH-ES+A256KW + A256GCM on X25519       |
//!
//! The sso_token is 1,536 characters (an Entra access token's size), so the
//! token carries a ~2 KB JWE and the signing input is ~2.9 KB.
//!
//! Figures (`RESULT <impl> <op>/<path> ...`):
//! - `chatseal mint-jwe/<path>`: `Issuer::mint` of the typical widget token
//!   with the sso_token; `chatseal verify-decrypt/<path>`: `Verifier::verify`
//!   of the fixture's token for the path, and reading the sso_token.
//! - `aws-lc-rs verify-decrypt/<path>`: the *primitives* of verify + decrypt,
//!   the "ideal": one signature verification of the fixture token's
//!   real signing input and signature, plus one RSA-OAEP decryption of its
//!   real encrypted key (RSA paths) or one ECDH agreement with its real `epk`
//!   (EC paths).
//! - `aws-lc-rs verify-decrypt-full/<path>`: the same plus every other
//!   cryptographic step of the JWE: Concat KDF (SHA-256) and AES-256 key
//!   unwrap (EC paths), AES-256-GCM open of the real ciphertext. What is left
//!   between this and chatseal is JSON, base64 and claim checks.
//! - `aws-lc-rs mint-jwe/<path>`: one signature of a signing input of the
//!   real size, plus one RSA-OAEP encryption of a 32-byte key (RSA) or one
//!   ephemeral key generation (with its public key) and one agreement (EC);
//!   `mint-jwe-full/<path>` adds the random content key and IV, Concat KDF
//!   and key wrap (EC), and AES-256-GCM seal of the plaintext.
//!
//! Every bare loop works on the real token: the full decrypt recovers the
//! sso_token before timing, so the ideal is known to do the whole job.

use std::hint::black_box;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::agreement::{self, EphemeralPrivateKey, PrivateKey, UnparsedPublicKey};
use aws_lc_rs::digest::{digest, SHA256};
use aws_lc_rs::key_wrap::{AesKek, KeyWrap as _, AES_256};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
    OAEP_SHA256_MGF1SHA256,
};
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, ParsedPublicKey, RsaKeyPair,
};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use chatseal::serde_json::{json, Map, Value};
use chatseal::{
    Algorithm, ClientSigningKey, ClientVerifyingKey, EcdhCurve, Issuer, PayloadFormat,
    PlatformDecryptionKey, PlatformEncryptionKey, RsaKeySize, SsoToken, TokenRequest, Verifier,
};

use std::time::{Duration, Instant};

use crate::{context, err, report, sample, Rate, Res, AUD, ISS, SUB};

/// The platform key family of a path.
#[derive(Clone, Copy)]
enum Family {
    Rsa(RsaKeySize),
    P256,
    X25519,
}

/// (name, client signing algorithm, platform key family), in table order.
const PATHS: [(&str, Algorithm, Family); 5] = [
    (
        "rsa2048",
        Algorithm::RS256,
        Family::Rsa(RsaKeySize::Rsa2048),
    ),
    (
        "rsa3072",
        Algorithm::RS256,
        Family::Rsa(RsaKeySize::Rsa3072),
    ),
    (
        "rsa4096",
        Algorithm::RS256,
        Family::Rsa(RsaKeySize::Rsa4096),
    ),
    ("p256", Algorithm::ES256, Family::P256),
    ("x25519", Algorithm::Ed25519, Family::X25519),
];

/// Length of the sso_token of the paths (characters).
const SSO_LEN: usize = 1536;

/// One path's keys and token, as the fixture holds them.
pub(crate) struct PathKeys {
    pub(crate) name: String,
    alg: Algorithm,
    client_private_pem: String,
    client_public_pem: String,
    platform_private_pem: String,
    platform_public_pem: String,
    token_jwe: String,
}

/// The fixture's `paths` object and `path_sso_token`: fresh keys of every
/// path and one token per path minted by chatseal.
pub(crate) fn generate() -> Res<(String, Value)> {
    let mut raw = vec![0u8; SSO_LEN / 4 * 3];
    aws_lc_rs::rand::fill(&mut raw).map_err(err("random"))?;
    let sso = URL_SAFE_NO_PAD.encode(raw);
    let mut paths = Map::new();
    for (name, alg, family) in PATHS {
        let client = match family {
            Family::Rsa(size) => ClientSigningKey::generate_rsa(alg, size),
            Family::P256 | Family::X25519 => ClientSigningKey::generate(alg),
        }
        .map_err(err("keygen"))?;
        let platform = match family {
            Family::Rsa(size) => PlatformDecryptionKey::generate(size),
            Family::P256 => PlatformDecryptionKey::generate_ecdh(EcdhCurve::P256),
            Family::X25519 => PlatformDecryptionKey::generate_ecdh(EcdhCurve::X25519),
        }
        .map_err(err("keygen"))?;
        let issuer = Issuer::builder(client.clone())
            .issuer(ISS)
            .audience(AUD)
            .platform_key(platform.encryption_key().clone(), PayloadFormat::Jwe)
            .build()
            .map_err(err("issuer"))?;
        let token_jwe = issuer.mint(&request(&sso)).map_err(err("mint"))?;
        paths.insert(
            name.to_owned(),
            json!({
                "client_alg": alg.as_str(),
                "jwe_alg": platform.encryption_key().jwe_algorithm().as_str(),
                "client_kid": client.kid(),
                "platform_kid": platform.kid(),
                "client_private_pem": client.to_pkcs8_pem().map_err(err("pem"))?.expose_secret(),
                "client_public_pem": client.verifying_key().to_spki_pem().map_err(err("pem"))?,
                "platform_private_pem":
                    platform.to_pkcs8_pem().map_err(err("pem"))?.expose_secret(),
                "platform_public_pem":
                    platform.encryption_key().to_spki_pem().map_err(err("pem"))?,
                "token_jwe": token_jwe,
            }),
        );
    }
    Ok((sso, Value::Object(paths)))
}

/// The paths of a fixture, in table order.
pub(crate) fn load(v: &Value) -> Res<Vec<PathKeys>> {
    let paths = v
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("fixture has no `paths` (made by an older chatseal-bench-peers)")?;
    PATHS
        .iter()
        .map(|(name, alg, _)| {
            let p = paths
                .get(*name)
                .ok_or_else(|| format!("fixture has no path `{name}`"))?;
            let s = |k: &str| -> Res<String> {
                p.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| format!("path `{name}` has no `{k}`"))
            };
            Ok(PathKeys {
                name: (*name).to_owned(),
                alg: *alg,
                client_private_pem: s("client_private_pem")?,
                client_public_pem: s("client_public_pem")?,
                platform_private_pem: s("platform_private_pem")?,
                platform_public_pem: s("platform_public_pem")?,
                token_jwe: s("token_jwe")?,
            })
        })
        .collect()
}

fn request(sso: &str) -> TokenRequest {
    TokenRequest::new(SUB)
        .context(context())
        .sso_token(SsoToken::new(sso))
}

// ------------------------------------------------------------------ chatseal

/// chatseal's issuer and verifier for one path, from the fixture's PEMs.
pub(crate) struct ChatsealPath {
    issuer: Issuer,
    verifier: Verifier,
    req: TokenRequest,
}

impl ChatsealPath {
    pub(crate) fn new(p: &PathKeys, sso: &str) -> Res<Self> {
        let client =
            ClientSigningKey::from_pem(&p.client_private_pem, p.alg).map_err(err("client key"))?;
        let public = ClientVerifyingKey::from_spki_pem(&p.client_public_pem, p.alg)
            .map_err(err("client public key"))?;
        let platform =
            PlatformDecryptionKey::from_pem(&p.platform_private_pem).map_err(err("platform"))?;
        let platform_pub = PlatformEncryptionKey::from_spki_pem(&p.platform_public_pem)
            .map_err(err("platform public key"))?;
        let issuer = Issuer::builder(client)
            .issuer(ISS)
            .audience(AUD)
            .platform_key(platform_pub, PayloadFormat::Jwe)
            .build()
            .map_err(err("issuer"))?;
        let verifier = Verifier::builder([public])
            .issuer(ISS)
            .audience(AUD)
            .decryption_keys([platform], PayloadFormat::Jwe)
            .build()
            .map_err(err("verifier"))?;
        Ok(Self {
            issuer,
            verifier,
            req: request(sso),
        })
    }

    pub(crate) fn mint(&self) -> Res<String> {
        self.issuer.mint(&self.req).map_err(err("mint"))
    }

    pub(crate) fn verify_decrypt(&self, token: &str) -> Res<String> {
        let v = self.verifier.verify(token).map_err(err("verify"))?;
        black_box(v.subject());
        v.sso_token()
            .map(|t| t.expose_secret().to_owned())
            .ok_or_else(|| "no sso_token".to_owned())
    }
}

/// `n` untimed calls of one path op (`mint-jwe/<path>`,
/// `verify-decrypt/<path>`, or aws-lc-rs's bare figures with a `bare-`
/// prefix, e.g. `bare-verify-decrypt-full/p256`), for perf or callgrind.
pub(crate) fn profile(paths: &[PathKeys], sso: &str, op: &str, n: u64) -> Res<()> {
    let (kind, name) = op.split_once('/').ok_or("op is <kind>/<path>")?;
    let p = paths
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| format!("no path `{name}`"))?;
    let cs = ChatsealPath::new(p, sso)?;
    let bare = Bare::new(p)?;
    let plain = bare.verify_decrypt(true)?;
    for _ in 0..n {
        match kind {
            "mint-jwe" => drop(black_box(cs.mint()?)),
            "verify-decrypt" => drop(black_box(cs.verify_decrypt(&p.token_jwe)?)),
            "bare-mint-jwe" => bare.mint(false, &plain)?,
            "bare-mint-jwe-full" => bare.mint(true, &plain)?,
            "bare-verify-decrypt" => drop(bare.verify_decrypt(false)?),
            "bare-verify-decrypt-full" => drop(bare.verify_decrypt(true)?),
            other => return Err(format!("unknown path op `{other}`")),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- bare ops

fn der_of(pem: &str) -> Res<Vec<u8>> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(b64).map_err(err("pem"))
}

fn b64(s: &str, what: &'static str) -> Res<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).map_err(err(what))
}

enum BareSigner {
    Rsa(RsaKeyPair),
    P256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

enum BareKem {
    Rsa {
        enc: OaepPublicEncryptingKey,
        dec: OaepPrivateDecryptingKey,
    },
    Ecdh {
        alg: &'static agreement::Algorithm,
        /// The platform's static key, and its public key for the host side.
        key: PrivateKey,
        public: Vec<u8>,
        /// The fixture JWE's `epk` (public bytes) and the JWE `alg` name.
        epk: Vec<u8>,
        jwe_alg: String,
        apu: Vec<u8>,
        apv: Vec<u8>,
    },
}

/// One path's keys parsed once, and the fixture token cut into its parts.
struct Bare {
    signer: BareSigner,
    verifier: ParsedPublicKey,
    kem: BareKem,
    rng: SystemRandom,
    /// The token's signing input and signature.
    msg: Vec<u8>,
    sig: Vec<u8>,
    /// The user_payload JWE: protected header (the AAD), encrypted key, IV,
    /// ciphertext, tag.
    aad: Vec<u8>,
    ek: Vec<u8>,
    iv: Vec<u8>,
    ct: Vec<u8>,
    tag: Vec<u8>,
}

impl Bare {
    fn new(p: &PathKeys) -> Res<Self> {
        let client = der_of(&p.client_private_pem)?;
        let (signer, verifier) = match p.alg {
            Algorithm::RS256 => {
                let pair = RsaKeyPair::from_pkcs8(&client).map_err(err("RSA key"))?;
                let v = ParsedPublicKey::new(
                    &signature::RSA_PKCS1_2048_8192_SHA256,
                    pair.public_key().as_ref(),
                )
                .map_err(err("RSA public key"))?;
                (BareSigner::Rsa(pair), v)
            }
            Algorithm::ES256 => {
                let pair =
                    EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &client)
                        .map_err(err("P-256 key"))?;
                let v = ParsedPublicKey::new(
                    &signature::ECDSA_P256_SHA256_FIXED,
                    pair.public_key().as_ref(),
                )
                .map_err(err("P-256 public key"))?;
                (BareSigner::P256(pair), v)
            }
            Algorithm::Ed25519 => {
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&client)
                    .map_err(err("Ed25519 key"))?;
                let v = ParsedPublicKey::new(&signature::ED25519, pair.public_key().as_ref())
                    .map_err(err("Ed25519 public key"))?;
                (BareSigner::Ed25519(pair), v)
            }
            other => return Err(format!("no bare path for {other}")),
        };

        // The token: signing input, signature, and the JWE in user_payload.
        let (msg, sig) = p.token_jwe.rsplit_once('.').ok_or("token")?;
        let payload = msg.split_once('.').ok_or("token")?.1;
        let claims: Value =
            chatseal::serde_json::from_slice(&b64(payload, "payload")?).map_err(err("payload"))?;
        let jwe = claims["user_payload"]
            .as_str()
            .ok_or("token has no user_payload")?;
        let parts: Vec<&str> = jwe.split('.').collect();
        let [aad, ek, iv, ct, tag] = parts[..] else {
            return Err("user_payload is not a compact JWE".into());
        };
        let header: Value =
            chatseal::serde_json::from_slice(&b64(aad, "JWE header")?).map_err(err("header"))?;
        let jwe_alg = header["alg"].as_str().ok_or("JWE alg")?.to_owned();
        let party = |k: &str| -> Res<Vec<u8>> {
            match header.get(k).and_then(Value::as_str) {
                Some(s) => b64(s, "apu/apv"),
                None => Ok(Vec::new()),
            }
        };

        let platform = der_of(&p.platform_private_pem)?;
        let kem = if jwe_alg == "RSA-OAEP-256" {
            BareKem::Rsa {
                enc: OaepPublicEncryptingKey::new(
                    PublicEncryptingKey::from_der(&der_of(&p.platform_public_pem)?)
                        .map_err(err("RSA platform public key"))?,
                )
                .map_err(err("RSA platform public key"))?,
                dec: OaepPrivateDecryptingKey::new(
                    PrivateDecryptingKey::from_pkcs8(&platform).map_err(err("RSA platform key"))?,
                )
                .map_err(err("RSA platform key"))?,
            }
        } else {
            let epk = &header["epk"];
            let x = b64(epk["x"].as_str().ok_or("epk x")?, "epk x")?;
            let (alg, key, epk) = match epk["crv"].as_str() {
                Some("P-256") => {
                    let y = b64(epk["y"].as_str().ok_or("epk y")?, "epk y")?;
                    let key = PrivateKey::from_private_key_der(&agreement::ECDH_P256, &platform)
                        .map_err(err("P-256 platform key"))?;
                    (&agreement::ECDH_P256, key, [&[4u8][..], &x, &y].concat())
                }
                Some("X25519") => {
                    // PKCS#8 v1 of RFC 8410: the 32 key bytes come last.
                    let seed = platform
                        .get(platform.len().saturating_sub(32)..)
                        .ok_or("X25519 key")?;
                    let key = PrivateKey::from_private_key(&agreement::X25519, seed)
                        .map_err(err("X25519 platform key"))?;
                    (&agreement::X25519, key, x)
                }
                other => return Err(format!("epk curve {other:?}")),
            };
            let public = key
                .compute_public_key()
                .map_err(err("public key"))?
                .as_ref()
                .to_vec();
            BareKem::Ecdh {
                alg,
                key,
                public,
                epk,
                jwe_alg,
                apu: party("apu")?,
                apv: party("apv")?,
            }
        };
        Ok(Self {
            signer,
            verifier,
            kem,
            rng: SystemRandom::new(),
            msg: msg.as_bytes().to_vec(),
            sig: b64(sig, "signature")?,
            aad: aad.as_bytes().to_vec(),
            ek: b64(ek, "JWE encrypted key")?,
            iv: b64(iv, "JWE IV")?,
            ct: b64(ct, "JWE ciphertext")?,
            tag: b64(tag, "JWE tag")?,
        })
    }

    fn sign(&self) -> Res<()> {
        match &self.signer {
            BareSigner::Rsa(pair) => {
                let mut out = vec![0u8; pair.public_modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, &self.rng, &self.msg, &mut out)
                    .map_err(err("sign"))?;
                black_box(out);
            }
            BareSigner::P256(pair) => {
                black_box(pair.sign(&self.rng, &self.msg).map_err(err("sign"))?);
            }
            BareSigner::Ed25519(pair) => {
                black_box(pair.sign(&self.msg));
            }
        }
        Ok(())
    }

    fn verify(&self) -> Res<()> {
        self.verifier
            .verify_sig(&self.msg, &self.sig)
            .map_err(err("verify"))
    }

    /// Concat KDF (RFC 7518 §4.6.2) for a 256-bit key.
    fn kdf(z: &[u8], alg_id: &[u8], apu: &[u8], apv: &[u8]) -> [u8; 32] {
        let len = |b: &[u8]| (b.len() as u32).to_be_bytes();
        let mut input = Vec::with_capacity(4 + z.len() + 12 + alg_id.len() + 4 + 64);
        input.extend_from_slice(&1u32.to_be_bytes());
        input.extend_from_slice(z);
        for part in [alg_id, apu, apv] {
            input.extend_from_slice(&len(part));
            input.extend_from_slice(part);
        }
        input.extend_from_slice(&256u32.to_be_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(digest(&SHA256, &input).as_ref());
        out
    }

    /// Host side: the key management of one JWE. `full` also derives and
    /// wraps a content key; returns it (or an unused one).
    fn encrypt_key(&self, full: bool) -> Res<[u8; 32]> {
        let mut cek = [0u8; 32];
        if full {
            aws_lc_rs::rand::fill(&mut cek).map_err(err("random"))?;
        }
        match &self.kem {
            BareKem::Rsa { enc, .. } => {
                let mut out = vec![0u8; enc.ciphertext_size()];
                enc.encrypt(&OAEP_SHA256_MGF1SHA256, &cek, &mut out, None)
                    .map_err(err("oaep"))?;
                black_box(out);
            }
            BareKem::Ecdh {
                alg,
                public,
                jwe_alg,
                ..
            } => {
                let eph = EphemeralPrivateKey::generate(alg, &self.rng).map_err(err("ecdh"))?;
                black_box(eph.compute_public_key().map_err(err("ecdh"))?);
                let peer = UnparsedPublicKey::new(alg, public.as_slice());
                let z = agreement::agree_ephemeral(eph, peer, "agree", |z| Ok(z.to_vec()))
                    .map_err(err("ecdh"))?;
                if !full {
                    black_box(z);
                } else if jwe_alg == "ECDH-ES" {
                    cek = Self::kdf(&z, b"A256GCM", b"", b"");
                } else {
                    let kek = Self::kdf(&z, jwe_alg.as_bytes(), b"", b"");
                    let kek = AesKek::new(&AES_256, &kek).map_err(err("kek"))?;
                    let mut out = [0u8; 40];
                    black_box(kek.wrap(&cek, &mut out).map_err(err("wrap"))?);
                }
            }
        }
        Ok(cek)
    }

    /// Platform side: the content key from the fixture JWE's key
    /// management. Without `full`, only the asymmetric operation.
    fn decrypt_key(&self, full: bool) -> Res<Vec<u8>> {
        match &self.kem {
            BareKem::Rsa { dec, .. } => {
                let mut out = vec![0u8; dec.min_output_size()];
                let n = dec
                    .decrypt(&OAEP_SHA256_MGF1SHA256, &self.ek, &mut out, None)
                    .map_err(err("oaep"))?
                    .len();
                out.truncate(n);
                Ok(out)
            }
            BareKem::Ecdh {
                alg,
                key,
                epk,
                jwe_alg,
                apu,
                apv,
                ..
            } => {
                let peer = UnparsedPublicKey::new(alg, epk.as_slice());
                let z = agreement::agree(key, peer, "agree", |z| Ok(z.to_vec()))
                    .map_err(err("ecdh"))?;
                if !full {
                    return Ok(z);
                }
                if jwe_alg == "ECDH-ES" {
                    return Ok(Self::kdf(&z, b"A256GCM", apu, apv).to_vec());
                }
                let kek = Self::kdf(&z, jwe_alg.as_bytes(), apu, apv);
                let kek = AesKek::new(&AES_256, &kek).map_err(err("kek"))?;
                let mut out = vec![0u8; self.ek.len()];
                let n = kek.unwrap(&self.ek, &mut out).map_err(err("unwrap"))?.len();
                out.truncate(n);
                Ok(out)
            }
        }
    }

    fn gcm_open(&self, cek: &[u8]) -> Res<Vec<u8>> {
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, cek).map_err(err("gcm key"))?);
        let nonce = Nonce::try_assume_unique_for_key(&self.iv).map_err(err("iv"))?;
        let mut buf = self.ct.clone();
        let n = key
            .open_in_place_separate_tag(nonce, Aad::from(&self.aad), &self.tag, &mut buf)
            .map_err(err("gcm open"))?
            .len();
        buf.truncate(n);
        Ok(buf)
    }

    fn gcm_seal(&self, cek: &[u8], plain: &[u8]) -> Res<()> {
        let mut iv = [0u8; 12];
        aws_lc_rs::rand::fill(&mut iv).map_err(err("random"))?;
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, cek).map_err(err("gcm key"))?);
        let nonce = Nonce::assume_unique_for_key(iv);
        let mut buf = plain.to_vec();
        let tag = key
            .seal_in_place_separate_tag(nonce, Aad::from(&self.aad), &mut buf)
            .map_err(err("gcm seal"))?;
        black_box(&buf);
        black_box(tag.as_ref());
        Ok(())
    }

    fn verify_decrypt(&self, full: bool) -> Res<Vec<u8>> {
        self.verify()?;
        let cek = self.decrypt_key(full)?;
        if full {
            self.gcm_open(&cek)
        } else {
            Ok(cek)
        }
    }

    fn mint(&self, full: bool, plain: &[u8]) -> Res<()> {
        let cek = self.encrypt_key(full)?;
        if full {
            self.gcm_seal(&cek, plain)?;
        }
        self.sign()
    }
}

// ------------------------------------------------------------ interleaved

/// Slices per figure: every figure of one op is measured in this many
/// turns, round-robin, so that a change of load on a shared machine falls
/// on all of them alike and the ratios between them stay fair.
const SLICES: u32 = 10;

/// This thread's time on a CPU so far, in seconds: the scheduler's
/// nanosecond count (`/proc/thread-self/schedstat`), precise enough for short
/// slices; the 10 ms ticks of `/proc/thread-self/stat` where it is missing.
fn thread_cpu() -> Option<f64> {
    let ns = std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .filter(|ns| *ns > 0);
    match ns {
        Some(ns) => Some(ns as f64 / 1e9),
        None => crate::cpu_secs("/proc/thread-self/stat"),
    }
}

/// Rates of several jobs measured side by side: after a warm-up of each,
/// `SLICES` rounds in which every job runs for `secs / SLICES` seconds.
/// Any failed call aborts the measurement.
fn measure_interleaved(secs: f64, jobs: &mut [Job<'_>]) -> Res<Vec<Rate>> {
    let warm = Duration::from_secs_f64((secs / 5.0).min(0.5));
    for job in jobs.iter_mut() {
        let start = Instant::now();
        while start.elapsed() < warm {
            (job.f)()?;
        }
    }
    let slice = Duration::from_secs_f64(secs / f64::from(SLICES));
    let mut totals = vec![(0u64, 0f64, Some(0f64)); jobs.len()];
    for _ in 0..SLICES {
        for (job, total) in jobs.iter_mut().zip(totals.iter_mut()) {
            let cpu0 = thread_cpu();
            let start = Instant::now();
            let mut calls = 0u64;
            let wall = loop {
                (job.f)()?;
                calls += 1;
                let el = start.elapsed();
                if el >= slice {
                    break el.as_secs_f64();
                }
            };
            let cpu = match (cpu0, thread_cpu()) {
                (Some(a), Some(b)) if b >= a => Some(b - a),
                _ => None,
            };
            total.0 += calls;
            total.1 += wall;
            total.2 = total.2.zip(cpu).map(|(t, c)| t + c);
        }
    }
    Ok(totals
        .into_iter()
        .map(|(calls, wall, cpu)| Rate {
            wall: calls as f64 / wall,
            cpu: cpu.filter(|c| *c > 0.0).map(|c| calls as f64 / c),
        })
        .collect())
}

/// One figure: who, which op, and the call.
struct Job<'a> {
    imp: &'static str,
    op: String,
    f: Box<dyn FnMut() -> Res<()> + 'a>,
}

/// Every path, chatseal and aws-lc-rs bare (primitives, and full), for one
/// op at a time, measured side by side (`measure_interleaved`).
pub(crate) fn run(paths: &[PathKeys], sso: &str, secs: f64) -> Res<()> {
    let mut chatseal = Vec::new();
    let mut bare = Vec::new();
    let mut plains = Vec::new();
    for p in paths {
        let cs = ChatsealPath::new(p, sso)?;
        // Checks before timing: the fixture token and a fresh one decrypt
        // with chatseal; the bare full decrypt finds the sso_token too.
        if cs.verify_decrypt(&p.token_jwe)? != sso || cs.verify_decrypt(&cs.mint()?)? != sso {
            return Err(format!("chatseal {}: wrong sso_token", p.name));
        }
        sample("chatseal", &format!("mint-jwe/{}", p.name), &cs.mint()?);
        let b = Bare::new(p)?;
        let plain = b.verify_decrypt(true)?;
        let got: Value = chatseal::serde_json::from_slice(&plain).map_err(err("plaintext"))?;
        if got["sso_token"].as_str() != Some(sso) {
            return Err(format!("aws-lc-rs {}: wrong sso_token", p.name));
        }
        chatseal.push(cs);
        bare.push(b);
        plains.push(plain);
    }
    for kind in ["mint-jwe", "verify-decrypt"] {
        let mut jobs: Vec<Job<'_>> = Vec::new();
        for (((p, cs), b), plain) in paths.iter().zip(&chatseal).zip(&bare).zip(&plains) {
            let token = p.token_jwe.as_str();
            let mint = kind == "mint-jwe";
            jobs.push(Job {
                imp: "chatseal",
                op: format!("{kind}/{}", p.name),
                f: Box::new(move || {
                    if mint {
                        black_box(cs.mint()?);
                    } else {
                        black_box(cs.verify_decrypt(token)?);
                    }
                    Ok(())
                }),
            });
            for full in [false, true] {
                jobs.push(Job {
                    imp: "aws-lc-rs",
                    op: format!("{kind}{}/{}", if full { "-full" } else { "" }, p.name),
                    f: Box::new(move || {
                        if mint {
                            b.mint(full, plain)
                        } else {
                            b.verify_decrypt(full).map(drop)
                        }
                    }),
                });
            }
        }
        let rates = measure_interleaved(secs, &mut jobs)?;
        for (job, rate) in jobs.iter().zip(rates) {
            report(job.imp, &job.op, rate);
        }
    }
    Ok(())
}

/// Verifies a peer's `mint-jwe/<path>` sample token with chatseal.
pub(crate) fn check_sample(paths: &[PathKeys], sso: &str, op: &str, token: &str) -> Res<()> {
    let name = op.strip_prefix("mint-jwe/").ok_or("not a path op")?;
    let p = paths
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| format!("no path `{name}`"))?;
    if ChatsealPath::new(p, sso)?.verify_decrypt(token)? == sso {
        Ok(())
    } else {
        Err("wrong sso_token".into())
    }
}
