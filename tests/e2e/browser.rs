//! A headless Chromium driven over WebDriver: chromedriver on a free loopback
//! port, one browser per test, screenshots of every step, and axe-core on every
//! page.

use std::io::{BufRead, BufReader};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// The Chromium flags the platform is tested with.
const CHROMIUM_FLAGS: [&str; 6] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
];

/// The two screen sizes every flow runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// 375×812, a common phone.
    Phone,
    /// 1280×900, a laptop.
    Desktop,
}

impl Size {
    pub fn pixels(self) -> (u32, u32) {
        match self {
            Size::Phone => (375, 812),
            Size::Desktop => (1280, 900),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Size::Phone => "phone",
            Size::Desktop => "desktop",
        }
    }
}

/// One browser at a time: the machine's cores are shared with the server under
/// test, and two Chromiums at once make every wait slower than it need be.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The program named by the variable `var`, else `default`; the test fails
/// with what to do when it is not there.
fn program(var: &str, default: &str, package: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "the browser tests need {} (Debian package {package}; ./scripts/setup installs it, \
         or set {var})",
        path.display()
    );
    path
}

/// The cargo target directory: `CARGO_TARGET_DIR`, else the one this test
/// binary was built into (`<target>/debug/deps/e2e-…`).
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("the test binary has a path");
    exe.ancestors()
        .nth(3)
        .expect("the test binary lies in <target>/<profile>/deps")
        .to_path_buf()
}

/// Where screenshots go: `ZIKAO_E2E_ARTIFACTS`, else `<target>/e2e-artifacts`.
pub fn artifacts_root() -> PathBuf {
    std::env::var_os("ZIKAO_E2E_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("e2e-artifacts"))
}

/// axe-core's `axe.min.js`: `ZIKAO_AXE_JS`, else where `scripts/setup` puts it
/// (`$HOME/.cache/zikao-e2e/node_modules/axe-core/axe.min.js`).
fn axe_path() -> PathBuf {
    if let Some(path) = std::env::var_os("ZIKAO_AXE_JS") {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME").expect("HOME is set");
    Path::new(&home).join(".cache/zikao-e2e/node_modules/axe-core/axe.min.js")
}

fn axe_source() -> &'static str {
    static AXE: OnceLock<String> = OnceLock::new();
    AXE.get_or_init(|| {
        let path = axe_path();
        std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core is missing at {} ({e}); ./scripts/setup installs it, or set ZIKAO_AXE_JS",
                path.display()
            )
        })
    })
}

/// chromedriver, ended when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start(program: &Path) -> Self {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut child = Command::new(program)
            .arg(format!("--port={port}"))
            .arg("--log-level=WARNING")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", program.display()));
        // chromedriver says when it listens; read up to that line, then keep
        // draining its output so that it never blocks on a full pipe.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|line| line.contains("started successfully") || line.contains("was started"));
        assert!(ready, "chromedriver ended before it listened");
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser on one flow at one size.
pub struct Browser {
    pub client: Client,
    base: String,
    size: Size,
    shots: PathBuf,
    step: Mutex<u32>,
    violations: Mutex<Vec<String>>,
}

/// Runs `body` in a fresh headless Chromium of `size` against the platform at
/// `base`; `flow` names the screenshot folder. Without Chromium, chromedriver
/// or axe-core the test fails, saying what is missing.
pub async fn run<F>(flow: &str, size: Size, base: &str, body: F)
where
    F: AsyncFnOnce(&Browser),
{
    let chromium = program("ZIKAO_CHROMIUM", "/usr/bin/chromium", "chromium");
    let driver = program(
        "ZIKAO_CHROMEDRIVER",
        "/usr/bin/chromedriver",
        "chromium-driver",
    );
    // Fail early, before a browser starts, when axe-core is missing.
    axe_source();

    let _turn = ONE_AT_A_TIME.lock().await;
    let driver = tokio::task::spawn_blocking(move || Driver::start(&driver))
        .await
        .unwrap();
    let (w, h) = size.pixels();
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
    args.push("--lang=zh-CN".into());
    let mut options = json!({ "binary": chromium });
    match size {
        // Headless Chromium keeps a window at least 500 px wide: a phone is
        // emulated (viewport, device-width, touch) rather than a narrow window.
        Size::Phone => {
            args.push("--window-size=500,900".into());
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": w, "height": h, "pixelRatio": 2, "mobile": true, "touch": true },
            });
        }
        Size::Desktop => args.push(format!("--window-size={w},{h}")),
    }
    options["args"] = json!(args);
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": options,
    });
    let caps = match caps {
        Value::Object(m) => m,
        _ => unreachable!(),
    };
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("chromedriver starts Chromium");

    let shots = artifacts_root().join(format!("{flow}-{}", size.name()));
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    let browser = Browser {
        client: client.clone(),
        base: base.to_owned(),
        size,
        shots,
        step: Mutex::new(0),
        violations: Mutex::new(Vec::new()),
    };

    let outcome = AssertUnwindSafe(async {
        body(&browser).await;
        browser.assert_accessible();
    })
    .catch_unwind()
    .await;
    if outcome.is_err() {
        browser.shot("failed").await;
        if let Ok(url) = client.current_url().await {
            eprintln!("the browser was at {url}");
        }
    }
    let _ = client.close().await;
    drop(driver);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// A CSS locator.
pub fn css(selector: &str) -> Locator<'_> {
    Locator::Css(selector)
}

impl Browser {
    /// The absolute URL of a path of the platform.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Opens a path of the platform.
    pub async fn open(&self, path: &str) {
        self.client.goto(&self.url(path)).await.unwrap();
    }

    /// The path (and query) the browser is on.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits for an element to appear.
    pub async fn wait_for(&self, selector: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(css(selector))
            .await
            .unwrap_or_else(|e| panic!("waited in vain for {selector}: {e}"))
    }

    /// Waits for the page whose `<h1>` contains `title`.
    pub async fn wait_for_title(&self, title: &str) {
        let xpath = format!("//h1[contains(normalize-space(.), '{title}')]");
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("waited in vain for the page {title}: {e}"));
    }

    /// The element matching `selector`, which must be there now.
    pub async fn find(&self, selector: &str) -> Element {
        match self.client.find(css(selector)).await {
            Ok(e) => e,
            Err(e) => panic!("no {selector} on {}: {e}", self.path().await),
        }
    }

    /// Whether an element matches `selector` now.
    pub async fn has(&self, selector: &str) -> bool {
        !self
            .client
            .find_all(css(selector))
            .await
            .unwrap()
            .is_empty()
    }

    /// The visible text of the element matching `selector`.
    pub async fn text(&self, selector: &str) -> String {
        self.find(selector).await.text().await.unwrap()
    }

    /// The visible text of the whole page.
    pub async fn page_text(&self) -> String {
        self.text("body").await
    }

    /// Types into the field matching `selector`, replacing what it held.
    pub async fn fill(&self, selector: &str, text: &str) {
        let e = self.find(selector).await;
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    /// Picks the option of value `value` in the select matching `selector`.
    pub async fn choose(&self, selector: &str, value: &str) {
        self.find(selector)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("{selector} has no option {value}: {e}"));
    }

    /// Gives the file input matching `selector` a file, as a person choosing it would.
    pub async fn attach(&self, selector: &str, file: &Path) {
        self.find(selector)
            .await
            .send_keys(file.to_str().unwrap())
            .await
            .unwrap();
    }

    /// Clicks the element matching `selector`, scrolled into view first.
    pub async fn click(&self, selector: &str) {
        let e = self.find(selector).await;
        self.click_element(&e).await;
    }

    /// Clicks the button whose text is `label` inside the element matching
    /// `scope` (a CSS selector; "body" for the whole page).
    pub async fn press(&self, scope: &str, label: &str) {
        let xpath = format!(".//button[normalize-space(.)='{label}']");
        let e = self
            .find(scope)
            .await
            .find(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|err| panic!("no button {label} in {scope}: {err}"));
        self.click_element(&e).await;
    }

    /// Clicks the link whose text is `label`.
    pub async fn follow(&self, label: &str) {
        let xpath = format!("//a[normalize-space(.)='{label}']");
        let e = match self.client.find(Locator::XPath(&xpath)).await {
            Ok(e) => e,
            Err(err) => panic!("no link {label} on {}: {err}", self.path().await),
        };
        self.click_element(&e).await;
    }

    async fn click_element(&self, e: &Element) {
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(e).unwrap()],
            )
            .await
            .unwrap();
        e.click().await.unwrap();
    }

    /// Runs a script in the page and returns its value.
    pub async fn script(&self, source: &str) -> Value {
        self.client.execute(source, vec![]).await.unwrap()
    }

    /// Runs an asynchronous script in the page (its last argument is the callback).
    pub async fn async_script(&self, source: &str, args: Vec<Value>) -> Value {
        self.client.execute_async(source, args).await.unwrap()
    }

    /// GETs a path with the browser's own cookies (from the page, by `fetch`):
    /// status, content type, size and the first five bytes as text.
    pub async fn fetch(&self, path: &str) -> (u16, String, u64, String) {
        let v = self
            .async_script(
                r#"const done = arguments[arguments.length - 1];
                fetch(arguments[0], {credentials: 'same-origin'})
                  .then(r => r.arrayBuffer().then(b => done([
                    r.status,
                    r.headers.get('content-type') || '',
                    b.byteLength,
                    String.fromCharCode(...new Uint8Array(b.slice(0, 5))),
                  ])))
                  .catch(e => done([0, String(e), 0, '']));"#,
                vec![json!(path)],
            )
            .await;
        (
            v[0].as_u64().unwrap() as u16,
            v[1].as_str().unwrap().to_owned(),
            v[2].as_u64().unwrap(),
            v[3].as_str().unwrap().to_owned(),
        )
    }

    /// A screenshot of the whole page, numbered in the order of the flow.
    pub async fn shot(&self, name: &str) {
        let n = {
            let mut step = self.step.lock().unwrap();
            *step += 1;
            *step
        };
        let png = match self.full_page_png().await {
            Some(png) => png,
            None => return,
        };
        std::fs::write(self.shots.join(format!("{n:02}-{name}.png")), png).unwrap();
    }

    /// The whole page, not only the part in the window, by the DevTools
    /// protocol (the window itself keeps its size).
    async fn full_page_png(&self) -> Option<Vec<u8>> {
        let (w, h) = self.size.pixels();
        let height = self
            .client
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .ok()?
            .as_u64()
            .unwrap_or(u64::from(h))
            .clamp(u64::from(h), 8000);
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": w, "height": height, "scale": 1 },
                }),
            )
            .await?;
        BASE64.decode(shot["data"].as_str()?).ok()
    }

    /// A DevTools protocol command through chromedriver.
    async fn cdp(&self, cmd: &'static str, params: Value) -> Option<Value> {
        self.client.issue_cmd(Cdp { cmd, params }).await.ok()
    }

    /// The check every page of a flow gets: a screenshot, no sideways scrolling
    /// at phone size, and axe-core finding nothing serious or critical.
    pub async fn page(&self, name: &str) {
        self.shot(name).await;
        let path = self.path().await;
        let width = self.script("return window.innerWidth;").await;
        assert_eq!(
            width.as_u64(),
            Some(u64::from(self.size.pixels().0)),
            "{path} ({name}) is laid out at the asked width"
        );
        if self.size == Size::Phone {
            let overflow = self
                .script(
                    "return [document.documentElement.scrollWidth, window.innerWidth, \
                     Array.from(document.querySelectorAll('body *')) \
                       .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 \
                                    && !e.closest('.table-scroll')) \
                       .slice(0, 5).map(e => e.tagName + '.' + e.className)];",
                )
                .await;
            assert!(
                overflow[0].as_u64() <= overflow[1].as_u64(),
                "{path} ({name}) scrolls sideways at 375 px: {overflow}"
            );
            // Buttons, fields and button-like links are big enough for a thumb
            // (links inside running text are not counted).
            let small = self
                .script(
                    "return Array.from(document.querySelectorAll( \
                       'button, .button, select, input:not([type=hidden]):not([type=checkbox]):not([type=radio])')) \
                       .filter(e => e.offsetParent !== null && !e.closest('.skip')) \
                       .filter(e => e.getBoundingClientRect().height < 40) \
                       .slice(0, 5).map(e => e.outerHTML.slice(0, 120));",
                )
                .await;
            assert_eq!(
                small,
                json!([]),
                "{path} ({name}) has touch targets under 40 px high"
            );
        }
        self.axe(&path, name).await;
    }

    async fn axe(&self, path: &str, name: &str) {
        let loaded = self.script("return typeof window.axe === 'object';").await;
        if loaded != json!(true) {
            self.client.execute(axe_source(), vec![]).await.unwrap();
        }
        let result = self
            .async_script(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, {resultTypes: ['violations']})
                  .then(r => done(r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => ({
                      id: v.id, impact: v.impact, help: v.help,
                      nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + '  ' + n.html.slice(0, 160)),
                    }))))
                  .catch(e => done({error: String(e)}));"#,
                vec![],
            )
            .await;
        let list = result
            .as_array()
            .unwrap_or_else(|| panic!("axe-core failed on {path}: {result}"));
        let mut found = self.violations.lock().unwrap();
        for v in list {
            found.push(format!(
                "{path} ({name}, {}): {} [{}] {}\n    {}",
                self.size.name(),
                v["id"].as_str().unwrap_or(""),
                v["impact"].as_str().unwrap_or(""),
                v["help"].as_str().unwrap_or(""),
                v["nodes"]
                    .as_array()
                    .map(|n| n
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n    "))
                    .unwrap_or_default()
            ));
        }
    }

    /// Fails with every serious or critical violation found on the flow's pages.
    fn assert_accessible(&self) {
        let found = self.violations.lock().unwrap();
        assert!(
            found.is_empty(),
            "axe-core found {} serious or critical violations:\n{}",
            found.len(),
            found.join("\n")
        );
    }
}

/// chromedriver's way to the DevTools protocol: `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Writes `bytes` to a file in `dir` and returns its path (for file inputs).
pub fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}
