//! What the browser remembers between visits: the token of each workshop joined, so a reload or
//! a reopened tab brings back the same person instead of a duplicate.

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
