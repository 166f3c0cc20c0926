//! Embeds the built frontend: copies the folder named by `KRING_EMBED_FRONTEND` (set by
//! `cargo xtask run` and `cargo xtask dist` to the folder `cargo xtask build` wrote) into
//! `$OUT_DIR/frontend`, which `src/assets.rs` includes in the binary. Without the variable the
//! folder stays empty and the server serves `--frontend` from disk.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-env-changed=KRING_EMBED_FRONTEND");
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("frontend");
    if out.exists() {
        std::fs::remove_dir_all(&out).expect("clear the embedded frontend");
    }
    std::fs::create_dir_all(&out).expect("create the embedded frontend folder");
    let Ok(from) = std::env::var("KRING_EMBED_FRONTEND") else {
        return;
    };
    let from = Path::new(&from);
    println!("cargo:rerun-if-changed={}", from.display());
    assert!(
        from.join("index.html").is_file(),
        "KRING_EMBED_FRONTEND={} holds no index.html (run `cargo xtask build`)",
        from.display()
    );
    for entry in std::fs::read_dir(from).expect("read KRING_EMBED_FRONTEND") {
        let entry = entry.expect("a directory entry");
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::copy(entry.path(), out.join(entry.file_name())).expect("copy a file");
        }
    }
}
