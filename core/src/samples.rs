//! Whether a key is one of the published sample keys (see `sample_keys.rs`).

/// Where a key was published, if its RFC 7638 `thumbprint` is that of a
/// well-known sample key (IBM's embed chat samples, OpenMetadata's default
/// JWT keys, jwt.io's and the RFCs' example keys).
///
/// Such a key's private half is public: a token it signs proves nothing, and
/// a payload encrypted to it is readable by anyone. Tools refuse to activate
/// one (the `chatseal` CLI unless `--allow-sample-key` is given).
///
/// ```
/// use chatseal::{published_sample_key, Algorithm, ClientSigningKey};
///
/// // jwt.io's ES256 sample key, as its debugger shows it.
/// let pem = "-----BEGIN PRIVATE KEY-----
/// MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgevZzL1gdAFr88hb2
/// OF/2NxApJCzGCEDdfSp6VQO30hyhRANCAAQRWz+jn65BtOMvdyHKcvjBeBSDZH2r
/// 1RTwjmYSi9R/zpBnuQ4EiMnCqfMPWiZqB4QdbAd0E7oH50VpuZ1P087G
/// -----END PRIVATE KEY-----";
/// let key = ClientSigningKey::from_pem(pem, Algorithm::ES256)?;
/// assert!(published_sample_key(key.thumbprint()).is_some());
///
/// let fresh = ClientSigningKey::generate(Algorithm::ES256)?;
/// assert_eq!(published_sample_key(fresh.thumbprint()), None);
/// # Ok::<(), chatseal::Error>(())
/// ```
pub fn published_sample_key(thumbprint: &str) -> Option<&'static str> {
    crate::sample_keys::SAMPLE_KEYS
        .iter()
        .find(|k| k.thumbprint == thumbprint)
        .map(|k| k.source)
}

#[cfg(test)]
mod tests {
    use super::published_sample_key;

    #[test]
    fn every_published_public_key_fixture_is_recognised() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/sample-keys");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).expect("fixture dir") {
            let path = entry.expect("entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".pub.pem") {
                continue;
            }
            let pem = std::fs::read_to_string(&path).unwrap();
            let tp = crate::thumbprint_of_spki_pem(&pem).unwrap();
            assert!(published_sample_key(&tp).is_some(), "{name} not recognised");
            seen += 1;
        }
        assert!(seen >= 5, "only {seen} fixtures found");
    }

    #[test]
    fn unknown_thumbprint_is_not_a_sample() {
        assert_eq!(published_sample_key(""), None);
        assert_eq!(published_sample_key("not-a-thumbprint"), None);
    }
}
