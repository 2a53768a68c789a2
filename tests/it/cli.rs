//! The command line of DESIGN §8: `staff add`, `window set`, `serve --demo`.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use zikao::clock::SystemClock;
use zikao::config::{Config, Secret};
use zikao::domain::WindowStatus;

const KEY: &str = "2222222222222222222222222222222222222222222222222222222222222222";

/// The binary with its settings pointing into `dir`.
fn zikao(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zikao"));
    cmd.env("ZIKAO_DATA_DIR", dir)
        .env("ZIKAO_SECRET_KEY", KEY)
        .env("RUST_LOG", "warn")
        .env_remove("ZIKAO_DATABASE_URL")
        .env_remove("ZIKAO_LISTEN");
    cmd
}

fn run(mut cmd: Command, stdin: &str) -> (bool, String, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_add_and_window_set_write_the_database() {
    let dir = tempfile::tempdir().unwrap();

    let mut add = zikao(dir.path());
    add.args([
        "staff",
        "add",
        "--username",
        "chief",
        "--role",
        "province_admin",
    ]);
    let (ok, stdout, stderr) = run(add, "Chief#2026pw\n");
    assert!(ok, "{stderr}");
    assert!(stdout.contains("staff account created"));

    let mut bad = zikao(dir.path());
    bad.args(["staff", "add", "--username", "ty", "--role", "city_office"]);
    let (ok, _, stderr) = run(bad, "Taiyuan#2026\n");
    assert!(!ok, "a city office needs its city");
    assert!(stderr.contains("city: 请选择所属地市"), "{stderr}");

    let mut set = zikao(dir.path());
    set.args([
        "window",
        "set",
        "transfer",
        "--start",
        "2026-12-01T08:00:00+08:00",
        "--end",
        "2099-12-31T18:00:00+08:00",
    ]);
    let (ok, _, stderr) = run(set, "");
    assert!(ok, "{stderr}");

    let mut wrong = zikao(dir.path());
    wrong.args([
        "window",
        "set",
        "holiday",
        "--start",
        "2026-12-01T08:00:00+08:00",
        "--end",
        "x",
    ]);
    assert!(!run(wrong, "").0, "unknown kinds are refused");

    let mut typo = zikao(dir.path());
    typo.env("ZIKAO_LISTNE", "127.0.0.1:1")
        .args(["window", "set", "transfer", "--start", "a", "--end", "b"]);
    let (ok, _, stderr) = run(typo, "");
    assert!(
        !ok && stderr.contains("invalid settings"),
        "unknown settings stop the start: {stderr}"
    );

    let config = Config {
        data_dir: dir.path().to_path_buf(),
        secret_key: Some(Secret::new(KEY.into())),
        ..Config::default()
    };
    let app = zikao::startup::build(config, std::sync::Arc::new(SystemClock))
        .await
        .unwrap();
    let chief = app
        .db
        .staff_by_username("chief")
        .await
        .unwrap()
        .expect("created");
    assert_eq!(chief.role, "province_admin");
    assert!(app.db.staff_by_username("ty").await.unwrap().is_none());
    let transfer = app
        .window(zikao::domain::BusinessKind::Transfer)
        .await
        .unwrap();
    assert_eq!(transfer.status, WindowStatus::Open);
    assert_eq!(transfer.start.as_deref(), Some("2026-12-01T08:00:00+08:00"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_writes_the_logins_and_serves_them() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut serve = zikao(dir.path());
    serve
        .env("ZIKAO_LISTEN", format!("127.0.0.1:{port}"))
        .args(["serve", "--demo"]);
    let mut child = serve
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let accounts: serde_json::Value =
        std::fs::read_to_string(dir.path().join("demo-accounts.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
    let first = accounts["candidates"][0].clone();
    let login = client
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"login": first["id_number"], "password": first["password"]}))
        .send()
        .await;
    child.kill().unwrap();
    let _ = child.wait();

    assert!(up, "the server answered /readyz");
    assert_eq!(first["identity_state"], "verified");
    assert!(
        accounts["staff"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["role"] == "province_admin"
                && s["totp_secret"].as_str().is_some_and(|t| t.len() >= 16))
    );
    assert_eq!(login.unwrap().status(), 200, "a demo login works");
}
