//! The JSON HTTP API: create a workshop, join one, ask who a token is. Documented for third-party
//! clients in `docs/protocol.md`.

use automerge::Automerge;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use kring_shared::access::{DocKind, Role};
use kring_shared::api;
use kring_shared::forms::{self, FormId, FormRef};
use kring_shared::ids::{DocumentId, FacilitatorId, WorkshopId};
use kring_shared::schema::workshop as workshop_schema;
use kring_shared::timer::TimerAction;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use std::net::SocketAddr;

use crate::AppState;
use crate::auth;
use crate::error::ApiError;
use crate::registry::RegistryError;
use crate::store::{CollaborationRow, DocumentRow, TokenRow, WorkshopRow, WriteBatch};
use crate::workshop::{Command, now_ms};

/// Parses a JSON body, answering 400 with a readable message when it does not fit.
pub(crate) fn json_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
}

/// Trims and checks a free-text field.
pub(crate) fn text_field(
    value: &str,
    field: &str,
    max: usize,
    required: bool,
) -> Result<String, ApiError> {
    kring_shared::text::clean(value, max, required)
        .map_err(|e| ApiError::BadRequest(format!("`{field}` {e}")))
}

/// `POST /api/workshops`
pub async fn create_workshop(
    State(app): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    if !app.guard.create_workshop(addr.ip()) {
        app.metrics.refusals.inc();
        tracing::warn!(addr = %addr.ip(), "workshop creation refused: rate limit");
        return Err(ApiError::TooManyRequests(format!(
            "this address created more than {} workshops in the last hour; try again later",
            app.guard.limits.workshops_per_hour
        )));
    }
    let req: api::CreateWorkshop = json_body(&body)?;
    let title = text_field(&req.title, "title", workshop_schema::MAX_TITLE, true)?;
    if !workshop_schema::LANGUAGES.contains(&req.language.as_str()) {
        return Err(ApiError::BadRequest(format!(
            "`language` must be one of {}",
            workshop_schema::LANGUAGES.join(", ")
        )));
    }
    let form = built_form(&req.form)?;
    let created = new_workshop(&app, &title, &req.language, form, None, |_| Ok(())).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// A built form by its seed number, or the error naming the built ones.
pub(crate) fn built_form(id: &str) -> Result<FormRef, ApiError> {
    let form = id
        .parse::<FormId>()
        .ok()
        .map(forms::form)
        .filter(|f| f.built)
        .ok_or_else(|| {
            let built: Vec<&str> = forms::built().map(|f| f.id.as_str()).collect();
            ApiError::BadRequest(format!("`form` must be one of {}", built.join(", ")))
        })?;
    Ok(FormRef {
        id: form.id,
        version: form.version,
    })
}

/// Stores a new workshop running `form`: its document (the form's initial writes, then
/// `more`), a join code, the facilitator's and the screen's tokens — and, as a session of a
/// collaboration, the collaboration's row (kept if it is there) and its session index.
pub(crate) async fn new_workshop(
    app: &AppState,
    title: &str,
    language: &str,
    form: FormRef,
    session_of: Option<SessionOf>,
    more: impl FnOnce(
        &mut automerge::transaction::Transaction<'_>,
    ) -> Result<(), automerge::AutomergeError>,
) -> Result<api::CreatedWorkshop, ApiError> {
    let id = WorkshopId::random();
    let doc_id = DocumentId::random();
    let mut doc = Automerge::new();
    doc.transact::<_, _, automerge::AutomergeError>(|tx| {
        workshop_schema::init_form(tx, title, language, form)?;
        more(tx)
    })
    .map_err(|f| ApiError::Internal(f.error.to_string()))?;
    // What the workshop document starts with meets its own schema (a carried collaboration too).
    workshop_schema::validate(&doc).map_err(|e| ApiError::Internal(e.to_string()))?;
    let facilitator_token = auth::new_token();
    let screen_token = auth::new_token();
    // A join code collision is rare (31^6 codes); try a few before giving up.
    for _ in 0..5 {
        let join_code = auth::new_join_code();
        if app
            .store
            .workshop_by_code(join_code.clone())
            .await?
            .is_some()
        {
            continue;
        }
        let token = |t: &str, role| TokenRow {
            hash: auth::token_hash(t),
            workshop_id: id,
            role,
            participant: None,
            facilitator: (role == Role::Facilitator).then(FacilitatorId::random),
        };
        let (collaborations, sessions) = match &session_of {
            Some(s) => (
                vec![s.collaboration.clone()],
                s.earlier
                    .iter()
                    .chain([&id])
                    .map(|w| (*w, s.collaboration.id))
                    .collect(),
            ),
            None => (vec![], vec![]),
        };
        app.store
            .write(WriteBatch {
                workshops: vec![WorkshopRow {
                    id,
                    join_code: join_code.clone(),
                    workshop_doc: doc_id,
                    created_at: now_ms(),
                }],
                collaborations,
                sessions,
                documents: vec![DocumentRow {
                    id: doc_id,
                    workshop_id: id,
                    kind: DocKind::Workshop,
                }],
                tokens: vec![
                    token(&facilitator_token, Role::Facilitator),
                    token(&screen_token, Role::Screen),
                ],
                chunks: vec![(doc_id, doc.save())],
                ..WriteBatch::default()
            })
            .await?;
        app.metrics.workshops_created.inc();
        tracing::info!(workshop = %id, "workshop created");
        return Ok(api::CreatedWorkshop {
            workshop_id: id,
            join_code,
            facilitator_token,
            screen_token,
            workshop_document: doc_id.url(),
        });
    }
    Err(ApiError::Internal("could not find a free join code".into()))
}

/// The collaboration a new workshop is a session of: its row (registered when new) and the
/// earlier sessions to index with it (the session it was started from, when that was not a
/// session of the collaboration yet).
pub(crate) struct SessionOf {
    pub collaboration: CollaborationRow,
    pub earlier: Vec<WorkshopId>,
}

/// `POST /api/workshops/{join_code}/participants`
pub async fn join(
    State(app): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    if !app.guard.join(addr.ip()) {
        app.metrics.refusals.inc();
        tracing::warn!(addr = %addr.ip(), "join refused: rate limit");
        return Err(ApiError::TooManyRequests(format!(
            "more than {} joins from this address in the last minute; try again in a minute",
            app.guard.limits.joins_per_minute
        )));
    }
    let req: api::Person = json_body(&body)?;
    let name = text_field(&req.name, "name", workshop_schema::MAX_NAME, true)?;
    let organisation = text_field(
        &req.organisation,
        "organisation",
        workshop_schema::MAX_ORGANISATION,
        false,
    )?;
    let workshop = app
        .store
        .workshop_by_code(auth::normalise_join_code(&code))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no workshop with join code `{code}`")))?;
    let (reply, answer) = oneshot::channel();
    app.registry
        .send(
            workshop.id,
            Command::AddParticipant {
                name,
                organisation,
                reply,
            },
        )
        .await
        .map_err(registry_error)?;
    let joined = answer
        .await
        .map_err(|_| ApiError::Internal("workshop task ended during join".into()))?
        .map_err(crate::error::command_error)?;
    app.metrics.participants_joined.inc();
    Ok((
        StatusCode::CREATED,
        Json(api::Joined {
            participant_id: joined.participant_id,
            token: joined.token,
            workshop_id: workshop.id,
        }),
    ))
}

pub(crate) fn registry_error(e: RegistryError) -> ApiError {
    match e {
        RegistryError::NotFound => ApiError::NotFound("no such workshop".into()),
        other => ApiError::Internal(other.to_string()),
    }
}

/// Resolves a bearer token to what it grants; 401 when missing or unknown.
pub async fn authenticate(app: &AppState, token: Option<&str>) -> Result<TokenRow, ApiError> {
    let token = token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::Unauthorized("a token is required".into()))?;
    app.store
        .token(auth::token_hash(token))
        .await?
        .ok_or_else(|| ApiError::Unauthorized("unknown or revoked token".into()))
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The caller of a JSON endpoint, from `Authorization: Bearer <token>`; rejects with 401.
pub struct Caller(pub TokenRow);

impl axum::extract::FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(app, bearer(&parts.headers)).await.map(Caller)
    }
}

/// `GET /api/me`
pub async fn me(
    State(app): State<AppState>,
    Caller(who): Caller,
) -> Result<impl IntoResponse, ApiError> {
    let workshop =
        app.store.workshop(who.workshop_id).await?.ok_or_else(|| {
            ApiError::NotFound("the workshop of this token no longer exists".into())
        })?;
    let mut documents = api::MyDocuments {
        workshop: workshop.workshop_doc,
        reflection: None,
        rating: None,
        role_sheet: None,
        answers: None,
    };
    if let Some(p) = who.participant {
        for row in app.store.document_rows(who.workshop_id).await? {
            match row.kind {
                DocKind::Reflection { owner } if owner == p => documents.reflection = Some(row.id),
                DocKind::Rating { owner } if owner == p => documents.rating = Some(row.id),
                DocKind::RoleSheet { owner } if owner == p => documents.role_sheet = Some(row.id),
                DocKind::Answers { owner } if owner == p => documents.answers = Some(row.id),
                _ => {}
            }
        }
    }
    // Those who hand out links learn where phones can reach the server.
    let hands_out_links = matches!(who.role, Role::Facilitator | Role::Screen);
    Ok(Json(api::Me {
        role: who.role,
        workshop_id: who.workshop_id,
        facilitator_id: who.facilitator,
        participant_id: who.participant,
        join_code: workshop.join_code,
        documents,
        public_url: app.reach.public_url.clone().filter(|_| hands_out_links),
        lan_urls: if hands_out_links {
            app.reach.lan_urls.clone()
        } else {
            vec![]
        },
    }))
}

/// `GET /api/time`: the server's clock, for clients to estimate their skew.
pub async fn time() -> impl IntoResponse {
    Json(api::ServerTime { now_ms: now_ms() })
}

/// Asks a workshop task a question and waits for the answer.
pub(crate) async fn ask<T>(
    app: &AppState,
    workshop: WorkshopId,
    make: impl FnOnce(oneshot::Sender<T>) -> Command,
) -> Result<T, ApiError> {
    let (reply, answer) = oneshot::channel();
    app.registry
        .send(workshop, make(reply))
        .await
        .map_err(registry_error)?;
    answer
        .await
        .map_err(|_| ApiError::Internal("workshop task ended before answering".into()))
}

/// `GET /api/workshops/{join_code}`: what someone about to join may see — the title, the
/// language and the organisations already present (offered as suggestions).
pub async fn workshop_info(
    State(app): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let found = app
        .store
        .workshop_by_code(auth::normalise_join_code(&code))
        .await?;
    // A miss costs a join from the address's budget, so join codes cannot be enumerated here.
    let Some(workshop) = found else {
        if !app.guard.join(addr.ip()) {
            app.metrics.refusals.inc();
            tracing::warn!(addr = %addr.ip(), "join code lookup refused: rate limit");
            return Err(ApiError::TooManyRequests(
                "too many unknown join codes from this address; try again in a minute".into(),
            ));
        }
        return Err(ApiError::NotFound(format!(
            "no workshop with join code `{code}`"
        )));
    };
    let view = ask(&app, workshop.id, |reply| Command::View { reply }).await?;
    Ok(Json(api::WorkshopInfo {
        organisations: view.organisations(),
        title: view.title,
        language: view.language,
        step: view.step,
    }))
}

/// `PATCH /api/me`: a participant fixes their name or organisation.
pub async fn update_me(
    State(app): State<AppState>,
    Caller(who): Caller,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let participant = who
        .participant
        .ok_or_else(|| ApiError::Forbidden("only participants have a name on the roster".into()))?;
    let req: api::Person = json_body(&body)?;
    let name = text_field(&req.name, "name", workshop_schema::MAX_NAME, true)?;
    let organisation = text_field(
        &req.organisation,
        "organisation",
        workshop_schema::MAX_ORGANISATION,
        false,
    )?;
    ask(&app, who.workshop_id, |reply| Command::UpdateParticipant {
        participant,
        name,
        organisation,
        reply,
    })
    .await?
    .map_err(ApiError::Internal)?;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) fn require_facilitator(who: &TokenRow) -> Result<(), ApiError> {
    if who.role == Role::Facilitator {
        Ok(())
    } else {
        Err(ApiError::Forbidden("only facilitators can do this".into()))
    }
}

/// `POST /api/timer`: start, pause, resume, add time to or reset the step timer.
pub async fn timer(
    State(app): State<AppState>,
    Caller(who): Caller,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    require_facilitator(&who)?;
    let action: TimerAction = json_body(&body)?;
    let by = who.principal();
    let timer = ask(&app, who.workshop_id, |reply| Command::Timer {
        by,
        action,
        reply,
    })
    .await?
    .map_err(crate::error::command_error)?;
    Ok(Json(timer))
}

/// `POST /api/links`: a new secret link for a co-facilitator or for the projector screen.
pub async fn create_link(
    State(app): State<AppState>,
    Caller(who): Caller,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    require_facilitator(&who)?;
    let req: api::NewLink = json_body(&body)?;
    let path = match req.role {
        Role::Facilitator => "/facilitate",
        Role::Screen => "/screen",
        Role::Participant => {
            return Err(ApiError::BadRequest(
                "participants join with the join code, not with a link from here".into(),
            ));
        }
    };
    let link = mint_link(&app, who.workshop_id, req.role, path).await?;
    Ok((StatusCode::CREATED, Json(link)))
}

/// A new secret link to `path` with a token of `role` in `workshop` (a facilitator's gets a
/// facilitator id of its own).
pub(crate) async fn mint_link(
    app: &AppState,
    workshop: WorkshopId,
    role: Role,
    path: &str,
) -> Result<api::Link, ApiError> {
    let token = auth::new_token();
    app.store
        .write(WriteBatch {
            tokens: vec![TokenRow {
                hash: auth::token_hash(&token),
                workshop_id: workshop,
                role,
                participant: None,
                facilitator: (role == Role::Facilitator).then(FacilitatorId::random),
            }],
            ..WriteBatch::default()
        })
        .await?;
    Ok(api::Link {
        path: format!("{path}#{token}"),
        token,
    })
}

/// `DELETE /api/workshop`: a facilitator deletes the whole workshop — every document, token and
/// chunk — for good. Everyone connected is disconnected; every link stops working. While the
/// console is locked only the facilitator holding the lock may do this.
pub async fn delete_workshop(
    State(app): State<AppState>,
    Caller(who): Caller,
) -> Result<impl IntoResponse, ApiError> {
    require_facilitator(&who)?;
    let view = ask(&app, who.workshop_id, |reply| Command::View { reply }).await?;
    if view.lock.is_some() && view.lock != who.facilitator {
        return Err(ApiError::Forbidden(
            "only the facilitator who locked the console can delete the workshop".into(),
        ));
    }
    app.registry
        .delete(who.workshop_id, true, 0)
        .await
        .map_err(registry_error)?;
    Ok(StatusCode::NO_CONTENT)
}
