use super::key::ecdsa_to_jose;
use super::*;

#[test]
fn ecdsa_signature_forms() {
    let raw: Vec<u8> = (1..=64).collect();
    assert_eq!(ecdsa_to_jose(&raw).unwrap(), raw);
    // DER with a leading zero on r and a short s.
    let mut der = vec![0x30, 0x25, 0x02, 0x21, 0x00];
    der.extend(std::iter::repeat_n(0x80, 32));
    der.extend([0x02, 0x00]);
    let j = ecdsa_to_jose(&der).unwrap();
    assert_eq!(&j[..32], &[0x80; 32]);
    assert_eq!(&j[32..], &[0; 32]);
    assert_eq!(
        ecdsa_to_jose(&[0x30, 0x00, 0x01]).unwrap_err().kind(),
        ErrorKind::TokenFailed
    );
}

#[test]
fn pin_is_redacted() {
    let p = Pkcs11Pin::new("9876");
    assert_eq!(format!("{p:?}"), "Pkcs11Pin([redacted])");
    let dir = std::env::temp_dir().join(format!("chatseal-pin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("pin");
    std::fs::write(&f, "9876\n").unwrap();
    assert_eq!(Pkcs11Pin::from_file(&f).unwrap(), p);
    std::fs::write(&f, "\n").unwrap();
    assert_eq!(
        Pkcs11Pin::from_file(&f).unwrap_err().kind(),
        ErrorKind::WrongPin
    );
    let e = Pkcs11Pin::from_file(dir.join("absent")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_module_is_typed() {
    let e = Pkcs11Module::open("/nonexistent/libnothing.so").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Pkcs11ModuleUnavailable);
    // A file that is not a shared library.
    let e = Pkcs11Module::open("/etc/hostname").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Pkcs11ModuleUnavailable, "{e}");
}
