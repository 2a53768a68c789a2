//! Crash consistency: the real `zikao serve` on a SQLite file and local files
//! is killed with SIGKILL again and again while candidates upload materials,
//! submit and confirm, and started again each time. After every restart the
//! database passes its integrity check, every action that was acknowledged is
//! there, and every image row has its file; at the end the sweep leaves no
//! orphan file.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use rand::Rng;
use serde_json::{Value, json};
use sqlx::Connection;

use crate::fixtures;
use crate::harness::{Backend, TestApp};
use crate::nodes::{free_port, spawn_node, wait_ready};
use crate::transfer_api::candidate;

const KINDS: [&str; 4] = [
    "id_card",
    "passed_courses",
    "target_ticket",
    "target_transcript",
];
const ROUNDS: usize = 12;

/// What the server acknowledged, per application.
#[derive(Default, Clone)]
struct Acked {
    images: HashMap<String, HashSet<String>>,
    submitted: HashSet<String>,
    confirmed: HashSet<String>,
}

/// One candidate's way through the flow, one request at a time, until the
/// node stops answering; it picks up where the stored application stands.
async fn work(base: String, token: String, acked: Arc<Mutex<Acked>>) {
    let client = reqwest::Client::new();
    let send = |req: reqwest::RequestBuilder| {
        let token = token.clone();
        async move {
            let res = req.bearer_auth(token).send().await.ok()?;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            Some((status, body))
        }
    };
    loop {
        // The candidate's open application, or a new one.
        let Some((status, list)) = send(client.get(format!("{base}/api/v1/transfer-outs"))).await
        else {
            return;
        };
        assert_eq!(status, 200, "{list}");
        let open = list
            .as_array()
            .and_then(|l| l.iter().find(|a| a["state"] != "abandoned").cloned());
        let app = match open {
            Some(app) => app,
            None => {
                let form = json!({"target_province": "41", "reason": "work_relocation",
                                  "target_ticket": "410119000001"});
                let req = client
                    .post(format!("{base}/api/v1/transfer-outs"))
                    .json(&form);
                let Some((status, body)) = send(req).await else {
                    return;
                };
                assert!(status == 201 || status == 409, "{status} {body}");
                continue;
            }
        };
        let id = app["id"].as_str().unwrap().to_owned();
        let state = app["state"].as_str().unwrap().to_owned();
        let materials = app["materials"].as_array().map(Vec::len).unwrap_or(0);
        let photos = app["confirmation_photos"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0);
        match state.as_str() {
            "draft" if materials < 8 => {
                let kind = KINDS[materials % 4];
                let req = client
                    .put(format!("{base}/api/v1/transfer-outs/{id}/materials/{kind}"))
                    .header("content-type", "image/jpeg")
                    .body(fixtures::standard());
                let Some((status, body)) = send(req).await else {
                    return;
                };
                assert_eq!(status, 201, "upload: {body}");
                let image = body["id"].as_str().unwrap().to_owned();
                acked
                    .lock()
                    .unwrap()
                    .images
                    .entry(id)
                    .or_default()
                    .insert(image);
            }
            "draft" => {
                let req = client
                    .post(format!("{base}/api/v1/transfer-outs/{id}/submit"))
                    .json(&json!({}));
                let Some((status, body)) = send(req).await else {
                    return;
                };
                assert_eq!(status, 200, "submit: {body}");
                acked.lock().unwrap().submitted.insert(id);
            }
            "awaiting_confirmation" if app["target_specialty"].is_null() => {
                let specialty = json!({"name": "会计学", "code": "120203K", "level": "本科"});
                let req = client
                    .put(format!("{base}/api/v1/transfer-outs/{id}/target-specialty"))
                    .json(&specialty);
                let Some((status, body)) = send(req).await else {
                    return;
                };
                assert_eq!(status, 200, "specialty: {body}");
            }
            "awaiting_confirmation" if photos < 2 => {
                let kind = ["signed_form", "holding_form"][photos];
                let req = client
                    .put(format!(
                        "{base}/api/v1/transfer-outs/{id}/confirmation-photos/{kind}"
                    ))
                    .header("content-type", "image/jpeg")
                    .body(fixtures::standard());
                let Some((status, body)) = send(req).await else {
                    return;
                };
                assert_eq!(status, 201, "confirmation photo: {body}");
            }
            "awaiting_confirmation" => {
                let req = client
                    .post(format!("{base}/api/v1/transfer-outs/{id}/confirm"))
                    .json(&json!({}));
                let Some((status, body)) = send(req).await else {
                    return;
                };
                assert_eq!(status, 200, "confirm: {body}");
                acked.lock().unwrap().confirmed.insert(id);
            }
            _ => return, // pending review: this candidate is done
        }
    }
}

/// After a crash: every acknowledged action is stored and every image row of
/// the candidates' applications has its file.
async fn check(base: &str, tokens: &[String], acked: &Acked) -> usize {
    let client = reqwest::Client::new();
    let mut images = 0;
    for token in tokens {
        let list: Value = client
            .get(format!("{base}/api/v1/transfer-outs"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for app in list.as_array().unwrap() {
            let id = app["id"].as_str().unwrap();
            let state = app["state"].as_str().unwrap();
            let present: HashSet<&str> = app["materials"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap())
                .collect();
            for image in acked.images.get(id).into_iter().flatten() {
                assert!(
                    present.contains(image.as_str()),
                    "acknowledged image {image} is kept"
                );
            }
            if acked.confirmed.contains(id) {
                assert_eq!(state, "pending_review", "acknowledged confirmation kept");
            } else if acked.submitted.contains(id) {
                assert!(
                    ["awaiting_confirmation", "pending_review"].contains(&state),
                    "acknowledged submission kept: {state}"
                );
            }
            let all = app["materials"]
                .as_array()
                .unwrap()
                .iter()
                .chain(app["confirmation_photos"].as_array().unwrap());
            for m in all {
                let file = m["file_id"].as_str().unwrap();
                let res = client
                    .get(format!("{base}/api/v1/transfer-outs/{id}/files/{file}"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200, "image row {file} has its file");
                assert_eq!(res.bytes().await.unwrap()[..2], [0xFF, 0xD8]);
                images += 1;
            }
        }
    }
    images
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_the_flow_loses_nothing_acknowledged() {
    let t = TestApp::spawn(Backend::Sqlite).await.unwrap();
    // The process keeps real time: the windows open around it.
    t.clock.set(Utc::now());
    let demo = t.demo().await;
    let mut tokens = vec![];
    for c in demo
        .candidates
        .iter()
        .filter(|c| c.ticket.is_some() && c.password.is_some())
        .take(3)
    {
        let token = candidate(&t, c).await;
        let (status, e) = t
            .get_json("/api/v1/transfer-outs/eligibility", Some(&token))
            .await;
        if status == 200 && e["allowed"] == true {
            tokens.push(token);
        }
    }
    assert!(tokens.len() >= 2, "demo candidates who may apply");
    let database = t.app.config.database_url();
    let acked: Arc<Mutex<Acked>> = Arc::default();
    let mut rng = rand::thread_rng();

    for round in 0..ROUNDS {
        let port = free_port();
        let mut node = spawn_node(&t.app.config, t.dir.path(), port);
        let base = format!("http://127.0.0.1:{port}");
        wait_ready(&base).await;
        let so_far = acked.lock().unwrap().clone();
        check(&base, &tokens, &so_far).await;
        let workers: Vec<_> = tokens
            .iter()
            .map(|token| tokio::spawn(work(base.clone(), token.clone(), acked.clone())))
            .collect();
        tokio::time::sleep(Duration::from_millis(rng.gen_range(100..700))).await;
        node.kill().expect("SIGKILL");
        node.wait().unwrap();
        for w in workers {
            w.await.unwrap();
        }

        let mut conn = sqlx::SqliteConnection::connect(&database).await.unwrap();
        let (verdict,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(verdict, "ok", "round {round}: the database is intact");
        conn.close().await.unwrap();
    }

    // A last start: everything acknowledged is there; the flow went forward.
    let port = free_port();
    let mut node = spawn_node(&t.app.config, t.dir.path(), port);
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&base).await;
    let acked = acked.lock().unwrap().clone();
    let images = check(&base, &tokens, &acked).await;
    node.kill().unwrap();
    node.wait().unwrap();
    let acknowledged: usize = acked.images.values().map(HashSet::len).sum();
    assert!(
        acknowledged >= 4,
        "uploads were acknowledged between the kills"
    );
    assert!(images >= acknowledged);

    // Files of requests cut off half-way have no row; the sweep takes them,
    // and then every file belongs to a row (a photo and a thumbnail each).
    t.app
        .sweep_files(None, Utc::now() + chrono::Duration::hours(2))
        .await
        .unwrap();
    let rows = t.app.db.count_files().await.unwrap();
    let objects = t.app.files.list(None).count().await as i64;
    assert_eq!(objects, rows * 2, "no orphan file is left after the sweep");
}
