//! What follows the private answers of the consent forms (001, 002), recomputed in a turn when
//! an answers document or the workshop document changed: how many said where the collaboration
//! stands (001) or rated the route (002), the k-anonymous phase distribution (once the
//! facilitator shows it, or from the canvas step on) and route profile (once the facilitator
//! shows it, or when the workshop closes), each consent round's tally (counts and reasons, never
//! who), and — for the facilitators' progress only — who answered the round that runs now.

use std::collections::BTreeMap;

use kring_shared::access::DocKind;
use kring_shared::engine::hub::Effects;
use kring_shared::forms::FormId;
use kring_shared::forms::agreements::{Phases, Tally};
use kring_shared::forms::horizon::RouteProfile;
use kring_shared::ids::{DocumentId, ParticipantId};
use kring_shared::schema::answers::{self, AnswersView};
use kring_shared::schema::{proposals, workshop as workshop_schema};
use kring_shared::step::Step;

use super::core::Workshop;

impl Workshop {
    pub(super) fn is_answers(&self, doc: &DocumentId) -> bool {
        matches!(self.hub.document_kind(doc), Some(DocKind::Answers { .. }))
    }

    fn all_answers(&self) -> Vec<(ParticipantId, AnswersView)> {
        self.hub
            .documents()
            .filter_map(|(id, k)| match k {
                DocKind::Answers { owner } => Some((owner, answers::view(self.hub.document(&id)?))),
                _ => None,
            })
            .collect()
    }

    /// Per participant with an answers document: whether they answered the round that runs now
    /// (all `false` when none runs).
    pub(super) fn answered_now(&self) -> Vec<(ParticipantId, bool)> {
        let ws_doc = self.hub.workshop_document();
        let Some(view) = self.hub.document(&ws_doc).map(workshop_schema::view) else {
            return Vec::new();
        };
        let asked = view.consensus.asked().cloned();
        self.all_answers()
            .into_iter()
            .map(|(owner, a)| {
                let done = asked
                    .as_ref()
                    .is_some_and(|p| a.consent.get(&p.id).is_some_and(|g| g.round == p.round));
                (owner, done)
            })
            .collect()
    }

    /// Keeps the workshop document's `rated`, `phases`, `route` and `tallies` equal to what the answers
    /// held now give (a tally someone else wrote is put right in the same turn). After the purge
    /// there are no answers left, and what was written last stays for the report.
    pub(super) fn update_consensus(&mut self, fx: &mut Effects) {
        let ws_doc = self.hub.workshop_document();
        let Some(view) = self.hub.document(&ws_doc).map(workshop_schema::view) else {
            return;
        };
        if !view.form.form().consents() {
            return;
        }
        let all = self.all_answers();
        if all.is_empty() {
            return;
        }
        let c = &view.consensus;
        let (rated, phases, route) = if view.form.id == FormId::Horizon {
            // 002: how many rated the route is a count, never a rating; the profile shows all at
            // once (for the reason `update_profile` gives) when the facilitator shows it — and
            // at the latest when the workshop closes, so the report and the collaboration keep it.
            let ratings: Vec<_> = all.iter().map(|(_, a)| a.route.clone()).collect();
            let rated = ratings.iter().filter(|r| !r.is_empty()).count() as u32;
            let shown = c.route_shown || view.step == Some(Step::Closed);
            let route = if shown {
                RouteProfile::of(&ratings, view.plan.k)
            } else {
                None
            };
            (rated, None, route)
        } else {
            let said: Vec<_> = all.iter().map(|(_, a)| a.phase).collect();
            // How many said where it stands is a count, never a phase.
            let rated = said.iter().flatten().count() as u32;
            // Shown all at once, for the reason `update_profile` gives.
            let shown = c.phases_shown
                || matches!(view.step, Some(Step::Duos | Step::Plenary | Step::Closed));
            let phases = if shown {
                Phases::of(&said, view.plan.k)
            } else {
                None
            };
            (rated, phases, None)
        };
        let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
        for p in c.proposals.iter().filter(|p| p.round > 0) {
            let given = all.iter().filter_map(|(_, a)| a.consent.get(&p.id));
            tallies.insert(&p.id, Tally::of(p.round, given));
        }
        let stale: Vec<&String> = c
            .tallies
            .keys()
            .filter(|id| !tallies.contains_key(id.as_str()))
            .collect();
        let changed_tallies: Vec<(&str, &Tally)> = tallies
            .iter()
            .filter(|(id, t)| c.tallies.get(**id) != Some(*t))
            .map(|(id, t)| (*id, t))
            .collect();
        if rated == view.rated
            && phases == c.phases
            && route == c.route
            && stale.is_empty()
            && changed_tallies.is_empty()
        {
            return;
        }
        let result = self.hub.change(ws_doc, |tx| {
            if rated != view.rated {
                workshop_schema::set_rated(tx, rated)?;
            }
            if phases != c.phases {
                proposals::set_phases(tx, phases.as_ref())?;
            }
            if route != c.route {
                proposals::set_route(tx, route.as_ref())?;
            }
            for id in &stale {
                proposals::remove_tally(tx, id)?;
            }
            for (id, t) in &changed_tallies {
                proposals::set_tally(tx, id, t)?;
            }
            Ok(())
        });
        match result {
            Ok((_, more)) => fx.merge(more),
            Err(e) => tracing::error!(error = %e, "could not write the consent tallies"),
        }
    }
}
