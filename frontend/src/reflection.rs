//! Step 1: the participant's own sheet — three concentric circles (SVG) with their notes.
//!
//! Two ways to do everything: on the board, click or tap in a ring to add a note there and drag
//! a note to move it (its ring is its level); below the board, a list per ring where every note
//! can be written, moved to another ring, linked to a question, marked green or red, and deleted
//! (with undo) by keyboard alone. A drag moves only the dragged note on screen; the document is
//! changed once, on drop.

use kring_shared::method::{self, LevelId};
use kring_shared::schema::reflection::{self, Mark, Note};
use leptos::prelude::*;

use crate::i18n::{Lang, Text, t};
use crate::session::UseWorkshopReturn;

/// Board geometry in viewBox units (0..1000, centre 500,500): outer radius of each ring.
const RADII: [(LevelId, f64, f64); 3] = [
    (LevelId::Individual, 0.0, 180.0),
    (LevelId::Collegial, 180.0, 340.0),
    (LevelId::Collective, 340.0, 490.0),
];
const CENTRE: f64 = 500.0;
/// One arrow-key press moves a note this far.
const KEY_STEP: f64 = 30.0;

/// The ring a point lies in; points outside the circles belong to the outer ring.
pub fn ring_at(x: f64, y: f64) -> LevelId {
    let d = ((x - CENTRE).powi(2) + (y - CENTRE).powi(2)).sqrt();
    RADII
        .iter()
        .find(|(_, _, outer)| d <= *outer)
        .map(|(l, _, _)| *l)
        .unwrap_or(LevelId::Collective)
}

/// Keeps a point inside the circles.
fn clamp_to_board(x: f64, y: f64) -> (f64, f64) {
    let (dx, dy) = (x - CENTRE, y - CENTRE);
    let d = (dx * dx + dy * dy).sqrt();
    let max = RADII[2].2 - 20.0;
    if d <= max {
        (x, y)
    } else {
        (CENTRE + dx * max / d, CENTRE + dy * max / d)
    }
}

/// A free-looking spot in a ring for the `n`-th note placed there by keyboard.
fn spot_in(level: LevelId, n: usize) -> (f64, f64) {
    let (_, inner, outer) = RADII
        .iter()
        .find(|(l, _, _)| *l == level)
        .copied()
        .unwrap_or(RADII[0]);
    let r = if inner == 0.0 {
        60.0 + (n % 3) as f64 * 35.0
    } else {
        (inner + outer) / 2.0
    };
    // Start right of the ring labels at the top, then spread by the golden angle.
    let angle = -std::f64::consts::FRAC_PI_2 + 0.9 + n as f64 * 2.399_963;
    (CENTRE + r * angle.cos(), CENTRE + r * angle.sin())
}

fn level_name(level: LevelId, lang: Lang) -> &'static str {
    let code = if lang == Lang::En { "en" } else { "nl" };
    method::level(level).name.get(code)
}

fn mark_text(mark: Mark, lang: Lang) -> &'static str {
    match mark {
        Mark::Green => t(lang, Text::MarkGreen),
        Mark::Red => t(lang, Text::MarkRed),
        Mark::None => t(lang, Text::MarkNone),
    }
}

fn new_note_id() -> String {
    format!("n-{}", kring_shared::ids::DocumentId::random())
}

/// The board and the note lists.
#[component]
pub fn ReflectionBoard(
    /// The live session (a participant's).
    session: UseWorkshopReturn,
    /// The interface language.
    lang: Signal<Lang>,
) -> impl IntoView {
    let notes = session.reflection;
    let marks_on = move || session.workshop.get().plan.extra_marks;
    let focus_note = RwSignal::new(None::<String>);
    let deleted = RwSignal::new(None::<Note>);
    // The note being dragged and where it is now, in board units (not yet in the document).
    let dragging = RwSignal::new(None::<(String, f64, f64)>);
    let board_ref = NodeRef::<leptos::html::Div>::new();

    let to_board = move |client_x: f64, client_y: f64| -> Option<(f64, f64)> {
        let rect = board_ref.get_untracked()?.get_bounding_client_rect();
        if rect.width() <= 0.0 {
            return None;
        }
        Some((
            (client_x - rect.left()) / rect.width() * 1000.0,
            (client_y - rect.top()) / rect.height() * 1000.0,
        ))
    };
    // A new empty note at a spot, focused for typing.
    let add = move |ring: LevelId, x: f64, y: f64| {
        let note = Note {
            id: new_note_id(),
            ring,
            text: String::new(),
            mark: Mark::None,
            x,
            y,
            question: None,
        };
        session.change_reflection(|tx| reflection::put_note(tx, &note));
        focus_note.set(Some(note.id));
    };
    let add_at = move |x: f64, y: f64| {
        let (x, y) = clamp_to_board(x, y);
        add(ring_at(x, y), x, y);
    };
    let add_in = move |level: LevelId| {
        let n = notes
            .get_untracked()
            .iter()
            .filter(|n| n.ring == level)
            .count();
        let (x, y) = spot_in(level, n);
        add(level, x, y);
    };
    let move_to = move |id: String, x: f64, y: f64| {
        let (x, y) = clamp_to_board(x, y);
        let ring = ring_at(x, y);
        session.change_reflection(|tx| reflection::move_note(tx, &id, ring, x, y));
    };
    let on_board_click = move |ev: leptos::ev::MouseEvent| {
        // Clicks on notes are theirs; only a click on the rings themselves adds a note.
        let on_ring = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| el.closest(".note-chip").ok().flatten().is_none());
        if on_ring && let Some((x, y)) = to_board(ev.client_x() as f64, ev.client_y() as f64) {
            add_at(x, y);
        }
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        if let Some((id, _, _)) = dragging.get_untracked()
            && let Some((x, y)) = to_board(ev.client_x() as f64, ev.client_y() as f64)
        {
            let (x, y) = clamp_to_board(x, y);
            dragging.set(Some((id, x, y)));
        }
    };
    let on_up = move |ev: leptos::ev::PointerEvent| {
        if let Some((id, x, y)) = dragging.get_untracked() {
            dragging.set(None);
            // Where the pointer was let go, else where it was last seen.
            let (x, y) = to_board(ev.client_x() as f64, ev.client_y() as f64).unwrap_or((x, y));
            move_to(id, x, y);
        }
    };

    view! {
        <div class="reflection">
            <div class="board" node_ref=board_ref on:click=on_board_click on:pointermove=on_move on:pointerup=on_up
                on:pointercancel=move |_| dragging.set(None)>
                <div class="board-label" role="img" aria-label=move || t(lang.get(), Text::BoardLabel)></div>
                <RingsBackdrop lang/>
                <For each=move || notes.get() key=|n| n.id.clone() let:note>
                    <NoteChip id=note.id.clone() notes dragging lang marks_on=Signal::derive(marks_on) focus_note move_to/>
                </For>
            </div>
            <Show when=move || deleted.get().is_some()>
                <p class="undo" role="status">
                    {move || t(lang.get(), Text::NoteDeleted)} " "
                    <button type="button" on:click=move |_| {
                        if let Some(n) = deleted.get_untracked() {
                            session.change_reflection(|tx| reflection::put_note(tx, &n));
                            deleted.set(None);
                        }
                    }>{move || t(lang.get(), Text::Undo)}</button>
                </p>
            </Show>
            <div class="note-lists">
                {LevelId::ALL.into_iter().map(|level| view! {
                    <RingList level session lang notes focus_note deleted add_in marks_on=Signal::derive(marks_on)/>
                }).collect_view()}
            </div>
        </div>
    }
}

/// A note on the board: drag it (pointer) or nudge it with the arrow keys.
#[component]
fn NoteChip(
    id: String,
    notes: RwSignal<Vec<Note>>,
    dragging: RwSignal<Option<(String, f64, f64)>>,
    lang: Signal<Lang>,
    marks_on: Signal<bool>,
    focus_note: RwSignal<Option<String>>,
    move_to: impl Fn(String, f64, f64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id_for_note = id.clone();
    let note = Memo::new(move |_| notes.get().into_iter().find(|n| n.id == id_for_note));
    let id_for_pos = id.clone();
    let pos = move || match dragging.get() {
        Some((d, x, y)) if d == id_for_pos => Some((x, y)),
        _ => note.get().map(|n| (n.x, n.y)),
    };
    let style = move || {
        pos()
            .map(|(x, y)| format!("left:{}%;top:{}%", x / 10.0, y / 10.0))
            .unwrap_or_default()
    };
    let id_down = id.clone();
    let id_key = id.clone();
    let id_focus = id.clone();
    let label = move || {
        let Some(n) = note.get() else {
            return String::new();
        };
        let text = if n.text.trim().is_empty() {
            t(lang.get(), Text::EmptyNote).to_owned()
        } else {
            n.text.clone()
        };
        let mark = if marks_on.get() && n.mark != Mark::None {
            format!(", {}", mark_text(n.mark, lang.get()))
        } else {
            String::new()
        };
        format!("{text} — {}{mark}", level_name(n.ring, lang.get()))
    };
    view! {
        <button type="button" class="note-chip" style=style
            class:green=move || marks_on.get() && note.get().is_some_and(|n| n.mark == Mark::Green)
            class:red=move || marks_on.get() && note.get().is_some_and(|n| n.mark == Mark::Red)
            class:dragging={let id = id.clone(); move || dragging.get().is_some_and(|(d, _, _)| d == id)}
            aria-label=label
            on:pointerdown=move |ev: leptos::ev::PointerEvent| {
                if let Some((x, y)) = note.get_untracked().map(|n| (n.x, n.y)) {
                    dragging.set(Some((id_down.clone(), x, y)));
                    if let Some(el) = ev.target().and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok()) {
                        let _ = el.release_pointer_capture(ev.pointer_id());
                    }
                }
            }
            on:click=move |ev: leptos::ev::MouseEvent| {
                ev.stop_propagation();
                focus_note.set(Some(id_focus.clone()));
            }
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                let Some(n) = note.get_untracked() else { return };
                let (dx, dy) = match ev.key().as_str() {
                    "ArrowLeft" => (-KEY_STEP, 0.0),
                    "ArrowRight" => (KEY_STEP, 0.0),
                    "ArrowUp" => (0.0, -KEY_STEP),
                    "ArrowDown" => (0.0, KEY_STEP),
                    _ => return,
                };
                ev.prevent_default();
                move_to(id_key.clone(), n.x + dx, n.y + dy);
            }>
            <span class="mark-icon" aria-hidden="true">{move || match note.get().map(|n| n.mark) {
                Some(Mark::Green) if marks_on.get() => "+",
                Some(Mark::Red) if marks_on.get() => "!",
                _ => "",
            }}</span>
            <span class="chip-text">{move || note.get().map(|n| n.text).filter(|t| !t.trim().is_empty()).unwrap_or_else(|| "…".into())}</span>
        </button>
    }
}

/// The notes of one ring as a list of editors: the keyboard path for everything.
#[component]
fn RingList(
    level: LevelId,
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    notes: RwSignal<Vec<Note>>,
    focus_note: RwSignal<Option<String>>,
    deleted: RwSignal<Option<Note>>,
    add_in: impl Fn(LevelId) + Copy + Send + Sync + 'static,
    marks_on: Signal<bool>,
) -> impl IntoView {
    let code = move || if lang.get() == Lang::En { "en" } else { "nl" };
    let mine = move || {
        notes
            .get()
            .into_iter()
            .filter(|n| n.ring == level)
            .map(|n| n.id)
            .collect::<Vec<_>>()
    };
    let name = move || method::level(level).name.get(code());
    view! {
        <section class=format!("ring-list {}", level.as_str()) aria-label=name>
            <h3>{name} " " <span class="count">{move || mine().len()}</span></h3>
            <ul class="questions">
                {move || session.workshop.get().plan.chosen(level, code()).into_iter().map(|q| view! { <li>{q}</li> }).collect_view()}
            </ul>
            <For each=mine key=|id| id.clone() let:id>
                <NoteEditor id session lang notes focus_note deleted marks_on/>
            </For>
            <button type="button" class="add-note" on:click=move |_| add_in(level)>
                {move || format!("{} {}", t(lang.get(), Text::NewNoteIn), name())}
            </button>
        </section>
    }
}

/// Editing one note: its text, ring, question, mark; delete.
#[component]
fn NoteEditor(
    id: String,
    session: UseWorkshopReturn,
    lang: Signal<Lang>,
    notes: RwSignal<Vec<Note>>,
    focus_note: RwSignal<Option<String>>,
    deleted: RwSignal<Option<Note>>,
    marks_on: Signal<bool>,
) -> impl IntoView {
    let code = move || if lang.get() == Lang::En { "en" } else { "nl" };
    let id_note = id.clone();
    let note = Memo::new(move |_| notes.get().into_iter().find(|n| n.id == id_note));
    let text_ref = NodeRef::<leptos::html::Textarea>::new();
    let id_focus = id.clone();
    Effect::new(move |_| {
        if focus_note.get().as_deref() == Some(id_focus.as_str())
            && let Some(el) = text_ref.get()
        {
            let _ = el.focus();
            focus_note.set(None);
        }
    });
    // `None` only in the moment the note is gone (deleted elsewhere) and before its editor is.
    let ring = move || note.get().map(|n| n.ring);
    let questions = move || {
        let plan = session.workshop.get().plan;
        ring()
            .map(|l| plan.questions.get(&l).cloned().unwrap_or_default())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|qid| plan.question_text(&qid, code()).map(|t| (qid, t)))
            .collect::<Vec<_>>()
    };
    let (id_text, id_ring, id_q, id_del) = (id.clone(), id.clone(), id.clone(), id.clone());
    let field_id = format!("text-{id}");
    let mark_name = format!("mark-{id}");
    view! {
        <article class="note-editor" class:green=move || marks_on.get() && note.get().is_some_and(|n| n.mark == Mark::Green)
            class:red=move || marks_on.get() && note.get().is_some_and(|n| n.mark == Mark::Red)>
            <label for=field_id.clone() class="sr-only">{move || t(lang.get(), Text::NoteField)}</label>
            <textarea id=field_id node_ref=text_ref rows="2" maxlength=reflection::MAX_NOTE_TEXT
                aria-label=move || format!("{} ({})", t(lang.get(), Text::NoteField), ring().map_or("", |l| level_name(l, lang.get())))
                prop:value=move || note.get().map(|n| n.text).unwrap_or_default()
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    session.change_reflection(|tx| reflection::set_text(tx, &id_text, &text));
                }></textarea>
            <div class="note-tools">
                <label>{move || t(lang.get(), Text::Ring)}
                    <select on:change=move |ev| {
                        let Some(level) = LevelId::parse(&event_target_value(&ev)) else { return };
                        let n = notes.get_untracked().iter().filter(|n| n.ring == level).count();
                        let (x, y) = spot_in(level, n);
                        session.change_reflection(|tx| reflection::move_note(tx, &id_ring, level, x, y));
                    }>
                        {LevelId::ALL.into_iter().map(|l| view! {
                            <option value=l.as_str() selected=move || ring() == Some(l)>{move || level_name(l, lang.get())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <Show when=move || !questions().is_empty()>
                    <label>{move || t(lang.get(), Text::Question)}
                        <select on:change={let id_q = id_q.clone(); move |ev| {
                            let v = event_target_value(&ev);
                            let q = (!v.is_empty()).then_some(v);
                            session.change_reflection(|tx| reflection::set_question(tx, &id_q, q.as_deref()));
                        }}>
                            <option value="" selected=move || note.get().is_some_and(|n| n.question.is_none())>"—"</option>
                            {move || questions().into_iter().map(|(qid, text)| {
                                let qid2 = qid.clone();
                                view! { <option value=qid selected=move || note.get().is_some_and(|n| n.question.as_deref() == Some(qid2.as_str()))>{text}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                </Show>
                <Show when=move || marks_on.get()>
                    <fieldset class="marks">
                        <legend>{move || t(lang.get(), Text::Mark)}</legend>
                        {Mark::ALL.into_iter().map(|m| {
                            let id_m = id.clone();
                            view! {
                                <label class=format!("mark-option {m}")>
                                    <input type="radio" name=mark_name.clone() value=m.as_str()
                                        prop:checked=move || note.get().is_some_and(|n| n.mark == m)
                                        on:change=move |_| session.change_reflection(|tx| reflection::set_mark(tx, &id_m, m))/>
                                    {move || mark_text(m, lang.get())}
                                </label>
                            }
                        }).collect_view()}
                    </fieldset>
                </Show>
                <button type="button" class="delete" on:click=move |_| {
                    if let Some(n) = note.get_untracked() {
                        let gone = n.id.clone();
                        deleted.set(Some(n));
                        session.change_reflection(|tx| reflection::delete_note(tx, &id_del));
                        // The undo offer fades after a while (unless another delete replaced it).
                        set_timeout(
                            move || {
                                if deleted.get_untracked().is_some_and(|d| d.id == gone) {
                                    deleted.set(None);
                                }
                            },
                            std::time::Duration::from_secs(12),
                        );
                    }
                }>{move || t(lang.get(), Text::Delete)}</button>
            </div>
        </article>
    }
}

/// The three circles as an SVG backdrop, labelled in the interface language.
#[component]
fn RingsBackdrop(lang: Signal<Lang>) -> impl IntoView {
    view! {
        <svg viewBox="0 0 1000 1000" aria-hidden="true">
            <circle cx="500" cy="500" r="490" class="zone collective"/>
            <circle cx="500" cy="500" r="340" class="zone collegial"/>
            <circle cx="500" cy="500" r="180" class="zone individual"/>
            <text x="500" y="45" class="ring-label">{move || level_name(LevelId::Collective, lang.get())}</text>
            <text x="500" y="195" class="ring-label">{move || level_name(LevelId::Collegial, lang.get())}</text>
            <text x="500" y="355" class="ring-label">{move || level_name(LevelId::Individual, lang.get())}</text>
        </svg>
    }
}

/// Someone else's sheet, read-only (a duo partner's in step 2): the circles with the notes, and
/// the notes as a list per ring for screen readers and small screens.
#[component]
pub fn ReadOnlySheet(
    /// The notes to show.
    #[prop(into)]
    notes: Signal<Vec<Note>>,
    /// The interface language.
    lang: Signal<Lang>,
    /// Whether green/red marks are part of this workshop.
    #[prop(into)]
    marks_on: Signal<bool>,
) -> impl IntoView {
    view! {
        <div class="reflection read-only">
            <div class="board">
                <RingsBackdrop lang/>
                <For each=move || notes.get() key=|n| (n.id.clone(), n.text.clone(), n.ring, n.mark, n.x as i64, n.y as i64) let:n>
                    <span class="note-chip" class:green={let g = n.mark == Mark::Green; move || marks_on.get() && g}
                        class:red={let r = n.mark == Mark::Red; move || marks_on.get() && r}
                        style=format!("left:{}%;top:{}%", n.x / 10.0, n.y / 10.0)>
                        <span class="chip-text">{n.text.clone()}</span>
                    </span>
                </For>
            </div>
            <div class="note-lists">
                {LevelId::ALL.into_iter().map(|level| {
                    let in_ring = move || notes.get().into_iter().filter(|n| n.ring == level).collect::<Vec<_>>();
                    view! {
                        <section class=format!("ring-list {}", level.as_str())>
                            <h3>{move || level_name(level, lang.get())}</h3>
                            <ul>
                                {move || in_ring().into_iter().map(|n| {
                                    let mark = (marks_on.get() && n.mark != Mark::None).then(|| format!(" ({})", mark_text(n.mark, lang.get())));
                                    view! { <li>{n.text.clone()}{mark}</li> }
                                }).collect_view()}
                            </ul>
                        </section>
                    }
                }).collect_view()}
            </div>
        </div>
    }
}
