//! The documents and aggregates that follow the workshop document, recomputed in a turn when
//! what they follow changed: each duo's room, the plenary table, each participant's voice,
//! rating sheet, role sheet and answers are created (ids chosen here, never by a client); 004's group
//! profile and 003's role map and balance are derived from the private sheets; and the report's
//! sources are gathered, step 1 only as counts.

use kring_shared::access::DocKind;
use kring_shared::engine::hub::{Effects, Hub};
use kring_shared::forms::blocks::Profile;
use kring_shared::forms::roles::Balance;
use kring_shared::forms::{FormId, StepKind};
use kring_shared::ids::{DocumentId, ParticipantId};
use kring_shared::report::{self, Step1Counts};
use kring_shared::schema::{
    answers as answers_schema, duo as duo_schema, rating as rating_schema, reflection, role_sheet,
    table as table_schema, voice as voice_schema, workshop as workshop_schema,
};
use kring_shared::step::Step;

use super::core::Workshop;
use crate::store::{DocumentRow, WriteBatch};

impl Workshop {
    /// The documents a report is made of, each checked to be of the kind its role needs (the
    /// workshop document is the facilitators' to write; it cannot point the report elsewhere).
    pub(super) fn report_sources(&self) -> report::Sources {
        let hub = &self.hub;
        let ws_doc = hub.workshop_document();
        let workshop = hub
            .document(&ws_doc)
            .map(workshop_schema::view)
            .unwrap_or_default();
        let doc_of = |id: Option<DocumentId>, kind: DocKind| {
            id.filter(|d| hub.document_kind(d) == Some(kind))
                .and_then(|d| hub.document(&d))
        };
        let duos = workshop
            .duos
            .iter()
            .filter_map(|d| {
                let doc = doc_of(d.doc, DocKind::Duo { duo: d.id })?;
                Some((d.id, duo_schema::view(doc)))
            })
            .collect();
        let voices = workshop
            .roster
            .iter()
            .filter_map(|r| {
                let doc = doc_of(r.voice, DocKind::Voice { owner: r.id })?;
                Some((r.id, voice_schema::view(doc)))
            })
            .collect();
        let table = doc_of(workshop.table, DocKind::Table)
            .map(table_schema::view)
            .unwrap_or_default();
        let step1 = workshop.step1.unwrap_or_else(|| self.step1_counts());
        report::Sources {
            workshop,
            created_at_ms: 0,
            duos,
            table,
            voices,
            step1,
        }
    }

    /// Step 1 as anonymous counts over every reflection held now.
    pub(super) fn step1_counts(&self) -> Step1Counts {
        let mut s = Step1Counts::default();
        for (id, kind) in self.hub.documents() {
            let (DocKind::Reflection { .. }, Some(doc)) = (kind, self.hub.document(&id)) else {
                continue;
            };
            let notes = reflection::notes(doc);
            s.people += u32::from(!notes.is_empty());
            for note in &notes {
                s.count_note(note.ring, note.mark);
            }
        }
        s
    }

    /// Creates every document the workshop document names by role but lacks — each duo's room,
    /// the plenary table, each participant's voice — and records its id in the workshop document.
    /// Ids are always chosen here, so no client can point a role at a document of its choosing.
    pub(super) fn open_documents(&mut self, fx: &mut Effects, batch: &mut WriteBatch) {
        let ws_doc = self.hub.workshop_document();
        let Some(view) = self.hub.document(&ws_doc).map(workshop_schema::view) else {
            return;
        };
        let has = |hub: &Hub, doc: Option<DocumentId>, kind: DocKind| {
            doc.is_some_and(|d| hub.document_kind(&d) == Some(kind))
        };
        for entry in view.duos {
            let kind = DocKind::Duo { duo: entry.id };
            if !has(&self.hub, entry.doc, kind) {
                self.open_document(
                    kind,
                    fx,
                    batch,
                    |tx| duo_schema::init(tx, entry.id),
                    |tx, doc| workshop_schema::set_duo_doc(tx, entry.id, doc),
                );
            }
        }
        if !has(&self.hub, view.table, DocKind::Table) {
            self.open_document(
                DocKind::Table,
                fx,
                batch,
                |tx| table_schema::init(tx),
                |tx, doc| workshop_schema::set_table_doc(tx, doc),
            );
        }
        // The rating sheet's schema is 004's blocks; another rating form brings its own kind.
        let rates = view.form.id == FormId::BuildingBlocks
            && view
                .form
                .form()
                .step_has(Step::Reflect, StepKind::RatingScale);
        // 003's role sheet: the points over the perspectives and the claims on roles.
        let claims = view
            .form
            .form()
            .step_has(Step::Reflect, StepKind::RoleClaims);
        // 001's and 002's answers: where the collaboration stands, the horizon sentence, the
        // route, and the consent rounds.
        let answers = view.form.form().consents();
        for entry in view.roster {
            let own = DocKind::Answers { owner: entry.id };
            if answers && view.step != Some(Step::Closed) && !has(&self.hub, entry.answers, own) {
                self.open_document(
                    own,
                    fx,
                    batch,
                    |tx| answers_schema::init(tx, entry.id),
                    |tx, doc| workshop_schema::set_answers_doc(tx, entry.id, doc),
                );
            }
            let sheet = DocKind::RoleSheet { owner: entry.id };
            if claims && view.step != Some(Step::Closed) && !has(&self.hub, entry.role_sheet, sheet)
            {
                self.open_document(
                    sheet,
                    fx,
                    batch,
                    |tx| role_sheet::init(tx, entry.id),
                    |tx, doc| workshop_schema::set_role_sheet_doc(tx, entry.id, doc),
                );
            }
            let rating = DocKind::Rating { owner: entry.id };
            // Never re-created after closing: the purge removed them for good.
            if rates && view.step != Some(Step::Closed) && !has(&self.hub, entry.rating, rating) {
                self.open_document(
                    rating,
                    fx,
                    batch,
                    |tx| rating_schema::init(tx, entry.id),
                    |tx, doc| workshop_schema::set_rating_doc(tx, entry.id, doc),
                );
            }
            let kind = DocKind::Voice { owner: entry.id };
            if !has(&self.hub, entry.voice, kind) {
                self.open_document(
                    kind,
                    fx,
                    batch,
                    |tx| voice_schema::init(tx, entry.id),
                    |tx, doc| workshop_schema::set_voice_doc(tx, entry.id, doc),
                );
            }
        }
    }

    /// Creates one document of `kind` with `init`, and names it in the workshop document with
    /// `record`.
    fn open_document(
        &mut self,
        kind: DocKind,
        fx: &mut Effects,
        batch: &mut WriteBatch,
        init: impl FnOnce(
            &mut automerge::transaction::Transaction<'_>,
        ) -> Result<(), automerge::AutomergeError>,
        record: impl FnOnce(
            &mut automerge::transaction::Transaction<'_>,
            DocumentId,
        ) -> Result<(), automerge::AutomergeError>,
    ) {
        let doc = DocumentId::random();
        match self.hub.create_document(doc, kind, init) {
            Ok(created) => fx.merge(created),
            Err(e) => {
                tracing::error!(error = %e, kind = kind.name(), "could not create a document");
                return;
            }
        }
        batch.documents.push(DocumentRow {
            id: doc,
            workshop_id: self.id,
            kind,
        });
        let ws_doc = self.hub.workshop_document();
        match self.hub.change(ws_doc, |tx| record(tx, doc)) {
            Ok((_, more)) => fx.merge(more),
            Err(e) => {
                tracing::error!(error = %e, kind = kind.name(), "could not record a document")
            }
        }
        tracing::info!(kind = kind.name(), document = %doc, "document opened");
    }

    pub(super) fn is_rating(&self, doc: &DocumentId) -> bool {
        matches!(self.hub.document_kind(doc), Some(DocKind::Rating { .. }))
    }

    /// Recomputes 004's group profile from the ratings held now and writes it into the workshop
    /// document when it changed: from the profile step (step 2) on, and only once at least
    /// `plan.k` people answered (fewer give no profile at all, see [`Profile::of`]). After the
    /// purge there are no ratings left, and the profile written last is kept for the report.
    pub(super) fn update_profile(&mut self, fx: &mut Effects) {
        let ws_doc = self.hub.workshop_document();
        let Some(view) = self.hub.document(&ws_doc).map(workshop_schema::view) else {
            return;
        };
        if view.form.id != FormId::BuildingBlocks {
            return;
        }
        let ratings: Vec<_> = self
            .hub
            .documents()
            .filter(|(_, k)| matches!(k, DocKind::Rating { .. }))
            .filter_map(|(id, _)| self.hub.document(&id))
            .map(|d| rating_schema::view(d).scores())
            .collect();
        if ratings.is_empty() {
            return;
        }
        // How many rated is a count, never a rating: the facilitator sees when k is reached.
        let rated = ratings.iter().filter(|r| !r.is_empty()).count() as u32;
        if rated != view.rated {
            match self
                .hub
                .change(ws_doc, |tx| workshop_schema::set_rated(tx, rated))
            {
                Ok((_, more)) => fx.merge(more),
                Err(e) => tracing::error!(error = %e, "could not write how many rated"),
            }
        }
        // Published from the profile step on, with every rating given so far at once: a profile
        // that ticked along while people rated would show, answer by answer, how each one rated.
        if !view
            .form
            .form()
            .step_has(Step::Duos, StepKind::GroupProfile)
            || !matches!(view.step, Some(Step::Duos | Step::Plenary | Step::Closed))
        {
            return;
        }
        let profile = Profile::of(&ratings, view.plan.k);
        if profile == view.profile {
            return;
        }
        match self.hub.change(ws_doc, |tx| {
            workshop_schema::set_profile(tx, profile.as_ref())
        }) {
            Ok((_, more)) => fx.merge(more),
            Err(e) => tracing::error!(error = %e, "could not write the group profile"),
        }
    }

    pub(super) fn is_role_sheet(&self, doc: &DocumentId) -> bool {
        matches!(self.hub.document_kind(doc), Some(DocKind::RoleSheet { .. }))
    }

    /// Work form 003: keeps the workshop document's `role_map` equal to the claims of the role
    /// sheets whose owners published them (an unpublished claim never leaves its sheet; a
    /// `role_map` someone else wrote is put right in the same turn), counts who divided their
    /// points, and from the role-map step on writes the balance once at least `plan.k` did —
    /// all at once, for the reason [`Self::update_profile`] gives. After the purge there are no
    /// sheets left, and what was written last stays for the report.
    pub(super) fn update_roles(&mut self, fx: &mut Effects) {
        let ws_doc = self.hub.workshop_document();
        let Some(view) = self.hub.document(&ws_doc).map(workshop_schema::view) else {
            return;
        };
        let form = view.form.form();
        if !form.step_has(Step::Reflect, StepKind::RoleClaims) {
            return;
        }
        let sheets: Vec<(ParticipantId, role_sheet::RoleSheetView)> = self
            .hub
            .documents()
            .filter_map(|(id, k)| match k {
                DocKind::RoleSheet { owner } => Some((owner, self.hub.document(&id)?)),
                _ => None,
            })
            .map(|(owner, d)| (owner, role_sheet::view(d)))
            .collect();
        if sheets.is_empty() {
            return;
        }
        let published: std::collections::BTreeMap<_, _> = sheets
            .iter()
            .filter(|(_, s)| s.published)
            .map(|(p, s)| (*p, s.claims.clone()))
            .collect();
        if published != view.role_map {
            let result = self.hub.change(ws_doc, |tx| {
                for p in view.role_map.keys() {
                    if !published.contains_key(p) {
                        workshop_schema::set_published_claims(tx, *p, None)?;
                    }
                }
                for (p, claims) in &published {
                    if view.role_map.get(p) != Some(claims) {
                        workshop_schema::set_published_claims(tx, *p, Some(claims))?;
                    }
                }
                Ok(())
            });
            match result {
                Ok((_, more)) => fx.merge(more),
                Err(e) => tracing::error!(error = %e, "could not write the role map"),
            }
        }
        let splits: Vec<[u32; 3]> = sheets.iter().map(|(_, s)| s.points).collect();
        // How many divided their points is a count, never a split.
        let answered = splits
            .iter()
            .filter(|s| s.iter().sum::<u32>() == kring_shared::forms::roles::POINTS)
            .count() as u32;
        if answered != view.rated {
            match self
                .hub
                .change(ws_doc, |tx| workshop_schema::set_rated(tx, answered))
            {
                Ok((_, more)) => fx.merge(more),
                Err(e) => tracing::error!(error = %e, "could not write how many answered"),
            }
        }
        if !form.step_has(Step::Duos, StepKind::GroupProfile)
            || !matches!(view.step, Some(Step::Duos | Step::Plenary | Step::Closed))
        {
            return;
        }
        let balance = Balance::of(&splits, view.plan.k);
        if balance == view.balance {
            return;
        }
        match self.hub.change(ws_doc, |tx| {
            workshop_schema::set_balance(tx, balance.as_ref())
        }) {
            Ok((_, more)) => fx.merge(more),
            Err(e) => tracing::error!(error = %e, "could not write the balance"),
        }
    }
}
