//! The command-line arguments (clap derive). No logic lives here.

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  a token or key was rejected, or a check failed (one line on stderr names it)
  2  usage or configuration error (bad arguments, missing keyring, wrong passphrase, I/O,
     invalid tenant document)

Secrets are never read from the command line: passphrases come from --passphrase-file
or the CHATSEAL_PASSPHRASE environment variable, sso_tokens from --sso-token-file, the
secrets of sealed tenant documents from EncryptionKeys__BaseSecret and
EncryptionKeys__UniqueSecrets__TenantOidcSecretKey or --base-secret-file/--purpose-secret-file.

Start here:
  chatseal quickstart";

/// chatseal: signed widget tokens for embedded chat, and the keyring behind them.
#[derive(Debug, Parser)]
#[command(name = "chatseal", version, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create, rotate, revoke and publish keys in a keyring folder.
    #[command(
        subcommand,
        after_help = "\
A keyring is a folder (mode 0700): keyring.json (the manifest, format version 1) and one
PKCS#8 PEM file per private key (mode 0600). Key states:
  pending -> active -> retiring -> retired     (revoked: out of the JWKS at once)
Only pending, active and retiring keys are in the published JWKS; exactly one is active.

Example:
  chatseal keys init --dir ./keys
  chatseal keys rotate --dir ./keys && chatseal keys jwks --dir ./keys --out jwks.json
  chatseal keys promote --dir ./keys"
    )]
    Keys(KeysCommand),
    /// Mint a widget token with the keyring's active client key.
    #[command(after_help = "\
Example (a token for user-42 with an encrypted sso_token):
  printf %s \"$IDP_TOKEN\" | chatseal mint --dir ./keys --iss https://host.example \\
      --aud chatseal-platform --sub user-42 --context '{\"name\":\"Ada\"}' \\
      --platform-key platform-public.pem --sso-token-file -

IBM watsonx Orchestrate style (no iss/aud, wxo payload):
  chatseal mint --dir ./keys --without-iss --without-aud --sub user-42 \\
      --platform-key ibm-public.pem --payload-format wxo --sso-token-file token.txt")]
    Mint(MintArgs),
    /// Verify a token (and decrypt its sso_token); exit 1 names the failed check.
    #[command(group(ArgGroup::new("keys").required(true).args(["jwks", "public_key", "dir", "tenant_config"])))]
    #[command(after_help = "\
Example:
  chatseal verify --jwks jwks.json --iss https://host.example --aud chatseal-platform \\
      --decrypt-dir ./platform-keys --json \"$TOKEN\"

With a tenant document (it decides providers, issuers, audiences, algorithms and the
access rules; a sealed document opens with EncryptionKeys__BaseSecret and
EncryptionKeys__UniqueSecrets__TenantOidcSecretKey from the environment, or with
--base-secret-file/--purpose-secret-file):
  chatseal verify --tenant-config tenant.json --participant user-42 --json \"$TOKEN\"

On failure it prints one line such as
  chatseal: token rejected: expired: token expired at 2026-01-01T00:00:00Z (...)
and exits 1.")]
    Verify(VerifyArgs),
    /// Decode a token's header and claims WITHOUT verifying anything.
    #[command(after_help = "\
Example:
  chatseal inspect \"$TOKEN\"
  echo \"$TOKEN\" | chatseal inspect --json

The output is labelled UNVERIFIED: anyone can write any claims; use `chatseal verify`
to decide whether to trust a token.")]
    Inspect(InspectArgs),
    /// Tenant documents: validate, seal and unseal them, build issuer URLs.
    #[command(
        subcommand,
        after_help = "\
A tenant document (JSON) lists the identity providers a tenant trusts and who may chat:
  {\"tenantId\": \"acme\", \"providers\": {\"corp\": {\"issuer\": \"https://idp.acme.example\",
   \"expectedAudience\": [\"chat\"], \"jwksUri\": \"https://idp.acme.example/jwks\",
   \"allowedEmailDomains\": [\"acme.example\"]}}}
Sealed documents are encrypted with AES-256-GCM under a key derived (HKDF-SHA256) from
two secrets, read from EncryptionKeys__BaseSecret and
EncryptionKeys__UniqueSecrets__TenantOidcSecretKey, or from --base-secret-file and
--purpose-secret-file; never from the command line.

Example:
  chatseal tenant check --in tenant.json
  chatseal tenant seal --in tenant.json --out tenant.sealed
  chatseal verify --tenant-config tenant.sealed \"$TOKEN\""
    )]
    Tenant(TenantCommand),
    /// Walk through the whole flow: keys, token, JWKS, verify, decrypt.
    #[command(after_help = "\
Example:
  chatseal quickstart                 # keyrings in ./keys/client and ./keys/platform
  chatseal quickstart --dir /tmp/demo

Running it again reuses the keyrings it created.")]
    Quickstart(QuickstartArgs),
    /// Run the token sidecar: host backends in any language mint widget
    /// tokens over HTTP; the keyring's JWKS is served too.
    #[cfg(feature = "services")]
    #[command(after_help = "\
Endpoints:
  POST /v1/tokens               {\"sub\", \"context\"?, \"sso_token\"?, \"claims\"?, \"ttl\"?}
                                -> {\"token\", \"expires_at\", \"kid\"}; needs
                                Authorization: Bearer <API key> (chatseal apikey generate)
  GET  /.well-known/jwks.json   the keyring's published keys (ETag, Cache-Control)
  GET  /healthz, GET /metrics   liveness; Prometheus text

Example:
  chatseal apikey generate --out sidecar.key.hash > sidecar.key   # the key, shown once
  chatseal serve --dir ./keys --iss https://host.example --aud chat \\
      --platform-key platform.pem --api-key-hash sidecar.key.hash --listen 127.0.0.1:8700

It listens on loopback or a unix: socket (mode 0600) unless given --allow-public
and TLS (--tls-cert/--tls-key); a rotation of the keyring by another process is
picked up on the next request. SIGTERM or SIGINT drains and stops.")]
    Serve(ServeArgs),
    /// Run the platform gateway: a reverse proxy in front of a chat backend
    /// that authenticates every request to /t/{tenant}/… by the tenant's
    /// document and passes the identity upstream in X-Chatseal-* headers.
    #[cfg(feature = "services")]
    #[command(after_help = "\
Routes:
  /t/{tenant}/rest…     authenticated, then proxied to the upstream as /rest…
                        (WebSocket upgrades too; closed with 4001 when the token expires)
  GET /healthz, /readyz, /metrics

Credentials: Authorization: Bearer <jwt>, ?access_token=, Sec-WebSocket-Protocol
bearer.<jwt>; an api-key header or ?apikey= wins over a JWT. Refusals are 401/403 with
WWW-Authenticate and {\"error\", \"message\"}.

Example:
  chatseal gateway --config tests/fixtures/gateway/gateway.toml

Tenant documents and keyrings are watched; SIGHUP rereads the configuration;
SIGTERM or SIGINT drains and stops.")]
    Gateway(GatewayArgs),
    /// API keys for `chatseal serve`: generate one, keep only its hash.
    #[command(subcommand)]
    Apikey(ApikeyCommand),
}

/// `chatseal apikey …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ApikeyCommand {
    /// Print a new API key once on stdout and write only its SHA-256 hash.
    #[command(after_help = "\
Example:
  chatseal apikey generate --out sidecar.key.hash > sidecar.key
The key (csk_...) is printed once; store it where the host backend reads it. The
hash file (mode 0600) is what `chatseal serve --api-key-hash` checks against.
Running it again with --force replaces the hash: the old key dies at once.")]
    Generate(ApikeyGenerateArgs),
}

/// `chatseal apikey generate`.
#[derive(Debug, Args)]
pub(crate) struct ApikeyGenerateArgs {
    /// Where to write the hash (atomically, mode 0600).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// Replace an existing hash file (the old key stops working).
    #[arg(long)]
    pub(crate) force: bool,
}

/// `chatseal serve`.
#[cfg(feature = "services")]
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    pub(crate) dir: DirArg,
    #[command(flatten)]
    pub(crate) pass: PassArg,
    /// Issuer (`iss`) of every token.
    #[arg(long, conflicts_with = "without_iss")]
    pub(crate) iss: Option<String>,
    /// Mint without `iss` (IBM-style tokens have none).
    #[arg(long)]
    pub(crate) without_iss: bool,
    /// Audience (`aud`) of every token.
    #[arg(long, conflicts_with = "without_aud")]
    pub(crate) aud: Option<String>,
    /// Mint without `aud` (IBM-style tokens have none).
    #[arg(long)]
    pub(crate) without_aud: bool,
    /// Default and largest lifetime in seconds (default 3600, at most 7100);
    /// a request's `ttl` may only shorten it.
    #[arg(long, value_name = "SECONDS")]
    pub(crate) ttl: Option<u64>,
    /// The platform's public key that requests' `sso_token`s are encrypted
    /// to (SPKI PEM, JWK/JWKS file, or platform keyring folder). Without it,
    /// a request with an `sso_token` is refused.
    #[arg(long, value_name = "FILE|DIR")]
    pub(crate) platform_key: Option<PathBuf>,
    /// Format of `user_payload` (default jwe); needs --platform-key.
    #[arg(long, value_enum)]
    pub(crate) payload_format: Option<FormatArg>,
    /// The API key hash file (`chatseal apikey generate --out FILE`).
    #[arg(long, value_name = "FILE")]
    pub(crate) api_key_hash: PathBuf,
    /// Where to listen: IP:PORT (loopback unless --allow-public) or
    /// unix:PATH (a socket of mode 0600).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8700")]
    pub(crate) listen: String,
    /// Serve TLS with this PEM certificate chain (needs --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Allow a non-loopback --listen address (it also needs TLS).
    #[arg(long)]
    pub(crate) allow_public: bool,
    /// Most connections served at once; more wait for a free slot.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub(crate) max_connections: usize,
}

/// `chatseal gateway`.
#[cfg(feature = "services")]
#[derive(Debug, Args)]
pub(crate) struct GatewayArgs {
    /// The gateway's configuration (TOML; see the gateway_config module
    /// documentation, and tests/fixtures/gateway/gateway.toml).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Create a keyring with one active key (refuses to overwrite one).
    #[command(after_help = "\
Examples:
  chatseal keys init --dir ./keys                          # client signing keys, RS256 3072
  chatseal keys init --dir ./keys --alg ES256
  chatseal keys init --dir ./platform-keys --use enc       # platform decryption keys
  CHATSEAL_PASSPHRASE=... chatseal keys init --bits 4096   # encrypted at rest")]
    Init(InitArgs),
    /// List the keys with their state and times.
    #[command(after_help = "\
Example:
  chatseal keys list --dir ./keys
  chatseal keys list --dir ./keys --json | jq -r '.keys[] | select(.state==\"active\") | .kid'")]
    List(ListArgs),
    /// Add a pending key (published, not yet signing); --now also promotes it.
    #[command(after_help = "\
Example (a rotation with no failed request):
  chatseal keys rotate --dir ./keys           # new key is pending, in the JWKS
  chatseal keys jwks --dir ./keys --out /srv/www/.well-known/jwks.json
  # ... wait until verifiers have refreshed their JWKS cache ...
  chatseal keys promote --dir ./keys          # new key signs, old key is retiring
  # ... after the grace (max token ttl + leeway):
  chatseal keys retire --dir ./keys && chatseal keys prune --dir ./keys

Platforms with a single key slot (IBM): chatseal keys rotate --now, then upload
`chatseal keys export-public` to the platform.")]
    Rotate(RotateArgs),
    /// Make the pending key active; the old active key becomes retiring.
    #[command(after_help = "\
Example:
  chatseal keys promote --dir ./keys
  chatseal keys promote --dir ./keys --kid 2LrB3...   # when several keys are pending")]
    Promote(PromoteArgs),
    /// Move retiring keys past their grace to retired (out of the JWKS).
    #[command(after_help = "\
Example (from cron, every hour):
  chatseal keys retire --dir ./keys --json

--force retires at once, before the grace ends: tokens the key signed that have not
expired yet will then fail.")]
    Retire(RetireArgs),
    /// Delete the private key files of retired and revoked keys.
    #[command(after_help = "\
Example:
  chatseal keys prune --dir ./keys

The manifest keeps their entries, for the record. Files a crash left behind (temp
files, key files no manifest names) are removed too.")]
    Prune(PruneArgs),
    /// Revoke a key: out of the JWKS at once (compromise).
    #[command(after_help = "\
Example (the active key leaked):
  chatseal keys rotate --now --dir ./keys
  chatseal keys revoke --dir ./keys --kid OLD_KID
  chatseal keys jwks --dir ./keys --out /srv/www/.well-known/jwks.json")]
    Revoke(RevokeArgs),
    /// Adopt an existing private key (openssl, IBM's key tool) as pending.
    #[command(after_help = "\
Example:
  openssl genrsa -out client.key 4096
  chatseal keys import --dir ./keys --pem client.key
  chatseal keys promote --dir ./keys")]
    Import(ImportArgs),
    /// Print the public JWKS (pending, active and retiring keys).
    #[command(after_help = "\
Example:
  chatseal keys jwks --dir ./keys --out /srv/www/.well-known/jwks.json")]
    Jwks(JwksArgs),
    /// Print the active (or named) public key, e.g. to upload to a platform.
    #[command(after_help = "\
Examples:
  chatseal keys export-public --dir ./keys > client-public.pem
  chatseal keys export-public --dir ./platform-keys --format jwk")]
    ExportPublic(ExportPublicArgs),
}

#[derive(Debug, Subcommand)]
pub(crate) enum TenantCommand {
    /// Validate a tenant document (plain or sealed) and summarise its providers.
    #[command(after_help = "\
Example:
  chatseal tenant check --in tenant.json
  chatseal tenant check --in tenant.sealed --json | jq '.providers[].issuer'

A document with a typo (an unknown member), 0 or more than 5 providers, a missing
issuer or an unknown or symmetric algorithm exits 2 with one line naming the member.")]
    Check(TenantCheckArgs),
    /// Encrypt a tenant document at rest (it is validated first).
    #[command(after_help = "\
Example:
  export EncryptionKeys__BaseSecret=... EncryptionKeys__UniqueSecrets__TenantOidcSecretKey=...
  chatseal tenant seal --in tenant.json --out tenant.sealed

  chatseal tenant seal --in tenant.json --base-secret-file /run/secrets/base \\
      --purpose-secret-file /run/secrets/tenant-oidc > tenant.sealed")]
    Seal(TenantSealArgs),
    /// Decrypt a sealed tenant document.
    #[command(after_help = "\
Example:
  chatseal tenant unseal --in tenant.sealed --out tenant.json

When the secrets differ from the ones it was sealed with, or the file was altered:
  chatseal: sealed configuration rejected: config_keys_changed: the encryption keys may
  have changed; re-save the configuration
and exit 1.")]
    Unseal(TenantUnsealArgs),
    /// Print the OIDC issuer URL of a common identity provider.
    #[command(after_help = "\
Examples:
  chatseal tenant issuer-url --provider entra --tenant 9188040d-6c67-4c5b-b112-36a304b66dad
  chatseal tenant issuer-url --provider okta --domain dev-123.okta.com
  chatseal tenant issuer-url --provider google")]
    IssuerUrl(IssuerUrlArgs),
}

/// Where the secrets of a sealed tenant document come from.
#[derive(Debug, Args)]
pub(crate) struct SealKeysArg {
    /// File holding the base secret (default: the EncryptionKeys__BaseSecret
    /// environment variable).
    #[arg(long, value_name = "FILE", requires = "purpose_secret_file")]
    pub(crate) base_secret_file: Option<PathBuf>,
    /// File holding the per-purpose secret (default: the
    /// EncryptionKeys__UniqueSecrets__TenantOidcSecretKey environment variable).
    #[arg(long, value_name = "FILE", requires = "base_secret_file")]
    pub(crate) purpose_secret_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct TenantCheckArgs {
    /// The tenant document, plain JSON or sealed; `-` reads stdin.
    #[arg(long = "in", value_name = "FILE")]
    pub(crate) input: PathBuf,
    #[command(flatten)]
    pub(crate) secrets: SealKeysArg,
    /// Print the summary as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TenantSealArgs {
    /// The plain tenant document; `-` reads stdin.
    #[arg(long = "in", value_name = "FILE")]
    pub(crate) input: PathBuf,
    /// Write the sealed document atomically to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) secrets: SealKeysArg,
}

#[derive(Debug, Args)]
pub(crate) struct TenantUnsealArgs {
    /// The sealed tenant document; `-` reads stdin.
    #[arg(long = "in", value_name = "FILE")]
    pub(crate) input: PathBuf,
    /// Write the plain document atomically to FILE (mode 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) secrets: SealKeysArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProviderArg {
    /// Microsoft Entra ID (needs --tenant).
    Entra,
    /// Okta's default authorization server (needs --domain).
    Okta,
    /// Google.
    Google,
}

#[derive(Debug, Args)]
pub(crate) struct IssuerUrlArgs {
    /// The identity provider.
    #[arg(long, value_enum)]
    pub(crate) provider: ProviderArg,
    /// Entra directory (tenant) id or verified domain.
    #[arg(long, conflicts_with = "domain")]
    pub(crate) tenant: Option<String>,
    /// Okta domain, e.g. dev-123.okta.com.
    #[arg(long)]
    pub(crate) domain: Option<String>,
}

/// `--dir`.
#[derive(Debug, Args)]
pub(crate) struct DirArg {
    /// The keyring folder.
    #[arg(long, value_name = "DIR", default_value = "./keys")]
    pub(crate) dir: PathBuf,
}

/// `--passphrase-file`.
#[derive(Debug, Args)]
pub(crate) struct PassArg {
    /// File holding the passphrase that encrypts private keys at rest (one
    /// line). Without it, the CHATSEAL_PASSPHRASE environment variable is used
    /// if set; otherwise keys are stored unencrypted (mode 0600).
    #[arg(long, value_name = "FILE")]
    pub(crate) passphrase_file: Option<PathBuf>,
}

/// `--pkcs11-module`, `--pkcs11-pin-file`: how to reach a PKCS#11 token.
#[derive(Debug, Args, Default)]
pub(crate) struct TokenArg {
    /// The PKCS#11 module (the HSM vendor's shared library; SoftHSM2:
    /// /usr/lib/softhsm/libsofthsm2.so). Default: CHATSEAL_PKCS11_MODULE.
    #[arg(long, value_name = "PATH")]
    pub(crate) pkcs11_module: Option<PathBuf>,
    /// File holding the token's user PIN (one line). Default: the
    /// CHATSEAL_PKCS11_PIN environment variable. Never on the command line.
    #[arg(long, value_name = "FILE")]
    pub(crate) pkcs11_pin_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum UseArg {
    /// Client signing keys.
    Sig,
    /// Platform decryption keys.
    Enc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum AlgArg {
    #[value(name = "RS256")]
    Rs256,
    #[value(name = "PS256")]
    Ps256,
    #[value(name = "ES256")]
    Es256,
    #[value(name = "Ed25519")]
    Ed25519,
    #[value(name = "RSA-OAEP-256")]
    RsaOaep256,
    #[value(name = "ECDH-ES+A256KW")]
    EcdhEsA256kw,
    #[value(name = "ECDH-ES")]
    EcdhEs,
}

/// The curve of an ECDH platform key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CrvArg {
    #[value(name = "P-256")]
    P256,
    #[value(name = "X25519")]
    X25519,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SigAlgArg {
    #[value(name = "RS256")]
    Rs256,
    #[value(name = "PS256")]
    Ps256,
    #[value(name = "ES256")]
    Es256,
    #[value(name = "Ed25519")]
    Ed25519,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    /// Compact JWE (RSA-OAEP-256 + A256GCM).
    Jwe,
    /// IBM watsonx Orchestrate's format.
    Wxo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PublicFormat {
    /// SPKI `PUBLIC KEY` PEM.
    Pem,
    /// Public JWK (JSON).
    Jwk,
}

fn parse_bits(s: &str) -> Result<u32, String> {
    match s {
        "2048" => Ok(2048),
        "3072" => Ok(3072),
        "4096" => Ok(4096),
        _ => Err("RSA key sizes are 2048, 3072 or 4096".to_owned()),
    }
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    #[command(flatten)]
    pub(crate) dir: DirArg,
    #[command(flatten)]
    pub(crate) pass: PassArg,
    /// What the keys are for: `sig` (client signing) or `enc` (platform decryption).
    #[arg(long = "use", value_enum, default_value = "sig")]
    pub(crate) key_use: UseArg,
    /// Algorithm (default RS256 for sig, RSA-OAEP-256 for enc). The fast
    /// path: Ed25519 (sig), ECDH-ES+A256KW or ECDH-ES (enc, with --crv).
    #[arg(long, value_enum)]
    pub(crate) alg: Option<AlgArg>,
    /// RSA key size (default 3072).
    #[arg(long, value_parser = parse_bits)]
    pub(crate) bits: Option<u32>,
    /// Curve of an ECDH platform key (default P-256).
    #[arg(long, value_enum)]
    pub(crate) crv: Option<CrvArg>,
    /// Seconds a retiring key stays published; at least your longest token
    /// ttl plus the verifiers' leeway (default 7160 = 7100 + 60).
    #[arg(long, value_name = "SECONDS")]
    pub(crate) grace: Option<u64>,
    /// Generate the key inside a PKCS#11 token (an HSM) named by this RFC
    /// 7512 URI, e.g. 'pkcs11:token=chatseal': sensitive, not extractable;
    /// the manifest records the object's URI and no key file is written.
    #[arg(long, value_name = "URI")]
    pub(crate) pkcs11: Option<String>,
    #[command(flatten)]
    pub(crate) hsm: TokenArg,
    /// Print the result as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) dir: DirArg,
    /// Print the manifest as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    #[command(flatten)]
    pub(crate) dir: DirArg,
    #[command(flatten)]
    pub(crate) pass: PassArg,
    /// Promote the new key at once (for platforms with a single key slot).
    #[arg(long)]
    pub(crate) now: bool,
    /// Algorithm of the new key (default: the active key's).
    #[arg(long, value_enum)]
    pub(crate) alg: Option<AlgArg>,
    /// RSA size of the new key (default: the active key's).
    #[arg(long, value_parser = parse_bits)]
    pub(crate) bits: Option<u32>,
    /// Curve of a new ECDH key (default: the active key's, else P-256).
    #[arg(long, value_enum)]
    pub(crate) crv: Option<CrvArg>,
    /// Generate the key inside a PKCS#11 token (an HSM) named by this RFC
    /// 7512 URI (default: the token of the keyring's token keys), e.g. 'pkcs11:token=chatseal': sensitive, not extractable;
    /// the manifest records the object's URI and no key file is written.
    #[arg(long, value_name = "URI")]
    pub(crate) pkcs11: Option<String>,
    #[command(flatten)]
    pub(crate) hsm: TokenArg,
    /// Print the result as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PromoteArgs {
    #[command(flatten)]
    pub(crate) dir: DirArg,
    /// The pending key to promote (needed when several are pending).
    #[arg(long)]
    pub(crate) kid: Option<String>,
    /// Allow activating a published sample key (demos only).
    #[arg(long)]
    pub(crate) allow_sample_key: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RetireArgs {
    #[command(flatten)]
    pub(crate) dir: DirArg,
    /// Only this retiring key.
    #[arg(long)]
    pub(crate) kid: Option<String>,
    /// Retire before the grace ends (its unexpired tokens then fail).
    #[arg(long)]
    pub(crate) force: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct PruneArgs {
    #[command(flatten)]
    pub(crate) dir: DirArg,
    /// Also destroy the PKCS#11 token objects of retired and revoked token
    /// keys (needs the token's PIN). Without it token keys are left alone.
    #[arg(long)]
    pub(crate) destroy: bool,
    #[command(flatten)]
    pub(crate) hsm: TokenArg,
    /// Print the result as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    #[command(flatten)]
    pub(crate) dir: DirArg,
    /// The key to revoke.
    #[arg(long, required = true)]
    pub(crate) kid: String,
    /// Print the result as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    #[command(flatten)]
    pub(crate) dir: DirArg,
    #[command(flatten)]
    pub(crate) pass: PassArg,
    /// The private key PEM (PKCS#8, PKCS#1 `openssl genrsa`, SEC1, or
    /// ENCRYPTED PRIVATE KEY under the passphrase); `-` reads stdin.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "pkcs11",
        conflicts_with = "pkcs11"
    )]
    pub(crate) pem: Option<PathBuf>,
    /// Adopt an existing key of a PKCS#11 token instead, named by its RFC
    /// 7512 URI (`pkcs11:token=...;object=...;type=private`); nothing is
    /// written to the keyring folder but the manifest.
    #[arg(long, value_name = "URI")]
    pub(crate) pkcs11: Option<String>,
    #[command(flatten)]
    pub(crate) hsm: TokenArg,
    /// Must match the keyring's use (default: the keyring's).
    #[arg(long = "use", value_enum)]
    pub(crate) key_use: Option<UseArg>,
    /// Algorithm (default: RS256 for an RSA key, ES256 for a P-256 key,
    /// RSA-OAEP-256 in an enc keyring).
    #[arg(long, value_enum)]
    pub(crate) alg: Option<AlgArg>,
    /// Allow a published sample key (demos only).
    #[arg(long)]
    pub(crate) allow_sample_key: bool,
    /// Print the result as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct JwksArgs {
    #[command(flatten)]
    pub(crate) dir: DirArg,
    /// Write the JWKS atomically to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ExportPublicArgs {
    #[command(flatten)]
    pub(crate) dir: DirArg,
    /// The key (default: the active key).
    #[arg(long)]
    pub(crate) kid: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "pem")]
    pub(crate) format: PublicFormat,
}

#[derive(Debug, Args)]
pub(crate) struct MintArgs {
    #[command(flatten)]
    pub(crate) dir: DirArg,
    #[command(flatten)]
    pub(crate) pass: PassArg,
    #[command(flatten)]
    pub(crate) hsm: TokenArg,
    /// Issuer (`iss`).
    #[arg(long, conflicts_with = "without_iss")]
    pub(crate) iss: Option<String>,
    /// Mint without `iss` (IBM-style tokens have none).
    #[arg(long)]
    pub(crate) without_iss: bool,
    /// Audience (`aud`).
    #[arg(long, conflicts_with = "without_aud")]
    pub(crate) aud: Option<String>,
    /// Mint without `aud` (IBM-style tokens have none).
    #[arg(long)]
    pub(crate) without_aud: bool,
    /// Subject: the stable user id.
    #[arg(long)]
    pub(crate) sub: String,
    /// Lifetime in seconds (default 3600, at most 7100).
    #[arg(long, value_name = "SECONDS")]
    pub(crate) ttl: Option<u64>,
    /// Plain, signed, non-secret user attributes: a JSON object.
    #[arg(long, value_name = "JSON")]
    pub(crate) context: Option<String>,
    /// An extra claim, NAME=JSON (repeatable), e.g. --claim 'email_verified=true'.
    #[arg(long, value_name = "NAME=JSON")]
    pub(crate) claim: Vec<String>,
    /// The platform's public key that --sso-token-file is encrypted to: an
    /// SPKI PEM, a JWK or JWKS file, or a platform keyring folder.
    #[arg(long, value_name = "FILE|DIR")]
    pub(crate) platform_key: Option<PathBuf>,
    /// File holding the sso_token to encrypt into `user_payload`; `-` reads
    /// stdin. Needs --platform-key.
    #[arg(long, value_name = "FILE|-")]
    pub(crate) sso_token_file: Option<PathBuf>,
    /// Format of `user_payload` (default jwe); needs --platform-key and
    /// --sso-token-file.
    #[arg(long, value_enum)]
    pub(crate) payload_format: Option<FormatArg>,
    /// Print {"token", "kid", "exp"} as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// A tenant document (plain or sealed): it decides providers, keys,
    /// issuers, audiences, algorithms and access rules.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["jwks", "public_key", "dir", "alg", "iss", "aud", "insecure_skip_iss",
                              "insecure_skip_aud", "payload_format", "leeway"]
    )]
    pub(crate) tenant_config: Option<PathBuf>,
    /// The chat request's participant id; it must equal the token's user id
    /// (with --tenant-config).
    #[arg(long, value_name = "ID")]
    pub(crate) participant: Option<String>,
    #[command(flatten)]
    pub(crate) secrets: SealKeysArg,
    /// Trusted keys from a JWKS file.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["public_key", "dir"])]
    pub(crate) jwks: Option<PathBuf>,
    /// A trusted SPKI public key PEM (it states no algorithm: see --alg).
    #[arg(long, value_name = "PEMFILE", conflicts_with = "dir")]
    pub(crate) public_key: Option<PathBuf>,
    /// An algorithm you accept (repeatable); a token signed with any other is
    /// refused. A key that states its algorithm (a JWKS entry with `alg`, a
    /// keyring key) is used with that one only; a key that states none (a
    /// PEM, a JWKS entry without `alg`) with every listed algorithm that fits
    /// it (RS256 or PS256 for RSA, ES256 for P-256). Default: each key's
    /// own, and RS256 for an RSA key / ES256 for an EC key that states none.
    #[arg(long, value_enum, value_name = "ALG")]
    pub(crate) alg: Vec<SigAlgArg>,
    /// Trusted keys: the published keys of a client keyring.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,
    /// Required issuer.
    #[arg(long, conflicts_with = "insecure_skip_iss")]
    pub(crate) iss: Option<String>,
    /// Required audience.
    #[arg(long, conflicts_with = "insecure_skip_aud")]
    pub(crate) aud: Option<String>,
    /// Accept any issuer (IBM-style tokens have none).
    #[arg(long)]
    pub(crate) insecure_skip_iss: bool,
    /// Accept any audience (IBM-style tokens have none).
    #[arg(long)]
    pub(crate) insecure_skip_aud: bool,
    /// Platform private key PEM to decrypt `user_payload`.
    #[arg(long, value_name = "FILE", conflicts_with = "decrypt_dir")]
    pub(crate) decrypt_key: Option<PathBuf>,
    /// Platform keyring whose published keys decrypt `user_payload`.
    #[arg(long, value_name = "DIR")]
    pub(crate) decrypt_dir: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) hsm: TokenArg,
    #[command(flatten)]
    pub(crate) pass: PassArg,
    /// Format of `user_payload` (default jwe); needs --decrypt-key or
    /// --decrypt-dir.
    #[arg(long, value_enum)]
    pub(crate) payload_format: Option<FormatArg>,
    /// Clock skew allowed for exp/nbf/iat, in seconds (default 60).
    #[arg(long, value_name = "S")]
    pub(crate) leeway: Option<u64>,
    /// Print {"header", "claims", "user_payload"} as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Print the decrypted sso_token instead of `[redacted]` (needs
    /// --decrypt-key or --decrypt-dir).
    #[arg(long)]
    pub(crate) show_secrets: bool,
    /// The token (default: read from stdin).
    pub(crate) token: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// Print as JSON (still labelled unverified).
    #[arg(long)]
    pub(crate) json: bool,
    /// The token (default: read from stdin).
    pub(crate) token: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct QuickstartArgs {
    /// Parent folder of the two keyrings (DIR/client and DIR/platform).
    #[arg(long, value_name = "DIR", default_value = "./keys")]
    pub(crate) dir: PathBuf,
    #[command(flatten)]
    pub(crate) pass: PassArg,
}
