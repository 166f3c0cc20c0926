//! Who may read and who may write each document: a pure function of the principal, the document,
//! their relation and the workshop step.
//!
//! Architecture Invariant: access is decided per *document*, never per path inside a document.
//! Each permission scope is its own document (see `docs/protocol.md`), so the server never has to
//! inspect a change to know whether its author may make it — only whether the result still fits
//! the document's schema.

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use crate::forms::{FormId, StepKind};
use crate::ids::{DuoId, FacilitatorId, ParticipantId};
use crate::step::Step;

/// The role a token grants. Bound when the WebSocket is upgraded, never taken from a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Facilitator,
    Participant,
    /// The read-only projector view.
    Screen,
}

/// An authenticated peer: its role and who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Principal {
    pub role: Role,
    /// Set for participants.
    pub participant: Option<ParticipantId>,
    /// Set for facilitators.
    pub facilitator: Option<FacilitatorId>,
}

impl Principal {
    pub fn facilitator(id: FacilitatorId) -> Self {
        Self {
            role: Role::Facilitator,
            participant: None,
            facilitator: Some(id),
        }
    }
    pub fn screen() -> Self {
        Self {
            role: Role::Screen,
            participant: None,
            facilitator: None,
        }
    }
    pub fn participant(id: ParticipantId) -> Self {
        Self {
            role: Role::Participant,
            participant: Some(id),
            facilitator: None,
        }
    }
}

/// The state of the workshop that access depends on, read from the workshop document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub step: Step,
    /// When set, only this facilitator may steer (change the workshop document).
    pub lock: Option<FacilitatorId>,
    /// The duos (and trio) of step 2: who may read whose reflection, who writes which duo.
    pub duos: BTreeMap<DuoId, Vec<ParticipantId>>,
    /// Step 3's round runs: nobody reacts (voice documents are read-only).
    pub round_running: bool,
    /// Energy dots per person (the plan's), checked in voice documents.
    pub energy_dots: u32,
    /// The work form: its first step with a shared table opens the table and the voices.
    pub form: FormId,
}

impl Context {
    pub fn at(step: Step) -> Self {
        Self {
            step,
            lock: None,
            duos: BTreeMap::new(),
            round_running: false,
            energy_dots: crate::schema::workshop::DEFAULT_ENERGY_DOTS,
            form: FormId::ThreeLevels,
        }
    }

    /// The same context in a workshop of `form`.
    pub fn of_form(step: Step, form: FormId) -> Self {
        Self {
            form,
            ..Self::at(step)
        }
    }

    /// Whether two different people sit in the same duo.
    pub fn partners(&self, a: ParticipantId, b: ParticipantId) -> bool {
        a != b && self.duos.values().any(|m| m.contains(&a) && m.contains(&b))
    }

    pub fn member(&self, duo: DuoId, p: Option<ParticipantId>) -> bool {
        p.is_some_and(|p| self.duos.get(&duo).is_some_and(|m| m.contains(&p)))
    }

    /// Duos share their reflections from step 2 on.
    fn duos_open(&self) -> bool {
        matches!(self.step, Step::Duos | Step::Plenary)
    }

    /// The table (and with it the voices, the duo rooms) opens to everyone at the form's first
    /// step with a shared table — step 3 in 000 and 004, the canvas of step 2 in 001 — and stays
    /// open until after closing.
    fn table_open(&self) -> bool {
        let from = crate::forms::form(self.form)
            .first_step_with(StepKind::ClusteredTable)
            .unwrap_or(Step::Plenary);
        self.step >= from
    }
}

/// The kinds of document a workshop holds; each is one permission scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DocKind {
    /// Plan, step, roster: everyone reads, facilitators (and the server) write.
    Workshop,
    /// One participant's private notes in the three circles.
    Reflection { owner: ParticipantId },
    /// One duo's room: speaking timer, key-insight cards, call link.
    Duo { duo: DuoId },
    /// The plenary table: clusters and where each card lies. Facilitators write.
    Table,
    /// One participant's voice in the plenary: energy dots, short cards, a small change.
    Voice { owner: ParticipantId },
    /// One participant's private ratings of the building blocks (work form 004). The group
    /// sees only the server's k-anonymous profile, in the workshop document.
    Rating { owner: ParticipantId },
    /// One participant's private role sheet (work form 003): points over the perspectives and
    /// claims on roles. The group sees the server's k-anonymous balance, and the claims only
    /// once their owner published them (the server copies them into the workshop document).
    RoleSheet { owner: ParticipantId },
    /// One participant's private answers (work form 001): where the collaboration stands and
    /// their answer per consent round. The group sees only the server's distribution and tallies.
    Answers { owner: ParticipantId },
}

impl DocKind {
    /// The names of the private kinds: what only their owner reads, purged when the workshop
    /// closes (its aggregates stay in the workshop document).
    pub const PRIVATE: [&'static str; 4] = ["reflection", "rating", "role_sheet", "answers"];

    /// Whether this is one of the [`Self::PRIVATE`] kinds.
    pub fn is_private(&self) -> bool {
        Self::PRIVATE.contains(&self.name())
    }

    /// The short name used in storage and in `/api/me`.
    pub fn name(&self) -> &'static str {
        match self {
            DocKind::Workshop => "workshop",
            DocKind::Reflection { .. } => "reflection",
            DocKind::Duo { .. } => "duo",
            DocKind::Table => "table",
            DocKind::Voice { .. } => "voice",
            DocKind::Rating { .. } => "rating",
            DocKind::RoleSheet { .. } => "role_sheet",
            DocKind::Answers { .. } => "answers",
        }
    }
}

/// What a principal may do with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Not even told the document exists (`doc-unavailable`).
    None,
    Read,
    Write,
}

impl Access {
    pub fn can_read(self) -> bool {
        self >= Access::Read
    }
    pub fn can_write(self) -> bool {
        self == Access::Write
    }
}

/// The access rule table.
pub fn access(who: &Principal, doc: &DocKind, ctx: &Context) -> Access {
    let step = ctx.step;
    match (doc, who.role) {
        (DocKind::Workshop, Role::Facilitator) => match ctx.lock {
            Some(holder) if who.facilitator != Some(holder) => Access::Read,
            _ => Access::Write,
        },
        (DocKind::Workshop, Role::Participant | Role::Screen) => Access::Read,
        (DocKind::Reflection { owner }, Role::Participant) if who.participant == Some(*owner) => {
            if step == Step::Closed {
                Access::Read
            } else {
                Access::Write
            }
        }
        // A duo partner reads (never writes) my sheet while the duos and the plenary run.
        (DocKind::Reflection { owner }, Role::Participant)
            if ctx.duos_open() && who.participant.is_some_and(|p| ctx.partners(p, *owner)) =>
        {
            Access::Read
        }
        // Facilitators see progress counts, computed by the server, never the notes themselves.
        (DocKind::Reflection { .. }, _) => Access::None,
        (DocKind::Duo { .. }, Role::Facilitator) => Access::Write,
        (DocKind::Duo { duo }, Role::Participant) if ctx.member(*duo, who.participant) => {
            if step == Step::Closed {
                Access::Read
            } else {
                Access::Write
            }
        }
        (DocKind::Duo { .. }, Role::Participant | Role::Screen) if ctx.table_open() => Access::Read,
        (DocKind::Duo { .. }, _) => Access::None,
        // Every facilitator moves cards, also a co-facilitator while the console is locked.
        (DocKind::Table, Role::Facilitator) => Access::Write,
        (DocKind::Table, _) if ctx.table_open() => Access::Read,
        (DocKind::Table, _) => Access::None,
        (DocKind::Voice { owner }, Role::Participant) if who.participant == Some(*owner) => {
            // No reactions while the round runs; nothing changes after closing.
            if step == Step::Closed || ctx.round_running {
                Access::Read
            } else {
                Access::Write
            }
        }
        (DocKind::Voice { .. }, _) if ctx.table_open() => Access::Read,
        (DocKind::Voice { .. }, _) => Access::None,
        // Ratings are their owner's alone, at every step: nobody else, not even a facilitator or
        // a duo partner, reads them. The group reads only the aggregate the server writes.
        (DocKind::Rating { owner }, Role::Participant) if who.participant == Some(*owner) => {
            if step == Step::Closed {
                Access::Read
            } else {
                Access::Write
            }
        }
        (DocKind::Rating { .. }, _) => Access::None,
        // A role sheet is its owner's alone, like ratings: the points reach the group only as
        // the server's balance, the claims only as the server's copy once published.
        (DocKind::RoleSheet { owner }, Role::Participant) if who.participant == Some(*owner) => {
            if step == Step::Closed {
                Access::Read
            } else {
                Access::Write
            }
        }
        (DocKind::RoleSheet { .. }, _) => Access::None,
        // Answers are their owner's alone, like ratings: nobody can answer a consent round for
        // someone else, and nobody reads who answered what.
        (DocKind::Answers { owner }, Role::Participant) if who.participant == Some(*owner) => {
            if step == Step::Closed {
                Access::Read
            } else {
                Access::Write
            }
        }
        (DocKind::Answers { .. }, _) => Access::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row per rule: who, which document, which step → what they may do.
    #[test]
    fn access_table() {
        let me = ParticipantId::random();
        let other = ParticipantId::random();
        let mine = DocKind::Reflection { owner: me };
        let theirs = DocKind::Reflection { owner: other };
        let p = Principal::participant(me);
        let f = Principal::facilitator(FacilitatorId::random());
        let s = Principal::screen();
        let my_voice = DocKind::Voice { owner: me };
        let their_voice = DocKind::Voice { owner: other };
        let my_rating = DocKind::Rating { owner: me };
        let their_rating = DocKind::Rating { owner: other };
        let my_sheet = DocKind::RoleSheet { owner: me };
        let their_sheet = DocKind::RoleSheet { owner: other };
        let my_answers = DocKind::Answers { owner: me };
        let their_answers = DocKind::Answers { owner: other };
        use Access::*;
        let rows: &[(Principal, DocKind, Step, Access)] = &[
            (f, DocKind::Workshop, Step::Lobby, Write),
            (f, DocKind::Workshop, Step::Closed, Write),
            (p, DocKind::Workshop, Step::Lobby, Read),
            (p, DocKind::Workshop, Step::Plenary, Read),
            (s, DocKind::Workshop, Step::Reflect, Read),
            (p, mine, Step::Lobby, Write),
            (p, mine, Step::Reflect, Write),
            (p, mine, Step::Closed, Read),
            (p, theirs, Step::Reflect, None),
            (p, theirs, Step::Plenary, None),
            (f, mine, Step::Reflect, None),
            (f, mine, Step::Plenary, None),
            (s, mine, Step::Plenary, None),
            (f, DocKind::Table, Step::Duos, Write),
            (f, DocKind::Table, Step::Plenary, Write),
            (p, DocKind::Table, Step::Duos, None),
            (p, DocKind::Table, Step::Plenary, Read),
            (s, DocKind::Table, Step::Plenary, Read),
            (s, DocKind::Table, Step::Closed, Read),
            (p, my_voice, Step::Duos, Write),
            (p, my_voice, Step::Plenary, Write),
            (p, my_voice, Step::Closed, Read),
            (p, their_voice, Step::Duos, None),
            (p, their_voice, Step::Plenary, Read),
            (f, my_voice, Step::Duos, None),
            (f, my_voice, Step::Plenary, Read),
            (s, my_voice, Step::Plenary, Read),
            (p, my_rating, Step::Lobby, Write),
            (p, my_rating, Step::Reflect, Write),
            (p, my_rating, Step::Plenary, Write),
            (p, my_rating, Step::Closed, Read),
            (p, their_rating, Step::Reflect, None),
            (p, their_rating, Step::Duos, None),
            (p, their_rating, Step::Plenary, None),
            (f, my_rating, Step::Reflect, None),
            (f, my_rating, Step::Plenary, None),
            (f, my_rating, Step::Closed, None),
            (s, my_rating, Step::Duos, None),
            (s, my_rating, Step::Plenary, None),
            (p, my_sheet, Step::Lobby, Write),
            (p, my_sheet, Step::Reflect, Write),
            (p, my_sheet, Step::Duos, Write),
            (p, my_sheet, Step::Plenary, Write),
            (p, my_sheet, Step::Closed, Read),
            (p, their_sheet, Step::Reflect, None),
            (p, their_sheet, Step::Duos, None),
            (p, their_sheet, Step::Plenary, None),
            (p, their_sheet, Step::Closed, None),
            (f, my_sheet, Step::Reflect, None),
            (f, my_sheet, Step::Duos, None),
            (f, my_sheet, Step::Plenary, None),
            (f, my_sheet, Step::Closed, None),
            (s, my_sheet, Step::Reflect, None),
            (s, my_sheet, Step::Duos, None),
            (s, my_sheet, Step::Plenary, None),
            (p, my_answers, Step::Lobby, Write),
            (p, my_answers, Step::Reflect, Write),
            (p, my_answers, Step::Duos, Write),
            (p, my_answers, Step::Plenary, Write),
            (p, my_answers, Step::Closed, Read),
            (p, their_answers, Step::Reflect, None),
            (p, their_answers, Step::Plenary, None),
            (p, their_answers, Step::Closed, None),
            (f, my_answers, Step::Reflect, None),
            (f, my_answers, Step::Plenary, None),
            (f, my_answers, Step::Closed, None),
            (s, my_answers, Step::Plenary, None),
            (s, my_answers, Step::Closed, None),
        ];
        for (who, doc, step, expected) in rows {
            assert_eq!(
                access(who, doc, &Context::at(*step)),
                *expected,
                "{who:?} {doc:?} {step:?}"
            );
        }
    }

    #[test]
    fn during_the_round_nobody_reacts() {
        let me = ParticipantId::random();
        let mut ctx = Context::at(Step::Plenary);
        ctx.round_running = true;
        let voice = DocKind::Voice { owner: me };
        assert_eq!(
            access(&Principal::participant(me), &voice, &ctx),
            Access::Read
        );
        ctx.round_running = false;
        assert_eq!(
            access(&Principal::participant(me), &voice, &ctx),
            Access::Write
        );
    }

    #[test]
    fn a_locked_console_still_lets_co_facilitators_move_cards() {
        let holder = FacilitatorId::random();
        let mut ctx = Context::at(Step::Plenary);
        ctx.lock = Some(holder);
        let co = Principal::facilitator(FacilitatorId::random());
        assert_eq!(access(&co, &DocKind::Workshop, &ctx), Access::Read);
        assert_eq!(access(&co, &DocKind::Table, &ctx), Access::Write);
    }

    #[test]
    fn no_principal_may_write_what_it_cannot_read() {
        let me = ParticipantId::random();
        let docs = [
            DocKind::Workshop,
            DocKind::Reflection { owner: me },
            DocKind::Table,
            DocKind::Voice { owner: me },
            DocKind::Rating { owner: me },
            DocKind::RoleSheet { owner: me },
            DocKind::Answers { owner: me },
            DocKind::Duo {
                duo: DuoId::random(),
            },
        ];
        let whos = [
            Principal::facilitator(FacilitatorId::random()),
            Principal::screen(),
            Principal::participant(me),
            Principal::participant(ParticipantId::random()),
        ];
        for step in Step::ALL {
            for doc in &docs {
                for who in &whos {
                    let a = access(who, doc, &Context::at(step));
                    assert!(!a.can_write() || a.can_read());
                }
            }
        }
    }

    /// A duo partner reads my reflection in step 2, never my ratings.
    #[test]
    fn a_duo_partner_never_reads_my_ratings() {
        let (me, partner) = (ParticipantId::random(), ParticipantId::random());
        let mut ctx = Context::at(Step::Duos);
        ctx.duos.insert(DuoId::random(), vec![me, partner]);
        let who = Principal::participant(partner);
        assert_eq!(
            access(&who, &DocKind::Reflection { owner: me }, &ctx),
            Access::Read
        );
        assert_eq!(
            access(&who, &DocKind::Rating { owner: me }, &ctx),
            Access::None
        );
        assert_eq!(
            access(&who, &DocKind::RoleSheet { owner: me }, &ctx),
            Access::None
        );
    }

    /// Form 001 lays its canvas in step 2: the table and the voices (where the canvas cards
    /// are written) open to everyone then; in 000 and 004 only at step 3.
    #[test]
    fn the_canvas_of_001_opens_in_step_2() {
        let me = ParticipantId::random();
        let other = Principal::participant(ParticipantId::random());
        let voice = DocKind::Voice { owner: me };
        let at = |step, form| Context::of_form(step, form);
        for (form, step, expected) in [
            (FormId::RulesOfPlay, Step::Reflect, Access::None),
            (FormId::RulesOfPlay, Step::Duos, Access::Read),
            (FormId::RulesOfPlay, Step::Plenary, Access::Read),
            (FormId::RulesOfPlay, Step::Closed, Access::Read),
            (FormId::ThreeLevels, Step::Duos, Access::None),
            (FormId::BuildingBlocks, Step::Duos, Access::None),
            (FormId::BuildingBlocks, Step::Plenary, Access::Read),
        ] {
            assert_eq!(
                access(&other, &voice, &at(step, form)),
                expected,
                "{form} {step}"
            );
            assert_eq!(
                access(&Principal::screen(), &DocKind::Table, &at(step, form)),
                expected,
                "{form} {step}"
            );
        }
        // The answers stay private whatever the form.
        for step in Step::ALL {
            let ctx = at(step, FormId::RulesOfPlay);
            assert_eq!(
                access(&other, &DocKind::Answers { owner: me }, &ctx),
                Access::None
            );
        }
    }

    /// The private kinds are those nobody but their owner reads, at any step.
    #[test]
    fn private_kinds_are_read_by_their_owner_alone() {
        let me = ParticipantId::random();
        let kinds = [
            DocKind::Workshop,
            DocKind::Reflection { owner: me },
            DocKind::Table,
            DocKind::Voice { owner: me },
            DocKind::Rating { owner: me },
            DocKind::RoleSheet { owner: me },
            DocKind::Answers { owner: me },
            DocKind::Duo {
                duo: DuoId::random(),
            },
        ];
        let others = [
            Principal::facilitator(FacilitatorId::random()),
            Principal::screen(),
            Principal::participant(ParticipantId::random()),
        ];
        for kind in kinds {
            // Without duos (a partner reads a reflection in step 2), nobody else reads a private
            // kind at any step; every other kind is read by somebody else at some step.
            let others_read = Step::ALL.iter().any(|step| {
                others
                    .iter()
                    .any(|o| access(o, &kind, &Context::at(*step)).can_read())
            });
            assert_eq!(kind.is_private(), !others_read, "{kind:?}");
        }
    }

    #[test]
    fn the_screen_never_writes() {
        for step in Step::ALL {
            assert!(
                !access(&Principal::screen(), &DocKind::Workshop, &Context::at(step)).can_write()
            );
        }
    }
}
