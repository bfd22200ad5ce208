//! EME-OAEP decoding (RFC 8017 §7.1.2) with SHA-256 and MGF1-SHA-256 and an
//! empty label, for tokens that do RSA-OAEP with SHA-1 only (SoftHSM 2.6):
//! the token does the private-key operation (`CKM_RSA_X_509`) and this
//! removes the padding. SHA-256 is aws-lc-rs's; the checks below run in time
//! that depends on the key size only, and every failure is the same `None`
//! (no padding oracle, Manger 2001).

use zeroize::Zeroizing;

const H: usize = 32;

/// MGF1 with SHA-256 of `seed`, `len` bytes, XORed into `out`.
fn mgf1_xor(seed: &[u8], out: &mut [u8]) {
    for (counter, chunk) in out.chunks_mut(H).enumerate() {
        let mut input = Zeroizing::new(Vec::with_capacity(seed.len() + 4));
        input.extend_from_slice(seed);
        input.extend_from_slice(&u32::try_from(counter).unwrap_or(u32::MAX).to_be_bytes());
        let mask = Zeroizing::new(super::super::sha256(&input));
        for (o, m) in chunk.iter_mut().zip(mask.iter()) {
            *o ^= m;
        }
    }
}

/// 0xff if `a == b`, else 0.
fn eq_mask(a: u8, b: u8) -> u8 {
    let x = u32::from(a ^ b);
    // x - 1 borrows (top bit set) only when x == 0.
    (((x.wrapping_sub(1)) >> 8) & 0xff) as u8
}

/// The message inside the encoded block `em` (the raw RSA output, `k` bytes
/// once left-padded), or `None` whatever is wrong.
pub(super) fn decode_sha256(em: &[u8], k: usize) -> Option<Zeroizing<Vec<u8>>> {
    if k < 2 * H + 2 || em.len() > k {
        return None;
    }
    let mut block = Zeroizing::new(vec![0u8; k]);
    block[k - em.len()..].copy_from_slice(em);
    let l_hash = super::super::sha256(b"");
    let (y, rest) = block.split_at_mut(1);
    let (seed, db) = rest.split_at_mut(H);
    mgf1_xor(db, seed);
    mgf1_xor(seed, db);
    // good stays 0xff while every check passes.
    let mut good = eq_mask(y[0], 0);
    for (a, b) in db[..H].iter().zip(l_hash.iter()) {
        good &= eq_mask(*a, *b);
    }
    // Find the 0x01 after the zero padding, touching every byte.
    let mut looking = 0xffu8;
    let mut index = 0usize;
    for (i, &b) in db.iter().enumerate().skip(H) {
        let is_one = eq_mask(b, 1);
        let is_zero = eq_mask(b, 0);
        // The first 0x01 while looking: record where the message starts.
        let found = looking & is_one;
        let mask = usize::from(found) * (usize::MAX / 255);
        index = (index & !mask) | ((i + 1) & mask);
        // A byte that is neither 0 nor 1 while looking is an error.
        good &= !looking | is_one | is_zero;
        looking &= !is_one;
    }
    good &= !looking;
    if good != 0xff {
        return None;
    }
    Some(Zeroizing::new(db[index..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eq_mask_is_exact() {
        for a in 0..=255u8 {
            for b in [0u8, 1, a, 255] {
                assert_eq!(eq_mask(a, b), if a == b { 0xff } else { 0 });
            }
        }
    }

    #[test]
    fn decodes_what_aws_lc_encrypts_and_refuses_the_rest() {
        // EM built by hand (RFC 8017 §7.1.1) with a fixed seed; the SoftHSM
        // tests decrypt jwcrypto's RSA-OAEP-256 JWEs through this path.
        let k = 256;
        let msg = b"thirty-two byte content key 0123";
        let seed = [7u8; H];
        let mut db = vec![0u8; k - H - 1];
        db[..H].copy_from_slice(&crate::backend::sha256(b""));
        let start = db.len() - msg.len();
        db[start - 1] = 1;
        db[start..].copy_from_slice(msg);
        let mut masked_seed = seed;
        mgf1_xor(&seed, &mut db);
        mgf1_xor(&db, &mut masked_seed);
        let mut em = vec![0u8];
        em.extend_from_slice(&masked_seed);
        em.extend_from_slice(&db);
        assert_eq!(&decode_sha256(&em, k).unwrap()[..], msg);
        // Leading zero dropped by a module: padded back.
        assert_eq!(&decode_sha256(&em[1..], k).unwrap()[..], msg);
        // Any flipped byte fails, silently.
        for i in 0..em.len() {
            let mut bad = em.clone();
            bad[i] ^= 0x40;
            assert!(decode_sha256(&bad, k).is_none(), "byte {i}");
        }
        assert!(decode_sha256(&em, 2 * H + 1).is_none());
    }
}
