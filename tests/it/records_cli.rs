//! `zikao import KIND FILE [--dry-run]`: the documented examples through the
//! binary, a dry run that writes nothing, and a bad file that names its line.

use std::path::{Path, PathBuf};
use std::process::Command;

use zikao::clock::SystemClock;
use zikao::config::{Config, Secret};

const KEY: &str = "3333333333333333333333333333333333333333333333333333333333333333";

fn zikao(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zikao"))
        .env("ZIKAO_DATA_DIR", dir)
        .env("ZIKAO_SECRET_KEY", KEY)
        .env("RUST_LOG", "warn")
        .env_remove("ZIKAO_DATABASE_URL")
        .env_remove("ZIKAO_LISTEN")
        .args(args)
        .output()
        .unwrap();
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

fn example(kind: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "docs", "examples"]
        .iter()
        .collect::<PathBuf>()
        .join(format!("{kind}.csv"));
    path.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_examples_import_through_the_command_line() {
    let dir = tempfile::tempdir().unwrap();

    let (ok, stdout, stderr) = zikao(
        dir.path(),
        &[
            "import",
            "specialties",
            &example("specialties"),
            "--dry-run",
        ],
    );
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("检查通过") && stdout.contains("新增 3 条"),
        "{stdout}"
    );

    for kind in [
        "specialties",
        "courses",
        "plans",
        "candidates",
        "results",
        "arrangements",
    ] {
        let (ok, stdout, stderr) = zikao(dir.path(), &["import", kind, &example(kind)]);
        assert!(ok, "{kind}: {stderr}");
        assert!(stdout.contains("新增"), "{stdout}");
    }
    let (ok, stdout, _) = zikao(dir.path(), &["import", "results", &example("results")]);
    assert!(ok);
    assert!(stdout.contains("新增 0 条，更新 0 条"), "{stdout}");

    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "课程代码,课程名称,学分,课程类型\n00037,美学,6,理论\n0037,美学,6,理论\n",
    )
    .unwrap();
    let (ok, _, stderr) = zikao(dir.path(), &["import", "courses", bad.to_str().unwrap()]);
    assert!(!ok, "a bad file fails the command");
    assert!(
        stderr.contains("第3行") && stderr.contains("5位数字"),
        "{stderr}"
    );
    let (ok, _, _) = zikao(dir.path(), &["import", "grades", &example("results")]);
    assert!(!ok, "unknown kinds are refused");

    let config = Config {
        data_dir: dir.path().to_path_buf(),
        secret_key: Some(Secret::new(KEY.into())),
        ..Config::default()
    };
    let app = zikao::startup::build(config, std::sync::Arc::new(SystemClock))
        .await
        .unwrap();
    let passed = app.db.passed_courses("140119200001").await.unwrap();
    assert_eq!(passed.len(), 3);
    let exams = app
        .db
        .arrangements("140219200002", (2027, 4))
        .await
        .unwrap();
    assert_eq!(exams.len(), 1);
}
