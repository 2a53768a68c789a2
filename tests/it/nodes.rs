//! Several nodes on one PostgreSQL and one S3-compatible server, as behind a
//! load balancer: sessions and uploads cross nodes, the window-close job acts
//! once however many nodes run it, and a node killed in the middle of uploads
//! loses nothing it acknowledged.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use serde_json::Value;
use zikao::config::{Config, FileBackend};

use crate::fixtures;
use crate::harness::{Backend, TestApp};
use crate::transfer_api::{
    add_materials, candidate, new_draft, notices, put_jpeg, stored_state, submit,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_uploads_and_jobs_cross_nodes() {
    let Some(a) = TestApp::spawn(Backend::S3).await else {
        return;
    };
    let b = a.another_node().await;
    let demo = a.demo().await;
    let (wang, chen) = (&demo.candidates[0], &demo.candidates[1]);

    // A session made on A works on B.
    let token = candidate(&a, wang).await;
    let res = a
        .api()
        .get(b.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "the token of node A on node B");

    // An upload through A is seen, byte for byte, through B.
    let id = new_draft(&a, &token).await;
    let path = format!("/api/v1/transfer-outs/{id}/materials/id_card");
    let (status, image) = put_jpeg(&a, &token, &path, fixtures::standard()).await;
    assert_eq!(status, 201, "{image}");
    let file_id = image["file_id"].as_str().unwrap();
    let via = |base: &str| format!("{base}/api/v1/transfer-outs/{id}/files/{file_id}");
    let through_a = a
        .api()
        .get(via(&a.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(through_a.status(), 200);
    let through_a = through_a.bytes().await.unwrap();
    let through_b = a
        .api()
        .get(via(&b.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(through_b.status(), 200, "node B serves node A's upload");
    assert_eq!(through_b.bytes().await.unwrap(), through_a);

    // Two applications left unconfirmed; the window closes; both nodes run
    // the job at the same moment, twice.
    let chen_token = candidate(&a, chen).await;
    let awaiting = new_draft(&a, &chen_token).await;
    add_materials(&a, &chen_token, &awaiting).await;
    assert_eq!(submit(&a, &chen_token, &awaiting).await.0, 200);
    a.clock.advance(chrono::Duration::days(31));
    for _ in 0..2 {
        let (x, y) = tokio::join!(a.app.run_transfer_jobs(), b.app.run_transfer_jobs());
        x.unwrap();
        y.unwrap();
    }
    assert_eq!(stored_state(&a, &id).await, "abandoned");
    assert_eq!(stored_state(&a, &awaiting).await, "abandoned");
    for who in [wang, chen] {
        let tok = candidate(&a, who).await;
        let abandoned = notices(&a, &tok)
            .await
            .into_iter()
            .filter(|n| n.contains("视为自动放弃") && !n.starts_with("提醒"))
            .count();
        assert_eq!(
            abandoned, 1,
            "one notice of the abandonment, not one per node"
        );
    }
    let check = a.app.verify_audit().await.unwrap();
    assert!(
        check.broken.is_none(),
        "two nodes appending at once keep the audit chain whole: {:?}",
        check.broken
    );
    let filter = zikao::storage::AuditFilter {
        action_prefix: Some("transfer.abandon_at_close".into()),
        ..Default::default()
    };
    let (_, abandonments) = a.app.db.audit_page(&filter, 10, 0).await.unwrap();
    assert_eq!(abandonments, 2, "one audit entry per abandoned application");
}

/// A free loopback port (the listener is closed before the node binds it).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The `zikao serve` process of a node with `config`'s database, files and key.
pub(crate) fn spawn_node(config: &Config, data_dir: &std::path::Path, port: u16) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zikao"));
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .env("ZIKAO_LISTEN", format!("127.0.0.1:{port}"))
        .env("ZIKAO_DATA_DIR", data_dir)
        .env("ZIKAO_DATABASE_URL", config.database_url())
        .env(
            "ZIKAO_SECRET_KEY",
            config.secret_key.as_ref().unwrap().expose(),
        )
        // Uploads of materials need no face models; the node starts faster.
        .env("ZIKAO_FACE_MODELS_DIR", data_dir.join("no-models"));
    if config.file_store == FileBackend::S3 {
        cmd.env("ZIKAO_FILE_STORE", "s3")
            .env("ZIKAO_S3_ENDPOINT", config.s3_endpoint.as_deref().unwrap())
            .env("ZIKAO_S3_BUCKET", config.s3_bucket.as_deref().unwrap())
            .env(
                "ZIKAO_S3_ACCESS_KEY_ID",
                config.s3_access_key_id.as_deref().unwrap(),
            )
            .env(
                "ZIKAO_S3_SECRET_ACCESS_KEY",
                config.s3_secret_access_key.as_ref().unwrap().expose(),
            )
            .env("ZIKAO_S3_PREFIX", &config.s3_prefix);
    }
    cmd.stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the zikao binary starts")
}

/// Waits until the node at `base` answers `/readyz`.
pub(crate) async fn wait_ready(base: &str) {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(res) = client.get(format!("{base}/readyz")).send().await
            && res.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the node at {base} did not become ready");
}

/// What the uploaders saw: every image a 201 acknowledged, per application.
type Acknowledged = Arc<Mutex<Vec<(String, String)>>>;

/// Uploads materials to `base` until a request fails (the node is gone) or
/// the application is full; records each acknowledged image.
async fn upload_until_gone(base: String, token: String, id: String, acked: Acknowledged) {
    let client = reqwest::Client::new();
    let kinds = [
        "id_card",
        "passed_courses",
        "target_ticket",
        "target_transcript",
    ];
    for i in 0..40 {
        let kind = kinds[i % 4];
        let res = client
            .put(format!("{base}/api/v1/transfer-outs/{id}/materials/{kind}"))
            .bearer_auth(&token)
            .header("content-type", "image/jpeg")
            .body(fixtures::standard())
            .send()
            .await;
        let Ok(res) = res else {
            return;
        };
        if res.status() != 201 {
            return;
        }
        let Ok(body) = res.json::<Value>().await else {
            return;
        };
        acked
            .lock()
            .unwrap()
            .push((id.clone(), body["id"].as_str().unwrap().to_owned()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_loses_nothing_it_acknowledged() {
    let Some(b) = TestApp::spawn(Backend::S3).await else {
        return;
    };
    // The process node keeps real time: the windows open around it.
    b.clock.set(Utc::now());
    let demo = b.demo().await;
    let node_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut node = spawn_node(&b.app.config, node_dir.path(), port);
    let a_base = format!("http://127.0.0.1:{port}");
    wait_ready(&a_base).await;

    // Two applications, created on B; their uploads go to the process node A.
    let mut work = vec![];
    for c in &demo.candidates[..2] {
        let token = candidate(&b, c).await;
        let id = new_draft(&b, &token).await;
        work.push((token, id));
    }
    let acked: Acknowledged = Arc::default();
    let uploaders: Vec<_> = work
        .iter()
        .flat_map(|(token, id)| {
            // Two uploaders per application, so requests are in flight at the kill.
            (0..2).map(|_| {
                tokio::spawn(upload_until_gone(
                    a_base.clone(),
                    token.clone(),
                    id.clone(),
                    acked.clone(),
                ))
            })
        })
        .collect();
    for _ in 0..600 {
        if acked.lock().unwrap().len() >= 12 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    node.kill().expect("SIGKILL the node");
    node.wait().unwrap();
    for u in uploaders {
        u.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 12,
        "uploads were acknowledged before the kill"
    );

    // Through B: every acknowledged image is there, with its bytes.
    for (token, id) in &work {
        let (status, view) = b
            .get_json(&format!("/api/v1/transfer-outs/{id}"), Some(token))
            .await;
        assert_eq!(status, 200, "{view}");
        let present: HashSet<&str> = view["materials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        for (_, image) in acked.iter().filter(|(app_id, _)| app_id == id) {
            assert!(
                present.contains(image.as_str()),
                "acknowledged image {image} kept"
            );
        }
        for m in view["materials"].as_array().unwrap() {
            let file = m["file_id"].as_str().unwrap();
            let res = b
                .api()
                .get(b.url(&format!("/api/v1/transfer-outs/{id}/files/{file}")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "every image row has its file");
            assert_eq!(res.bytes().await.unwrap()[..2], [0xFF, 0xD8]);
        }
    }

    // Objects of requests cut off half-way have no row; the sweep takes them,
    // and then every object belongs to a row (a photo and a thumbnail each).
    b.app
        .sweep_files(None, Utc::now() + chrono::Duration::hours(2))
        .await
        .unwrap();
    let rows = b.app.db.count_files().await.unwrap();
    let objects = b.app.files.list(None).count().await as i64;
    assert_eq!(
        objects,
        rows * 2,
        "no orphan object is left after the sweep"
    );
}
