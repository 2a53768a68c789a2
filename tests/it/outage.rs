//! A database outage: PostgreSQL reached through a TCP proxy of the test's own
//! that can cut every connection and refuse new ones. While it is cut, pages and
//! the API answer 503 with 系统繁忙，请稍后再试 and Retry-After (never 500, never a
//! hang); when it is back, the service recovers by itself; every upload that was
//! acknowledged with 201 is there afterwards, and none that was refused.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::fixtures;
use crate::harness::{Backend, TestApp};
use crate::transfer_api::{candidate, new_draft, put_jpeg};

/// A TCP proxy to the database that can be cut and restored.
struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (up2, links2) = (up.clone(), links.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(client); // the database "refuses": the connection closes at once
                    continue;
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links2.lock().unwrap().push(link);
            }
        });
        Self { addr, up, links }
    }

    /// Breaks every open connection and refuses new ones.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// The address of the test PostgreSQL server.
fn database_addr() -> Option<(String, SocketAddr)> {
    let url = std::env::var("TEST_DATABASE_URL").ok()?;
    let parsed = url::Url::parse(&url).unwrap();
    let host = parsed.host_str().unwrap_or("127.0.0.1");
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    let port = parsed.port().unwrap_or(5432);
    Some((
        format!("{host}:{port}"),
        format!("{host}:{port}").parse().unwrap(),
    ))
}

fn assert_busy(status: u16, retry_after: Option<&str>, body: &str, what: &str) {
    assert_eq!(status, 503, "{what}: {body}");
    assert_eq!(retry_after, Some("5"), "{what}: Retry-After");
    assert!(body.contains("系统繁忙，请稍后再试"), "{what}: {body}");
}

async fn get(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
) -> (u16, Option<String>, String) {
    let mut req = client.get(url);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry, res.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_gets_503_and_recovers_without_losing_acknowledged_work() {
    let Some((real, target)) = database_addr() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set TEST_DATABASE_URL"
        );
        return;
    };
    let proxy = Proxy::start(target).await;
    let through = proxy.addr.to_string();
    let Some(t) = TestApp::spawn_with(Backend::Postgres, |c| {
        c.database_url = c
            .database_url
            .as_ref()
            .map(|u| u.replacen(&real, &through, 1));
        c.database_wait_seconds = 1;
    })
    .await
    else {
        return;
    };
    let demo = t.demo().await;
    let token = candidate(&t, &demo.candidates[0]).await;
    let id = new_draft(&t, &token).await;

    // Pages: a signed-in browser on the personal center.
    let browser = t.browser();
    let login = browser
        .get(t.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::harness::csrf_of(&login);
    let c = &demo.candidates[0];
    let res = browser
        .post(t.url("/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", c.ticket.as_deref().unwrap()),
            ("password", c.password.as_deref().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_redirection(),
        "page login: {}",
        res.status()
    );

    // Uploads go on all through the outage; each is acknowledged or refused.
    let uploads = {
        let base = t.base.clone();
        let (token, id) = (token.clone(), id.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let kinds = [
                "id_card",
                "passed_courses",
                "target_ticket",
                "target_transcript",
            ];
            let mut acknowledged = 0;
            for i in 0..24 {
                let kind = kinds[i % 4];
                let res = client
                    .put(format!("{base}/api/v1/transfer-outs/{id}/materials/{kind}"))
                    .bearer_auth(&token)
                    .header("content-type", "image/jpeg")
                    .body(fixtures::standard())
                    .send()
                    .await
                    .unwrap();
                match res.status().as_u16() {
                    201 => acknowledged += 1,
                    503 => {}
                    other => panic!("upload {i}: {other} {}", res.text().await.unwrap()),
                }
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            acknowledged
        })
    };

    tokio::time::sleep(Duration::from_millis(600)).await;
    proxy.cut();

    let api = t.api();
    let started = std::time::Instant::now();
    let (status, retry, body) = get(&api, &t.url("/api/v1/me"), Some(&token)).await;
    assert_busy(status, retry.as_deref(), &body, "GET /api/v1/me");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "answered within the connection wait, not hung"
    );
    let (status, retry, body) = get(
        &api,
        &t.url(&format!("/api/v1/transfer-outs/{id}")),
        Some(&token),
    )
    .await;
    assert_busy(status, retry.as_deref(), &body, "GET the application");
    let (status, body) = t
        .post_json(
            "/api/v1/session",
            None,
            serde_json::json!({"login": c.ticket, "password": c.password}),
        )
        .await;
    assert_eq!(status, 503, "login during the outage: {body}");
    let (status, retry, page) = get(&browser, &t.url("/center"), None).await;
    assert_busy(status, retry.as_deref(), &page, "the personal center page");
    assert!(page.contains("<html"), "a page, not bare text");

    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.restore();

    // Recovery by itself: no restart, the same requests succeed again.
    let mut recovered = false;
    for _ in 0..60 {
        let (status, _, _) = get(&api, &t.url("/api/v1/me"), Some(&token)).await;
        if status == 200 {
            recovered = true;
            break;
        }
        assert_eq!(status, 503);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(recovered, "the service came back once the database did");
    let (status, _, page) = get(&browser, &t.url("/center"), None).await;
    assert_eq!(status, 200, "the page session survived: {page}");

    let acknowledged = uploads.await.unwrap();
    let (status, view) = t
        .get_json(&format!("/api/v1/transfer-outs/{id}"), Some(&token))
        .await;
    assert_eq!(status, 200, "{view}");
    let stored = view["materials"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(
        stored, acknowledged,
        "every acknowledged upload, no other: {view}"
    );
    assert!(
        acknowledged > 0 && acknowledged < 24,
        "the outage fell inside the uploads ({acknowledged})"
    );

    // And the flow goes on.
    let (status, body) = put_jpeg(
        &t,
        &token,
        &format!("/api/v1/transfer-outs/{id}/materials/id_card"),
        fixtures::standard(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}
