//! `use_card_drag`: the pointer drag of a card on the plenary table. It owns this hand's drag
//! (which card, where, whether it moved), the 30/s throttle of drag ephemerals, the timer that
//! keeps a held card's hold fresh and lets quiet hands' holds expire, and the drop: what lies
//! under the pointer decides the cluster and the stack. The components only wire its handlers.

use kring_shared::drag::{Drag, HOLD_MS, Holds, Throttle};
use kring_shared::ids::DocumentId;
use leptos::prelude::*;

use super::{is_control, place};
use crate::session::UseWorkshopReturn;

/// The drag this browser's hand is doing.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalDrag {
    pub card: String,
    pub x: f64,
    pub y: f64,
    /// The pointer moved (a click without moving is no drag).
    pub moved: bool,
}

/// A hand id for this tab, so two facilitators' drags are told apart.
pub fn my_hand() -> String {
    thread_local! {
        static HAND: String = DocumentId::random().to_string();
    }
    HAND.with(Clone::clone)
}

/// Who drags and whether they may.
#[derive(Clone, Copy)]
pub struct UseCardDragOptions {
    /// A facilitator's short name, sent with the drag so others see who holds the card.
    pub me: Signal<String>,
    /// Only facilitators drag; for everyone else `start` does nothing.
    pub editable: bool,
}

/// This hand's drag and the handlers the board and its cards call.
#[derive(Clone, Copy)]
pub struct UseCardDragReturn {
    /// The card this hand is dragging, where (fractions of the board), and whether it moved.
    pub dragging: ReadSignal<Option<LocalDrag>>,
    set_dragging: RwSignal<Option<LocalDrag>>,
    throttle: StoredValue<Throttle>,
    session: UseWorkshopReturn,
    board: NodeRef<leptos::html::Div>,
    options: UseCardDragOptions,
}

/// Drags cards on `board` (the element the pointer is captured on and positions are measured
/// against). The hold-keeping timer is cleared when the calling component is.
pub fn use_card_drag(
    session: UseWorkshopReturn,
    board: NodeRef<leptos::html::Div>,
    options: UseCardDragOptions,
) -> UseCardDragReturn {
    let set_dragging = RwSignal::new(None::<LocalDrag>);
    let drag = UseCardDragReturn {
        dragging: set_dragging.read_only(),
        set_dragging,
        throttle: StoredValue::new(Throttle::default()),
        session,
        board,
        options,
    };
    // Holds whose hand went quiet (a dropped connection mid-drag) fade out; a hand that holds a
    // card still, keeps its hold fresh for everyone else.
    let tick = set_interval_with_handle(
        move || {
            if !session.holds.with_untracked(Holds::is_empty) {
                let now = js_sys::Date::now();
                session.holds.update(|h| h.expire(now));
            }
            if let Some(d) = set_dragging.get_untracked().filter(|d| d.moved) {
                drag.send(&d, false);
            }
        },
        std::time::Duration::from_millis((HOLD_MS / 4.0) as u64),
    )
    .ok();
    on_cleanup(move || {
        if let Some(h) = tick {
            h.clear();
        }
    });
    drag
}

impl UseCardDragReturn {
    fn send(&self, d: &LocalDrag, done: bool) {
        if let Some(doc) = self.session.workshop.get().table {
            self.session.send_ephemeral(
                doc,
                Drag {
                    card: d.card.clone(),
                    x: d.x,
                    y: d.y,
                    by: self.options.me.get_untracked(),
                    hand: my_hand(),
                    done,
                }
                .encode(),
            );
        }
    }

    /// A client position as fractions of the board, clamped to it.
    fn fraction(&self, cx: f64, cy: f64) -> Option<(f64, f64)> {
        let el = self.board.get_untracked()?;
        let r = el.get_bounding_client_rect();
        (r.width() > 0.0 && r.height() > 0.0).then(|| {
            (
                ((cx - r.left()) / r.width()).clamp(0.0, 1.0),
                ((cy - r.top()) / r.height()).clamp(0.0, 1.0),
            )
        })
    }

    /// `pointerdown` on the card `key`: takes it, unless another hand holds it.
    pub fn start(&self, ev: web_sys::PointerEvent, key: String) {
        if !self.options.editable || ev.button() != 0 || is_control(&ev) {
            return;
        }
        if self
            .session
            .holds
            .with_untracked(|h| h.holder(&key, &my_hand()).is_some())
        {
            return;
        }
        let Some((x, y)) = self.fraction(f64::from(ev.client_x()), f64::from(ev.client_y())) else {
            return;
        };
        if let Some(el) = self.board.get_untracked() {
            let _ = el.set_pointer_capture(ev.pointer_id());
        }
        self.set_dragging.set(Some(LocalDrag {
            card: key,
            x,
            y,
            moved: false,
        }));
    }

    /// `pointermove` on the board: follows the pointer and tells the others, throttled.
    pub fn on_move(&self, ev: web_sys::PointerEvent) {
        let Some(mut d) = self.set_dragging.get_untracked() else {
            return;
        };
        let Some((x, y)) = self.fraction(f64::from(ev.client_x()), f64::from(ev.client_y())) else {
            return;
        };
        ev.prevent_default();
        d.moved = d.moved || (x - d.x).abs() + (y - d.y).abs() > 0.002;
        d.x = x;
        d.y = y;
        if d.moved
            && self
                .throttle
                .try_update_value(|t| t.ready(js_sys::Date::now()))
                == Some(true)
        {
            self.send(&d, false);
        }
        self.set_dragging.set(Some(d));
    }

    /// `pointerup` on the board: drops the card where the pointer is.
    pub fn on_up(&self, ev: web_sys::PointerEvent) {
        let Some(d) = self.set_dragging.get_untracked() else {
            return;
        };
        self.set_dragging.set(None);
        if !d.moved {
            return;
        }
        self.send(&d, true);
        let session = self.session;
        let tbl = move || session.table.get().unwrap_or_default();
        // What lies under the pointer: a card (stack on it) or a cluster (append), else the table.
        let target = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|doc| doc.element_from_point(ev.client_x() as f32, ev.client_y() as f32));
        let attr = |sel: &str, name: &str| {
            target
                .as_ref()
                .and_then(|e| e.closest(sel).ok().flatten())
                .and_then(|e| e.get_attribute(name))
        };
        let cluster = attr("[data-cluster]", "data-cluster");
        let on_card = attr("[data-card]", "data-card").filter(|c| *c != d.card);
        let stack = on_card.filter(|c| {
            let t = tbl();
            cluster.is_some() && t.cards.get(c).map(|p| &p.cluster) == cluster.as_ref()
        });
        // A stacked card's own stack: stack on the stack's base.
        let stack = stack.map(|c| {
            tbl()
                .cards
                .get(&c)
                .and_then(|p| p.stack.clone())
                .unwrap_or(c)
        });
        place(session, d.card, cluster, stack);
    }

    /// `pointercancel` on the board: the drag ends where it is, nothing is placed.
    pub fn cancel(&self) {
        if let Some(d) = self.set_dragging.get_untracked() {
            self.send(&d, true);
        }
        self.set_dragging.set(None);
    }
}
