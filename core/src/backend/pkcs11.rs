//! Keys held in a PKCS#11 token (feature `pkcs11`): every call into a token
//! lives here, as every in-process cryptographic call lives in `backend.rs`.
//!
//! A [`Pkcs11Module`] is one loaded module (the vendor's shared library). A
//! [`Pkcs11Token`] is one token in it, with a pool of sessions: the user
//! logs in once per token (PKCS#11 login state is shared by every session of
//! the process), and each operation borrows an idle session or opens one,
//! so many threads sign and decrypt at once. A [`TokenKey`] names one
//! private key object by its `CKA_ID` and label, and finds its handle again
//! when the token comes back after it went away.
//!
//! Recovery: an error saying the module, the token or the session is gone
//! (`CKR_CRYPTOKI_NOT_INITIALIZED`, `CKR_DEVICE_REMOVED`,
//! `CKR_TOKEN_NOT_PRESENT`, `CKR_SESSION_HANDLE_INVALID`, ...) bumps the
//! module's generation under a write lock, so no operation is in flight;
//! every session of the old generation is forgotten (never closed: after a
//! re-initialisation its handle number may belong to a new session), the
//! module is initialised again if it was finalised, and the call is tried
//! once more. If the token is still away the caller gets
//! [`ErrorKind::TokenUnavailable`]; the next call tries again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};
use std::{fmt, fs};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsOaepParams, PkcsOaepSource, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{EcPublic, Oaep, RsaBits, RsaPadding, RsaPublic};
use crate::error::{Error, ErrorKind, Result};

mod key;
mod oaep;
mod uri;

pub(crate) use key::{Role, TokenKey, TokenPublic};
pub use uri::{Pkcs11ObjectType, Pkcs11Uri};

/// Environment variable naming the PKCS#11 module (shared library) path.
pub const PKCS11_MODULE_ENV: &str = "CHATSEAL_PKCS11_MODULE";
/// Environment variable holding the token's user PIN.
pub const PKCS11_PIN_ENV: &str = "CHATSEAL_PKCS11_PIN";

/// The DER of the P-256 named-curve OID, as `CKA_EC_PARAMS` holds it.
const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// A token's user PIN: zeroized on drop, `[redacted]` in `Debug`, no
/// `Display`. Read it from a file or the `CHATSEAL_PKCS11_PIN` environment
/// variable, never from the command line.
///
/// ```
/// # #[cfg(feature = "pkcs11")] {
/// let pin = chatseal::Pkcs11Pin::new("123456");
/// assert_eq!(format!("{pin:?}"), "Pkcs11Pin([redacted])");
/// # }
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct Pkcs11Pin(String);

impl Pkcs11Pin {
    /// Wraps a PIN (moved in, not copied).
    pub fn new(pin: impl Into<String>) -> Self {
        Self(pin.into())
    }

    /// Reads the PIN from the first line of `path` (a trailing newline is
    /// not part of it).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let mut text = Zeroizing::new(fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot read the PKCS#11 PIN file `{}`: {e}", path.display()),
            )
        })?);
        let end = text.find(['\r', '\n']).unwrap_or(text.len());
        text.truncate(end);
        if text.is_empty() {
            return Err(Error::new(
                ErrorKind::WrongPin,
                format!("the PKCS#11 PIN file `{}` is empty", path.display()),
            ));
        }
        Ok(Self(std::mem::take(&mut *text)))
    }

    /// The PIN in `CHATSEAL_PKCS11_PIN`, if set and not empty.
    pub fn from_env() -> Option<Self> {
        let v = Zeroizing::new(std::env::var(PKCS11_PIN_ENV).ok()?);
        (!v.is_empty()).then(|| Self(v.to_string()))
    }

    /// The PIN itself. Every use is a place to review: grep for it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    fn auth(&self) -> AuthPin {
        AuthPin::from(self.0.as_str())
    }
}

impl fmt::Debug for Pkcs11Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pkcs11Pin([redacted])")
    }
}

/// How an error of the module is handled.
enum Class {
    /// The module was finalised: initialise it again, then retry.
    Finalized,
    /// The token or the session went away: forget the sessions, retry.
    Gone,
    /// A key handle is stale (the token came back): find it again, retry.
    StaleHandle,
    /// The login state was lost: log in again, retry.
    NotLoggedIn,
    /// Anything else: no retry.
    Other,
}

fn classify(e: &CkError) -> Class {
    match e {
        CkError::Pkcs11(rv, _) => match rv {
            RvError::CryptokiNotInitialized => Class::Finalized,
            RvError::DeviceRemoved
            | RvError::TokenNotPresent
            | RvError::SessionHandleInvalid
            | RvError::SessionClosed
            | RvError::SlotIdInvalid
            | RvError::DeviceError => Class::Gone,
            RvError::ObjectHandleInvalid | RvError::KeyHandleInvalid => Class::StaleHandle,
            RvError::UserNotLoggedIn => Class::NotLoggedIn,
            _ => Class::Other,
        },
        _ => Class::Other,
    }
}

/// The typed error of a failed module call.
fn map_ck(what: &str, e: &CkError) -> Error {
    let CkError::Pkcs11(rv, _) = e else {
        return Error::new(
            ErrorKind::TokenFailed,
            format!("PKCS#11 call failed while {what}: {e}"),
        );
    };
    let kind = match rv {
        RvError::PinIncorrect
        | RvError::PinInvalid
        | RvError::PinLenRange
        | RvError::PinExpired
        | RvError::PinLocked
        | RvError::UserPinNotInitialized => ErrorKind::WrongPin,
        RvError::CryptokiNotInitialized
        | RvError::DeviceRemoved
        | RvError::TokenNotPresent
        | RvError::TokenNotRecognized
        | RvError::SessionHandleInvalid
        | RvError::SessionClosed
        | RvError::SlotIdInvalid
        | RvError::DeviceError
        | RvError::DeviceMemory => ErrorKind::TokenUnavailable,
        RvError::KeyTypeInconsistent | RvError::KeyFunctionNotPermitted => {
            ErrorKind::KeyRoleMismatch
        }
        RvError::ObjectHandleInvalid | RvError::KeyHandleInvalid => ErrorKind::KeyNotFound,
        RvError::UserNotLoggedIn => ErrorKind::WrongPin,
        _ => ErrorKind::TokenFailed,
    };
    let hint = match kind {
        ErrorKind::WrongPin => {
            "; check the PIN file (--pkcs11-pin-file) or CHATSEAL_PKCS11_PIN (a wrong PIN \
             counts towards the token's lock-out)"
        }
        ErrorKind::TokenUnavailable => {
            "; the token is away or the module was finalised; the next call tries again"
        }
        _ => "",
    };
    Error::new(
        kind,
        format!("the PKCS#11 token refused {what}: {rv}{hint}"),
    )
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct Module {
    path: PathBuf,
    ctx: Pkcs11,
    /// Bumped each time sessions must be forgotten; operations hold the read
    /// lock, recovery takes the write lock.
    generation: RwLock<u64>,
    /// Held around the calls that change the module's or the token's state
    /// (reading the slot list, `C_Login`, key generation and destruction):
    /// SoftHSM 2.6 fails them with `CKR_GENERAL_ERROR`, or crashes, when two
    /// threads make them at once. Signing and decryption stay parallel.
    serial: Mutex<()>,
}

impl Module {
    fn initialize(ctx: &Pkcs11) -> std::result::Result<(), CkError> {
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) | Ok(()) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Forgets every session of generation `seen` (once, however many
    /// threads saw it fail), initialising the module again if asked.
    fn recover(&self, seen: u64, reinitialize: bool) -> Result<()> {
        let mut g = self.generation.write().unwrap_or_else(|p| p.into_inner());
        if *g == seen {
            *g += 1;
            if reinitialize {
                Self::initialize(&self.ctx)
                    .map_err(|e| map_ck("to initialise the module again", &e))?;
            }
        }
        Ok(())
    }
}

/// A loaded PKCS#11 module: the shared library of an HSM vendor, a cloud
/// HSM client, or SoftHSM2.
///
/// # Examples
///
/// ```no_run
/// use chatseal::{Algorithm, ClientSigningKey, Pkcs11Module, Pkcs11Pin};
///
/// let module = Pkcs11Module::open("/usr/lib/softhsm/libsofthsm2.so")?;
/// let token = module.token(&"pkcs11:token=chatseal".parse()?, Some(Pkcs11Pin::from_file("pin")?))?;
/// let key = ClientSigningKey::from_pkcs11(
///     &token,
///     &"pkcs11:token=chatseal;object=client-2026-12;type=private".parse()?,
///     Algorithm::PS256,
/// )?;
/// # Ok::<(), chatseal::Error>(())
/// ```
///
/// Opening the same module twice gives the same context: a module is
/// loaded and initialised once per process and stays loaded.
///
/// # Security
///
/// Loading a module runs its code in this process: take the path from
/// configuration an attacker cannot write.
#[derive(Clone)]
pub struct Pkcs11Module(Arc<Module>);

impl Pkcs11Module {
    /// Loads and initialises the module at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let unavailable = |why: String| {
            Error::new(
                ErrorKind::Pkcs11ModuleUnavailable,
                format!(
                    "PKCS#11 module `{}` {why}; give the vendor's module with --pkcs11-module \
                     PATH or {PKCS11_MODULE_ENV} (SoftHSM2 on Debian: \
                     /usr/lib/softhsm/libsofthsm2.so)",
                    path.display()
                ),
            )
        };
        if !path.is_file() {
            return Err(unavailable("does not exist".into()));
        }
        // One context per module per process, never unloaded: PKCS#11 state
        // (initialisation, login) is per process, and unloading a module
        // while another thread uses it crashes (SoftHSM 2.6's destructors
        // run under it).
        static LOADED: OnceLock<Mutex<HashMap<PathBuf, Arc<Module>>>> = OnceLock::new();
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        let mut loaded = lock(LOADED.get_or_init(Default::default));
        if let Some(m) = loaded.get(&key) {
            return Ok(Self(m.clone()));
        }
        let ctx = Pkcs11::new(path).map_err(|e| match e {
            CkError::LibraryLoading(e) => unavailable(format!("does not load ({e})")),
            other => unavailable(format!("is not a PKCS#11 module ({other})")),
        })?;
        Module::initialize(&ctx).map_err(|e| unavailable(format!("does not initialise ({e})")))?;
        let module = Arc::new(Module {
            path: path.to_path_buf(),
            ctx,
            generation: RwLock::new(0),
            serial: Mutex::new(()),
        });
        loaded.insert(key, module.clone());
        Ok(Self(module))
    }

    /// The module named by `CHATSEAL_PKCS11_MODULE`.
    pub fn from_env() -> Result<Self> {
        match std::env::var_os(PKCS11_MODULE_ENV) {
            Some(p) if !p.is_empty() => Self::open(p),
            _ => Err(Error::new(
                ErrorKind::Pkcs11ModuleUnavailable,
                format!(
                    "no PKCS#11 module given; pass --pkcs11-module PATH or set \
                     {PKCS11_MODULE_ENV}"
                ),
            )),
        }
    }

    /// The module's path.
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// The token `uri` names (its token attributes; an object in it is
    /// ignored here), logged in with `pin` if one is given. The token must
    /// be present now, and the PIN right.
    pub fn token(&self, uri: &Pkcs11Uri, pin: Option<Pkcs11Pin>) -> Result<Pkcs11Token> {
        let token = Pkcs11Token(Arc::new(Token {
            module: self.0.clone(),
            selector: uri.token_only(),
            pin,
            pool: Mutex::new(Pool::default()),
        }));
        // Finds the slot and logs in now, so that a wrong PIN or a missing
        // token shows at start-up, not on the first request.
        token.run("to open a session", |_, _| Ok(()))?;
        Ok(token)
    }

    /// Finalises and initialises the module again, as after an HSM
    /// fail-over: every session of this process closes and the login is
    /// lost; keys open a new session and log in again on their next call.
    /// Waits for operations in flight.
    pub fn reload(&self) -> Result<()> {
        let mut g = self.0.generation.write().unwrap_or_else(|p| p.into_inner());
        *g += 1;
        // `finalize` consumes a handle to the same library; the module
        // stays loaded through `self.0.ctx`.
        match self.0.ctx.clone().finalize() {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiNotInitialized, _)) => {}
            Err(e) => return Err(map_ck("to finalise", &e)),
        }
        Module::initialize(&self.0.ctx).map_err(|e| map_ck("to initialise", &e))
    }
}

impl fmt::Debug for Pkcs11Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Module")
            .field("path", &self.0.path)
            .finish()
    }
}

#[derive(Default)]
struct Pool {
    /// The generation the fields below belong to.
    generation: u64,
    slot: Option<Slot>,
    logged_in: bool,
    idle: Vec<Session>,
}

struct Token {
    module: Arc<Module>,
    selector: Pkcs11Uri,
    pin: Option<Pkcs11Pin>,
    pool: Mutex<Pool>,
}

/// Why a session could not be had.
enum Fail {
    Ck(CkError),
    Ours(Error),
}

/// One token of a [`Pkcs11Module`] with its pool of sessions, logged in
/// once. Cloning is cheap; keys opened from it share the pool.
#[derive(Clone)]
pub struct Pkcs11Token(Arc<Token>);

impl fmt::Debug for Pkcs11Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Token")
            .field("uri", &self.0.selector.to_string())
            .field("module", &self.0.module.path)
            .field("pin", &self.0.pin.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl Pkcs11Token {
    /// The URI of the token (no object).
    pub fn uri(&self) -> &Pkcs11Uri {
        &self.0.selector
    }

    fn find_slot(&self) -> std::result::Result<Slot, Fail> {
        let _one_at_a_time = lock(&self.0.module.serial);
        let ctx = &self.0.module.ctx;
        let sel = &self.0.selector;
        let mut found = Vec::new();
        for slot in ctx.get_slots_with_token().map_err(Fail::Ck)? {
            let Ok(info) = ctx.get_token_info(slot) else {
                continue;
            };
            if !info.token_initialized() {
                continue;
            }
            let slot_ok = match ctx.get_slot_info(slot) {
                Ok(s) => sel.matches_slot(slot.id(), s.slot_description(), s.manufacturer_id()),
                Err(_) => false,
            };
            if slot_ok
                && sel.matches_token(
                    info.label(),
                    info.manufacturer_id(),
                    info.model(),
                    info.serial_number(),
                )
            {
                found.push(slot);
            }
        }
        match found.as_slice() {
            [one] => Ok(*one),
            [] => Err(Fail::Ours(Error::new(
                ErrorKind::TokenUnavailable,
                format!(
                    "no token in the PKCS#11 module `{}` matches `{sel}` (is it initialised, \
                     and is SOFTHSM2_CONF or the vendor's configuration pointing at it?)",
                    self.0.module.path.display()
                ),
            ))),
            many => Err(Fail::Ours(Error::new(
                ErrorKind::TokenUnavailable,
                format!(
                    "{} tokens match `{sel}`; add `serial=` to the URI to name one",
                    many.len()
                ),
            ))),
        }
    }

    /// An idle session of generation `generation`, or a new one (logging in
    /// first if nobody has).
    fn checkout(&self, generation: u64) -> std::result::Result<Session, Fail> {
        let mut pool = lock(&self.0.pool);
        if pool.generation != generation {
            // Sessions of an older generation are forgotten, never closed.
            let old = std::mem::take(&mut pool.idle);
            drop(old);
            *pool = Pool {
                generation,
                ..Pool::default()
            };
        }
        if let Some(s) = pool.idle.pop() {
            return Ok(s);
        }
        let slot = match pool.slot {
            Some(s) => s,
            None => {
                let s = self.find_slot()?;
                pool.slot = Some(s);
                s
            }
        };
        let session = self
            .0
            .module
            .ctx
            .open_ro_session_no_drop(slot)
            .map_err(Fail::Ck)?;
        if !pool.logged_in {
            if let Some(pin) = &self.0.pin {
                let _one_at_a_time = lock(&self.0.module.serial);
                match session.login(UserType::User, Some(&pin.auth())) {
                    Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
                    Err(e) => {
                        let _ = session.close();
                        return Err(match classify(&e) {
                            Class::Other => Fail::Ours(map_ck("the PIN", &e)),
                            _ => Fail::Ck(e),
                        });
                    }
                }
            }
            pool.logged_in = true;
        }
        Ok(session)
    }

    fn checkin(&self, generation: u64, session: Session) {
        let mut pool = lock(&self.0.pool);
        if pool.generation == generation {
            pool.idle.push(session);
        }
    }

    /// Runs `f` with a logged-in session of the current generation,
    /// recovering once from a finalised module, a token that came back, a
    /// stale key handle or a lost login.
    pub(crate) fn run<T>(
        &self,
        what: &str,
        f: impl Fn(&Session, u64) -> std::result::Result<T, CkError>,
    ) -> Result<T> {
        let module = &self.0.module;
        let mut last = None;
        for _attempt in 0..3 {
            let guard = module.generation.read().unwrap_or_else(|p| p.into_inner());
            let generation = *guard;
            let session = match self.checkout(generation) {
                Ok(s) => s,
                Err(Fail::Ours(e)) if e.kind() == ErrorKind::TokenUnavailable => {
                    // The token may come back with a fresh slot list.
                    drop(guard);
                    module.recover(generation, false)?;
                    return Err(e);
                }
                Err(Fail::Ours(e)) => return Err(e),
                Err(Fail::Ck(e)) => {
                    drop(guard);
                    match classify(&e) {
                        Class::Finalized => module.recover(generation, true)?,
                        Class::Gone | Class::NotLoggedIn | Class::StaleHandle => {
                            module.recover(generation, false)?
                        }
                        Class::Other => return Err(map_ck(what, &e)),
                    }
                    last = Some(e);
                    continue;
                }
            };
            match f(&session, generation) {
                Ok(v) => {
                    self.checkin(generation, session);
                    return Ok(v);
                }
                Err(e) => match classify(&e) {
                    Class::Other => {
                        self.checkin(generation, session);
                        return Err(map_ck(what, &e));
                    }
                    Class::StaleHandle => {
                        // The key forgot its handle; it looks it up again.
                        self.checkin(generation, session);
                        last = Some(e);
                    }
                    Class::NotLoggedIn => {
                        lock(&self.0.pool).logged_in = false;
                        let _ = session.close();
                        last = Some(e);
                    }
                    c => {
                        drop(session);
                        drop(guard);
                        module.recover(generation, matches!(c, Class::Finalized))?;
                        last = Some(e);
                    }
                },
            }
        }
        Err(match last {
            Some(e) => map_ck(what, &e),
            None => Error::internal("PKCS#11 retry"),
        })
    }

    /// Runs `f` in a new read-write session (key generation and
    /// destruction), logged in like the pool's sessions.
    fn run_rw<T>(
        &self,
        what: &str,
        f: impl Fn(&Session) -> std::result::Result<T, CkError>,
    ) -> Result<T> {
        // A pooled session proves the slot and the login first.
        self.run(what, |_, _| Ok(()))?;
        let guard = self
            .0
            .module
            .generation
            .read()
            .unwrap_or_else(|p| p.into_inner());
        let slot = lock(&self.0.pool).slot;
        let slot = slot.ok_or_else(|| {
            Error::new(
                ErrorKind::TokenUnavailable,
                "the token went away; try again",
            )
        })?;
        // After the pool's lock (taken above and released): the order is
        // always pool, then serial.
        let _one_at_a_time = lock(&self.0.module.serial);
        let session = self
            .0
            .module
            .ctx
            .open_rw_session(slot)
            .map_err(|e| map_ck(what, &e))?;
        let out = f(&session).map_err(|e| map_ck(what, &e));
        drop(session);
        drop(guard);
        out
    }

    /// Generates an RSA key pair of `bits` inside the token, the private
    /// half sensitive and not extractable, under a fresh random `CKA_ID` and
    /// `label`; `decrypt` makes a decryption key, else a signing key.
    pub(crate) fn generate_rsa(
        &self,
        bits: RsaBits,
        decrypt: bool,
        label: &str,
    ) -> Result<Pkcs11Uri> {
        let n_bits: u64 = match bits {
            RsaBits::B2048 => 2048,
            RsaBits::B3072 => 3072,
            RsaBits::B4096 => 4096,
        };
        let id = new_id()?;
        let public = vec![
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::ModulusBits(n_bits.into()),
            Attribute::PublicExponent(vec![1, 0, 1]),
            Attribute::Encrypt(decrypt),
            Attribute::Verify(!decrypt),
            Attribute::Wrap(false),
            Attribute::Id(id.clone()),
            Attribute::Label(label.as_bytes().to_vec()),
        ];
        let private = private_template(&id, label, decrypt);
        self.run_rw("to generate an RSA key pair", |s| {
            s.generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private)
        })?;
        Ok(self.0.selector.with_private_key(&id, label))
    }

    /// Generates a P-256 signing key pair inside the token (see
    /// [`Pkcs11Token::generate_rsa`]).
    pub(crate) fn generate_p256(&self, label: &str) -> Result<Pkcs11Uri> {
        let id = new_id()?;
        let public = vec![
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::EcParams(P256_PARAMS.to_vec()),
            Attribute::Verify(true),
            Attribute::Derive(false),
            Attribute::Id(id.clone()),
            Attribute::Label(label.as_bytes().to_vec()),
        ];
        let private = private_template(&id, label, false);
        self.run_rw("to generate a P-256 key pair", |s| {
            s.generate_key_pair(&Mechanism::EccKeyPairGen, &public, &private)
        })?;
        Ok(self.0.selector.with_private_key(&id, label))
    }

    /// Destroys the key objects (private and public) `uri` names; returns
    /// how many were destroyed. The URI must name an object by `id` or
    /// `object`.
    pub fn destroy_key(&self, uri: &Pkcs11Uri) -> Result<usize> {
        if !uri.names_object() {
            return Err(Error::new(
                ErrorKind::InvalidPkcs11Uri,
                format!("`{uri}` names no object (`id=` or `object=`); refusing to destroy"),
            ));
        }
        let mut template = Vec::new();
        if let Some(id) = uri.id() {
            template.push(Attribute::Id(id.to_vec()));
        }
        if let Some(label) = uri.object() {
            template.push(Attribute::Label(label.as_bytes().to_vec()));
        }
        self.run_rw("to destroy a key", |s| {
            let mut n = 0;
            for class in [ObjectClass::PRIVATE_KEY, ObjectClass::PUBLIC_KEY] {
                let mut t = template.clone();
                t.push(Attribute::Class(class));
                for h in s.find_objects(&t)? {
                    s.destroy_object(h)?;
                    n += 1;
                }
            }
            Ok(n)
        })
    }
}

fn private_template(id: &[u8], label: &str, decrypt: bool) -> Vec<Attribute> {
    vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        // One key, one role: tokens default the other use to allowed.
        Attribute::Decrypt(decrypt),
        Attribute::Sign(!decrypt),
        Attribute::Unwrap(false),
        Attribute::Derive(false),
        Attribute::Id(id.to_vec()),
        Attribute::Label(label.as_bytes().to_vec()),
    ]
}

fn new_id() -> Result<Vec<u8>> {
    let mut id = vec![0u8; 16];
    super::fill_random(&mut id)?;
    Ok(id)
}

#[cfg(test)]
mod tests;
