//! Document schemas: what each kind of document may contain, checked after every incoming change,
//! plus typed read views and the writes that create documents.
//!
//! A change that would leave a document outside its schema is refused before it is applied
//! anywhere (see `engine::hub`). Checks are strict on shape (known keys, types, enum values,
//! lengths, counts) so that a client can neither bloat a document nor confuse other clients.

pub mod answers;
pub mod collaboration;
pub mod duo;
pub mod proposals;
pub mod rating;
pub mod reflection;
pub mod role_sheet;
pub mod table;
pub mod voice;
pub mod workshop;

use std::collections::{HashMap, HashSet};

use automerge::{ObjId, ObjType, Patch, PatchAction, Prop, ReadDoc, ScalarValue, Value};

use crate::access::{Context, DocKind};

/// Why a document does not fit its schema; shown to the peer whose change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct SchemaError {
    pub path: String,
    pub problem: String,
}

impl SchemaError {
    pub(crate) fn new(path: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

/// Checks a whole document against the schema of its kind, in the workshop's context (the plan's
/// energy dots bound the voice documents).
pub fn validate(kind: &DocKind, doc: &impl ReadDoc, ctx: &Context) -> Result<(), SchemaError> {
    match kind {
        DocKind::Workshop => workshop::validate(doc),
        DocKind::Reflection { owner } => reflection::validate(doc, *owner),
        DocKind::Duo { duo } => duo::validate(doc, *duo),
        DocKind::Table => table::validate(doc),
        DocKind::Voice { owner } => voice::validate(doc, *owner, ctx.energy_dots),
        DocKind::Rating { owner } => rating::validate(doc, *owner),
        DocKind::RoleSheet { owner } => role_sheet::validate(doc, *owner),
        DocKind::Answers { owner } => answers::validate(doc, *owner),
    }
}

/// Checks a document after a change, looking only at the entries the change touched where each
/// entry stands alone (a note, a card, a roster entry): the others passed when they last changed.
/// Rules over the whole document (counts, totals, uniqueness across entries, the root's fields)
/// are checked as [`validate`] does.
pub fn validate_changed(
    kind: &DocKind,
    doc: &impl ReadDoc,
    ctx: &Context,
    changed: &Changed,
) -> Result<(), SchemaError> {
    let scope = Some(changed);
    match kind {
        DocKind::Workshop => workshop::validate_in(doc, scope),
        DocKind::Reflection { owner } => reflection::validate_in(doc, *owner, scope),
        DocKind::Duo { duo } => duo::validate_in(doc, *duo, scope),
        DocKind::Table => table::validate_in(doc, scope),
        DocKind::Voice { owner } => voice::validate_in(doc, *owner, ctx.energy_dots, scope),
        _ => validate(kind, doc, ctx),
    }
}

/// What a change touched, read from its patches: every map entry (object, key) a patch acted on
/// or passed through on its way down from the root. An entry whose value a change replaced,
/// deleted, or changed anywhere inside is touched; so is one whose winning value changed because
/// a conflict resolved.
#[derive(Debug, Default)]
pub struct Changed {
    entries: HashMap<ObjId, HashSet<String>>,
}

impl Changed {
    pub fn from_patches(patches: &[Patch]) -> Self {
        let mut changed = Changed::default();
        for p in patches {
            for (obj, prop) in &p.path {
                changed.note(obj, prop);
            }
            match &p.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                    changed.note(&p.obj, &Prop::Map(key.clone()))
                }
                PatchAction::Increment { prop, .. } | PatchAction::Conflict { prop } => {
                    changed.note(&p.obj, prop)
                }
                _ => {}
            }
        }
        changed
    }

    fn note(&mut self, obj: &ObjId, prop: &Prop) {
        if let Prop::Map(key) = prop {
            self.entries
                .entry(obj.clone())
                .or_default()
                .insert(key.clone());
        }
    }

    /// Whether the change touched the entry `key` of the map `obj`.
    pub fn touches(&self, obj: &ObjId, key: &str) -> bool {
        self.entries.get(obj).is_some_and(|keys| keys.contains(key))
    }
}

/// The map at `parent[key]`, created if missing (or if something else is there).
pub(crate) fn ensure_map(
    tx: &mut impl automerge::transaction::Transactable,
    parent: &ObjId,
    key: &str,
) -> Result<ObjId, automerge::AutomergeError> {
    match tx.get(parent, key)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        _ => tx.put_object(parent, key, ObjType::Map),
    }
}

/// Read helpers over one map object, with errors that carry the path.
pub(crate) struct MapReader<'a, D: ReadDoc> {
    pub doc: &'a D,
    pub obj: ObjId,
    pub path: String,
    /// The map's entries read in one pass, when the reader came from [`Self::map_entries`]: in
    /// automerge 0.12 every lookup by key is a seek through the document's op columns (~6 µs),
    /// and a schema check looks up every field of every entry.
    entries: Option<Vec<(String, Value<'static>, ObjId)>>,
    /// Set when a change is checked: [`Self::changed_entries`] then skips untouched entries.
    changed: Option<&'a Changed>,
}

impl<'a, D: ReadDoc> MapReader<'a, D> {
    /// The map `obj` of `doc`, named `path` in errors.
    pub fn at(doc: &'a D, obj: ObjId, path: String) -> Self {
        Self {
            doc,
            obj,
            path,
            entries: None,
            changed: None,
        }
    }

    pub fn root(doc: &'a D) -> Self {
        Self::root_in(doc, None)
    }

    /// The root of a document checked after a change (`Some`: see [`validate_changed`]) or whole.
    pub fn root_in(doc: &'a D, changed: Option<&'a Changed>) -> Self {
        Self {
            doc,
            obj: automerge::ROOT,
            path: String::new(),
            entries: None,
            changed,
        }
    }

    fn child_path(&self, key: &str) -> String {
        format!("{}/{}", self.path, key)
    }

    /// Every key must be one of `allowed`.
    pub fn only_keys(&self, allowed: &[&str]) -> Result<(), SchemaError> {
        for key in self.keys() {
            if !allowed.contains(&key.as_str()) {
                return Err(SchemaError::new(self.child_path(&key), "unknown field"));
            }
        }
        Ok(())
    }

    pub fn keys(&self) -> Vec<String> {
        match &self.entries {
            Some(entries) => entries.iter().map(|(k, _, _)| k.clone()).collect(),
            None => self.doc.keys(&self.obj).collect(),
        }
    }

    /// Every entry, each of which must be a map, read in one pass over the map. Looking each key
    /// up instead costs a search of the map's ops per key in automerge 0.12, which made checking
    /// a map of N entries O(N²): 14 ms for a sheet of 300 notes, on every change to it.
    pub fn map_entries(&self) -> Result<Vec<(String, MapReader<'a, D>)>, SchemaError> {
        self.entries_where(|_| true)
    }

    /// The entries of [`Self::map_entries`] a change touched, when the reader checks a change
    /// (all of them otherwise): for checks in which each entry stands alone.
    pub fn changed_entries(&self) -> Result<Vec<(String, MapReader<'a, D>)>, SchemaError> {
        match self.changed {
            Some(changed) => self.entries_where(|key| changed.touches(&self.obj, key)),
            None => self.map_entries(),
        }
    }

    fn entries_where(
        &self,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<Vec<(String, MapReader<'a, D>)>, SchemaError> {
        let mut out = Vec::new();
        for item in self.doc.map_range(&self.obj, ..) {
            if !wanted(item.key.as_ref()) {
                continue;
            }
            let key = item.key.to_string();
            match item.value {
                automerge::ValueRef::Object(ObjType::Map) => {
                    let path = self.child_path(&key);
                    let obj = item.id();
                    let entries = self
                        .doc
                        .map_range(&obj, ..)
                        .map(|e| (e.key.to_string(), e.value.clone().into_value(), e.id()))
                        .collect();
                    out.push((
                        key,
                        MapReader {
                            doc: self.doc,
                            obj,
                            path,
                            entries: Some(entries),
                            changed: self.changed,
                        },
                    ));
                }
                _ => return Err(SchemaError::new(self.child_path(&key), "must be a map")),
            }
        }
        Ok(out)
    }

    fn value(&self, key: &str) -> Option<(Value<'a>, ObjId)> {
        match &self.entries {
            Some(entries) => entries
                .iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, v, id)| (v.clone(), id.clone())),
            None => self.doc.get(&self.obj, key).ok().flatten(),
        }
    }

    /// A nested map; `None` if absent.
    pub fn map(&self, key: &str) -> Result<Option<MapReader<'a, D>>, SchemaError> {
        match self.value(key) {
            None => Ok(None),
            Some((Value::Object(ObjType::Map), id)) => Ok(Some(MapReader {
                doc: self.doc,
                obj: id,
                path: self.child_path(key),
                entries: None,
                changed: self.changed,
            })),
            Some(_) => Err(SchemaError::new(self.child_path(key), "must be a map")),
        }
    }

    pub fn required_map(&self, key: &str) -> Result<MapReader<'a, D>, SchemaError> {
        self.map(key)?
            .ok_or_else(|| SchemaError::new(self.child_path(key), "is missing"))
    }

    /// A string, stored either as a scalar or as a text object; at most `max_chars` characters.
    pub fn string(&self, key: &str, max_chars: usize) -> Result<Option<String>, SchemaError> {
        let s = match self.value(key) {
            None => return Ok(None),
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Str(s) => s.to_string(),
                _ => return Err(SchemaError::new(self.child_path(key), "must be a string")),
            },
            Some((Value::Object(ObjType::Text), id)) => self
                .doc
                .text(&id)
                .map_err(|e| SchemaError::new(self.child_path(key), e.to_string()))?,
            Some(_) => return Err(SchemaError::new(self.child_path(key), "must be a string")),
        };
        let n = s.chars().count();
        if n > max_chars {
            return Err(SchemaError::new(
                self.child_path(key),
                format!("is {n} characters long, at most {max_chars} are allowed"),
            ));
        }
        Ok(Some(s))
    }

    pub fn required_string(&self, key: &str, max_chars: usize) -> Result<String, SchemaError> {
        self.string(key, max_chars)?
            .ok_or_else(|| SchemaError::new(self.child_path(key), "is missing"))
    }

    /// A string that must be one of `allowed`.
    pub fn one_of(&self, key: &str, allowed: &[&str]) -> Result<Option<String>, SchemaError> {
        match self.string(key, 64)? {
            None => Ok(None),
            Some(s) if allowed.contains(&s.as_str()) => Ok(Some(s)),
            Some(s) => Err(SchemaError::new(
                self.child_path(key),
                format!("`{s}` is not one of {}", allowed.join(", ")),
            )),
        }
    }

    /// A boolean.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>, SchemaError> {
        match self.value(key) {
            None => Ok(None),
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Boolean(b) => Ok(Some(*b)),
                _ => Err(SchemaError::new(
                    self.child_path(key),
                    "must be true or false",
                )),
            },
            Some(_) => Err(SchemaError::new(
                self.child_path(key),
                "must be true or false",
            )),
        }
    }

    /// A list of strings: at most `max_items`, each at most `max_chars`.
    pub fn string_list(
        &self,
        key: &str,
        max_items: usize,
        max_chars: usize,
    ) -> Result<Option<Vec<String>>, SchemaError> {
        let path = self.child_path(key);
        let id = match self.value(key) {
            None => return Ok(None),
            Some((Value::Object(ObjType::List), id)) => id,
            Some(_) => return Err(SchemaError::new(path, "must be a list")),
        };
        let n = self.doc.length(&id);
        if n > max_items {
            return Err(SchemaError::new(
                path,
                format!("holds {n} items, at most {max_items} are allowed"),
            ));
        }
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            match self.doc.get(&id, i).ok().flatten() {
                Some((Value::Scalar(s), _)) => match s.as_ref() {
                    ScalarValue::Str(s) if s.chars().count() <= max_chars => {
                        out.push(s.to_string())
                    }
                    _ => {
                        return Err(SchemaError::new(
                            format!("{path}/{i}"),
                            format!("must be a string of at most {max_chars} characters"),
                        ));
                    }
                },
                _ => return Err(SchemaError::new(format!("{path}/{i}"), "must be a string")),
            }
        }
        Ok(Some(out))
    }

    /// A finite number (int or float).
    pub fn number(&self, key: &str) -> Result<Option<f64>, SchemaError> {
        match self.value(key) {
            None => Ok(None),
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Int(i) => Ok(Some(*i as f64)),
                ScalarValue::Uint(u) => Ok(Some(*u as f64)),
                ScalarValue::F64(f) if f.is_finite() => Ok(Some(*f)),
                ScalarValue::Timestamp(t) => Ok(Some(*t as f64)),
                _ => Err(SchemaError::new(self.child_path(key), "must be a number")),
            },
            Some(_) => Err(SchemaError::new(self.child_path(key), "must be a number")),
        }
    }

    /// A number within `min..=max`.
    pub fn number_in(&self, key: &str, min: f64, max: f64) -> Result<Option<f64>, SchemaError> {
        match self.number(key)? {
            Some(n) if n < min || n > max => Err(SchemaError::new(
                self.child_path(key),
                format!("{n} is outside {min}..={max}"),
            )),
            other => Ok(other),
        }
    }

    /// Fails when the map has more than `max` entries.
    pub fn at_most(&self, max: usize) -> Result<(), SchemaError> {
        let n = self.doc.length(&self.obj);
        if n > max {
            return Err(SchemaError::new(
                self.path.clone(),
                format!("holds {n} entries, at most {max} are allowed"),
            ));
        }
        Ok(())
    }
}
