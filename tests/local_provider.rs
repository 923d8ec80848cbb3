//! The local provider against the real binaries: it starts, answers, and leaves nothing behind.

use rehearse::provision::{self, DatabaseRequest, ProviderChoice};

#[tokio::test]
async fn local_server_starts_answers_and_is_removed_on_drop() {
    let request = DatabaseRequest {
        provider: ProviderChoice::Local,
        ..Default::default()
    };
    let db = provision::provision(&request)
        .await
        .expect("local provider starts");
    let client = db.connection.connect().await.unwrap();
    let row = client.query_one("SELECT 1 + 1", &[]).await.unwrap();
    assert_eq!(row.get::<_, i32>(0), 2);
    assert!(db.server_version.starts_with("15"), "{}", db.server_version);
    let port = db.connection.port;
    drop(client);
    drop(db);
    // The port no longer answers: the server is gone.
    let refused = std::net::TcpStream::connect(("127.0.0.1", port));
    assert!(
        refused.is_err(),
        "the server on port {port} is still running after drop"
    );
}
