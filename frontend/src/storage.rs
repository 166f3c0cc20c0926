//! What the browser remembers between visits: the token of each workshop joined (so a reload or
//! a reopened tab brings back the same person instead of a duplicate), what `/api/me` said, and
//! the bytes of each open document (so notes written offline survive a reload and sync later).

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn key(code: &str) -> String {
    format!("kring.participant.{code}")
}

/// The participant token remembered for a join code.
pub fn participant_token(code: &str) -> Option<String> {
    local()?.get_item(&key(code)).ok()?
}

pub fn remember_participant(code: &str, token: &str) {
    if let Some(s) = local() {
        // Private browsing may refuse storage; the session then lasts as long as the tab.
        let _ = s.set_item(&key(code), token);
    }
}

pub fn forget_participant(code: &str) {
    if let Some(s) = local() {
        let _ = s.remove_item(&key(code));
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

/// The last saved bytes of a document.
pub fn document(id: &str) -> Option<Vec<u8>> {
    unhex(&local()?.get_item(&format!("kring.doc.{id}")).ok()??)
}

pub fn save_document(id: &str, bytes: &[u8]) {
    if let Some(s) = local() {
        // Full storage: the document still lives in memory and on the server.
        let _ = s.set_item(&format!("kring.doc.{id}"), &hex(bytes));
    }
}

/// Drops the saved bytes of a document (the server no longer lets us read it).
pub fn forget_document(id: &str) {
    if let Some(s) = local() {
        let _ = s.remove_item(&format!("kring.doc.{id}"));
    }
}

fn me_key(token: &str) -> String {
    format!("kring.me.{}", token.get(..16).unwrap_or(token))
}

/// What `/api/me` last said for this token, for starting while offline.
pub fn me(token: &str) -> Option<String> {
    local()?.get_item(&me_key(token)).ok()?
}

pub fn save_me(token: &str, json: &str) {
    if let Some(s) = local() {
        let _ = s.set_item(&me_key(token), json);
    }
}
