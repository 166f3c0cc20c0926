//! Bad input against a real server: every refusal is clear, nothing stored is damaged, and the
//! server keeps serving everyone else.

use std::time::Duration;

use kring_shared::automerge::transaction::Transactable;
use kring_shared::limits::MAX_FRAME_BYTES;
use kring_shared::protocol::{DocMessage, Message};
use kring_shared::schema::workshop;
use kring_testkit::tungstenite::Message as WsMessage;
use kring_testkit::{SyncClient, TestServer, create_workshop, join};

/// Sends one bad frame on a fresh connection and returns the close reason the server gave.
async fn refusal_for(server: &TestServer, token: &str, frame: WsMessage) -> String {
    let mut c = SyncClient::connect(&server.ws(), token).await.unwrap();
    c.send_raw(frame).await.unwrap();
    let _ = c.wait_for("close", |c| c.closed.is_some()).await;
    let reason = c.closed.clone().unwrap_or_default();
    let errors = c.errors();
    format!("{reason} | {}", errors.join(" | "))
}

#[tokio::test]
async fn bad_frames_are_refused_with_a_reason_and_others_keep_working() {
    let server = TestServer::start().await;
    let w = create_workshop(&server.http(), "Stabiel").await.unwrap();
    let p = join(&server.http(), &w.join_code, "An", "OCMW")
        .await
        .unwrap();

    // A bystander stays connected through all of it.
    let mut bystander = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    bystander.open(w.document).await.unwrap();

    let sync_with = |data: Vec<u8>, sender: &str| {
        Message::Sync(DocMessage {
            sender_id: kring_shared::ids::PeerId::new(sender),
            target_id: kring_shared::ids::PeerId::new("server"),
            document_id: w.document,
            data: data.into(),
        })
    };
    let cbor = sync_with(vec![1, 2, 3], "x").encode();
    let cases: Vec<(&str, WsMessage, &str)> = vec![
        (
            "text frame",
            WsMessage::Text("hello".into()),
            "binary frames",
        ),
        (
            "garbage",
            WsMessage::Binary(vec![0xff, 0xfe, 0x00, 0x01].into()),
            "invalid message",
        ),
        (
            "truncated CBOR",
            WsMessage::Binary(cbor[..cbor.len() / 2].to_vec().into()),
            "invalid message",
        ),
        (
            "not a map",
            WsMessage::Binary(vec![0x01].into()),
            "must be a CBOR map",
        ),
        (
            "oversized frame",
            WsMessage::Binary(vec![0u8; MAX_FRAME_BYTES + 1].into()),
            "over the limit",
        ),
        (
            "far oversized frame",
            WsMessage::Binary(vec![0u8; MAX_FRAME_BYTES * 3].into()),
            "over the limit",
        ),
    ];
    for (what, frame, expected) in cases {
        let reason = refusal_for(&server, &p.token, frame).await;
        assert!(reason.contains(expected), "{what}: {reason}");
    }

    // A sync message with a spoofed sender, and one with corrupt sync bytes.
    let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    c.send(&sync_with(vec![0x42, 1], "someone-else"))
        .await
        .unwrap();
    let _ = c.wait_for("close", |c| c.closed.is_some()).await;
    assert!(
        c.closed.clone().unwrap_or_default().contains("senderId"),
        "{:?}",
        c.closed
    );

    let mut c = SyncClient::connect(&server.ws(), &p.token).await.unwrap();
    let me = c.repo.peer_id().0.clone();
    c.send(&sync_with(vec![0x42, 0xff, 0xff], &me))
        .await
        .unwrap();
    c.wait_for("error", |c| !c.errors().is_empty())
        .await
        .unwrap();
    assert!(
        c.errors()[0].contains("corrupt sync message"),
        "{:?}",
        c.errors()
    );

    // The bystander still syncs, and the stored document is intact.
    let mut fac = SyncClient::connect(&server.ws(), &w.facilitator_token)
        .await
        .unwrap();
    fac.open(w.document).await.unwrap();
    fac.change(w.document, |tx| {
        tx.put(kring_shared::automerge::ROOT, "title", "Nog steeds")
    })
    .await
    .unwrap();
    bystander
        .wait_for("title", |c| {
            workshop::view(c.doc(w.document)).title == "Nog steeds"
        })
        .await
        .unwrap();
    server.stop().await;
}

#[tokio::test]
async fn the_first_message_must_be_join() {
    let server = TestServer::start().await;
    let w = create_workshop(&server.http(), "W").await.unwrap();
    let url = format!("{}/sync?token={}", server.ws(), w.facilitator_token);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    use futures_util::{SinkExt, StreamExt};
    let leave = Message::Leave {
        sender_id: kring_shared::ids::PeerId::new("x"),
    };
    ws.send(WsMessage::Binary(leave.encode().into()))
        .await
        .unwrap();
    let mut reason = String::new();
    while let Ok(Some(Ok(frame))) = tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
        if let WsMessage::Close(Some(f)) = frame {
            reason = f.reason.to_string();
            break;
        }
    }
    assert!(reason.contains("must be `join`"), "{reason}");
    server.stop().await;
}

#[tokio::test]
async fn an_upgrade_without_a_valid_token_is_401() {
    let server = TestServer::start().await;
    for url in [
        format!("{}/sync", server.ws()),
        format!("{}/sync?token=", server.ws()),
        format!("{}/sync?token=deadbeef", server.ws()),
    ] {
        match tokio_tungstenite::connect_async(url.as_str()).await {
            Err(kring_testkit::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 401, "{url}")
            }
            other => panic!("{url}: expected 401, got {:?}", other.map(|_| ())),
        }
    }
    server.stop().await;
}
