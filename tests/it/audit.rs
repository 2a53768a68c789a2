//! The tamper-evident audit trail: the chain verifies, and `verify` (service,
//! command line and admin page) names an edited, a deleted and a reordered entry.

use std::process::Command;

use reqwest::Client;
use sqlx::{AnyPool, Row};
use zikao::service::demo::DemoAccounts;
use zikao::service::{Actor, AuditEvent, ChainBreak};

use crate::both_backends;
use crate::harness::{Backend, TestApp};
use crate::pages::{get, post};

/// A second connection to the test's database, as an intruder would have.
pub async fn raw_db(t: &TestApp) -> AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&t.app.config.database_url())
        .await
        .unwrap()
}

/// A browser signed in as the demo staff member of `role` (first of that role).
pub async fn staff_browser(t: &TestApp, demo: &DemoAccounts, username: &str) -> Client {
    let s = demo.staff.iter().find(|s| s.username == username).unwrap();
    let code = s
        .totp_secret
        .as_deref()
        .map(|secret| {
            let bytes = totp_rs::Secret::Encoded(secret.to_owned())
                .to_bytes()
                .unwrap();
            let totp =
                totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, "x".into())
                    .unwrap();
            totp.generate(zikao::clock::Clock::now(&*t.clock).timestamp() as u64)
        })
        .unwrap_or_default();
    let b = t.browser();
    let form = get(t, &b, "/admin").await;
    let res = post(
        t,
        &b,
        "/admin/login",
        &[
            ("csrf", &form.csrf()),
            ("username", &s.username),
            ("password", &s.password),
            ("totp", &code),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{username} signs in: {}", res.html);
    b
}

async fn write_entries(t: &TestApp, n: usize) {
    for i in 0..n {
        let subject = format!("subject-{i}");
        t.app
            .record(
                AuditEvent::new(Actor::Staff(format!("s{i}")), "test.action")
                    .subject(&subject)
                    .change(None, Some(serde_json::json!({ "n": i }))),
            )
            .await
            .unwrap();
    }
}

async fn seq_count(db: &AnyPool) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM audit_log")
        .fetch_one(db)
        .await
        .unwrap()
        .get("n")
}

async fn verify_catches_an_edited_a_reordered_and_a_deleted_entry(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    write_entries(&t, 6).await;
    let db = raw_db(&t).await;
    let total = seq_count(&db).await;
    assert!(total >= 6);

    let check = t.app.verify_audit().await.unwrap();
    assert_eq!((check.checked, check.broken), (total, None));
    assert_eq!(check.head_seq, total);

    // Edited: one field of entry 3.
    let action: String = sqlx::query("SELECT action FROM audit_log WHERE seq = 3")
        .fetch_one(&db)
        .await
        .unwrap()
        .get("action");
    sqlx::query("UPDATE audit_log SET action = 'test.other' WHERE seq = 3")
        .execute(&db)
        .await
        .unwrap();
    let check = t.app.verify_audit().await.unwrap();
    assert_eq!(check.broken, Some((3, ChainBreak::Edited)));
    assert_eq!(check.checked, 2);
    sqlx::query("UPDATE audit_log SET action = $1 WHERE seq = 3")
        .bind(&action)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(t.app.verify_audit().await.unwrap().broken, None);

    // Reordered: entries 4 and 5 swap places.
    for sql in [
        "UPDATE audit_log SET seq = -1 WHERE seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE seq = 5",
        "UPDATE audit_log SET seq = 5 WHERE seq = -1",
    ] {
        sqlx::query(sql).execute(&db).await.unwrap();
    }
    let check = t.app.verify_audit().await.unwrap();
    assert_eq!(check.broken, Some((4, ChainBreak::Reordered)));
    for sql in [
        "UPDATE audit_log SET seq = -1 WHERE seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE seq = 5",
        "UPDATE audit_log SET seq = 5 WHERE seq = -1",
    ] {
        sqlx::query(sql).execute(&db).await.unwrap();
    }
    assert_eq!(t.app.verify_audit().await.unwrap().broken, None);

    // Deleted: entry 2 is gone.
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(&db)
        .await
        .unwrap();
    let check = t.app.verify_audit().await.unwrap();
    assert_eq!(check.broken, Some((2, ChainBreak::Missing)));

    // The last entry cut off is missing too.
    sqlx::query("DELETE FROM audit_log WHERE seq = $1")
        .bind(total)
        .execute(&db)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action) VALUES ('x', 1, 'system', 'forged')",
    )
    .execute(&db)
    .await
    .unwrap();
    let check = t.app.verify_audit().await.unwrap();
    assert_eq!(check.broken, Some((2, ChainBreak::Missing)));
}

async fn an_entry_written_beside_the_chain_is_found(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    write_entries(&t, 2).await;
    let db = raw_db(&t).await;
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action) VALUES ('x', 1, 'system', 'forged')",
    )
    .execute(&db)
    .await
    .unwrap();
    let check = t.app.verify_audit().await.unwrap();
    assert_eq!(check.broken.map(|b| b.1), Some(ChainBreak::Unchained));
}

async fn state_changes_are_audited_with_their_actor(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let id = crate::harness::id_number("14010519950505123");
    let body = serde_json::json!({
        "name": "王芳", "id_number": id, "phone": "13912345678", "email": "",
        "password": "Kaoshi#2026", "ethnicity": "汉族", "household": "城镇",
        "education": "普通高中", "occupation": "学生", "politics": "群众", "county": "140105"
    });
    let (status, res) = t.post_json("/api/v1/registrations/new", None, body).await;
    assert_eq!(status, 201, "{res}");
    let token = t.login(&id, "Kaoshi#2026").await;
    let (status, _) = t
        .post_json(
            "/api/v1/me/consent",
            Some(&token),
            serde_json::json!({"accepted": true}),
        )
        .await;
    assert_eq!(status, 204);

    let db = raw_db(&t).await;
    let rows = sqlx::query("SELECT actor, action, candidate_id FROM audit_log ORDER BY seq")
        .fetch_all(&db)
        .await
        .unwrap();
    let entries: Vec<(String, String, Option<String>)> = rows
        .iter()
        .map(|r| (r.get("actor"), r.get("action"), r.get("candidate_id")))
        .collect();
    let actions: Vec<&str> = entries.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(actions, ["candidate.register", "identity.consent"]);
    let candidate = entries[0].2.clone().expect("about the candidate");
    assert!(
        entries
            .iter()
            .all(|e| e.0 == format!("candidate:{candidate}"))
    );
    // Nothing personal in the clear: the 身份证号, name and phone are sealed.
    for needle in [id.as_str(), "王芳", "13912345678"] {
        let leaked: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log WHERE action LIKE $1 OR subject LIKE $1 \
             OR before_enc LIKE $1 OR after_enc LIKE $1",
        )
        .bind(format!("%{needle}%"))
        .fetch_one(&db)
        .await
        .unwrap()
        .get("n");
        assert_eq!(leaked, 0);
    }
    let check = t.app.verify_audit().await.unwrap();
    assert_eq!((check.checked, check.broken), (2, None));
}

async fn the_admin_page_lists_and_verifies_for_the_province_admin_only(backend: Backend) {
    let Some(t) = TestApp::spawn(backend).await else {
        return;
    };
    let demo = t.demo().await;
    write_entries(&t, 3).await;

    let city = staff_browser(&t, &demo, "taiyuan").await;
    assert_eq!(get(&t, &city, "/admin/audit").await.status, 403);

    let admin = staff_browser(&t, &demo, "admin").await;
    let page = get(&t, &admin, "/admin/audit?action=test.&actor=staff%3As1").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_eq!(page.html.matches("class=\"audit-line\"").count(), 1);
    let line = crate::harness::text_of(&page.html, ".audit-line").unwrap();
    assert!(line.contains("{\"n\":1}"), "details are opened: {line}");

    let checked = post(&t, &admin, "/admin/audit/verify", &[("csrf", &page.csrf())]).await;
    assert_eq!(checked.status, 200);
    assert!(checked.html.contains("校验通过"), "{}", checked.html);

    let db = raw_db(&t).await;
    sqlx::query("UPDATE audit_log SET address = '10.0.0.1' WHERE seq = 1")
        .execute(&db)
        .await
        .unwrap();
    let checked = post(&t, &admin, "/admin/audit/verify", &[("csrf", &page.csrf())]).await;
    assert!(
        checked.html.contains("校验未通过：第 1 条记录被修改"),
        "{}",
        checked.html
    );
}

both_backends!(
    verify_catches_an_edited_a_reordered_and_a_deleted_entry,
    an_entry_written_beside_the_chain_is_found,
    state_changes_are_audited_with_their_actor,
    the_admin_page_lists_and_verifies_for_the_province_admin_only,
);

const KEY: &str = "3333333333333333333333333333333333333333333333333333333333333333";

fn verify_command(dir: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zikao"))
        .env("ZIKAO_DATA_DIR", dir)
        .env("ZIKAO_SECRET_KEY", KEY)
        .env("RUST_LOG", "warn")
        .env_remove("ZIKAO_DATABASE_URL")
        .args(["audit", "verify"])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

async fn app_on(dir: &std::path::Path) -> zikao::service::App {
    let config = zikao::config::Config {
        data_dir: dir.to_path_buf(),
        secret_key: Some(zikao::config::Secret::new(KEY.into())),
        ..Default::default()
    };
    zikao::startup::build(config, std::sync::Arc::new(zikao::clock::SystemClock))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_verify_command_reports_the_count_or_the_break() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_on(dir.path()).await;
    for i in 0..3 {
        app.record(AuditEvent::new(Actor::System, "test.action").subject(&format!("x{i}")))
            .await
            .unwrap();
    }
    app.db.close().await;

    let (ok, stdout) = verify_command(dir.path());
    assert!(ok, "{stdout}");
    assert!(stdout.contains("3 entries checked"), "{stdout}");

    let db = AnyPool::connect(&format!("sqlite://{}/zikao.db", dir.path().display()))
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET at = at + 1 WHERE seq = 2")
        .execute(&db)
        .await
        .unwrap();
    db.close().await;
    let (ok, stdout) = verify_command(dir.path());
    assert!(!ok);
    assert!(stdout.contains("BROKEN at seq 2: edited"), "{stdout}");
}

/// Entries written before the chain existed are numbered by the migration and
/// linked at the next start; the chain then verifies with them in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_from_before_the_chain_are_linked_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old-migrations");
    std::fs::create_dir(&old).unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() < "0006" {
            std::fs::copy(&path, old.join(name)).unwrap();
        }
    }
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}/zikao.db?mode=rwc", dir.path().display());
    let db = AnyPool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&db)
        .await
        .unwrap();
    for (id, at) in [("b", 20), ("a", 10), ("c", 30)] {
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor, action) VALUES ($1, $2, 'staff1', 'staff.create')",
        )
        .bind(id)
        .bind(at)
        .execute(&db)
        .await
        .unwrap();
    }
    db.close().await;

    let app = app_on(dir.path()).await;
    app.record(AuditEvent::new(Actor::System, "test.after"))
        .await
        .unwrap();
    let check = app.verify_audit().await.unwrap();
    assert_eq!((check.checked, check.broken), (4, None));
    let db = AnyPool::connect(&url).await.unwrap();
    let first: String = sqlx::query("SELECT id FROM audit_log WHERE seq = 1")
        .fetch_one(&db)
        .await
        .unwrap()
        .get("id");
    assert_eq!(first, "a", "numbered in the order written");
    sqlx::query("UPDATE audit_log SET actor = 'staff2' WHERE id = 'b'")
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        app.verify_audit().await.unwrap().broken,
        Some((2, ChainBreak::Edited))
    );
}
