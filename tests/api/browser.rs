//! The IDE at `/` in a real browser: Debian's headless Chromium, driven over
//! the DevTools protocol, with every address but loopback unreachable.
//!
//! The page must load its schema (the docs pane lists the fields of
//! `Query`), complete a field name as it is typed, run a `login` and a
//! `tickets` query through its own buttons and shortcuts, and render their
//! results, run a subscription over `/graphql/ws` and list its events,
//! without a request leaving the server's origin and without a script
//! error. The screenshot of the last state is kept under
//! `target/tmp/browser/` and its path printed.
//!
//! Without Chromium the test is skipped with a notice, unless
//! `PARTNERDESK_BROWSER_TESTS=1` (set by CI) asks for it: then it fails.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::{PASSWORD, world};

/// Set to `1` to make a missing browser a failure instead of a skip.
const REQUIRED: &str = "PARTNERDESK_BROWSER_TESTS";
/// Where Debian installs Chromium; `PARTNERDESK_CHROMIUM` overrides it.
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long one step (a page load, a query) may take.
const STEP: Duration = Duration::from_secs(30);

/// The browser to use, or `None` (with a printed notice) to skip.
pub(crate) fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PARTNERDESK_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(CHROMIUM));
    if path.is_file() {
        return Some(path);
    }
    let required = std::env::var(REQUIRED).is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{REQUIRED}=1 but there is no browser at {}: `apt-get install chromium`",
        path.display()
    );
    eprintln!(
        "browser test skipped: no browser at {} (`apt-get install chromium`; {REQUIRED}=1 makes this a failure)",
        path.display()
    );
    None
}

/// A headless Chromium that reaches nothing but loopback, and its
/// DevTools connection, attached to one tab.
pub(crate) struct Browser {
    _process: tokio::process::Child,
    _profile: tempfile::TempDir,
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    session: Option<String>,
    next_id: u64,
    /// Every event received so far (requests, console, exceptions).
    pub(crate) events: Vec<Value>,
}

impl Browser {
    pub(crate) async fn launch(binary: &Path) -> Self {
        let profile = tempfile::tempdir().expect("profile dir");
        let mut process = tokio::process::Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--mute-audio",
                // No name resolves but loopback's, and whatever is not
                // loopback goes to a proxy that is not there.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--proxy-server=http://127.0.0.1:9",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--window-size=1400,900",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromium");
        // Chromium prints the DevTools address on stderr once it listens.
        let stderr = process.stderr.take().expect("piped stderr");
        let mut lines = BufReader::new(stderr).lines();
        let mut seen = Vec::new();
        let endpoint = tokio::time::timeout(STEP, async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    return Some(url.trim().to_owned());
                }
                seen.push(line);
            }
            None
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("chromium gave no DevTools address:\n{}", seen.join("\n")));
        // Keep reading so that a chatty browser never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let (socket, _) = tokio_tungstenite::connect_async(endpoint.as_str())
            .await
            .expect("connect to DevTools");
        let mut browser = Browser {
            _process: process,
            _profile: profile,
            socket,
            session: None,
            next_id: 0,
            events: Vec::new(),
        };
        let target = browser
            .call("Target.createTarget", json!({ "url": "about:blank" }))
            .await;
        let attached = browser
            .call(
                "Target.attachToTarget",
                json!({ "targetId": target["targetId"], "flatten": true }),
            )
            .await;
        browser.session = attached["sessionId"].as_str().map(str::to_owned);
        for domain in ["Page", "Runtime", "Network", "Log"] {
            browser.call(&format!("{domain}.enable"), json!({})).await;
        }
        browser
            .call(
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": false }),
            )
            .await;
        browser
    }

    /// Sends a DevTools command to the tab and returns its result; events
    /// arriving meanwhile are kept in `events`.
    pub(crate) async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = &self.session {
            message["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("send to DevTools");
        let reply = tokio::time::timeout(STEP, async {
            loop {
                let frame = self.socket.next().await?.ok()?;
                let Message::Text(text) = frame else { continue };
                let value: Value = serde_json::from_str(text.as_str()).ok()?;
                if value["id"] == id {
                    return Some(value);
                }
                self.events.push(value);
            }
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no answer from the browser to {method}"));
        assert!(reply.get("error").is_none(), "{method}: {reply}");
        reply["result"].clone()
    }

    /// Evaluates `expression` in the page and returns its JSON value.
    pub(crate) async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Waits until `expression` is truthy in the page; returns its value.
    pub(crate) async fn wait_for(&mut self, expression: &str, what: &str) -> Value {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            let value = self.eval(expression).await;
            if !matches!(value, Value::Null | Value::Bool(false)) && value != json!("") {
                return value;
            }
            if tokio::time::Instant::now() > deadline {
                let status = self
                    .eval("[...document.querySelectorAll('.status')].map(s => s.textContent).join(' | ')")
                    .await;
                panic!("timed out waiting for {what} (status: {status})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A real mouse click in the middle of the element.
    pub(crate) async fn click(&mut self, selector: &str) {
        let at = self
            .eval(&format!(
                "(() => {{ const r = document.querySelector({selector:?}).getBoundingClientRect();
                   return {{ x: r.x + r.width / 2, y: r.y + r.height / 2 }}; }})()"
            ))
            .await;
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": at["x"], "y": at["y"], "button": "left", "clickCount": 1 }),
            )
            .await;
        }
    }

    /// A key press (with `modifiers`: 2 is Ctrl) in the focused element.
    pub(crate) async fn press(&mut self, key: &str, code: u32, modifiers: u32) {
        for kind in ["rawKeyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({ "type": kind, "key": key, "code": key, "windowsVirtualKeyCode": code,
                        "modifiers": modifiers }),
            )
            .await;
        }
    }

    /// Types `text` into the query editor in place of what it holds, as
    /// an input method would.
    async fn replace_query(&mut self, text: &str) {
        self.eval(
            "(() => { const q = document.getElementById('query'); q.focus(); q.select(); })()",
        )
        .await;
        self.call("Input.insertText", json!({ "text": text })).await;
    }

    /// The result pane, parsed, once it holds a result (the HTTP status
    /// is shown) that satisfies `done`.
    async fn result(&mut self, what: &str) -> Value {
        let text = self
            .wait_for(
                "(() => { const s = document.getElementById('http-status');
                   const r = document.getElementById('result');
                   return s.textContent.startsWith('HTTP') && !r.classList.contains('busy') && r.textContent; })()",
                what,
            )
            .await;
        serde_json::from_str(text.as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{what}: the result pane holds no JSON ({e}): {text}"))
    }

    /// The URLs the page requested that are not under `origin` (nor
    /// `data:`), and whether it requested `must` at all.
    pub(crate) fn requests_outside(&self, origin: &str, must: &str) -> Vec<String> {
        let requests: Vec<&str> = self
            .events
            .iter()
            .filter(|e| e["method"] == "Network.requestWillBeSent")
            .filter_map(|e| e["params"]["request"]["url"].as_str())
            .collect();
        assert!(
            requests.iter().any(|url| url.ends_with(must)),
            "no request for {must}: {requests:?}"
        );
        requests
            .into_iter()
            .filter(|url| !url.starts_with(origin) && !url.starts_with("data:"))
            .map(str::to_owned)
            .collect()
    }

    /// Script exceptions and errors logged by the page.
    pub(crate) fn problems(&self) -> Vec<&Value> {
        self.events
            .iter()
            .filter(|e| {
                e["method"] == "Runtime.exceptionThrown"
                    || (e["method"] == "Log.entryAdded" && e["params"]["entry"]["level"] == "error")
                    || (e["method"] == "Runtime.consoleAPICalled" && e["params"]["type"] == "error")
            })
            .collect()
    }

    /// Fails unless the network is cut off: a public address is out of
    /// reach. Forgets the events so far.
    pub(crate) async fn assert_offline(&mut self) {
        let outside = self
            .call("Page.navigate", json!({ "url": "http://example.com/" }))
            .await;
        assert!(
            outside["errorText"]
                .as_str()
                .is_some_and(|e| e.starts_with("net::ERR_")),
            "the browser reached outside: {outside}"
        );
        self.events.clear();
    }

    pub(crate) async fn screenshot(&mut self, path: &Path) {
        let shot = self
            .call("Page.captureScreenshot", json!({ "format": "png" }))
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap_or_default())
            .expect("base64 screenshot");
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("artifact dir");
        std::fs::write(path, png).expect("write screenshot");
    }
}

#[tokio::test]
async fn the_ide_works_in_a_browser_without_network() {
    let Some(binary) = chromium() else { return };
    let world = world().await;
    let app = &world.app;
    // A ticket for the member to find through the page.
    let token = world.token(&world.member).await;
    let ordered = app
        .graphql(
            "mutation($input: OrderLaptopInput!) { orderLaptop(input: $input) { ticket { id reference } } }",
            json!({ "input": {
                "recipientName": "Amina Haddad", "street": "Lorrainestrasse 12", "postalCode": "3013",
                "city": "Bern", "phone": "079 123 45 67", "forLearning": false,
            } }),
            Some(&token),
        )
        .await;
    let reference = ordered["data"]["orderLaptop"]["ticket"]["reference"]
        .as_str()
        .unwrap_or_else(|| panic!("order: {ordered}"))
        .to_owned();
    let query_fields: Vec<Value> = app
        .graphql(
            "{ __type(name: \"Query\") { fields { name } } }",
            json!({}),
            None,
        )
        .await["data"]["__type"]["fields"]
        .as_array()
        .expect("Query's fields")
        .iter()
        .map(|f| f["name"].clone())
        .collect();

    let mut browser = Browser::launch(&binary).await;
    // The network is cut off: a public address cannot be reached. Only
    // the page's own requests count from here on.
    browser.assert_offline().await;
    browser
        .call(
            "Page.navigate",
            json!({ "url": format!("{}/", app.address) }),
        )
        .await;

    // The schema loads, and the docs pane lists exactly Query's fields.
    let status = browser
        .wait_for(
            "(() => { const s = document.getElementById('schema-status');
               return s?.classList.contains('ok') && s.textContent; })()",
            "the schema",
        )
        .await;
    assert!(
        status.as_str().is_some_and(|s| s.starts_with("Schema: ")),
        "{status}"
    );
    browser
        .eval(
            "[...document.querySelectorAll('#docs-body button.tlink')]
               .find(b => b.textContent === 'Query').click()",
        )
        .await;
    let listed = browser
        .wait_for(
            "document.querySelector('#docs-body h2')?.textContent === 'Query'
               && [...document.querySelectorAll('#docs-body .entries > .entry')].map(li => li.dataset.name)",
            "the docs of Query",
        )
        .await;
    assert_eq!(
        listed,
        Value::Array(query_fields),
        "the docs pane lists Query's fields"
    );

    // Completion offers fields of Query as a name is typed.
    browser.replace_query("{\n  ").await;
    for c in ["t", "i", "c"] {
        browser.call("Input.insertText", json!({ "text": c })).await;
    }
    let offered = browser
        .wait_for(
            "!document.getElementById('completions').hidden
               && [...document.querySelectorAll('#completion-list .label')].map(l => l.textContent)",
            "completions",
        )
        .await;
    for field in ["ticket", "tickets"] {
        assert!(
            offered
                .as_array()
                .is_some_and(|o| o.contains(&json!(field))),
            "{offered}"
        );
    }
    browser.press("Escape", 27, 0).await;

    // Log in through the page, with the Run button.
    browser
        .replace_query(&format!(
            "mutation {{ login(email: \"{}\", password: \"{PASSWORD}\") {{ token }} }}",
            world.member.email
        ))
        .await;
    browser.click("#run").await;
    let login = browser.result("the login result").await;
    assert!(
        login["data"]["login"]["token"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{login}"
    );
    browser
        .wait_for(
            "!document.getElementById('use-token').disabled",
            "the token button",
        )
        .await;
    browser.click("#use-token").await;
    let headers = browser
        .eval("document.getElementById('headers').value")
        .await;
    assert!(
        headers
            .as_str()
            .is_some_and(|h| h.contains("\"Authorization\": \"Bearer ")),
        "{headers}"
    );

    // The tickets query, with Ctrl+Enter, as the logged-in member.
    browser
        .eval("document.getElementById('result').textContent = ''; document.getElementById('http-status').textContent = ''")
        .await;
    browser
        .replace_query(
            "query MyTickets {\n  tickets(first: 10) {\n    totalCount\n    edges { node { reference status order { recipientName city } } }\n  }\n}\n",
        )
        .await;
    browser.press("Enter", 13, 2).await;
    let tickets = browser.result("the tickets result").await;
    assert!(tickets.get("errors").is_none(), "{tickets}");
    assert_eq!(tickets["data"]["tickets"]["totalCount"], 1, "{tickets}");
    let node = &tickets["data"]["tickets"]["edges"][0]["node"];
    assert_eq!(node["reference"], reference.as_str(), "{tickets}");
    assert_eq!(node["order"]["recipientName"], "Amina Haddad", "{tickets}");
    // Rendered: the reference is on screen, in the result pane.
    let shown = browser
        .eval(&format!(
            "(() => {{ const r = document.getElementById('result');
               const box = r.getBoundingClientRect();
               return r.innerText.includes({reference:?}) && box.width > 100 && box.height > 100; }})()"
        ))
        .await;
    assert_eq!(shown, json!(true), "the result pane shows {reference}");

    // A subscription, run from the page over /graphql/ws with the token
    // of the headers pane, lists the events as they come.
    browser
        .replace_query(
            "subscription Live {\n  ticketEvents {\n    kind status\n    ticket { reference status }\n  }\n}\n",
        )
        .await;
    browser.press("Enter", 13, 2).await;
    tokio::time::timeout(STEP, async {
        while app.state.live.subscribers() < 1 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the page subscribes");
    let staff = world.token(&world.staff).await;
    let moved = app
        .graphql(
            "mutation($input: TransitionTicketInput!) { transitionTicket(input: $input) { ticket { status } } }",
            json!({ "input": { "ticketId": ordered["data"]["orderLaptop"]["ticket"]["id"], "to": "QUEUED" } }),
            Some(&staff),
        )
        .await;
    assert_eq!(
        moved["data"]["transitionTicket"]["ticket"]["status"], "QUEUED",
        "{moved}"
    );
    let live = browser
        .wait_for(
            "(() => { const s = document.getElementById('http-status');
               return s.textContent.startsWith('Live · 1 event') && document.getElementById('result').textContent; })()",
            "the subscription's first event",
        )
        .await;
    let events: Value =
        serde_json::from_str(live.as_str().unwrap_or_default()).expect("JSON events");
    let event = &events[0]["data"]["ticketEvents"];
    assert_eq!(event["kind"], "STATUS_CHANGED", "{events}");
    assert_eq!(event["ticket"]["reference"], reference.as_str(), "{events}");
    browser.click("#stop").await;
    tokio::time::timeout(STEP, async {
        while app.state.live.subscribers() > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("Stop ends the subscription");
    let sockets: Vec<&str> = browser
        .events
        .iter()
        .filter(|e| e["method"] == "Network.webSocketCreated")
        .filter_map(|e| e["params"]["url"].as_str())
        .collect();
    assert_eq!(
        sockets,
        [format!(
            "{}/graphql/ws",
            app.address.replacen("http://", "ws://", 1)
        )],
        "one socket, to this origin"
    );

    let backend = if std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    };
    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("browser")
        .join(format!("ide-{backend}.png"));
    browser.screenshot(&screenshot).await;
    println!("screenshot of the IDE: {}", screenshot.display());

    // Nothing left the origin, and the page raised no error.
    let origin = format!("{}/", app.address);
    let outside = browser.requests_outside(&origin, "/graphql");
    assert!(
        outside.is_empty(),
        "requests outside the origin: {outside:?}"
    );
    let problems = browser.problems();
    assert!(problems.is_empty(), "errors in the page: {problems:#?}");
}
