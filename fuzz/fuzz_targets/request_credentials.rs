//! Credential extraction from a request, the gateway's first look at what
//! a client sent: the first line of the input is the query string, every
//! other line a `name: value` header.
//!
//! Property: never a panic; an error is `invalid_request` and its message
//! repeats no word of 24 bytes or more of the `Authorization` or `api-key`
//! values (a token or a key); a success has at most one
//! bearer token, never empty, without whitespace.
#![no_main]

use chatseal::{extract_credentials, rules, ErrorKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut lines = data.split(|b| *b == b'\n');
    let query = lines.next().and_then(|q| std::str::from_utf8(q).ok());
    let mut headers: Vec<(&str, &[u8])> = Vec::new();
    for l in lines {
        let Some(i) = l.iter().position(|b| *b == b':') else {
            continue;
        };
        let Ok(name) = std::str::from_utf8(&l[..i]) else {
            continue;
        };
        headers.push((name, l[i + 1..].strip_prefix(b" ").unwrap_or(&l[i + 1..])));
    }
    // Words of 24 bytes or more in the credential headers: a token or a
    // key, which no message may repeat.
    let secrets: Vec<String> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("api-key") || n.eq_ignore_ascii_case("authorization"))
        .filter_map(|(_, v)| std::str::from_utf8(v).ok())
        .flat_map(|v| v.split_whitespace())
        .filter(|w| w.len() >= 24)
        .map(str::to_owned)
        .collect();
    match extract_credentials(headers.iter().copied(), query) {
        Err(e) => {
            assert_eq!(
                e.kind(),
                ErrorKind::PolicyDenied {
                    rule: rules::INVALID_REQUEST
                }
            );
            for w in &secrets {
                assert!(!e.message().contains(w.as_str()), "{}", e.message());
            }
        }
        Ok(found) => {
            if let Some(t) = found.credentials().bearer_token {
                assert!(!t.is_empty());
                assert!(found.token_source().is_some());
            }
        }
    }
});
