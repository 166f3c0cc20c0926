//! Turns the wasm-bindgen output and `frontend/static/` into the folder the server serves:
//! every file that a page loads gets its content hash in its name (`kring_bg-<16 hex>.wasm`), so
//! the server can let browsers cache it for a year; `index.html` and `sw.js` keep their names
//! (they are revalidated on every visit) and name the hashed files. The service worker's cache
//! is named after the build, so a new build replaces the old cache instead of mixing with it.
//! Each file gets a `.br` and a `.gz` beside it.

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::Result;

/// The files of one build, by role, under their hashed names.
pub struct Bundle {
    pub wasm: String,
    pub js: String,
    pub boot: String,
    pub style: String,
    pub report: String,
}

impl Bundle {
    /// Every file a first visit downloads (besides `index.html` and `sw.js`).
    pub fn files(&self) -> [&str; 5] {
        [&self.wasm, &self.js, &self.boot, &self.style, &self.report]
    }
}

/// The first 16 hex digits of a SHA-256: plenty to tell builds apart.
fn short_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..8])
}

fn hashed_name(name: &str, bytes: &[u8]) -> String {
    let (stem, ext) = name.split_once('.').unwrap_or((name, ""));
    format!("{stem}-{}.{ext}", short_hash(bytes))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Replaces `from` with `to` in `text`, failing when `from` is not there (a renamed file in
/// `frontend/static` must not silently leave a stale reference).
fn replace_once(text: &str, from: &str, to: &str, file: &str) -> Result<String> {
    if !text.contains(from) {
        return Err(format!(
            "{file} no longer contains `{from}`; update crates/xtask/src/bundle.rs"
        ));
    }
    Ok(text.replacen(from, to, 1))
}

/// Writes the served folder `out` (emptied first) from wasm-bindgen's output in `generated`
/// (`kring.js`, `kring_bg.wasm`) and the static files in `statics`.
pub fn assemble(generated: &Path, statics: &Path, out: &Path) -> Result<Bundle> {
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let put = |name: &str, bytes: &[u8]| -> Result<String> {
        let hashed = hashed_name(name, bytes);
        write(&out.join(&hashed), bytes)?;
        Ok(hashed)
    };
    let wasm = put("kring_bg.wasm", &read(&generated.join("kring_bg.wasm"))?)?;
    let js = put("kring.js", &read(&generated.join("kring.js"))?)?;
    let style = put("style.css", &read(&statics.join("style.css"))?)?;
    let report = put("report.css", &read(&statics.join("report.css"))?)?;
    let boot_src = String::from_utf8(read(&statics.join("boot.js"))?).map_err(|e| e.to_string())?;
    let boot_src = replace_once(&boot_src, "\"/kring.js\"", &format!("\"/{js}\""), "boot.js")?;
    let boot_src = replace_once(
        &boot_src,
        "\"/kring_bg.wasm\"",
        &format!("\"/{wasm}\""),
        "boot.js",
    )?;
    let boot = put("boot.js", boot_src.as_bytes())?;
    let bundle = Bundle {
        wasm,
        js,
        boot,
        style,
        report,
    };

    let index = index_html(&bundle);
    write(&out.join("index.html"), index.as_bytes())?;
    let sw_src = String::from_utf8(read(&statics.join("sw.js"))?).map_err(|e| e.to_string())?;
    let shell: Vec<String> = std::iter::once("/".to_owned())
        .chain(bundle.files().iter().map(|f| format!("/{f}")))
        .map(|p| format!("\"{p}\""))
        .collect();
    let sw = replace_once(
        &sw_src,
        "const CACHE = \"kring-shell-dev\";",
        &format!(
            "const CACHE = \"kring-shell-{}\";",
            short_hash(index.as_bytes())
        ),
        "sw.js",
    )?;
    let sw = replace_once(
        &sw,
        "const SHELL = [\"/\"];",
        &format!("const SHELL = [{}];", shell.join(", ")),
        "sw.js",
    )?;
    write(&out.join("sw.js"), sw.as_bytes())?;

    let mut all: Vec<&str> = bundle.files().to_vec();
    all.extend(["index.html", "sw.js"]);
    precompress(out, &all)?;
    Ok(bundle)
}

fn index_html(b: &Bundle) -> String {
    format!(
        r#"<!doctype html>
<html lang="nl">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Kring</title>
  <link rel="stylesheet" href="/{style}">
  <link rel="stylesheet" href="/{report}">
  <link rel="preload" href="/{wasm}" as="fetch" type="application/wasm" crossorigin>
</head>
<body>
  <noscript>Kring needs JavaScript and WebAssembly.</noscript>
  <script type="module" src="/{boot}"></script>
</body>
</html>
"#,
        style = b.style,
        report = b.report,
        wasm = b.wasm,
        boot = b.boot,
    )
}

/// Writes `file.gz` and `file.br` beside each file, so the server sends the compressed one to a
/// browser that accepts it (a phone on the room's Wi-Fi downloads a third).
fn precompress(dir: &Path, files: &[&str]) -> Result<()> {
    for file in files {
        let bytes = read(&dir.join(file))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes).map_err(|e| e.to_string())?;
        let gz = gz.finish().map_err(|e| e.to_string())?;
        write(&dir.join(format!("{file}.gz")), &gz)?;
        let mut br = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut br, 64 * 1024, 11, 22);
            w.write_all(&bytes).map_err(|e| e.to_string())?;
        }
        write(&dir.join(format!("{file}.br")), &br)?;
    }
    Ok(())
}

/// Bytes a first visit downloads with brotli: `index.html` and every file it loads.
pub fn first_visit_bytes(out: &Path, b: &Bundle) -> u64 {
    std::iter::once("index.html")
        .chain(b.files())
        .map(|f| std::fs::metadata(out.join(format!("{f}.br"))).map_or(0, |m| m.len()))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_sixteen_hex_digits_of_the_content() {
        let a = hashed_name("kring_bg.wasm", b"one");
        let b = hashed_name("kring_bg.wasm", b"two");
        assert_ne!(a, b);
        assert!(a.starts_with("kring_bg-") && a.ends_with(".wasm"), "{a}");
        assert_eq!(a.len(), "kring_bg-".len() + 16 + ".wasm".len());
    }

    #[test]
    fn the_served_folder_names_only_hashed_files() {
        let gen_dir = tempfile::tempdir().unwrap();
        let out = tempfile::tempdir().unwrap();
        write(&gen_dir.path().join("kring_bg.wasm"), b"\0asm").unwrap();
        write(&gen_dir.path().join("kring.js"), b"export default 1;").unwrap();
        let statics = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../frontend/static");
        let b = assemble(gen_dir.path(), &statics, out.path()).unwrap();
        let index = std::fs::read_to_string(out.path().join("index.html")).unwrap();
        let boot = std::fs::read_to_string(out.path().join(&b.boot)).unwrap();
        let sw = std::fs::read_to_string(out.path().join("sw.js")).unwrap();
        for f in [&b.style, &b.report, &b.wasm, &b.boot] {
            assert!(index.contains(&format!("/{f}")), "{f} in index.html");
        }
        assert!(boot.contains(&b.js) && boot.contains(&b.wasm), "{boot}");
        for f in b.files() {
            assert!(sw.contains(&format!("\"/{f}\"")), "{f} in sw.js");
            assert!(out.path().join(format!("{f}.br")).is_file());
            assert!(out.path().join(format!("{f}.gz")).is_file());
        }
        assert!(
            !sw.contains("kring-shell-dev"),
            "the cache is named after the build"
        );
    }
}
