//! `backup` and `restore` of the embedded default: a round trip taken while
//! uploads go on, the command line, and archives that must be refused.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use zikao::config::Config;

use crate::fixtures;
use crate::harness::{Backend, TestApp};
use crate::transfer_api::{candidate, new_draft};

/// Uploads materials until `stop`, recording each acknowledged image's file id
/// with whether it was acknowledged before the backup began.
async fn upload_until(
    t: Arc<TestApp>,
    token: String,
    id: String,
    acked: Arc<Mutex<Vec<(String, bool)>>>,
    backup_started: Arc<std::sync::atomic::AtomicBool>,
) {
    let kinds = [
        "id_card",
        "passed_courses",
        "target_ticket",
        "target_transcript",
    ];
    for i in 0..40 {
        let path = format!("/api/v1/transfer-outs/{id}/materials/{}", kinds[i % 4]);
        let res = t
            .api()
            .put(t.url(&path))
            .bearer_auth(&token)
            .header("content-type", "image/jpeg")
            .body(fixtures::standard())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        // Read the flag before the answer is taken as acknowledged-before.
        let before = !backup_started.load(std::sync::atomic::Ordering::SeqCst);
        let body: Value = res.json().await.unwrap();
        acked
            .lock()
            .unwrap()
            .push((body["file_id"].as_str().unwrap().to_owned(), before));
    }
}

fn restored_config(t: &TestApp, dir: &std::path::Path) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        secret_key: t.app.config.secret_key.clone(),
        ..Config::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_whole() {
    let t = Arc::new(TestApp::spawn(Backend::Sqlite).await.unwrap());
    let demo = t.demo().await;
    let mut work = vec![];
    for c in &demo.candidates[..2] {
        let token = candidate(&t, c).await;
        let id = new_draft(&t, &token).await;
        work.push((token, id));
    }
    let acked = Arc::new(Mutex::new(vec![]));
    let started = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let uploaders: Vec<_> = work
        .iter()
        .map(|(token, id)| {
            tokio::spawn(upload_until(
                t.clone(),
                token.clone(),
                id.clone(),
                acked.clone(),
                started.clone(),
            ))
        })
        .collect();
    while acked.lock().unwrap().len() < 10 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let out = tempfile::tempdir().unwrap();
    let archive = out.path().join("zikao-backup.zip");
    started.store(true, std::sync::atomic::Ordering::SeqCst);
    let manifest = zikao::backup::backup(&t.app.config, &archive)
        .await
        .unwrap();
    for u in uploaders {
        u.await.unwrap();
    }
    assert_eq!(manifest.missing_objects, 0, "nothing was deleted meanwhile");
    let acked = acked.lock().unwrap().clone();
    let before: Vec<&String> = acked.iter().filter(|(_, b)| *b).map(|(f, _)| f).collect();
    assert!(before.len() >= 10);
    assert!(
        acked.len() > before.len(),
        "uploads went on during the backup"
    );

    let restored_dir = tempfile::tempdir().unwrap();
    let config = restored_config(&t, restored_dir.path());
    zikao::backup::restore(&config, &archive, false)
        .await
        .unwrap();
    let again = zikao::backup::restore(&config, &archive, false).await;
    assert!(
        again.unwrap_err().to_string().contains("--force"),
        "an existing database is replaced only with --force"
    );
    let clock = Arc::new(zikao::clock::ManualClock::new(crate::harness::start_time()));
    let restored = zikao::startup::build(config, clock).await.unwrap();

    // Every image acknowledged before the backup began is there, bytes and all.
    for file_id in before {
        let row = restored
            .db
            .file(file_id)
            .await
            .unwrap()
            .expect("acknowledged before the backup: restored");
        let original = t.app.files.get(&row.object_key).await.unwrap();
        assert_eq!(restored.files.get(&row.object_key).await.unwrap(), original);
        restored.files.get(&row.thumb_key).await.unwrap();
    }
    // Every restored row has its objects, and the audit chain is whole.
    let rows = restored.db.count_files().await.unwrap();
    assert!(rows >= 10);
    assert_eq!(
        restored.db.count_candidates().await.unwrap(),
        t.app.db.count_candidates().await.unwrap()
    );
    assert!(restored.verify_audit().await.unwrap().broken.is_none());
    restored
        .sweep_files(None, chrono::Utc::now() + chrono::Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(
        restored.db.count_files().await.unwrap(),
        rows,
        "no restored row lost its objects or its owner"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_from_the_command_line() {
    let source = tempfile::tempdir().unwrap();
    let restored = tempfile::tempdir().unwrap();
    let archive = source.path().join("backup.zip");
    let zikao = |dir: &std::path::Path| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zikao"));
        cmd.env("ZIKAO_DATA_DIR", dir)
            .env("RUST_LOG", "warn")
            .env_remove("ZIKAO_DATABASE_URL")
            .env_remove("ZIKAO_SECRET_KEY");
        cmd
    };
    // A platform whose master key lives in its data directory.
    let mut add = zikao(source.path());
    add.args([
        "staff",
        "add",
        "--username",
        "chief",
        "--role",
        "province_admin",
    ])
    .stdin(std::process::Stdio::piped());
    let mut child = add.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Chief#2026pw\n")
        .unwrap();
    assert!(child.wait().unwrap().success());

    let out = zikao(source.path())
        .arg("backup")
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("backup written"));

    let out = zikao(restored.path())
        .arg("restore")
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(restored.path().join("secret.key")).unwrap(),
        std::fs::read(source.path().join("secret.key")).unwrap(),
        "the key file comes along, or nothing encrypted could be read"
    );
    let out = zikao(restored.path())
        .args(["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let out = zikao(restored.path())
        .arg("restore")
        .arg(&archive)
        .output()
        .unwrap();
    assert!(!out.status.success(), "a second restore needs --force");
    let out = zikao(restored.path())
        .args(["restore", "--force"])
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_archives_are_refused() {
    let t = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let restore_dir = dir.path().join("data");
    let config = restored_config(&t, &restore_dir);

    // Not a zip at all.
    let junk = dir.path().join("junk.zip");
    std::fs::write(&junk, b"not an archive").unwrap();
    assert!(zikao::backup::restore(&config, &junk, false).await.is_err());

    // A zip whose entry climbs out of the data directory.
    let evil = dir.path().join("evil.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&evil).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("manifest.json", opts).unwrap();
    zip.write_all(
        br#"{"version":"0","taken_at":"x","files":0,"file_bytes":0,"missing_objects":0,"has_key_file":false}"#,
    )
    .unwrap();
    zip.start_file("zikao.db", opts).unwrap();
    zip.write_all(b"x").unwrap();
    zip.start_file("../escaped.txt", opts).unwrap();
    zip.write_all(b"x").unwrap();
    zip.finish().unwrap();
    let err = zikao::backup::restore(&config, &evil, false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unsafe path"), "{err}");
    assert!(!dir.path().join("escaped.txt").exists());
    assert!(!restore_dir.join("zikao.db").exists(), "nothing replaced");

    // A PostgreSQL deployment is pointed to its own tools.
    let mut pg = config.clone();
    pg.database_url = Some("postgres://localhost/x".into());
    let err = zikao::backup::restore(&pg, &junk, false).await.unwrap_err();
    assert!(err.to_string().contains("pg_dump"));
}
