//! Calls to Kring's JSON API with the browser's `fetch`.

use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

/// A failed call: the server's `error` text when it gave one, and the HTTP status (`None` when
/// the server could not be reached at all).
#[derive(Debug, Clone)]
pub struct HttpError(pub String, pub Option<u16>);

impl HttpError {
    fn local(message: &str) -> Self {
        HttpError(message.into(), None)
    }

    /// The server was not reached (offline), as opposed to answering with an error.
    pub fn is_network(&self) -> bool {
        self.1.is_none()
    }
}

async fn call(
    method: &str,
    path: &str,
    body: Option<Value>,
    token: Option<&str>,
) -> Result<Value, HttpError> {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(b) = &body {
        init.set_body(&wasm_bindgen::JsValue::from_str(&b.to_string()));
    }
    let req =
        Request::new_with_str_and_init(path, &init).map_err(|_| HttpError::local("bad request"))?;
    let headers = req.headers();
    let _ = headers.set("content-type", "application/json");
    if let Some(t) = token {
        let _ = headers.set("authorization", &format!("Bearer {t}"));
    }
    let window = web_sys::window().ok_or_else(|| HttpError::local("no window"))?;
    let resp: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| HttpError::local("network error"))?
        .dyn_into()
        .map_err(|_| HttpError::local("network error"))?;
    let text = JsFuture::from(resp.text().map_err(|_| HttpError::local("no body"))?)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default();
    let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if resp.ok() {
        Ok(value)
    } else {
        Err(HttpError(
            value["error"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("HTTP {}", resp.status())),
            Some(resp.status()),
        ))
    }
}

pub async fn post(path: &str, body: Value) -> Result<Value, HttpError> {
    call("POST", path, Some(body), None).await
}

pub async fn get(path: &str) -> Result<Value, HttpError> {
    call("GET", path, None, None).await
}

/// A call with the bearer token, any method.
pub async fn with_token(
    method: &str,
    path: &str,
    token: &str,
    body: Value,
) -> Result<Value, HttpError> {
    call(method, path, Some(body), Some(token)).await
}

pub async fn get_with_token(path: &str, token: &str) -> Result<Value, HttpError> {
    call("GET", path, None, Some(token)).await
}

/// A GET with the bearer token whose answer is text (a Markdown, CSV or SVG download).
pub async fn get_text_with_token(path: &str, token: &str) -> Result<String, HttpError> {
    let init = RequestInit::new();
    init.set_method("GET");
    let req =
        Request::new_with_str_and_init(path, &init).map_err(|_| HttpError::local("bad request"))?;
    let _ = req
        .headers()
        .set("authorization", &format!("Bearer {token}"));
    let window = web_sys::window().ok_or_else(|| HttpError::local("no window"))?;
    let resp: Response = JsFuture::from(window.fetch_with_request(&req))
        .await
        .map_err(|_| HttpError::local("network error"))?
        .dyn_into()
        .map_err(|_| HttpError::local("network error"))?;
    let text = JsFuture::from(resp.text().map_err(|_| HttpError::local("no body"))?)
        .await
        .ok()
        .and_then(|t| t.as_string())
        .unwrap_or_default();
    if resp.ok() {
        Ok(text)
    } else {
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        Err(HttpError(
            value["error"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("HTTP {}", resp.status())),
            Some(resp.status()),
        ))
    }
}

/// A typed request body (`kring_shared::api`) as JSON.
pub fn body(value: &impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A typed answer (`kring_shared::api`) from the JSON the server sent.
pub fn read<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, HttpError> {
    serde_json::from_value(v)
        .map_err(|e| HttpError(format!("unexpected answer from the server: {e}"), Some(200)))
}

/// `DELETE path` with the bearer token once the user confirmed `question` in the browser's
/// dialog; then `done`, or `failed` with the server's reason. Nothing happens when they decline.
pub fn delete_confirmed(
    question: &str,
    path: &'static str,
    token: String,
    done: impl FnOnce() + 'static,
    failed: impl FnOnce(String) + 'static,
) {
    let sure = web_sys::window()
        .and_then(|w| w.confirm_with_message(question).ok())
        .unwrap_or(false);
    if !sure {
        return;
    }
    leptos::task::spawn_local(async move {
        match with_token("DELETE", path, &token, Value::Null).await {
            Ok(_) => done(),
            Err(e) => failed(e.0),
        }
    });
}
