//! A collaboration across sessions (samenwerking) over HTTP: its own facilitator links, its page,
//! sessions started from it or from a session, its exports and its deletion.
//!
//! What a collaboration carries lives in its sessions' workshop documents (`schema::collaboration`:
//! each session starts with what the earlier ones left); the store adds what no document can hold:
//! the collaboration's row (title, language, last use), its tokens, and the index of its
//! sessions. A collaboration token opens the collaboration's page and nothing else: it is no
//! workshop token, so `/sync` and every workshop endpoint refuse it; from the page its bearer gets
//! a facilitator link for any of its sessions. "As it stands" is what the next session would
//! carry: [`standing`] applies `collaboration::next` to the newest session.
//!
//! Retention: a session is never swept on its own while its collaboration is in use (its page
//! opened, any session used); an idle collaboration is deleted with its sessions ([`delete`]).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kring_shared::access::Role;
use kring_shared::api;
use kring_shared::forms::FormRef;
use kring_shared::ids::{CollaborationId, WorkshopId};
use kring_shared::report;
use kring_shared::schema::collaboration::{self, CollaborationView};
use kring_shared::schema::proposals;
use kring_shared::schema::workshop::{self as workshop_schema, WorkshopView};
use kring_shared::step::Step;
use serde::Deserialize;
use std::net::SocketAddr;

use crate::AppState;
use crate::api::{
    SessionOf, ask, authenticate, bearer, built_form, json_body, mint_link, new_workshop,
    registry_error, require_facilitator, text_field,
};
use crate::auth;
use crate::error::ApiError;
use crate::registry::{Registry, RegistryError};
use crate::store::{CollaborationRow, Store, WorkshopRow, WriteBatch};
use crate::workshop::{Command, now_ms};

/// The bearer of a collaboration token; 401 for any other token.
pub struct CollaborationCaller(pub CollaborationId);

impl axum::extract::FromRequestParts<AppState> for CollaborationCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::Unauthorized("a token is required".into()))?;
        app.store
            .collaboration_token(auth::token_hash(token))
            .await?
            .map(CollaborationCaller)
            .ok_or_else(|| ApiError::Unauthorized("unknown or revoked collaboration token".into()))
    }
}

/// The creation budget per address (a collaboration costs what a workshop costs).
fn creation_allowed(app: &AppState, addr: SocketAddr) -> Result<(), ApiError> {
    if app.guard.create_workshop(addr.ip()) {
        return Ok(());
    }
    app.metrics.refusals.inc();
    tracing::warn!(addr = %addr.ip(), "creation refused: rate limit");
    Err(ApiError::TooManyRequests(format!(
        "this address created more than {} workshops in the last hour; try again later",
        app.guard.limits.workshops_per_hour
    )))
}

/// A new token for collaboration `id`, written with `more` in one batch.
async fn new_link(
    app: &AppState,
    id: CollaborationId,
    more: WriteBatch,
) -> Result<api::CollaborationLink, ApiError> {
    let token = auth::new_token();
    app.store
        .write(WriteBatch {
            collaboration_tokens: vec![(auth::token_hash(&token), id)],
            ..more
        })
        .await?;
    Ok(api::CollaborationLink {
        collaboration_id: id,
        path: format!("/collaboration#{token}"),
        token,
    })
}

fn new_row(id: CollaborationId, title: String, language: String) -> CollaborationRow {
    let now = now_ms();
    CollaborationRow {
        id,
        title,
        language,
        created_at: now,
        active_at: now,
    }
}

/// `POST /api/collaborations` with `{"title", "language"}`: a collaboration before any session;
/// answers its facilitator link.
pub async fn create(
    State(app): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    creation_allowed(&app, addr)?;
    let req: api::CreateCollaboration = json_body(&body)?;
    let title = text_field(&req.title, "title", workshop_schema::MAX_TITLE, true)?;
    language_of(&req.language)?;
    let row = new_row(CollaborationId::random(), title, req.language);
    let id = row.id;
    let link = new_link(
        &app,
        id,
        WriteBatch {
            collaborations: vec![row],
            ..WriteBatch::default()
        },
    )
    .await?;
    tracing::info!(collaboration = %id, "collaboration created");
    Ok((StatusCode::CREATED, Json(link)))
}

fn language_of(language: &str) -> Result<(), ApiError> {
    if workshop_schema::LANGUAGES.contains(&language) {
        Ok(())
    } else {
        Err(ApiError::BadRequest(format!(
            "`language` must be one of {}",
            workshop_schema::LANGUAGES.join(", ")
        )))
    }
}

/// `POST /api/collaboration/links`: a new facilitator link of the collaboration, for the bearer
/// of one of its links or a facilitator of one of its sessions. A facilitator of a session that
/// belongs to no collaboration yet makes one of it, with that session as its first.
pub async fn create_link(
    State(app): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    let token = bearer(&headers).unwrap_or_default();
    if let Some(id) = app
        .store
        .collaboration_token(auth::token_hash(token))
        .await?
    {
        return Ok((
            StatusCode::CREATED,
            Json(new_link(&app, id, WriteBatch::default()).await?),
        ));
    }
    let who = authenticate(&app, Some(token)).await?;
    require_facilitator(&who)?;
    // The collaboration's links open every session: while one facilitator holds this session's
    // console, only they may hand them out.
    let view = ask(&app, who.workshop_id, |reply| Command::View { reply }).await?;
    if view
        .lock
        .is_some_and(|holder| who.facilitator != Some(holder))
    {
        return Err(ApiError::Forbidden(
            "only the facilitator who locked the console can open the collaboration".into(),
        ));
    }
    if let Some(id) = app.store.collaboration_of(who.workshop_id).await? {
        return Ok((
            StatusCode::CREATED,
            Json(new_link(&app, id, WriteBatch::default()).await?),
        ));
    }
    // A collaboration the session's document already carries keeps its id.
    let id = view
        .collaboration
        .as_ref()
        .and_then(|c| c.id.parse().ok())
        .unwrap_or_else(CollaborationId::random);
    let link = new_link(
        &app,
        id,
        WriteBatch {
            collaborations: vec![new_row(id, view.title.clone(), view.language.clone())],
            sessions: vec![(who.workshop_id, id)],
            ..WriteBatch::default()
        },
    )
    .await?;
    tracing::info!(collaboration = %id, workshop = %who.workshop_id, "collaboration made of a session");
    Ok((StatusCode::CREATED, Json(link)))
}

/// What a session leaves its collaboration: what `collaboration::next` carries from it (its
/// proposals' outcomes merged into the ledger, the session appended with its route), with the
/// session's own view. `id` overrides the collaboration's id (the store's index is the truth).
pub(crate) async fn standing(
    app: &AppState,
    session: &WorkshopRow,
    id: Option<CollaborationId>,
) -> Result<(WorkshopView, CollaborationView), ApiError> {
    let sources = ask(app, session.id, |reply| Command::Report { reply }).await?;
    let prev = sources.workshop;
    let this = collaboration::Session {
        title: prev.title.clone(),
        date: report::date_of(session.created_at),
        form: prev.form.id,
        route: prev.consensus.route.as_ref().map(|r| r.means()),
    };
    let mut carried = collaboration::next(
        prev.collaboration.as_ref(),
        || CollaborationId::random().to_string(),
        this,
        &prev.consensus.proposals,
    );
    if let Some(id) = id {
        carried.id = id.to_string();
    }
    Ok((prev, carried))
}

/// Starts a session running `form` that carries `carried`: in a consent form the agreements due
/// for review open again on its agenda.
async fn start(
    app: &AppState,
    title: &str,
    language: &str,
    form: FormRef,
    carried: &CollaborationView,
    session_of: SessionOf,
) -> Result<api::CreatedWorkshop, ApiError> {
    let agenda = collaboration::agenda(carried, &report::date_of(now_ms()));
    let created = new_workshop(app, title, language, form, Some(session_of), |tx| {
        collaboration::write(tx, carried)?;
        if form.form().consents() && !agenda.is_empty() {
            proposals::put_agenda(tx, &agenda)?;
        }
        Ok(())
    })
    .await?;
    tracing::info!(collaboration = %carried.id, sessions = carried.sessions.len(), "session started");
    Ok(created)
}

/// `POST /api/next-session` with `{"title", "form"}` (a facilitator's token): starts the next
/// session of this workshop's collaboration (making the collaboration when this is its first
/// session). The new session carries the sessions so far, the agreements with their history
/// (this session's TWOs, amendments and drops included) and the backpack; in the consent forms
/// the agreements whose review date has come open again on the agenda.
pub async fn next_session(
    State(app): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    crate::api::Caller(who): crate::api::Caller,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    require_facilitator(&who)?;
    creation_allowed(&app, addr)?;
    let req: api::NextSession = json_body(&body)?;
    let title = text_field(&req.title, "title", workshop_schema::MAX_TITLE, true)?;
    let form = built_form(&req.form)?;
    let row =
        app.store.workshop(who.workshop_id).await?.ok_or_else(|| {
            ApiError::NotFound("the workshop of this token no longer exists".into())
        })?;
    let known = app.store.collaboration_of(who.workshop_id).await?;
    let (prev, carried) = standing(&app, &row, known).await?;
    // Starting the next session steers: while one facilitator holds the console's lock, only
    // they may.
    if prev
        .lock
        .is_some_and(|holder| who.facilitator != Some(holder))
    {
        return Err(ApiError::Forbidden(
            "only the facilitator who locked the console can start the next session".into(),
        ));
    }
    let id: CollaborationId = carried
        .id
        .parse()
        .map_err(|_| ApiError::Internal("a collaboration id is no uuid".into()))?;
    // Registered now if this is the collaboration's second session (or one from before
    // collaborations had rows): the row is kept when it exists.
    let first_title = carried
        .sessions
        .first()
        .map(|s| s.title.clone())
        .unwrap_or_else(|| prev.title.clone());
    let session_of = SessionOf {
        collaboration: new_row(id, first_title, prev.language.clone()),
        earlier: vec![row.id],
    };
    let created = start(&app, &title, &prev.language, form, &carried, session_of).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The collaboration of the caller's token, or 404 when it was deleted meanwhile.
async fn row_of(app: &AppState, id: CollaborationId) -> Result<CollaborationRow, ApiError> {
    app.store
        .collaboration(id)
        .await?
        .ok_or_else(|| ApiError::NotFound("this collaboration no longer exists".into()))
}

/// The collaboration's page, as it stands; opening it counts as use.
async fn page_of(
    app: &AppState,
    row: CollaborationRow,
) -> Result<api::CollaborationPage, ApiError> {
    app.store
        .write(WriteBatch {
            collaboration_used: vec![(row.id, now_ms())],
            ..WriteBatch::default()
        })
        .await?;
    let rows = app.store.sessions(row.id).await?;
    let mut sessions = Vec::with_capacity(rows.len());
    for w in &rows {
        let view = ask(app, w.id, |reply| Command::View { reply }).await?;
        sessions.push(api::SessionSummary {
            workshop_id: w.id,
            title: view.title,
            date: report::date_of(w.created_at),
            form: view.form.id,
            join_code: w.join_code.clone(),
            closed: view.step == Some(Step::Closed),
        });
    }
    let standing = match rows.last() {
        Some(w) => standing(app, w, Some(row.id)).await?.1,
        None => CollaborationView {
            id: row.id.to_string(),
            ..CollaborationView::default()
        },
    };
    Ok(api::CollaborationPage {
        collaboration_id: row.id,
        title: row.title,
        language: row.language,
        sessions,
        standing,
    })
}

/// `GET /api/collaboration`: the collaboration's page.
pub async fn page(
    State(app): State<AppState>,
    CollaborationCaller(id): CollaborationCaller,
) -> Result<impl IntoResponse, ApiError> {
    let row = row_of(&app, id).await?;
    Ok(Json(page_of(&app, row).await?))
}

/// `POST /api/collaboration/sessions` with `{"title", "form"}`: the collaboration's next
/// session (its first, when it has none), carrying what the newest session left.
pub async fn start_session(
    State(app): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    CollaborationCaller(id): CollaborationCaller,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    creation_allowed(&app, addr)?;
    let req: api::NextSession = json_body(&body)?;
    let title = text_field(&req.title, "title", workshop_schema::MAX_TITLE, true)?;
    let form = built_form(&req.form)?;
    let row = row_of(&app, id).await?;
    let carried = match app.store.sessions(id).await?.last() {
        Some(w) => standing(&app, w, Some(id)).await?.1,
        None => CollaborationView {
            id: id.to_string(),
            ..CollaborationView::default()
        },
    };
    let language = row.language.clone();
    let session_of = SessionOf {
        collaboration: row,
        earlier: vec![],
    };
    let created = start(&app, &title, &language, form, &carried, session_of).await?;
    app.store
        .write(WriteBatch {
            collaboration_used: vec![(id, now_ms())],
            ..WriteBatch::default()
        })
        .await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `POST /api/collaboration/sessions/{workshop_id}/facilitate`: a facilitator link of one of
/// the collaboration's sessions (404 for a workshop that is not one).
pub async fn facilitate(
    State(app): State<AppState>,
    CollaborationCaller(id): CollaborationCaller,
    Path(workshop): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let not_here = || ApiError::NotFound("no session of this collaboration has that id".into());
    let workshop: WorkshopId = workshop.parse().map_err(|_| not_here())?;
    if app.store.collaboration_of(workshop).await? != Some(id) {
        return Err(not_here());
    }
    let link = mint_link(&app, workshop, Role::Facilitator, "/facilitate").await?;
    Ok((StatusCode::CREATED, Json(link)))
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: Option<String>,
}

/// `GET /api/collaboration/report?format=md|csv|json`: the collaboration as it stands.
pub async fn export(
    State(app): State<AppState>,
    CollaborationCaller(id): CollaborationCaller,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = q.format.as_deref().unwrap_or("json");
    let content_type = match format {
        "md" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        other => {
            return Err(ApiError::BadRequest(format!(
                "unknown format `{other}`; use md, csv or json"
            )));
        }
    };
    let row = row_of(&app, id).await?;
    let page = page_of(&app, row).await?;
    let body = match format {
        "md" => report::collaboration_markdown(&page.title, &page.standing, &page.language),
        "csv" => report::collaboration_csv(&page.standing),
        _ => serde_json::to_string_pretty(&page).map_err(|e| ApiError::Internal(e.to_string()))?,
    };
    let name = format!("kring-{}-samenwerking.{format}", report::date_of(now_ms()));
    Ok(crate::report::attachment(content_type, &name, body))
}

/// `DELETE /api/collaboration`: deletes the collaboration with every session, for good. Everyone
/// connected to a session is disconnected; every link of the collaboration and of its sessions
/// stops working.
pub async fn remove(
    State(app): State<AppState>,
    CollaborationCaller(id): CollaborationCaller,
) -> Result<impl IntoResponse, ApiError> {
    // A session someone is steering with the console locked is not deleted from under them.
    for w in app.store.sessions(id).await? {
        let view = ask(&app, w.id, |reply| Command::View { reply }).await?;
        if view.lock.is_some() {
            return Err(ApiError::Conflict(format!(
                "the session `{}` is locked by its facilitator; unlock its console first",
                view.title
            )));
        }
    }
    delete(&*app.store, &app.registry, id, true, 0)
        .await
        .map_err(registry_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a collaboration's sessions, then the collaboration. Unless `force`, nothing is deleted
/// while a session runs on this node, and a session used at or after `idle_before` (ms) stops
/// the deletion there (the answer is then `false`).
pub async fn delete(
    store: &dyn Store,
    registry: &Registry,
    id: CollaborationId,
    force: bool,
    idle_before: i64,
) -> Result<bool, RegistryError> {
    let sessions = store.sessions(id).await?;
    if !force && sessions.iter().any(|w| registry.is_loaded(w.id)) {
        return Ok(false);
    }
    for w in sessions {
        match registry.delete(w.id, force, idle_before).await {
            Ok(true) | Err(RegistryError::NotFound) => {}
            Ok(false) => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    store.delete_collaboration(id).await?;
    tracing::info!(collaboration = %id, force, "collaboration deleted");
    Ok(true)
}
