//! Cross-crate, interop and attack tests for chatseal.
//!
//! The tests themselves live in `tests/tests/`. This library holds what they
//! share: [`peers`], which runs foreign JOSE implementations (npm `jose`,
//! Python `jwcrypto` / `PyJWT`, and IBM watsonx Orchestrate's `createJWT.js`
//! sample) as child processes so tokens can be checked across languages.
//!
//! Run everything with `tests/run.sh`: it installs the peers into `.peers/`
//! and sets `CHATSEAL_REQUIRE_PEERS=1`, so no interop test can pass by
//! skipping. A plain `cargo test` skips the interop tests whose peers are not
//! installed and says so on stderr.

pub mod peers;
