//! The workloads of issue 8, each against Kring or the reference sync server.
//!
//! Against Kring, documents are made the way the app makes them: workshops and participants
//! through the HTTP API, duos and steps written by the facilitator, rooms created by the server.
//! Against the reference server (no auth, no schema) a *creator* client makes the same
//! documents from the same `kring_shared::schema` writers, and the clients open them by id.
//! Either way the simulated clients then do the same thing, so the two runs compare.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::try_join_all;
use kring_shared::automerge::transaction::Transactable;
use kring_shared::automerge::{Automerge, ChangeHash, ObjType, ROOT, ScalarValue};
use kring_shared::ids::{DocumentId, DuoId, ParticipantId};
use kring_shared::method::LevelId;
use kring_shared::schema::{duo, reflection, table, workshop};
use kring_shared::step::Step;
use kring_testkit::{Participant, SyncClient, Workshop, create_workshop, join};

use crate::Result;
use crate::servers::{Kind, Server};
use crate::sim::{Edit, EditFn, Sim, Writes};

/// Connections opened at once while setting up (each is a WebSocket handshake plus syncs).
const SETUP_CONCURRENCY: usize = 25;

async fn connect(server: &Server, token: &str) -> Result<SyncClient> {
    Ok(SyncClient::connect(&server.ws(), token).await?)
}

/// Opens documents and waits until each has been answered with content.
async fn open_all(c: &mut SyncClient, docs: &[DocumentId]) -> Result<()> {
    for d in docs {
        let status = c.open(*d).await?;
        if status != kring_shared::engine::client::DocStatus::Ready {
            return Err(format!("document {d} is {status:?} for this client").into());
        }
    }
    Ok(())
}

/// Waits until the server holds every change this client made to `docs`.
async fn acked(c: &mut SyncClient, docs: &[DocumentId]) -> Result<()> {
    let docs = docs.to_vec();
    c.wait_for("acknowledgement", move |c| {
        docs.iter().all(|d| c.repo.is_acknowledged(d))
    })
    .await?;
    Ok(())
}

/// Makes documents on the reference server: each starts from `init` and is synced up.
async fn create_docs(server: &Server, docs: Vec<(DocumentId, Automerge)>) -> Result<()> {
    let mut creator = connect(server, "").await?;
    for chunk in docs.chunks(50) {
        for (id, doc) in chunk {
            for m in creator.repo.open_with(*id, doc.clone()) {
                creator.send(&m).await?;
            }
        }
        let chunk_ids: Vec<DocumentId> = chunk.iter().map(|(id, _)| *id).collect();
        acked(&mut creator, &chunk_ids).await?;
    }
    Ok(())
}

fn doc_with(
    f: impl FnOnce(
        &mut kring_shared::automerge::transaction::Transaction<'_>,
    ) -> std::result::Result<(), kring_shared::automerge::AutomergeError>,
) -> Result<Automerge> {
    let mut d = Automerge::new();
    d.transact(f).map_err(|e| e.error.to_string())?;
    Ok(d)
}

/// Runs futures with at most [`SETUP_CONCURRENCY`] at a time, keeping their order.
async fn bounded<T, F: std::future::Future<Output = Result<T>>>(
    futs: impl IntoIterator<Item = F>,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    let futs: Vec<F> = futs.into_iter().collect();
    let mut it = futs.into_iter().peekable();
    while it.peek().is_some() {
        let batch: Vec<F> = it.by_ref().take(SETUP_CONCURRENCY).collect();
        out.extend(try_join_all(batch).await?);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Duos

/// One participant of the duos workload: who, and the documents it has open.
struct DuoMember {
    token: String,
    workshop: DocumentId,
    own: DocumentId,
    partner: DocumentId,
    room: DocumentId,
    card: String,
}

/// Kring: a workshop with `people` participants in duos, at step 2, rooms created.
async fn kring_duo_workshop(
    server: &Server,
    people: usize,
) -> Result<(Vec<DuoMember>, Option<String>)> {
    let w = create_workshop(&server.url, "loadgen duos").await?;
    let ps: Vec<Participant> = bounded((0..people).map(|i| join_one(server, &w, i))).await?;
    let mut fac = connect(server, &w.facilitator_token).await?;
    open_all(&mut fac, &[w.document]).await?;
    let duos: Vec<workshop::DuoEntry> = ps
        .chunks(2)
        .map(|pair| workshop::DuoEntry {
            id: DuoId::random(),
            members: pair
                .iter()
                .map(|p| p.id.parse::<ParticipantId>().expect("participant id"))
                .collect(),
            doc: None,
            number: None,
        })
        .collect();
    fac.change(w.document, |tx| {
        workshop::set_duos(tx, &duos)?;
        workshop::set_step(tx, Step::Duos)
    })
    .await?;
    let n = duos.len();
    let doc = w.document;
    fac.wait_for("duo rooms", move |c| {
        let v = workshop::view(c.doc(doc));
        v.duos.len() == n && v.duos.iter().all(|d| d.doc.is_some())
    })
    .await?;
    let rooms = workshop::view(fac.doc(w.document)).duos;
    let mut members = Vec::new();
    for (pair, entry) in ps.chunks(2).zip(&duos) {
        let room = rooms
            .iter()
            .find(|r| r.id == entry.id)
            .and_then(|r| r.doc)
            .ok_or("duo without room")?;
        for (i, p) in pair.iter().enumerate() {
            let partner = &pair[(i + 1) % pair.len()];
            members.push(DuoMember {
                token: p.token.clone(),
                workshop: w.document,
                own: p.reflection,
                partner: partner.reflection,
                room,
                card: format!("card-{}", p.id),
            });
        }
    }
    Ok((members, Some(w.facilitator_token.clone())))
}

async fn join_one(server: &Server, w: &Workshop, i: usize) -> Result<Participant> {
    Ok(join(
        &server.url,
        &w.join_code,
        &format!("person {i}"),
        &format!("org {}", i % 7),
    )
    .await?)
}

/// The reference server: the same documents, made by a creator client.
async fn node_duo_workshop(server: &Server, people: usize) -> Result<Vec<DuoMember>> {
    let ws = DocumentId::random();
    let mut docs = vec![(ws, doc_with(|tx| workshop::init(tx, "loadgen duos", "nl"))?)];
    let ids: Vec<(ParticipantId, DocumentId)> = (0..people)
        .map(|_| (ParticipantId::random(), DocumentId::random()))
        .collect();
    for (p, d) in &ids {
        docs.push((*d, doc_with(|tx| reflection::init(tx, *p))?));
    }
    let mut members = Vec::new();
    for pair in ids.chunks(2) {
        let room = DocumentId::random();
        let duo_id = DuoId::random();
        docs.push((room, doc_with(|tx| duo::init(tx, duo_id))?));
        for (i, (p, d)) in pair.iter().enumerate() {
            members.push(DuoMember {
                token: String::new(),
                workshop: ws,
                own: *d,
                partner: pair[(i + 1) % pair.len()].1,
                room,
                card: format!("card-{p}"),
            });
        }
    }
    create_docs(server, docs).await?;
    Ok(members)
}

fn note(id: &str, k: usize) -> reflection::Note {
    reflection::Note {
        id: id.to_owned(),
        ring: LevelId::ALL[k % 3],
        text: String::new(),
        mark: reflection::Mark::None,
        x: 0.1 + (k % 7) as f64 * 0.1,
        y: 0.2 + (k % 5) as f64 * 0.1,
        question: None,
    }
}

fn card(id: &str) -> duo::Insight {
    duo::Insight {
        id: id.to_owned(),
        text: String::new(),
        zone: LevelId::Collegial.into(),
    }
}

/// Connects one duo member, opens its four documents, and lays its note and card.
async fn duo_sim(server: &Server, m: DuoMember, rate: f64, index: usize) -> Result<Sim> {
    let mut c = connect(server, &m.token).await?;
    let docs = vec![m.workshop, m.own, m.room, m.partner];
    open_all(&mut c, &docs).await?;
    let note_id = "typed".to_owned();
    let n = note(&note_id, index);
    c.change(m.own, |tx| reflection::put_note(tx, &n)).await?;
    let k = card(&m.card);
    c.change(m.room, |tx| duo::put_insight(tx, &k)).await?;
    acked(&mut c, &[m.own, m.room]).await?;
    // Typing: every edit appends a letter (a minimal text edit), alternately in the note and
    // in the card; after 150 letters the text starts over.
    let note_edit: EditFn = Arc::new(move |tx, n| reflection::set_text(tx, "typed", &typed(n / 2)));
    let card_id = m.card.clone();
    let card_edit: EditFn =
        Arc::new(move |tx, n| duo::set_insight_text(tx, &card_id, &typed(n / 2)));
    let period = Duration::from_secs_f64(1.0 / rate);
    Ok(Sim {
        client: c,
        docs,
        writes: Some(Writes {
            period,
            phase: period.mul_f64((index % 97) as f64 / 97.0),
            edits: vec![
                (m.own, Edit::Change(note_edit), 1),
                (m.room, Edit::Change(card_edit), 1),
            ],
        }),
        raw: false,
    })
}

fn typed(n: u64) -> String {
    const WORDS: &str = "we hold each other to account when the work is shared and seen ";
    let len = (n % 150) as usize + 1;
    WORDS.chars().cycle().take(len).collect()
}

/// `duos`: `workshops` × `people`, everyone typing `rate` edits/s into a note and a card.
pub async fn duos(server: &Server, workshops: usize, people: usize, rate: f64) -> Result<Vec<Sim>> {
    let mut sims = Vec::new();
    for w in 0..workshops {
        let members = match server.kind {
            Kind::Kring => kring_duo_workshop(server, people).await?.0,
            Kind::Node => node_duo_workshop(server, people).await?,
        };
        let base = w * people;
        sims.extend(
            bounded(
                members
                    .into_iter()
                    .enumerate()
                    .map(|(i, m)| duo_sim(server, m, rate, base + i)),
            )
            .await?,
        );
    }
    Ok(sims)
}

// ---------------------------------------------------------------------------------------------
// Plenary

/// Card keys on the table.
const CARDS: usize = 30;

/// Where card `key` lies after move `n`, in the table's shape (`cards/<key>/{cluster, order}`),
/// for the reference server, which has no schema.
fn put_card(
    tx: &mut impl Transactable,
    key: &str,
    n: u64,
) -> std::result::Result<(), kring_shared::automerge::AutomergeError> {
    let cards = match tx.get(ROOT, "cards")? {
        Some((kring_shared::automerge::Value::Object(ObjType::Map), id)) => id,
        _ => tx.put_object(ROOT, "cards", ObjType::Map)?,
    };
    let c = match tx.get(&cards, key)? {
        Some((kring_shared::automerge::Value::Object(ObjType::Map), id)) => id,
        _ => tx.put_object(&cards, key, ObjType::Map)?,
    };
    tx.put(&c, "cluster", LEVELS[(n % 3) as usize])?;
    tx.put(&c, "order", ScalarValue::F64(n as f64))
}

/// `plenary`: one facilitator moves cards `rate` times a second; `people` participants and one
/// screen have the table open.
pub async fn plenary(server: &Server, people: usize, rate: f64) -> Result<Vec<Sim>> {
    plenary_with(server, people, rate, false).await
}

/// The plenary as a facilitator drags cards: `rate` drag updates per second (ephemeral, never
/// stored) on the table, to every reader (Kring only: the reference server has no rooms).
pub async fn drags(server: &Server, people: usize, rate: f64) -> Result<Vec<Sim>> {
    plenary_with(server, people, rate, true).await
}

async fn plenary_with(server: &Server, people: usize, rate: f64, drag: bool) -> Result<Vec<Sim>> {
    let (table, fac_token, reader_tokens, extra_docs) = match server.kind {
        Kind::Kring => kring_plenary(server, people).await?,
        Kind::Node => {
            let table = DocumentId::random();
            let init = doc_with(|tx| {
                for k in 0..CARDS {
                    // Moves use orders from 1,000,000 on: an unchanged value would make an
                    // empty change.
                    put_card(tx, &format!("card-{k}"), k as u64)?;
                }
                Ok(())
            })?;
            create_docs(server, vec![(table, init)]).await?;
            (
                table,
                String::new(),
                vec![String::new(); people + 1],
                vec![],
            )
        }
    };
    let mut docs = extra_docs.clone();
    if !docs.contains(&table) {
        docs.push(table);
    }
    let readers = reader_tokens.len() as u64;
    let mut sims: Vec<Sim> = bounded(reader_tokens.iter().map(|t| {
        let docs = docs.clone();
        async move {
            let mut c = connect(server, t).await?;
            open_all(&mut c, &docs).await?;
            Ok(Sim {
                client: c,
                docs,
                writes: None,
                raw: server.kind == Kind::Kring,
            })
        }
    }))
    .await?;
    let mut fac = connect(server, &fac_token).await?;
    open_all(&mut fac, &docs).await?;
    let period = Duration::from_secs_f64(1.0 / rate);
    let edit = if drag {
        Edit::Drag
    } else {
        Edit::Change(plenary_move(server.kind))
    };
    sims.push(Sim {
        client: fac,
        docs,
        writes: Some(Writes {
            period,
            phase: Duration::ZERO,
            edits: vec![(table, edit, readers)],
        }),
        raw: false,
    });
    Ok(sims)
}

/// Kring's plenary: a workshop at step 3 with `people` participants; answers the document the
/// cards lie in, the facilitator's token, the readers' tokens (participants and a screen) and
/// the other documents every client has open.
async fn kring_plenary(
    server: &Server,
    people: usize,
) -> Result<(DocumentId, String, Vec<String>, Vec<DocumentId>)> {
    let w = create_workshop(&server.url, "loadgen plenary").await?;
    let ps: Vec<Participant> = bounded((0..people).map(|i| join_one(server, &w, i))).await?;
    let mut fac = connect(server, &w.facilitator_token).await?;
    open_all(&mut fac, &[w.document]).await?;
    fac.change(w.document, |tx| workshop::set_step(tx, Step::Plenary))
        .await?;
    acked(&mut fac, &[w.document]).await?;
    let mut tokens: Vec<String> = ps.into_iter().map(|p| p.token).collect();
    tokens.push(w.screen_token.clone());
    let table = kring_table(&mut fac, &w).await?;
    Ok((table, w.facilitator_token.clone(), tokens, vec![w.document]))
}

/// The plenary table document (the server creates it), with its cards laid.
async fn kring_table(fac: &mut SyncClient, w: &Workshop) -> Result<DocumentId> {
    let ws = w.document;
    fac.wait_for("the table document", move |c| {
        workshop::view(c.doc(ws)).table.is_some()
    })
    .await?;
    let table_doc = workshop::view(fac.doc(ws))
        .table
        .ok_or("the workshop names no table")?;
    open_all(fac, &[table_doc]).await?;
    fac.change(table_doc, |tx| {
        for k in 0..CARDS {
            table::place_card(tx, &format!("card-{k}"), LEVELS[k % 3], k as f64, None)?;
        }
        Ok(())
    })
    .await?;
    acked(fac, &[table_doc]).await?;
    Ok(table_doc)
}

/// The level clusters every table starts with (their ids are the levels' names).
const LEVELS: [&str; 3] = ["individual", "collegial", "collective"];

/// One card move: against Kring through the table schema's writer, against the reference server
/// the same shape of map written directly.
fn plenary_move(kind: Kind) -> EditFn {
    match kind {
        Kind::Kring => Arc::new(|tx, n| {
            // Orders from 1,000,000 on: an unchanged value would make an empty change.
            table::place_card(
                tx,
                &format!("card-{}", n % CARDS as u64),
                LEVELS[(n % 3) as usize],
                1_000_000.0 + n as f64,
                None,
            )
        }),
        Kind::Node => {
            Arc::new(|tx, n| put_card(tx, &format!("card-{}", n % CARDS as u64), 1_000_000 + n))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Late joiner

/// What the late joiner measured.
pub struct LateJoin {
    pub documents: usize,
    pub changes: usize,
    pub elapsed: Duration,
    pub bytes: usize,
    pub frames: u64,
}

/// One author's history: `notes` notes typed in `note_edits` changes each into its own sheet,
/// `cards` cards typed in `card_edits` changes each into its room.
async fn write_history(
    c: &mut SyncClient,
    own: DocumentId,
    room: DocumentId,
    notes: usize,
    cards: usize,
    tag: &str,
) -> Result<usize> {
    const NOTE_EDITS: usize = 13;
    const CARD_EDITS: usize = 19;
    let mut changes = 0;
    let mut pending = 0;
    for k in 0..notes {
        let id = format!("{tag}-n{k}");
        let n = note(&id, k);
        c.repo
            .change(&own, |tx| reflection::put_note(tx, &n))
            .ok_or("sheet not open")??;
        for e in 1..=NOTE_EDITS {
            let text = typed(e as u64 * 3);
            c.repo
                .change(&own, |tx| reflection::set_text(tx, &id, &text))
                .ok_or("sheet not open")??;
        }
        changes += 1 + NOTE_EDITS;
        pending += 1 + NOTE_EDITS;
        if pending >= 100 {
            flush_acked(c, &[own]).await?;
            pending = 0;
        }
    }
    for k in 0..cards {
        let id = format!("{tag}-c{k}");
        let i = card(&id);
        c.repo
            .change(&room, |tx| duo::put_insight(tx, &i))
            .ok_or("room not open")??;
        for e in 1..=CARD_EDITS {
            let text = typed(e as u64 * 4);
            c.repo
                .change(&room, |tx| duo::set_insight_text(tx, &id, &text))
                .ok_or("room not open")??;
        }
        changes += 1 + CARD_EDITS;
        pending += 1 + CARD_EDITS;
        if pending >= 100 {
            flush_acked(c, &[room]).await?;
            pending = 0;
        }
    }
    flush_acked(c, &[own, room]).await?;
    Ok(changes)
}

async fn flush_acked(c: &mut SyncClient, docs: &[DocumentId]) -> Result<()> {
    for m in c.repo.flush() {
        c.send(&m).await?;
    }
    acked(c, docs).await
}

/// `late-joiner`: `people` participants in duos write `notes` notes and `cards` insight cards in
/// all (each typed in many changes), the workshop moves to step 3, and then a participant opens
/// everything it may read on a fresh device: the workshop, its own and its partner's sheet and
/// every duo room.
pub async fn late_joiner(
    server: &Server,
    people: usize,
    notes: usize,
    cards: usize,
) -> Result<LateJoin> {
    let (members, fac_token) = match server.kind {
        Kind::Kring => kring_duo_workshop(server, people).await?,
        Kind::Node => (node_duo_workshop(server, people).await?, None),
    };
    let notes_each = notes / people;
    let cards_each = cards / people;
    let mut changes = 0;
    // The state each document must reach: the heads of the last client the server
    // acknowledged it to (acknowledged = the server holds exactly these heads).
    let mut expected: HashMap<DocumentId, Vec<ChangeHash>> = HashMap::new();
    for (i, m) in members.iter().enumerate() {
        let mut c = connect(server, &m.token).await?;
        let docs = [m.workshop, m.own, m.room];
        open_all(&mut c, &docs).await?;
        changes += write_history(
            &mut c,
            m.own,
            m.room,
            notes_each,
            cards_each,
            &format!("p{i}"),
        )
        .await?;
        acked(&mut c, &docs).await?;
        for d in docs {
            expected.insert(d, sorted_heads(&c, d));
        }
    }
    if let Some(token) = fac_token {
        // From step 3 on every room lies on the table, readable by every participant.
        let mut fac = connect(server, &token).await?;
        let doc = members[0].workshop;
        open_all(&mut fac, &[doc]).await?;
        fac.change(doc, |tx| workshop::set_step(tx, Step::Plenary))
            .await?;
        acked(&mut fac, &[doc]).await?;
        expected.insert(doc, sorted_heads(&fac, doc));
    }
    let first = &members[0];
    let mut docs = vec![first.workshop, first.own, first.partner];
    for m in &members {
        if !docs.contains(&m.room) {
            docs.push(m.room);
        }
    }
    let want: Vec<(DocumentId, Vec<ChangeHash>)> = docs
        .iter()
        .map(|d| (*d, expected.get(d).cloned().unwrap_or_default()))
        .collect();
    let t0 = Instant::now();
    let mut late = connect(server, &first.token).await?;
    for d in &docs {
        for m in late.repo.open(*d) {
            late.send(&m).await?;
        }
    }
    late.wait_for("the full state", move |c| {
        want.iter().all(|(d, heads)| {
            c.repo.doc(d).is_some_and(|doc| {
                let mut h = doc.get_heads();
                h.sort();
                h == *heads
            })
        })
    })
    .await?;
    let elapsed = t0.elapsed();
    let errors = late.errors();
    if !errors.is_empty() {
        return Err(format!("late joiner was told: {errors:?}").into());
    }
    Ok(LateJoin {
        documents: docs.len(),
        changes,
        elapsed,
        bytes: late.bytes_in,
        frames: late.frames_in,
    })
}

fn sorted_heads(c: &SyncClient, d: DocumentId) -> Vec<ChangeHash> {
    let mut h = c.doc(d).get_heads();
    h.sort();
    h
}
