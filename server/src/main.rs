//! The `kring-server` binary: parses flags and environment, binds, and calls `kring_server::run`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use kring_server::abuse::Limits;

/// Kring: a realtime workshop board for the three levels of responsibility.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on (use 0.0.0.0:8080 to let phones in the room connect).
    #[arg(long, env = "KRING_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Folder for the SQLite database (created if missing).
    #[arg(
        long,
        env = "KRING_DATA",
        default_value = "./kring-data",
        global = true
    )]
    data: PathBuf,
    /// A PostgreSQL database instead of SQLite in --data, as a URL
    /// (postgres://user:password@host:5432/dbname). The schema is created or upgraded at start.
    #[arg(
        long,
        env = "KRING_DATABASE",
        global = true,
        value_parser = parse_database
    )]
    database: Option<kring_server::store::Database>,
    /// Without a command: serve.
    #[command(subcommand)]
    command: Option<Command>,
    /// Folder of the built frontend (made by `cargo xtask build`), instead of the one embedded in
    /// the binary. Without it a binary built without a frontend reads `./target/frontend`.
    #[arg(long, env = "KRING_FRONTEND")]
    frontend: Option<PathBuf>,
    /// Seconds a workshop without connections stays in memory.
    #[arg(long, env = "KRING_IDLE_UNLOAD_SECS", default_value_t = 300)]
    idle_unload_secs: u64,
    /// Days after closing a workshop until its private reflections are purged (0: at once).
    #[arg(long, env = "KRING_PURGE_GRACE_DAYS", default_value_t = 0)]
    purge_grace_days: u64,
    /// Seconds instead of days for --purge-grace-days (for tests and demonstrations).
    #[arg(long, env = "KRING_PURGE_GRACE_SECS", hide = true)]
    purge_grace_secs: Option<u64>,
    /// Days without use after which a workshop is deleted entirely (0: never).
    #[arg(long, env = "KRING_IDLE_DELETE_DAYS", default_value_t = 90)]
    idle_delete_days: u64,
    /// Seconds between two runs of the retention sweep.
    #[arg(long, env = "KRING_RETENTION_SWEEP_SECS", default_value_t = 3600)]
    retention_sweep_secs: u64,
    /// Protocol messages one WebSocket connection may send per second, sustained.
    #[arg(long, env = "KRING_MESSAGES_PER_SEC", default_value_t = Limits::default().messages_per_sec)]
    messages_per_sec: u32,
    /// Messages one connection may send in a burst above that rate.
    #[arg(long, env = "KRING_MESSAGE_BURST", default_value_t = Limits::default().message_burst)]
    message_burst: u32,
    /// Open WebSocket connections per client address (behind a proxy: the proxy's address).
    #[arg(long, env = "KRING_CONNECTIONS_PER_ADDR", default_value_t = Limits::default().connections_per_addr)]
    connections_per_addr: usize,
    /// Joins per client address per minute.
    #[arg(long, env = "KRING_JOINS_PER_MINUTE", default_value_t = Limits::default().joins_per_minute)]
    joins_per_minute: u32,
    /// Workshops created per client address per hour.
    #[arg(long, env = "KRING_WORKSHOPS_PER_HOUR", default_value_t = Limits::default().workshops_per_hour)]
    workshops_per_hour: u32,
    /// Distinct documents one connection may ask for.
    #[arg(long, env = "KRING_DOCUMENTS_PER_CONNECTION", default_value_t = Limits::default().documents_per_connection)]
    documents_per_connection: usize,
    /// Frames queued for one connection before it counts as too slow and is disconnected.
    #[arg(long, env = "KRING_OUTBOX_FRAMES", default_value_t = Limits::default().outbox_frames)]
    outbox_frames: usize,
    /// Seconds one WebSocket write may take before a client that does not read is cut off.
    #[arg(long, env = "KRING_SEND_TIMEOUT_SECS", default_value_t = Limits::default().send_timeout.as_secs())]
    send_timeout_secs: u64,
    /// Bytes queued for one connection before it counts as too slow and is disconnected.
    #[arg(long, env = "KRING_OUTBOX_BYTES", default_value_t = Limits::default().outbox_bytes)]
    outbox_bytes: usize,
    /// Bytes queued for all connections of one workshop; over it the furthest behind is cut off.
    #[arg(long, env = "KRING_WORKSHOP_OUTBOX_BYTES", default_value_t = Limits::default().workshop_outbox_bytes)]
    workshop_outbox_bytes: usize,
    /// Ephemeral messages (card drags) one connection may send per second.
    #[arg(long, env = "KRING_EPHEMERAL_PER_SEC", default_value_t = Limits::default().ephemeral_per_sec)]
    ephemeral_per_sec: u32,
    /// Open TCP connections per client address, counted before the request is complete.
    #[arg(long, env = "KRING_SOCKETS_PER_ADDR", default_value_t = Limits::default().sockets_per_addr)]
    sockets_per_addr: usize,
    /// Seconds a client may take to send a request's headers.
    #[arg(long, env = "KRING_HEADER_TIMEOUT_SECS", default_value_t = Limits::default().header_timeout.as_secs())]
    header_timeout_secs: u64,
    /// The address people reach Kring at, e.g. https://kring.example.org (join links, QR codes,
    /// screen links). Without it the console offers this machine's LAN addresses.
    #[arg(long, env = "KRING_PUBLIC_URL", value_parser = kring_server::reach::parse_public_url)]
    public_url: Option<String>,
    /// PEM certificate chain: serve HTTPS and WSS (with --tls-key).
    #[arg(long, env = "KRING_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, env = "KRING_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// A secret that `GET /metrics` must carry as a bearer token (unset: /metrics is open).
    #[arg(long, env = "KRING_METRICS_TOKEN")]
    metrics_token: Option<String>,
    /// Run as one of several nodes behind a load balancer: the NATS server (with JetStream) the
    /// nodes share, as nats://host:4222. Needs --database postgres://… (README, "Scaling").
    #[arg(long, env = "KRING_NATS", requires = "database")]
    nats: Option<String>,
    /// Start of every NATS subject (and the stream's name) of this deployment, so several can
    /// share one NATS server.
    #[arg(long, env = "KRING_NATS_PREFIX", default_value = "kring")]
    nats_prefix: String,
    /// This node's name in logs, metrics and leases (default: the host name and a random part).
    #[arg(long, env = "KRING_NODE_ID")]
    node_id: Option<String>,
    /// Seconds a node's lease on a workshop lasts: how long the once-per-workshop work (duo
    /// rooms, the purge) waits when the node holding it dies.
    #[arg(long, env = "KRING_LEASE_SECS", default_value_t = 15)]
    lease_secs: u64,
}

/// What else `kring-server` can do besides serving.
#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Copy the database of --data into a new file, consistently, while the server runs.
    Backup {
        /// The file to write (it must not exist yet).
        #[arg(long)]
        to: PathBuf,
    },
    /// Put a backup back as the database of --data (stop the server first).
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// Replace a database that is already there.
        #[arg(long)]
        replace: bool,
    },
}

const DAY: u64 = 86_400;

fn parse_database(url: &str) -> Result<kring_server::store::Database, String> {
    url.parse()
        .map_err(|e: kring_server::store::StoreError| e.to_string())
}

/// Runs `backup` or `restore` and prints its one line.
#[allow(clippy::print_stdout)]
fn run_command(
    data: &std::path::Path,
    database: Option<&kring_server::store::Database>,
    command: Command,
) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(kring_server::store::Database::Postgres(_)) = database {
        // SQLite's online backup copies one file; a PostgreSQL database is backed up with
        // PostgreSQL's own tools, which know its WAL and its consistency rules.
        return Err(
            "backup and restore work on the SQLite database in --data; with --database \
                    postgres://… use pg_dump and pg_restore (docs/deploy.md, \"Postgres\")"
                .into(),
        );
    }
    let (what, summary) = match command {
        Command::Backup { to } => ("backed up to", kring_server::backup::backup(data, &to)?),
        Command::Restore { from, replace } => (
            "restored into",
            kring_server::backup::restore(&from, data, replace)?,
        ),
    };
    println!(
        "{what} {}: {} workshops, {} documents, {} bytes",
        summary.file.display(),
        summary.workshops,
        summary.documents,
        summary.bytes
    );
    Ok(())
}

/// Runs, and prints a failure as its message (`error: cannot connect to PostgreSQL at …`)
/// rather than as the Debug form `main` returning an error would print.
#[allow(clippy::print_stderr)]
fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .init();
    let mut args = Args::parse();
    if let Some(command) = args.command.take() {
        return run_command(&args.data, args.database.as_ref(), command);
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(kring_server::tls::server_config(cert, key)?),
        _ => None,
    };
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    // The one line a person starting Kring needs; on stdout so scripts can read it.
    #[allow(clippy::print_stdout)]
    {
        println!("Kring is running: open {scheme}://{addr}/");
    }
    let config = kring_server::Config {
        idle_unload: Duration::from_secs(args.idle_unload_secs),
        purge_grace: Duration::from_secs(
            args.purge_grace_secs
                .unwrap_or(args.purge_grace_days.saturating_mul(DAY)),
        ),
        idle_delete: Duration::from_secs(args.idle_delete_days.saturating_mul(DAY)),
        sweep_every: Duration::from_secs(args.retention_sweep_secs.max(1)),
        limits: Limits {
            messages_per_sec: args.messages_per_sec,
            message_burst: args.message_burst,
            connections_per_addr: args.connections_per_addr,
            joins_per_minute: args.joins_per_minute,
            workshops_per_hour: args.workshops_per_hour,
            documents_per_connection: args.documents_per_connection,
            outbox_frames: args.outbox_frames,
            send_timeout: Duration::from_secs(args.send_timeout_secs),
            outbox_bytes: args.outbox_bytes,
            workshop_outbox_bytes: args.workshop_outbox_bytes,
            ephemeral_per_sec: args.ephemeral_per_sec,
            sockets_per_addr: args.sockets_per_addr,
            header_timeout: Duration::from_secs(args.header_timeout_secs.max(1)),
        },
        metrics_token: args.metrics_token,
        database: args
            .database
            .unwrap_or(kring_server::store::Database::Sqlite),
        public_url: args.public_url,
        tls,
        node: args.node_id.unwrap_or_else(kring_server::default_node_id),
        nats: args.nats.map(|url| kring_server::NatsConfig {
            url,
            prefix: args.nats_prefix,
            lease_ttl: Duration::from_secs(args.lease_secs.max(1)),
        }),
        frontend: kring_server::assets::Assets::choose(
            args.frontend,
            std::path::Path::new("./target/frontend"),
        ),
        ..kring_server::Config::new(args.data, PathBuf::new())
    };
    let shutdown = async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("install SIGTERM handler");
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
    };
    let span = tracing::info_span!("node", node = %config.node);
    tracing::Instrument::instrument(kring_server::run(listener, config, shutdown), span).await?;
    Ok(())
}
