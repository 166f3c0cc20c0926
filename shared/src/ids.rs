//! Newtype identifiers: workshops, participants, documents and peers.
//!
//! A [`DocumentId`] is a UUID written the automerge-repo way: base58check of its 16 bytes, and
//! `automerge:<id>` as a URL. Workshops and participants are UUIDs in their hyphenated form.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdParseError {
    #[error("not a UUID: {0}")]
    NotAUuid(String),
    #[error("not a base58check document id: {0}")]
    NotBase58Check(String),
    #[error("a document id holds 16 bytes, this one holds {0}")]
    WrongLength(usize),
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random id (v4).
            pub fn random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| IdParseError::NotAUuid(s.to_owned()))
            }
        }
    };
}

uuid_id!(
    /// One workshop: a run of the work form with its own documents.
    WorkshopId
);
uuid_id!(
    /// One participant of one workshop.
    ParticipantId
);
uuid_id!(
    /// One duo (or trio) of step 2.
    DuoId
);
uuid_id!(
    /// One collaboration (samenwerking): sessions of one group over time, with their own
    /// facilitator links; the same id is `collaboration.id` in every session's workshop document.
    CollaborationId
);
uuid_id!(
    /// One facilitator link of one workshop (the creator's, or a co-facilitator's).
    FacilitatorId
);

/// An automerge-repo document id: 16 random bytes, shown as base58check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId(pub Uuid);

impl DocumentId {
    pub const URL_PREFIX: &'static str = "automerge:";

    pub fn random() -> Self {
        Self(Uuid::new_v4())
    }

    /// The `automerge:<id>` URL that automerge-repo clients pass to `find`.
    pub fn url(&self) -> String {
        format!("{}{}", Self::URL_PREFIX, self)
    }

    /// Parses either a bare id or an `automerge:` URL.
    pub fn from_url(s: &str) -> Result<Self, IdParseError> {
        s.strip_prefix(Self::URL_PREFIX).unwrap_or(s).parse()
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0.as_bytes()).with_check().into_string())
    }
}

impl FromStr for DocumentId {
    type Err = IdParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = bs58::decode(s)
            .with_check(None)
            .into_vec()
            .map_err(|_| IdParseError::NotBase58Check(s.to_owned()))?;
        let arr: [u8; 16] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| IdParseError::WrongLength(bytes.len()))?;
        Ok(Self(Uuid::from_bytes(arr)))
    }
}

impl Serialize for DocumentId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for DocumentId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::from_url(&s).map_err(serde::de::Error::custom)
    }
}

/// A peer on the sync network, as named in automerge-repo messages (`senderId`/`targetId`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PeerId(pub String);

impl PeerId {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_id_round_trips_through_base58check_and_url() {
        let id = DocumentId::random();
        assert_eq!(id.to_string().parse::<DocumentId>().unwrap(), id);
        assert_eq!(DocumentId::from_url(&id.url()).unwrap(), id);
    }

    #[test]
    fn document_id_rejects_a_corrupted_checksum() {
        let mut s = DocumentId::random().to_string();
        let last = s.pop().unwrap();
        s.push(if last == '2' { '3' } else { '2' });
        assert!(matches!(
            s.parse::<DocumentId>(),
            Err(IdParseError::NotBase58Check(_))
        ));
    }

    #[test]
    fn document_id_matches_automerge_repo_encoding() {
        // The all-zero UUID as automerge-repo's `stringifyAutomergeUrl` writes it.
        let id = DocumentId(Uuid::nil());
        let s = id.to_string();
        assert_eq!(s.parse::<DocumentId>().unwrap(), id);
        assert!(s.starts_with("1111111111111111"), "{s}");
    }

    #[test]
    fn workshop_id_parse_error_names_the_input() {
        assert_eq!(
            "nope".parse::<WorkshopId>(),
            Err(IdParseError::NotAUuid("nope".into()))
        );
    }
}
