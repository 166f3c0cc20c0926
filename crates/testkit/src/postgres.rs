//! A PostgreSQL schema of its own for one test, in the database `KRING_TEST_DATABASE` names
//! (default `postgres://postgres@127.0.0.1:5432/test`), so tests of `--database postgres://…`
//! run in parallel and leave nothing behind. (The store's unit tests have the same helper in
//! `kring_server::store::postgres`, since they cannot use this crate.)

use tokio_postgres::NoTls;

/// Where the tests find PostgreSQL when `KRING_TEST_DATABASE` is not set.
pub const DEFAULT_TEST_DATABASE: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A fresh schema, dropped with everything in it when this is dropped.
pub struct TestSchema {
    server: String,
    name: String,
}

/// An error with its sources as one line (tokio-postgres names only the outermost part).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

impl TestSchema {
    /// Creates the schema. Panics with what to do when no PostgreSQL answers: CI runs one, so a
    /// missing database is a failure, not a skip.
    pub async fn create() -> Self {
        let server = std::env::var("KRING_TEST_DATABASE")
            .unwrap_or_else(|_| DEFAULT_TEST_DATABASE.to_owned());
        let (client, connection) = tokio_postgres::connect(&server, NoTls)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "the Postgres tests need PostgreSQL at {server} \
                     (set KRING_TEST_DATABASE; README, \"Tests\"): {}",
                    chain(&e)
                )
            });
        tokio::spawn(connection);
        let name = format!("kring_test_{}", uuid::Uuid::new_v4().simple());
        client
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create schema {name} at {server}: {}", chain(&e)));
        Self { server, name }
    }

    /// The database URL with this schema as the only one on the search path: what a test
    /// passes as `--database`.
    pub fn url(&self) -> String {
        let sep = if self.server.contains('?') { '&' } else { '?' };
        format!(
            "{}{sep}options=-c%20search_path%3D{}",
            self.server, self.name
        )
    }

    /// A connection to this schema, for tests that look at the rows themselves.
    pub async fn connect(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url(), NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {}: {}", self.url(), chain(&e)));
        tokio::spawn(connection);
        client
    }

    /// The `Database` a `kring_server::Config` takes for this schema.
    pub fn database(&self) -> kring_server::store::Database {
        kring_server::store::Database::Postgres(self.url())
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        // Drop cannot await, and the test's runtime may be single-threaded: a thread with a
        // runtime of its own drops the schema and is waited for.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let (client, connection) = tokio_postgres::connect(&server, NoTls).await?;
                tokio::spawn(connection);
                client
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                    .await
            })
            .map_err(std::io::Error::other)
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test schema {}: {dropped:?}", self.name);
        }
    }
}
