//! Self-clocking fan-out against a real server and real WebSocket clients: a reader that
//! answers every sync message gets each change as its own message, at once; a reader that stops
//! reading has at most one message out, and when it reads again the changes made meanwhile
//! arrive together — fewer, larger messages — and it converges on the writer's document.

use kring_shared::automerge::transaction::Transactable;
use kring_shared::schema::workshop;
use kring_testkit::{SyncClient, TestServer, create_workshop, join};

const CHANGES: u32 = 30;

fn title(c: &SyncClient, doc: kring_shared::ids::DocumentId) -> String {
    c.repo
        .doc(&doc)
        .map(|d| workshop::view(d).title)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_slow_reader_gets_fewer_larger_messages_and_converges() {
    let server = TestServer::start().await;
    let base = server.http();
    let w = create_workshop(&base, "v0").await.unwrap();
    // Everyone joins first, so that nobody's document moves before the writer starts.
    let mut tokens = Vec::new();
    for name in ["Snel", "Traag"] {
        tokens.push(join(&base, &w.join_code, name, "CAW").await.unwrap().token);
    }
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    let mut readers = Vec::new();
    for token in tokens {
        let mut c = SyncClient::connect(&server.ws(), &token).await.unwrap();
        c.open(w.document).await.unwrap();
        readers.push(c);
    }
    let [mut fast, mut slow] = <[SyncClient; 2]>::try_from(readers).ok().unwrap();
    // Both readers hold what the writer holds.
    let heads = fac.doc(w.document).get_heads();
    for r in [&mut fast, &mut slow] {
        r.wait_for("the roster", |c| {
            c.repo.doc(&w.document).unwrap().get_heads() == heads
        })
        .await
        .unwrap();
    }
    let (fast0, slow0) = (fast.syncs_in, slow.syncs_in);
    let slow_bytes0 = slow.bytes_in;

    // The writer changes the title CHANGES times; the fast reader applies each before the next.
    // The slow reader reads nothing meanwhile.
    for n in 1..=CHANGES {
        fac.change(w.document, |tx| {
            tx.put(kring_shared::automerge::ROOT, "title", format!("v{n}"))
        })
        .await
        .unwrap();
        let want = format!("v{n}");
        fast.wait_for("the change", |c| title(c, w.document) == want)
            .await
            .unwrap();
    }
    let fast_syncs = fast.syncs_in - fast0;
    assert!(
        fast_syncs >= u64::from(CHANGES),
        "a reader that keeps up hears of every change: {fast_syncs} messages"
    );

    let last = format!("v{CHANGES}");
    slow.wait_for("the last change", |c| title(c, w.document) == last)
        .await
        .unwrap();
    let slow_syncs = slow.syncs_in - slow0;
    println!(
        "fast reader: {fast_syncs} sync messages; slow reader: {slow_syncs} sync messages, \
         {} bytes",
        slow.bytes_in - slow_bytes0
    );
    assert!(
        slow_syncs <= 3,
        "one message was out when it stopped reading, the rest came together: {slow_syncs}"
    );
    assert_eq!(
        slow.doc(w.document).get_heads(),
        fac.doc(w.document).get_heads(),
        "and it holds everything the writer wrote"
    );
}
