//! What the fuzz targets share: documents made once and cloned per iteration (making them is
//! most of an iteration's work otherwise).

use std::sync::OnceLock;

use automerge::Automerge;
use kring_shared::schema::workshop;

/// A freshly created workshop document.
pub fn workshop_doc() -> Automerge {
    static DOC: OnceLock<Automerge> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = Automerge::new();
        doc.transact::<_, _, automerge::AutomergeError>(|tx| workshop::init(tx, "Fuzz", "nl"))
            .expect("init");
        doc
    })
    .clone()
}
