//! 转考申请 at its busiest: N virtual candidates, at most C at a time, each
//! through the whole transfer-out flow of the JSON API (DESIGN §8), then a
//! check in the database that every application is pending review with its
//! six images, and the percentiles of each step.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};
use sqlx::Row;
use tokio::sync::{Mutex, Semaphore};

use crate::seed::{SeededCandidate, read};
use crate::stats::summary;

pub const MATERIALS: [&str; 4] = [
    "id_card",
    "passed_courses",
    "target_ticket",
    "target_transcript",
];
pub const CONFIRMATION_PHOTOS: [&str; 2] = ["signed_form", "holding_form"];

/// A failed step: which, and what came back.
#[derive(Debug)]
pub struct StepError {
    pub step: &'static str,
    pub detail: String,
}

/// Sends a request and wants `expected`; the JSON body.
pub async fn call(
    step: &'static str,
    req: reqwest::RequestBuilder,
    expected: u16,
) -> Result<Value, StepError> {
    let res = req.send().await.map_err(|e| StepError {
        step,
        detail: format!("{e}"),
    })?;
    let status = res.status().as_u16();
    let body = res.bytes().await.map_err(|e| StepError {
        step,
        detail: format!("body: {e}"),
    })?;
    if status != expected {
        return Err(StepError {
            step,
            detail: format!(
                "{status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            ),
        });
    }
    Ok(serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// Signs in over the API; the bearer token.
pub async fn login(
    client: &reqwest::Client,
    base: &str,
    login: &str,
    password: &str,
) -> Result<String, StepError> {
    let body = call(
        "login",
        client
            .post(format!("{base}/api/v1/session"))
            .json(&json!({"login": login, "password": password})),
        200,
    )
    .await?;
    body["token"].as_str().map(str::to_owned).ok_or(StepError {
        step: "login",
        detail: "no token".into(),
    })
}

/// A new draft; its id.
pub async fn create(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    i: usize,
) -> Result<String, StepError> {
    let body = call(
        "create",
        client
            .post(format!("{base}/api/v1/transfer-outs"))
            .bearer_auth(token)
            .json(&json!({
                "target_province": "41",
                "reason": "work_relocation",
                "target_ticket": format!("4101{:08}", i),
            })),
        201,
    )
    .await?;
    body["id"].as_str().map(str::to_owned).ok_or(StepError {
        step: "create",
        detail: "no id".into(),
    })
}

/// PUTs a JPEG body.
pub async fn put_jpeg(
    step: &'static str,
    client: &reqwest::Client,
    url: String,
    token: &str,
    bytes: Bytes,
) -> Result<Value, StepError> {
    call(
        step,
        client
            .put(url)
            .bearer_auth(token)
            .header("content-type", "image/jpeg")
            .body(bytes),
        201,
    )
    .await
}

type Samples = Arc<Mutex<BTreeMap<&'static str, Vec<Duration>>>>;

async fn timed<T>(
    samples: &Samples,
    step: &'static str,
    f: impl std::future::Future<Output = Result<T, StepError>>,
) -> Result<T, StepError> {
    let started = Instant::now();
    let out = f.await?;
    samples
        .lock()
        .await
        .entry(step)
        .or_default()
        .push(started.elapsed());
    Ok(out)
}

/// One candidate's whole flow; the application's id.
async fn flow(
    client: &reqwest::Client,
    base: &str,
    who: &SeededCandidate,
    password: &str,
    i: usize,
    photos: &[Bytes],
    samples: &Samples,
) -> Result<String, StepError> {
    let token = timed(samples, "login", login(client, base, &who.ticket, password)).await?;
    let id = timed(samples, "create", create(client, base, &token, i)).await?;
    let app = format!("{base}/api/v1/transfer-outs/{id}");
    for (k, kind) in MATERIALS.iter().enumerate() {
        let photo = photos[(i + k) % photos.len()].clone();
        let url = format!("{app}/materials/{kind}");
        timed(
            samples,
            "material",
            put_jpeg("material", client, url, &token, photo),
        )
        .await?;
    }
    let submit = client
        .post(format!("{app}/submit"))
        .bearer_auth(&token)
        .json(&json!({}));
    let body = timed(samples, "submit", call("submit", submit, 200)).await?;
    if body["state"] != "awaiting_confirmation" {
        return Err(StepError {
            step: "submit",
            detail: format!("state {}", body["state"]),
        });
    }
    let specialty = client
        .put(format!("{app}/target-specialty"))
        .bearer_auth(&token)
        .json(&json!({"name": "会计学", "code": "120203K", "level": "本科"}));
    timed(
        samples,
        "target_specialty",
        call("target_specialty", specialty, 200),
    )
    .await?;
    timed(samples, "form_pdf", async {
        let res = client
            .get(format!("{app}/form.pdf"))
            .bearer_auth(&token)
            .send()
            .await
            .map_err(|e| StepError {
                step: "form_pdf",
                detail: format!("{e}"),
            })?;
        let status = res.status().as_u16();
        let bytes = res.bytes().await.map_err(|e| StepError {
            step: "form_pdf",
            detail: format!("{e}"),
        })?;
        if status != 200 || !bytes.starts_with(b"%PDF") {
            return Err(StepError {
                step: "form_pdf",
                detail: format!("{status}, {} bytes", bytes.len()),
            });
        }
        Ok::<(), StepError>(())
    })
    .await?;
    for (k, kind) in CONFIRMATION_PHOTOS.iter().enumerate() {
        let photo = photos[(i + 4 + k) % photos.len()].clone();
        let url = format!("{app}/confirmation-photos/{kind}");
        timed(
            samples,
            "confirmation_photo",
            put_jpeg("confirmation_photo", client, url, &token, photo),
        )
        .await?;
    }
    let confirm = client
        .post(format!("{app}/confirm"))
        .bearer_auth(&token)
        .json(&json!({}));
    let body = timed(samples, "confirm", call("confirm", confirm, 200)).await?;
    if body["state"] != "pending_review" {
        return Err(StepError {
            step: "confirm",
            detail: format!("state {}", body["state"]),
        });
    }
    Ok(id)
}

/// `window --base URL --candidates FILE --n N --concurrency C --images DIR
/// --database-url URL --files-dir DIR`.
pub async fn run(args: &crate::Args) -> anyhow::Result<()> {
    let base = args.get("base");
    let seeded = read(&args.get("candidates"))?;
    let n = args.num("n", 2000).min(seeded.candidates.len());
    let concurrency = args.num("concurrency", 64).max(1);
    let photos = Arc::new(crate::images::load(&PathBuf::from(args.get("images")))?);
    let client = crate::client(concurrency);
    let samples: Samples = Arc::default();
    let gate = Arc::new(Semaphore::new(concurrency));
    let password = Arc::new(seeded.password.clone());
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for (i, who) in seeded.candidates.into_iter().take(n).enumerate() {
        let (client, base, photos, samples, gate, password) = (
            client.clone(),
            base.clone(),
            photos.clone(),
            samples.clone(),
            gate.clone(),
            password.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _turn = gate.acquire_owned().await.expect("semaphore");
            flow(&client, &base, &who, &password, i, &photos, &samples).await
        }));
    }
    let mut ids = Vec::with_capacity(n);
    let mut errors: HashMap<&'static str, Vec<String>> = HashMap::new();
    for t in tasks {
        match t.await? {
            Ok(id) => ids.push(id),
            Err(e) => errors.entry(e.step).or_default().push(e.detail),
        }
    }
    let wall = started.elapsed();
    let uploaded: u64 = (0..n)
        .map(|i| {
            (0..6)
                .map(|k| photos[(i + k) % photos.len()].len() as u64)
                .sum::<u64>()
        })
        .sum();
    println!(
        "window: {n} candidates, {concurrency} at a time, in {:.1} s ({:.1} candidates a minute, {:.1} GB of photos sent)",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64() * 60.0,
        uploaded as f64 / 1e9
    );
    for (step, list) in samples.lock().await.iter_mut() {
        println!("figure: window_{step} {}", summary(list));
    }
    let error_count: usize = errors.values().map(Vec::len).sum();
    for (step, list) in &errors {
        println!(
            "errors at {step}: {} (first: {})",
            list.len(),
            list.first().map_or("", String::as_str)
        );
    }

    // The database, read directly: state and images of every application.
    let checked = check_database(&args.get("database-url"), &args.get("files-dir"), &ids).await?;
    println!(
        "figure: window_total candidates={n} completed={} errors={error_count} wall_s={:.1} db_pending_review_with_6_images={checked}",
        ids.len(),
        wall.as_secs_f64(),
    );
    anyhow::ensure!(
        error_count == 0 && checked == n,
        "{error_count} errors; {checked} of {n} applications complete in the database"
    );
    Ok(())
}

/// How many of `ids` are stored as pending review with one image of each of the
/// six kinds, each a file row whose object is on disk.
async fn check_database(url: &str, files_dir: &str, ids: &[String]) -> anyhow::Result<usize> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await?;
    let mut states: HashMap<String, String> = HashMap::new();
    for r in sqlx::query("SELECT id, state FROM transfer_outs")
        .fetch_all(&pool)
        .await?
    {
        states.insert(r.try_get("id")?, r.try_get("state")?);
    }
    let mut images: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for r in sqlx::query(
        "SELECT i.application_id, i.kind, f.object_key FROM transfer_images i \
         JOIN files f ON f.id = i.file_id",
    )
    .fetch_all(&pool)
    .await?
    {
        images
            .entry(r.try_get("application_id")?)
            .or_default()
            .push((r.try_get("kind")?, r.try_get("object_key")?));
    }
    pool.close().await;
    let wanted: HashSet<&str> = MATERIALS
        .iter()
        .chain(&CONFIRMATION_PHOTOS)
        .copied()
        .collect();
    let mut good = 0;
    let mut first_bad = None;
    for id in ids {
        let state_ok = states.get(id).is_some_and(|s| s == "pending_review");
        let list = images.get(id).map(Vec::as_slice).unwrap_or_default();
        let kinds: HashSet<&str> = list.iter().map(|(k, _)| k.as_str()).collect();
        let files_ok = list
            .iter()
            .all(|(_, key)| PathBuf::from(files_dir).join(key).is_file());
        if state_ok && list.len() == 6 && kinds == wanted && files_ok {
            good += 1;
        } else if first_bad.is_none() {
            first_bad = Some(format!(
                "{id}: state {:?}, {} images {kinds:?}, files on disk {files_ok}",
                states.get(id),
                list.len()
            ));
        }
    }
    println!(
        "database: {} applications stored, {good} of {} pending review with their 6 images on disk{}",
        states.len(),
        ids.len(),
        first_bad
            .map(|b| format!("; first incomplete: {b}"))
            .unwrap_or_default()
    );
    Ok(good)
}
