//! The uniffi bindgen CLI, pinned to the uniffi version of `chatseal-ffi`.
//!
//! ```text
//! cargo run -p chatseal-uniffi-bindgen -- generate \
//!     --library target/debug/libchatseal_ffi.so --language kotlin --out-dir out/
//! ```

fn main() {
    uniffi::uniffi_bindgen_main()
}
