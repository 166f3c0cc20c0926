//! The built frontend, served over HTTP: from the files embedded in the binary when it was built
//! (`cargo xtask run` and `cargo xtask dist` build it so — one self-contained file to copy), or
//! from a folder (`--frontend`, for development and the tests).
//!
//! Either way a browser gets the `.br` or `.gz` copy that the build wrote beside each file when
//! its `Accept-Encoding` allows it; a file whose name carries a content hash
//! (`kring_bg-0123456789abcdef.wasm`) is cached for a year as immutable, since a new build gives
//! it a new name; `index.html`, `sw.js` and anything else are revalidated on every visit. A path
//! that is no file is the app (`index.html`): the app routes on the client.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use include_dir::{Dir, include_dir};

/// What `build.rs` copied from `KRING_EMBED_FRONTEND` at build time (empty without it).
static EMBEDDED: Dir<'static> = include_dir!("$OUT_DIR/frontend");

/// Where the frontend's files come from.
#[derive(Debug, Clone)]
pub enum Assets {
    /// Compiled into the binary.
    Embedded(&'static Dir<'static>),
    /// Read from a folder on every request.
    Folder(PathBuf),
}

impl Assets {
    /// The files embedded at build time, when the binary was built with a frontend.
    pub fn embedded() -> Option<Self> {
        EMBEDDED
            .get_file("index.html")
            .map(|_| Assets::Embedded(&EMBEDDED))
    }

    /// The embedded files unless a folder is given; a folder always wins (development).
    pub fn choose(folder: Option<PathBuf>, fallback: &Path) -> Self {
        match folder {
            Some(dir) => Assets::Folder(dir),
            None => Self::embedded().unwrap_or_else(|| Assets::Folder(fallback.to_owned())),
        }
    }

    /// Where the files come from, for the log.
    pub fn describe(&self) -> String {
        match self {
            Assets::Embedded(d) => format!("embedded in the binary ({} files)", d.files().count()),
            Assets::Folder(p) => format!("folder {}", p.display()),
        }
    }

    /// Whether there is an app to serve at all.
    pub async fn has_index(&self) -> bool {
        self.read("index.html").await.is_some()
    }

    /// Whether `path` is a file, without reading it (a folder's WASM is megabytes).
    async fn exists(&self, path: &str) -> bool {
        match self {
            Assets::Embedded(d) => d.get_file(path).is_some(),
            Assets::Folder(root) => {
                let rel = Path::new(path);
                rel.components().all(|c| matches!(c, Component::Normal(_)))
                    && tokio::fs::metadata(root.join(rel))
                        .await
                        .is_ok_and(|m| m.is_file())
            }
        }
    }

    async fn read(&self, path: &str) -> Option<Cow<'static, [u8]>> {
        match self {
            Assets::Embedded(d) => d.get_file(path).map(|f| Cow::Borrowed(f.contents())),
            Assets::Folder(root) => {
                let rel = Path::new(path);
                // Only plain names below the folder: no `..`, no root, no drive.
                if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
                    return None;
                }
                let full = root.join(rel);
                if !tokio::fs::metadata(&full).await.ok()?.is_file() {
                    return None;
                }
                tokio::fs::read(full).await.ok().map(Cow::Owned)
            }
        }
    }

    /// The response for a request path and the request's headers.
    pub async fn respond(&self, path: &str, headers: &HeaderMap) -> Response {
        let wanted = path.trim_start_matches('/');
        let wanted = if wanted.is_empty() {
            "index.html"
        } else {
            wanted
        };
        let accepts = accepted_encodings(headers);
        let name = if self.exists(wanted).await {
            wanted
        } else {
            "index.html"
        };
        for (encoding, suffix) in [("br", ".br"), ("gzip", ".gz")] {
            if accepts.contains(&encoding)
                && let Some(body) = self.read(&format!("{name}{suffix}")).await
            {
                return file_response(name, body, Some(encoding));
            }
        }
        match self.read(name).await {
            Some(body) => file_response(name, body, None),
            None => (
                StatusCode::NOT_FOUND,
                "no built frontend here: run `cargo xtask run`, or start kring-server with \
                 --frontend <folder>",
            )
                .into_response(),
        }
    }
}

fn file_response(name: &str, body: Cow<'static, [u8]>, encoding: Option<&str>) -> Response {
    let body = match body {
        Cow::Borrowed(b) => Body::from(b),
        Cow::Owned(v) => Body::from(v),
    };
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(name)),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control(name)),
    );
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(e) = encoding.and_then(|e| HeaderValue::from_str(e).ok()) {
        h.insert(header::CONTENT_ENCODING, e);
    }
    r
}

/// The encodings a request accepts (`br`, `gzip`), leaving out those given `q=0`.
fn accepted_encodings(headers: &HeaderMap) -> Vec<&'static str> {
    let Some(v) = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return vec![];
    };
    let mut out = Vec::new();
    for part in v.split(',') {
        let mut bits = part.split(';');
        let name = bits.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = bits.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if refused {
            continue;
        }
        match name.as_str() {
            "br" => out.push("br"),
            "gzip" | "x-gzip" => out.push("gzip"),
            "*" => out.extend(["br", "gzip"]),
            _ => {}
        }
    }
    out
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json" | "webmanifest") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A year and immutable for a name with a content hash; revalidate everything else.
fn cache_control(name: &str) -> &'static str {
    if is_hashed(name) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// Whether a file name carries a content hash: `stem-<16 hex digits>.ext`.
pub fn is_hashed(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    let Some((stem, _ext)) = file.split_once('.') else {
        return false;
    };
    stem.rsplit_once('-').is_some_and(|(_, h)| {
        h.len() == 16
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed("kring_bg-0123456789abcdef.wasm"));
        assert!(is_hashed("style-0123456789abcdef.css"));
        assert!(!is_hashed("index.html"));
        assert!(!is_hashed("sw.js"));
        assert!(!is_hashed("kring_bg.wasm"));
        assert!(!is_hashed("kring-0123.js"));
        assert!(!is_hashed("kring-0123456789ABCDEF.js"));
    }

    #[test]
    fn encodings_honour_q_zero() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip, br;q=0"),
        );
        assert_eq!(accepted_encodings(&h), vec!["gzip"]);
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        assert!(accepted_encodings(&h).is_empty());
    }
}
