//! kring-e2e: end-to-end test support. Starts ChromeDriver on a free port and opens headless
//! Chromium sessions with the flags this machine needs; finds the built frontend.
//!
//! The tests themselves live in `tests/tests/`: `browser.rs` (real Chromium over WebDriver) and
//! `interop.rs` (the official automerge-repo JavaScript client under Node).

pub mod consent;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};

/// The built frontend (`cargo xtask build`); the test fails with advice when it is missing.
pub fn frontend_dir() -> PathBuf {
    let dir = std::env::var_os("KRING_FRONTEND_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/frontend"))
        });
    assert!(
        dir.join("index.html").exists(),
        "no built frontend in {}: run the tests with `cargo xtask test` (it builds the frontend first)",
        dir.display()
    );
    dir
}

/// Where screenshots go, for a person to look at.
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/screenshots"
    ));
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// The environment variable that marks every ChromeDriver this kit starts, and through it every
/// Chromium those drivers start (they inherit it): `kring_procs::marked` finds what outlived a
/// test by it, and `cargo xtask test` fails the run when anything marked is still alive.
pub use kring_procs::MARK as BROWSER_MARK;

/// A running ChromeDriver in its own process group. On drop it closes every session it opened
/// that is still open, kills its whole process group, kills any Chromium still marked as its
/// own, and removes the sessions' profiles.
pub struct Driver {
    child: Child,
    pub url: String,
    /// This driver's value of [`BROWSER_MARK`].
    mark: String,
}

impl Driver {
    pub async fn start() -> Driver {
        use std::os::unix::process::CommandExt;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mark = format!("{}-{}", std::process::id(), uuid_ish());
        let child =
            Command::new(std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into()))
                .arg(format!("--port={port}"))
                .env(BROWSER_MARK, &mark)
                // Its own process group, so one kill takes the driver and every browser with it.
                .process_group(0)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver (apt-get install chromium-driver; .ci/run does)");
        let url = format!("http://127.0.0.1:{port}");
        let driver = Driver { child, url, mark };
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{}/status", driver.url))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        driver
    }

    /// A new headless Chromium session with its own profile, closed when the returned guard is
    /// dropped (also when the test panics) or by [`Session::close`].
    pub async fn session(&self, width: u32, height: u32) -> Session {
        self.session_with(width, height, &[]).await
    }

    /// [`Driver::session`] with more Chromium flags (e.g. host resolver rules for a test host).
    pub async fn session_with(&self, width: u32, height: u32, extra: &[String]) -> Session {
        let profile =
            std::env::temp_dir().join(format!("{}{}", kring_procs::PROFILE_PREFIX, uuid_ish()));
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.display()),
        ];
        let args: Vec<String> = args.into_iter().chain(extra.iter().cloned()).collect();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "args": args }),
        );
        // The page's errors (a panic in the app), for a failing test's message.
        caps.insert(
            "goog:loggingPrefs".into(),
            serde_json::json!({ "browser": "SEVERE" }),
        );
        // Plain HTTP: ChromeDriver listens on loopback, so no TLS stack is needed.
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("WebDriver session");
        let id = client
            .session_id()
            .await
            .expect("session id")
            .expect("an open session has an id");
        Session {
            client: Some(client),
            id,
            driver: self.url.clone(),
            profile,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and every Chromium it started (they stay in its group).
        // `--` first: without it `kill` reads "-<pid>" as options, and a pid starting with 1
        // became `kill(-1)`, which as root ends every process on the machine.
        let group = self.child.id();
        if group > 1 {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{group}")])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Anything that left the group (a Chromium helper that called setsid) still carries the
        // mark in its environment.
        kring_procs::kill_marked(Some(&self.mark));
    }
}

/// One WebDriver session (one Chromium with its own profile). Derefs to the fantoccini `Client`.
/// Dropped without [`Session::close`] — a failed assertion, a panic, an early return — it still
/// ends its browser: a blocking `DELETE /session/{id}` to ChromeDriver, then the profile folder
/// is removed.
pub struct Session {
    client: Option<Client>,
    id: String,
    driver: String,
    profile: PathBuf,
}

impl Session {
    /// Ends the session (Chromium quits) and removes its profile.
    pub async fn close(mut self) -> Result<(), fantoccini::error::CmdError> {
        let client = self.client.take().expect("an open session");
        let result = client.close().await;
        let _ = std::fs::remove_dir_all(&self.profile);
        result
    }
}

impl std::ops::Deref for Session {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("an open session")
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.client.take().is_some() {
            // No runtime to await on in a drop: speak HTTP to ChromeDriver directly.
            delete_session(&self.driver, &self.id);
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// `DELETE {driver}/session/{id}`, blocking, with short time-outs. ChromeDriver answers once
/// Chromium has quit.
fn delete_session(driver: &str, id: &str) {
    use std::io::{Read, Write};
    let Some(addr) = driver.strip_prefix("http://") else {
        return;
    };
    let Ok(addr) = addr.parse::<std::net::SocketAddr>() else {
        return;
    };
    let Ok(mut tcp) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return;
    };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = tcp.set_write_timeout(Some(Duration::from_secs(2)));
    let request = format!(
        "DELETE /session/{id} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if tcp.write_all(request.as_bytes()).is_ok() {
        let mut answer = Vec::new();
        let _ = tcp.read_to_end(&mut answer);
    }
}

fn uuid_ish() -> String {
    kring_shared::ids::DocumentId::random().to_string()
}

/// ChromeDriver's command for the browser's console log, which fantoccini does not wrap.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

/// The errors the page logged since the last call (a panic in the app shows here), one a line.
pub async fn browser_errors(c: &Client) -> String {
    match c.issue_cmd(BrowserLog).await {
        Ok(serde_json::Value::Array(entries)) => entries
            .iter()
            .filter_map(|e| e["message"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        Ok(other) => format!("(unexpected log answer: {other})"),
        Err(e) => format!("(no browser log: {e})"),
    }
}

/// Waits until `locator` finds an element whose text contains `text`.
pub async fn wait_for_text(c: &Client, locator: Locator<'_>, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(el) = c.find(locator).await
            && let Ok(t) = el.text().await
            && t.contains(text)
        {
            return t;
        }
        if Instant::now() > deadline {
            let body = match c.find(Locator::Css("body")).await {
                Ok(b) => b.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            let errors = browser_errors(c).await;
            panic!(
                "timed out waiting for {text:?} in {locator:?}; page shows:\n{body}\n\
                 browser errors:\n{errors}"
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An XPath string literal for `s` (names like "Duo's" contain an apostrophe).
fn literal(s: &str) -> String {
    if s.contains('\'') {
        format!("\"{s}\"")
    } else {
        format!("'{s}'")
    }
}

/// The input inside the label with this accessible name.
pub fn field(label: &str) -> String {
    format!(
        "//label[contains(normalize-space(.), {})]//*[self::input or self::select]",
        literal(label)
    )
}

/// The button with this accessible name.
pub fn button(name: &str) -> String {
    format!("//button[normalize-space(.)={}]", literal(name))
}

/// Saves a screenshot under `target/screenshots/`.
pub async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("write screenshot");
    let serious = accessibility(c).await;
    assert!(
        serious.is_empty(),
        "axe-core finds serious or critical WCAG 2.2 AA violations in state `{name}`:\n{}",
        serious.join("\n")
    );
}

/// axe-core's source (`tests/axe`, installed by `cargo xtask test`).
fn axe_source() -> &'static str {
    static SOURCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SOURCE.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/axe/node_modules/axe-core/axe.min.js"
        );
        std::fs::read_to_string(path).unwrap_or_else(|e| {
            panic!("{path}: {e}; run the tests with `cargo xtask test` (it installs axe-core)")
        })
    })
}

/// The serious and critical WCAG 2.0–2.2 A/AA violations axe-core finds in the page as it is
/// now, one line each (rule, impact, the first elements and why). Every state a browser test
/// takes a screenshot of is checked this way. The script is evaluated through WebDriver, which
/// the page's Content-Security-Policy does not govern (it would block an injected `<script>`).
pub async fn accessibility(c: &Client) -> Vec<String> {
    let loaded = c
        .execute(
            &format!("{}\n;return typeof window.axe === 'object';", axe_source()),
            vec![],
        )
        .await
        .expect("load axe-core");
    assert_eq!(
        loaded,
        serde_json::Value::Bool(true),
        "axe-core did not load"
    );
    let found = c
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            const tags = { type: "tag",
                values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] };
            // Target size (WCAG 2.5.8) everywhere but on the circles board: its note chips lie
            // where their author put them and may overlap, and each has an equivalent control
            // of full size in the note lists beside it (the criterion's "equivalent" exception).
            // One run at a time: axe refuses a second while the first is busy.
            axe.run(document, { runOnly: tags, rules: { "target-size": { enabled: false } } })
              .then((all) => axe.run({ exclude: [[".board"]] },
                  { runOnly: { type: "rule", values: ["target-size"] } })
                .then((size) => all.violations.concat(size.violations)))
              .then((found) => done(found
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 4)
                  .map((n) => n.target.join(" ") + " — " + (n.failureSummary || "").replace(/\s+/g, " "))
                  .join("; "))))
              .catch((e) => done(["axe-core failed: " + e]));"#,
            vec![],
        )
        .await
        .expect("run axe-core");
    found
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A TCP proxy in front of the server for one browser, whose network can be cut: while cut, it
/// drops every open connection and every new one, as if the browser had lost its network.
pub struct CuttableProxy {
    pub addr: std::net::SocketAddr,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    generation: tokio::sync::watch::Sender<u64>,
}

impl CuttableProxy {
    pub async fn start(upstream: std::net::SocketAddr) -> CuttableProxy {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (generation, _) = tokio::sync::watch::channel(0u64);
        let (cut2, gen2) = (cut.clone(), generation.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let cut = cut2.clone();
                let mut killed = gen2.subscribe();
                tokio::spawn(async move {
                    if cut.load(Ordering::SeqCst) {
                        return; // dropped: the network is down
                    }
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = killed.changed() => {}
                    }
                });
            }
        });
        CuttableProxy {
            addr,
            cut,
            generation,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Cuts the network: open connections drop, new ones fail.
    pub fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn restore(&self) {
        self.cut.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Clicks the element `locator` finds once it exists. The app re-lays out as documents arrive,
/// so a click can land on something that just moved into place: retry those a few times.
pub async fn click(c: &Client, locator: Locator<'_>) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let el = c
            .wait()
            .for_element(locator)
            .await
            .expect("element to click");
        match el.click().await {
            Ok(()) => return,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("could not click {locator:?}: {e}"),
        }
    }
}

/// Rates the six building blocks of work form 004 on the participant's sheet by clicking the
/// scale's labels, as a person would, and waits until the sheet counts all six.
pub async fn rate_blocks(c: &Client, scores: [u32; 6]) {
    let blocks = [
        "knowing",
        "understanding",
        "appreciating",
        "trusting",
        "collaborating",
        "realising_goals",
    ];
    for (block, score) in blocks.iter().zip(scores) {
        let xpath = format!(
            "//fieldset[contains(@class, '{block}')]//label[span[normalize-space(.)='{score}']]"
        );
        click(c, Locator::XPath(&xpath)).await;
    }
    wait_for_text(c, Locator::Css(".rating-sheet [role=status]"), "6 / 6").await;
}

/// Types into the field with this label once it exists.
pub async fn type_into(c: &Client, label: &str, text: &str) {
    c.wait()
        .for_element(Locator::XPath(&field(label)))
        .await
        .expect("field")
        .send_keys(text)
        .await
        .expect("typing");
}

/// A work form's room in a browser test: the projector, and four participants who joined with
/// the code — the first on a phone (390 × 844), the others on laptops — as `people` (name,
/// organisation).
pub struct Room {
    pub screen: Session,
    pub phone: Session,
    pub others: [Session; 3],
}

/// Opens the projector and lets four people join (see [`Room`]).
pub async fn room(
    driver: &Driver,
    fac: &Client,
    base: &str,
    code: &str,
    people: [(&str, &str); 4],
) -> Room {
    let screen = open_projector(driver, fac, code).await;
    let phone = driver.session(390, 844).await;
    let others = [
        driver.session(1024, 900).await,
        driver.session(1024, 900).await,
        driver.session(1024, 900).await,
    ];
    join_with_code(&phone, base, code, people[0].0, people[0].1).await;
    for (c, (name, org)) in others.iter().zip(&people[1..]) {
        join_with_code(c, base, code, name, org).await;
    }
    Room {
        screen,
        phone,
        others,
    }
}

/// The projector: the (Dutch) console makes a screen link, a 1280×720 session opens it and
/// shows the lobby with the join code.
pub async fn open_projector(driver: &Driver, fac: &Client, code: &str) -> Session {
    click(
        fac,
        Locator::XPath("//button[contains(@aria-label, 'Schermlink')]"),
    )
    .await;
    let screen_url = wait_for_text(fac, Locator::Css(".secret-link"), "/screen#").await;
    let screen = driver.session(1280, 720).await;
    screen.goto(screen_url.trim()).await.expect("screen link");
    wait_for_text(&screen, Locator::Css(".big-code"), code).await;
    screen
}

/// Fills the (Dutch) join form on the current page and waits for the welcome.
pub async fn fill_join_form(c: &Client, name: &str, org: &str) {
    type_into(c, "Naam", name).await;
    type_into(c, "Organisatie", org).await;
    click(c, Locator::XPath(&button("Deelnemen"))).await;
    wait_for_text(c, Locator::Css("main"), &format!("Welkom, {name}")).await;
}

/// Opens the join page of workshop `code` as the participant whose token the browser remembers
/// (as if they had joined on this device before).
pub async fn open_as_participant(c: &Client, base: &str, code: &str, token: &str) {
    c.goto(base).await.expect("home page");
    c.execute(
        &format!("localStorage.setItem('kring.participant.{code}', '{token}')"),
        vec![],
    )
    .await
    .expect("remember the token");
    c.goto(&format!("{base}/join/{code}"))
        .await
        .expect("join page");
}

/// The rendered text of the first element `css` finds, or "" when there is none.
pub async fn inner_text(c: &Client, css: &str) -> String {
    c.execute(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText : ''",
        vec![serde_json::json!(css)],
    )
    .await
    .expect("script runs")
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Prints count, mean and percentiles of a measurement, for the notes and the README.
pub fn print_stats(name: &str, mut v: Vec<f64>) {
    v.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    println!(
        "{name}: n={} mean={mean:.1}ms p50={:.1}ms p95={:.1}ms p99={:.1}ms max={:.1}ms",
        v.len(),
        p(0.5),
        p(0.95),
        p(0.99),
        p(1.0)
    );
}

/// Joins from the home page with a code, as a person types it, then name and organisation.
pub async fn join_with_code(c: &Client, base: &str, code: &str, name: &str, org: &str) {
    c.goto(base).await.unwrap();
    c.wait()
        .for_element(Locator::XPath(&field("Deelnamecode")))
        .await
        .unwrap()
        .send_keys(code)
        .await
        .unwrap();
    click(c, Locator::XPath(&button("Verder"))).await;
    fill_join_form(c, name, org).await;
}

/// Scrolls the first element `css` finds to the top of the window, for a screenshot of it.
pub async fn scroll_to(c: &Client, css: &str) {
    c.execute(
        "const e = document.querySelector(arguments[0]); if (e) e.scrollIntoView(true);",
        vec![serde_json::json!(css)],
    )
    .await
    .unwrap();
}
