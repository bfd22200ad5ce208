//! Foreign JOSE implementations, run as child processes, for interop tests.
//!
//! Each peer is a small program under `tests/peers/` that reads one JSON
//! request on stdin and writes one JSON response on stdout: exit status 0 with
//! the op's result, or exit status 1 with `{"error": "..."}`. Their packages
//! are installed into `.peers/` at the repo root by `tests/peers/install.sh`
//! (which `tests/run.sh` runs first); nothing is fetched at test time.
//!
//! # Protocol
//!
//! [`Peer::Jose`] (npm `jose`) and [`Peer::Jwcrypto`] (Python `jwcrypto`)
//! answer the same ops. Keys are PKCS#8 (private) and SPKI (public) PEM.
//!
//! | op | request fields | response |
//! |---|---|---|
//! | `sign` | `alg` (`RS256`/`PS256`/`ES256`/`Ed25519`/`EdDSA`), `private_pem`, `kid`?, `claims` | `token`: compact JWS, header `alg`, `typ: "JWT"`, `kid` if given |
//! | `verify` | `alg`, `public_pem` or `jwks` or `public_jwk`, `token`, `iss`?, `aud`? | `header`, `claims` |
//! | `encrypt_jwe` | `public_pem` or `public_jwk`, `kid`?, `alg`? (`RSA-OAEP-256` default, `ECDH-ES`, `ECDH-ES+A256KW`), `plaintext` (UTF-8) | `jwe`: compact, that `alg` + `A256GCM` |
//! | `decrypt_jwe` | `private_pem`, `jwe`, `alg`? (as above) | `plaintext`, `header` (only that `alg` with `A256GCM` accepted) |
//! | `generate` | `kind`: `"rsa"` (`bits`, default 2048), `"ec"` (P-256), `"ed25519"` or `"x25519"` | `private_pem`, `public_pem` |
//! | `jwk_thumbprint` | `public_pem` or `public_jwk` | `thumbprint`: RFC 7638, SHA-256, base64url |
//!
//! `verify` checks the signature with exactly the requested `alg`, and `exp` /
//! `nbf` when the token has them (jose with no clock tolerance, jwcrypto with
//! its default 60 s leeway); `iss` and `aud` only when the request gives them.
//! [`Peer::Jwcrypto`] also answers `pyjwt_sign` and `pyjwt_verify` (`PyJWT`),
//! with the same fields and results as `sign` and `verify`.
//!
//! [`Peer::IbmSample`] replays IBM watsonx Orchestrate's `createJWT.js`
//! (`node-rsa` + `jsonwebtoken`, library defaults untouched):
//!
//! | op | request fields | response |
//! |---|---|---|
//! | `mint` | `client_private_pem`, `platform_public_pem`, `sub`, `sso_token`?, `context`? | `token`: RS256, `exp = iat + 3600`, `user_payload` = base64 of node-rsa OAEP-SHA-1 blocks |
//! | `decrypt_payload` | `platform_private_pem`, `user_payload` | `plaintext` |
//! | `verify` | `client_public_pem`, `token` | `claims` |
//!
//! # Examples
//!
//! ```no_run
//! use chatseal_tests::peers::{self, Peer};
//! use serde_json::json;
//!
//! if peers::require(Peer::Jose) {
//!     let keys = peers::call(Peer::Jose, &json!({"op": "generate", "kind": "ec"})).unwrap();
//!     assert!(keys["public_pem"].as_str().unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
//! }
//! ```

use std::env;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;

use serde_json::Value;

/// Environment variable that turns a missing peer from a skip into a failure.
///
/// `tests/run.sh` (and so CI) sets it to `1`.
pub const REQUIRE_PEERS_ENV: &str = "CHATSEAL_REQUIRE_PEERS";

/// A foreign implementation that interop tests can talk to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Peer {
    /// The npm `jose` package, through `tests/peers/jose_peer.mjs`.
    Jose,
    /// Python's `jwcrypto` (and `PyJWT`), through `tests/peers/jwcrypto_peer.py`.
    Jwcrypto,
    /// IBM watsonx Orchestrate's `createJWT.js` sample (`node-rsa` +
    /// `jsonwebtoken`), through `tests/peers/ibm_create_jwt.js`.
    IbmSample,
}

impl Peer {
    /// Every peer, for tests that run the same check against each.
    pub const ALL: [Peer; 3] = [Peer::Jose, Peer::Jwcrypto, Peer::IbmSample];

    /// A short name for messages (`jose`, `jwcrypto`, `ibm-sample`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Peer::Jose => "jose",
            Peer::Jwcrypto => "jwcrypto",
            Peer::IbmSample => "ibm-sample",
        }
    }

    fn script(self) -> PathBuf {
        let file = match self {
            Peer::Jose => "jose_peer.mjs",
            Peer::Jwcrypto => "jwcrypto_peer.py",
            Peer::IbmSample => "ibm_create_jwt.js",
        };
        repo_root().join("tests").join("peers").join(file)
    }

    /// Files whose presence means `install.sh` has installed this peer.
    fn installed_markers(self) -> Vec<PathBuf> {
        let modules = node_modules();
        match self {
            Peer::Jose => vec![modules.join("jose").join("package.json")],
            Peer::Jwcrypto => vec![venv_python()],
            Peer::IbmSample => vec![
                modules.join("node-rsa").join("package.json"),
                modules.join("jsonwebtoken").join("package.json"),
            ],
        }
    }

    fn command(self) -> Command {
        let mut cmd = match self {
            Peer::Jose | Peer::IbmSample => {
                let mut cmd = Command::new("node");
                cmd.env("NODE_PATH", node_modules());
                cmd
            }
            Peer::Jwcrypto => {
                let mut cmd = Command::new(venv_python());
                // The peer must not pick up packages from outside the venv.
                cmd.env_remove("PYTHONPATH").env("PYTHONNOUSERSITE", "1");
                cmd
            }
        };
        cmd.arg(self.script());
        cmd
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The workspace root (the directory holding `.peers/` and `tests/`).
#[must_use]
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

fn node_modules() -> PathBuf {
    repo_root().join(".peers").join("node").join("node_modules")
}

fn venv_python() -> PathBuf {
    repo_root()
        .join(".peers")
        .join("venv")
        .join("bin")
        .join("python")
}

/// Whether `peer` is installed under `.peers/` and its script is present.
///
/// For the Node peers this does not check that `node` itself is on `PATH`;
/// [`call`] reports that when it cannot start it.
#[must_use]
pub fn available(peer: Peer) -> bool {
    peer.script().is_file() && peer.installed_markers().iter().all(|p| p.exists())
}

/// Whether an interop test should run against `peer`.
///
/// Returns `true` when the peer is installed. Otherwise, if
/// [`REQUIRE_PEERS_ENV`] is `1` it panics, so that `tests/run.sh` and CI never
/// pass by skipping; if not, it prints a skip line to stderr and returns
/// `false`, so a plain `cargo test` still works on a machine without peers.
///
/// # Panics
///
/// When the peer is missing and `CHATSEAL_REQUIRE_PEERS=1`.
#[must_use]
pub fn require(peer: Peer) -> bool {
    if available(peer) {
        return true;
    }
    if env::var(REQUIRE_PEERS_ENV).is_ok_and(|v| v == "1") {
        panic!("peer {peer} not installed: run tests/run.sh");
    }
    eprintln!("skipping: peer {peer} not installed (run tests/run.sh)");
    false
}

/// Send one JSON request to `peer` and return its JSON response.
///
/// Runs the peer's program with the interpreter from `.peers/` (Node with
/// `NODE_PATH=.peers/node/node_modules`, or `.peers/venv/bin/python`), writes
/// `request` to its stdin and parses one JSON value from its stdout.
///
/// # Errors
///
/// The peer's own `error` message when it exits with a failure, or a message
/// saying why it could not be run or why its output was not a JSON object.
pub fn call(peer: Peer, request: &Value) -> Result<Value, String> {
    let input = serde_json::to_vec(request).map_err(|e| format!("{peer}: encode request: {e}"))?;
    let mut child = peer
        .command()
        .current_dir(repo_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "{peer}: cannot start {:?}: {e}",
                peer.command().get_program()
            )
        })?;

    // Write from another thread so a peer that answers before it has read all
    // of its input cannot deadlock us on a full pipe.
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| format!("{peer}: no stdin pipe"))?;
    let writer = thread::spawn(move || stdin.write_all(&input));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("{peer}: wait: {e}"))?;
    let write_result = writer
        .join()
        .map_err(|_| format!("{peer}: stdin writer panicked"))?;

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let response: Option<Value> = serde_json::from_str(stdout.trim()).ok();
    let op = request.get("op").and_then(Value::as_str).unwrap_or("?");

    if !output.status.success() {
        let detail = response
            .as_ref()
            .and_then(|r| r.get("error"))
            .and_then(Value::as_str)
            .map_or_else(
                || format!("stdout: {} stderr: {}", stdout.trim(), stderr.trim()),
                str::to_owned,
            );
        return Err(format!("{peer} {op} failed ({}): {detail}", output.status));
    }
    write_result.map_err(|e| format!("{peer}: write request: {e}"))?;
    match response {
        Some(value @ Value::Object(_)) => Ok(value),
        _ => Err(format!(
            "{peer} {op}: response is not a JSON object: stdout: {} stderr: {}",
            stdout.trim(),
            stderr.trim()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok(peer: Peer, request: Value) -> Value {
        call(peer, &request).unwrap_or_else(|e| panic!("{e}"))
    }

    fn text(value: &Value, field: &str) -> String {
        value[field]
            .as_str()
            .unwrap_or_else(|| panic!("no string field {field} in {value}"))
            .to_owned()
    }

    /// generate + sign + verify through one peer, against itself.
    fn self_round_trip(peer: Peer) {
        if !require(peer) {
            return;
        }
        for (kind, alg) in [("rsa", "RS256"), ("rsa", "PS256"), ("ec", "ES256")] {
            let keys = ok(peer, json!({"op": "generate", "kind": kind, "bits": 2048}));
            let private_pem = text(&keys, "private_pem");
            let public_pem = text(&keys, "public_pem");
            assert!(private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
            assert!(public_pem.starts_with("-----BEGIN PUBLIC KEY-----"));

            let claims = json!({"sub": "user-1", "context": {"role": "Admin"}, "n": 7});
            let signed = ok(
                peer,
                json!({"op": "sign", "alg": alg, "private_pem": private_pem,
                       "kid": "k-1", "claims": claims}),
            );
            let token = text(&signed, "token");
            assert_eq!(
                token.split('.').count(),
                3,
                "{peer}: not a compact JWS: {token}"
            );

            let verified = ok(
                peer,
                json!({"op": "verify", "alg": alg, "public_pem": public_pem, "token": token}),
            );
            assert_eq!(verified["claims"], claims, "{peer} {alg}");
            assert_eq!(
                verified["header"],
                json!({"alg": alg, "typ": "JWT", "kid": "k-1"}),
                "{peer} {alg}"
            );

            // The peer must actually check the signature and the alg.
            let tampered = {
                let (rest, sig) = token.rsplit_once('.').expect("three parts");
                let flipped = if sig.starts_with('A') { 'B' } else { 'A' };
                format!("{rest}.{flipped}{}", &sig[1..])
            };
            let bad = call(
                peer,
                &json!({"op": "verify", "alg": alg, "public_pem": public_pem, "token": tampered}),
            );
            assert!(bad.is_err(), "{peer} {alg}: accepted a tampered signature");
            let other_alg = if alg == "RS256" { "PS256" } else { "RS256" };
            let wrong = call(
                peer,
                &json!({"op": "verify", "alg": other_alg, "public_pem": public_pem, "token": token}),
            );
            assert!(
                wrong.is_err(),
                "{peer}: {alg} token accepted as {other_alg}"
            );
        }
    }

    #[test]
    fn jose_round_trips_with_itself() {
        self_round_trip(Peer::Jose);
    }

    #[test]
    fn jwcrypto_round_trips_with_itself() {
        self_round_trip(Peer::Jwcrypto);
    }

    #[test]
    fn ibm_sample_mints_what_it_verifies_and_decrypts() {
        if !require(Peer::IbmSample) || !require(Peer::Jose) {
            return;
        }
        let client = ok(
            Peer::Jose,
            json!({"op": "generate", "kind": "rsa", "bits": 2048}),
        );
        let platform = ok(
            Peer::Jose,
            json!({"op": "generate", "kind": "rsa", "bits": 2048}),
        );
        // Longer than one OAEP-SHA-1 block under a 2048-bit key (214 bytes).
        let sso_token = "s".repeat(600);
        let minted = ok(
            Peer::IbmSample,
            json!({"op": "mint",
                   "client_private_pem": text(&client, "private_pem"),
                   "platform_public_pem": text(&platform, "public_pem"),
                   "sub": "user-1", "sso_token": sso_token, "context": {"role": "Admin"}}),
        );
        let claims = ok(
            Peer::IbmSample,
            json!({"op": "verify", "client_public_pem": text(&client, "public_pem"),
                   "token": text(&minted, "token")}),
        )["claims"]
            .clone();
        assert_eq!(claims["sub"], "user-1");
        assert_eq!(claims["context"], json!({"role": "Admin"}));
        let iat = claims["iat"].as_i64().expect("iat");
        assert_eq!(claims["exp"].as_i64(), Some(iat + 3600));

        let plain = ok(
            Peer::IbmSample,
            json!({"op": "decrypt_payload",
                   "platform_private_pem": text(&platform, "private_pem"),
                   "user_payload": text(&claims, "user_payload")}),
        );
        let payload: Value = serde_json::from_str(&text(&plain, "plaintext")).expect("JSON");
        assert_eq!(payload, json!({"sso_token": sso_token}));
    }

    #[test]
    fn peer_errors_come_back_as_err() {
        for peer in Peer::ALL {
            if !require(peer) {
                continue;
            }
            let err = call(peer, &json!({"op": "no-such-op"})).expect_err("unknown op");
            assert!(err.contains("no-such-op"), "{peer}: {err}");
        }
    }
}
