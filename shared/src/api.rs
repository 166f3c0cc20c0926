//! The JSON bodies of the HTTP API, one serde type per request and response, used by the server
//! (which writes them) and the frontend (which reads them), so both sides agree by construction.
//! `docs/protocol.md` lists the endpoints; the limits on text fields are the schema's
//! (`schema::workshop::MAX_NAME` and friends), checked by the server.

use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::forms::FormId;
use crate::ids::{CollaborationId, DocumentId, FacilitatorId, ParticipantId, WorkshopId};
use crate::schema::collaboration::CollaborationView;
use crate::step::Step;

/// `POST /api/workshops`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateWorkshop {
    pub title: String,
    #[serde(default = "default_language")]
    pub language: String,
    /// The work form, by seed number (`"004"`); 000 when absent (clients older than forms as
    /// data). A string, so that an unknown form gets an error naming the ones built.
    #[serde(default = "default_form")]
    pub form: String,
}

fn default_language() -> String {
    "nl".into()
}

fn default_form() -> String {
    crate::forms::FormId::ThreeLevels.as_str().into()
}

/// `POST /api/next-session`: the next session of the caller's collaboration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextSession {
    pub title: String,
    /// The work form, by seed number.
    pub form: String,
}

/// `POST /api/collaborations`: a collaboration of its own, before any session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateCollaboration {
    pub title: String,
    #[serde(default = "default_language")]
    pub language: String,
}

/// The answer to [`CreateCollaboration`] and to `POST /api/collaboration/links`: the
/// collaboration's facilitator link (its token only its receiver ever sees).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollaborationLink {
    pub collaboration_id: CollaborationId,
    pub token: String,
    /// `/collaboration#<token>`.
    pub path: String,
}

/// `GET /api/collaboration`: the collaboration's page — its sessions and what they left, as it
/// stands now (the newest session's agreements and route included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollaborationPage {
    pub collaboration_id: CollaborationId,
    pub title: String,
    pub language: String,
    /// Its sessions that still exist, oldest first.
    pub sessions: Vec<SessionSummary>,
    /// The sessions so far, every agreement with its history, the backpack and the route means
    /// per session, as the next session would carry them.
    pub standing: CollaborationView,
}

/// One session on a collaboration's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub workshop_id: WorkshopId,
    pub title: String,
    /// `YYYY-MM-DD`, the day it was made.
    pub date: String,
    pub form: FormId,
    pub join_code: String,
    /// Whether its facilitator closed it.
    pub closed: bool,
}

/// The answer to [`CreateWorkshop`]: the secrets only its creator ever sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedWorkshop {
    pub workshop_id: WorkshopId,
    pub join_code: String,
    pub facilitator_token: String,
    pub screen_token: String,
    /// The workshop document's `automerge:` URL.
    pub workshop_document: String,
}

/// `GET /api/workshops/{join_code}`: what someone about to join may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkshopInfo {
    pub title: String,
    pub language: String,
    pub step: Option<Step>,
    /// The organisations already present, offered as suggestions.
    pub organisations: Vec<String>,
}

/// `POST /api/workshops/{join_code}/participants`, and `PATCH /api/me` (a participant fixes
/// their name or organisation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    #[serde(default)]
    pub organisation: String,
}

/// The answer to joining.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Joined {
    pub participant_id: ParticipantId,
    pub token: String,
    pub workshop_id: WorkshopId,
}

/// `GET /api/me`: what a token may do, and the documents it starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub role: Role,
    pub workshop_id: WorkshopId,
    #[serde(default)]
    pub facilitator_id: Option<FacilitatorId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_id: Option<ParticipantId>,
    #[serde(default)]
    pub join_code: String,
    pub documents: MyDocuments,
    /// Where phones reach the server (`--public-url`); told to facilitators and screens only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// The server's LAN addresses, when it listens on every interface (facilitators, screens).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lan_urls: Vec<String>,
}

/// The documents a token starts from, as `automerge:` URLs on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyDocuments {
    #[serde(with = "url")]
    pub workshop: DocumentId,
    /// A participant's own reflection, and (by form) their rating sheet and role sheet.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "url_opt")]
    pub reflection: Option<DocumentId>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "url_opt")]
    pub rating: Option<DocumentId>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "url_opt")]
    pub role_sheet: Option<DocumentId>,
    /// The participant's private answers (work form 001).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "url_opt")]
    pub answers: Option<DocumentId>,
}

/// `GET /api/time`: the server's clock, for clients to estimate their skew.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerTime {
    pub now_ms: i64,
}

/// `POST /api/links`: a new secret link for a co-facilitator or the projector screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLink {
    pub role: Role,
}

/// The answer to [`NewLink`]: the token and the page path with it in the fragment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub token: String,
    pub path: String,
}

/// `PUT /api/report/shared`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareReport {
    pub shared: bool,
}

/// A document id as its `automerge:` URL (a bare id is read too).
mod url {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::ids::DocumentId;

    pub fn serialize<S: Serializer>(id: &DocumentId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&id.url())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DocumentId, D::Error> {
        DocumentId::deserialize(d)
    }
}

mod url_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::ids::DocumentId;

    pub fn serialize<S: Serializer>(id: &Option<DocumentId>, s: S) -> Result<S::Ok, S::Error> {
        match id {
            Some(id) => s.serialize_str(&id.url()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DocumentId>, D::Error> {
        Option::<DocumentId>::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn me_reads_what_older_servers_wrote_and_writes_the_same_shape() {
        let doc = DocumentId::random();
        let refl = DocumentId::random();
        let p = ParticipantId::random();
        let w = WorkshopId::random();
        let old = serde_json::json!({
            "facilitator_id": null,
            "role": "participant",
            "workshop_id": w,
            "join_code": "ABC123",
            "documents": { "workshop": doc.url(), "reflection": refl.url() },
            "participant_id": p.to_string(),
        });
        let me: Me = serde_json::from_value(old.clone()).unwrap();
        assert_eq!(me.role, Role::Participant);
        assert_eq!(me.documents.workshop, doc);
        assert_eq!(me.documents.reflection, Some(refl));
        assert_eq!(me.documents.rating, None);
        assert_eq!(me.participant_id, Some(p));
        assert_eq!(
            serde_json::to_value(&me).unwrap(),
            old,
            "the same JSON back"
        );
    }

    #[test]
    fn create_workshop_defaults_to_dutch_and_form_000() {
        let c: CreateWorkshop = serde_json::from_str(r#"{"title":"T"}"#).unwrap();
        assert_eq!((c.language.as_str(), c.form.as_str()), ("nl", "000"));
    }
}
