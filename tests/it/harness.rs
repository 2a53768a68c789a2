//! A real server per test: the app on port 0 with a fresh SQLite file or a fresh
//! PostgreSQL schema, a settable clock, and HTTP clients.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use reqwest::redirect::Policy;
use serde_json::Value;
use zikao::clock::ManualClock;
use zikao::config::Config;
use zikao::service::App;
use zikao::service::demo::DemoAccounts;

/// Which database (and file store) a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// PostgreSQL with the files in an S3-compatible server: the shape of
    /// several nodes.
    S3,
}

/// A running platform.
pub struct TestApp {
    pub base: String,
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
}

/// Another node of a [`TestApp`]'s platform.
pub struct Node {
    pub base: String,
    pub app: App,
}

impl Node {
    /// The URL of a path on this node.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// 2026-12-03 10:00 China time, the default "now" of every test.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0).unwrap()
}

/// The test S3 server's settings (`TEST_S3_ENDPOINT`, `TEST_S3_BUCKET`,
/// `TEST_S3_ACCESS_KEY_ID`, `TEST_S3_SECRET_ACCESS_KEY`), as `scripts/test`
/// sets them after starting one.
fn s3_settings() -> Option<[String; 4]> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (
        get("TEST_S3_ENDPOINT"),
        get("TEST_S3_BUCKET"),
        get("TEST_S3_ACCESS_KEY_ID"),
        get("TEST_S3_SECRET_ACCESS_KEY"),
    ) {
        (Some(e), Some(b), Some(a), Some(k)) => Some([e, b, a, k]),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must set TEST_S3_* so the object-store tests run"
            );
            None
        }
    }
}

fn postgres_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must set TEST_DATABASE_URL so the PostgreSQL half runs"
            );
            None
        }
    }
}

impl TestApp {
    /// Starts a platform; `None` (with a note) when PostgreSQL is not configured.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts a platform after adjusting its settings.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            data_dir: dir.path().to_path_buf(),
            secret_key: Some(zikao::config::Secret::new("11".repeat(32))),
            ..Config::default()
        };
        match backend {
            Backend::Sqlite => {}
            Backend::Postgres | Backend::S3 => {
                let Some(url) = postgres_url() else {
                    eprintln!("PostgreSQL half did not run: TEST_DATABASE_URL is not set");
                    return None;
                };
                let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
                let mut admin = connect_admin(&url).await;
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                let sep = if url.contains('?') { '&' } else { '?' };
                config.database_url =
                    Some(format!("{url}{sep}options=-c%20search_path%3D{schema}"));
            }
        }
        if backend == Backend::S3 {
            let Some([endpoint, bucket, key_id, secret]) = s3_settings() else {
                eprintln!("S3 half did not run: TEST_S3_ENDPOINT is not set");
                return None;
            };
            config.file_store = zikao::config::FileBackend::S3;
            config.s3_endpoint = Some(endpoint);
            config.s3_bucket = Some(bucket);
            config.s3_access_key_id = Some(key_id);
            config.s3_secret_access_key = Some(zikao::config::Secret::new(secret));
            // One bucket for the whole run; each test under its own prefix.
            config.s3_prefix = format!("t_{}", uuid::Uuid::new_v4().simple());
        }
        adjust(&mut config);
        let clock = Arc::new(ManualClock::new(start_time()));
        let app = zikao::startup::build(config, clock.clone())
            .await
            .expect("app builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(zikao::startup::serve(
            app.clone(),
            listener,
            std::future::pending(),
        ));
        Some(Self {
            base,
            app,
            clock,
            dir,
        })
    }

    /// A second node of the same platform: the same settings (database, file
    /// store, keys) and clock, its own services and port, as a load balancer
    /// would see it.
    pub async fn another_node(&self) -> Node {
        let app = zikao::startup::build(self.app.config.clone(), self.clock.clone())
            .await
            .expect("second node builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(zikao::startup::serve(
            app.clone(),
            listener,
            std::future::pending(),
        ));
        Node { base, app }
    }

    /// Fills the database with the demo data.
    pub async fn demo(&self) -> DemoAccounts {
        self.app
            .seed_demo(self.dir.path())
            .await
            .unwrap()
            .expect("database was empty")
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .unwrap()
    }

    /// A plain client for the API.
    pub fn api(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap()
    }

    /// The URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs JSON, returning status and body.
    pub async fn post_json(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.api().post(self.url(path)).json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// GETs JSON, returning status and body.
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.api().get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Signs a candidate in over the API; the token.
    pub async fn login(&self, login: &str, password: &str) -> String {
        let (status, body) = self
            .post_json(
                "/api/v1/session",
                None,
                serde_json::json!({"login": login, "password": password}),
            )
            .await;
        assert_eq!(status, 200, "login failed: {body}");
        body["token"].as_str().unwrap().to_owned()
    }
}

async fn connect_admin(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url)
        .await
        .expect("PostgreSQL reachable")
}

/// Generates the SQLite and PostgreSQL variants of async test functions that take
/// a [`Backend`].
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::harness::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::harness::Backend::Postgres).await
            }
        }
    )*};
}

/// Runs existing flow tests once more on PostgreSQL with the files in the S3
/// server: `on_s3!(module::test_fn, …)`.
#[macro_export]
macro_rules! on_s3 {
    ($($module:ident :: $name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            $crate::$module::$name($crate::harness::Backend::S3).await
        }
    )*};
}

/// A valid 身份证号 from its first 17 digits.
pub fn id_number(first17: &str) -> String {
    format!(
        "{first17}{}",
        zikao::domain::check_character(first17.as_bytes()) as char
    )
}

/// The value of `name="csrf"` in a page.
pub fn csrf_of(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("input[name=csrf]").unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .expect("page has a CSRF field")
        .to_owned()
}

/// The text of the element matching `selector`, if any.
pub fn text_of(html: &str, selector: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel)
        .next()
        .map(|e| e.text().collect::<String>().trim().to_owned())
}
