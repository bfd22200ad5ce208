//! `chatseal apikey generate`: a new API key for `chatseal serve`, shown
//! once; only its hash is written.

use super::*;

pub(crate) fn apikey_generate(a: ApikeyGenerateArgs) -> CliResult {
    if a.out.exists() && !a.force {
        return Err(usage(format!(
            "`{}` exists; pass --force to replace it (the key it holds the hash of stops \
             working)",
            a.out.display()
        )));
    }
    let mut slot = chatseal::ApiKeySlot::empty();
    let key = slot.generate()?;
    let stored = slot
        .to_stored()
        .ok_or_else(|| usage("internal: the new key has no hash"))?;
    chatseal_keys::write_private_file(&a.out, &format!("{stored}\n"))?;
    eprintln!(
        "chatseal: wrote the hash to {} (mode 0600); the key below is shown once",
        a.out.display()
    );
    emit(&format!("{}\n", key.expose_secret()))
}
