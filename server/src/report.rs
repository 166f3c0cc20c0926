//! The workshop report over HTTP: `GET /api/report?format=md|csv|json|svg[&names=true]` and
//! `PUT /api/report/shared`. The workshop task hands over the report's sources (never a
//! reflection), `kring_shared::report` builds and renders it.
//!
//! Facilitators get the report at any time, pseudonymised (organisations) unless they ask for
//! names. Participants and the projector get it once a facilitator has shared it, and always
//! pseudonymised.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use kring_shared::access::Role;
use kring_shared::report::{self, Options, Report};
use serde::Deserialize;

use crate::AppState;
use crate::api::{Caller, ask, require_facilitator};
use crate::error::ApiError;
use crate::workshop::Command;

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    names: Option<String>,
}

/// A file name for the download: `kring-<date>-<title as ascii words>.<ext>`.
fn file_name(r: &Report, ext: &str) -> String {
    let mut slug = String::new();
    for ch in r.title.chars().flat_map(char::to_lowercase) {
        if ch.is_ascii_alphanumeric() {
            slug.push(ch);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        format!("kring-{}.{ext}", r.date)
    } else {
        format!("kring-{}-{slug}.{ext}", r.date)
    }
}

/// `GET /api/report`
pub async fn download(
    State(app): State<AppState>,
    Caller(who): Caller,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let format = q.format.as_deref().unwrap_or("json");
    let (ext, content_type) = match format {
        "md" => ("md", "text/markdown; charset=utf-8"),
        "csv" => ("csv", "text/csv; charset=utf-8"),
        "json" => ("json", "application/json"),
        "svg" => ("svg", "image/svg+xml"),
        other => {
            return Err(ApiError::BadRequest(format!(
                "unknown format `{other}`; use md, csv, json or svg"
            )));
        }
    };
    let names = match q.names.as_deref() {
        None | Some("false" | "0" | "") => false,
        Some("true" | "1") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "`names` is true or false, not `{other}`"
            )));
        }
    };
    let workshop =
        app.store.workshop(who.workshop_id).await?.ok_or_else(|| {
            ApiError::NotFound("the workshop of this token no longer exists".into())
        })?;
    let mut sources = ask(&app, who.workshop_id, |reply| Command::Report { reply }).await?;
    sources.created_at_ms = workshop.created_at;
    let facilitator = who.role == Role::Facilitator;
    if !facilitator && !sources.workshop.report_shared {
        return Err(ApiError::Forbidden(
            "the facilitator has not shared the report yet".into(),
        ));
    }
    if names && !facilitator {
        return Err(ApiError::Forbidden(
            "only facilitators can see the report with names".into(),
        ));
    }
    let r = report::build(&sources, Options { names });
    let body = match ext {
        "md" => report::markdown(&r),
        "csv" => report::csv(&r),
        "svg" => report::svg(&r),
        _ => serde_json::to_string_pretty(&r).map_err(|e| ApiError::Internal(e.to_string()))?,
    };
    Ok(attachment(content_type, &file_name(&r, ext), body))
}

/// A download of `body` as `file_name`. A report may name people: no cache keeps a copy.
pub(crate) fn attachment(content_type: &str, file_name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// `PUT /api/report/shared` with `{"shared": true|false}`: lets participants fetch the report.
pub async fn share(
    State(app): State<AppState>,
    Caller(who): Caller,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    require_facilitator(&who)?;
    let req: kring_shared::api::ShareReport = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))?;
    let by = who.principal();
    ask(&app, who.workshop_id, |reply| Command::ShareReport {
        by,
        shared: req.shared,
        reply,
    })
    .await?
    .map_err(crate::error::command_error)?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_ascii_and_dated() {
        let mut r = report::build(&report::Sources::default(), Options::default());
        r.title = "Samen sterk: ronde één!".into();
        assert_eq!(
            file_name(&r, "md"),
            "kring-1970-01-01-samen-sterk-ronde-n.md"
        );
        r.title = "***".into();
        assert_eq!(file_name(&r, "csv"), "kring-1970-01-01.csv");
    }
}
