//! Candidates for the load tests, written through the library before the
//! server starts, and the time of one password hash.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use zikao::clock::{Clock, SystemClock};
use zikao::domain::{ResidentId, check_character};
use zikao::storage::{ExamCandidateRow, NewCandidateRow, NewResultRow, micros, new_id};

use crate::stats::{median, ms};

/// The password of every seeded candidate (they share one hash).
pub const PASSWORD: &str = "Bench#2026ok";

/// The passed courses of a seeded candidate: the first nine of the demo's
/// 会计学 plan, as the demo's enrolled candidates have them.
const PASSED: [&str; 9] = [
    "03708", "03709", "00015", "04184", "04183", "00067", "00155", "00156", "00160",
];

/// The file `seed` writes: who can sign in.
#[derive(Serialize, Deserialize)]
pub struct Seeded {
    pub password: String,
    pub candidates: Vec<SeededCandidate>,
    /// A demo candidate with the page's data (notices, windows).
    pub demo_login: String,
    pub demo_password: String,
}

/// One seeded candidate.
#[derive(Serialize, Deserialize, Clone)]
pub struct SeededCandidate {
    pub ticket: String,
    pub id_number: String,
}

/// Reads the file `seed` wrote.
pub fn read(path: &str) -> anyhow::Result<Seeded> {
    Ok(serde_json::from_slice(&std::fs::read(path)?)?)
}

/// The `i`-th seeded candidate's 准考证号 and 身份证号 (太原市小店区, born from
/// 1980 on, 999 a day).
fn numbers(i: usize) -> (String, String) {
    let birth = NaiveDate::from_ymd_opt(1980, 1, 1).expect("date")
        + chrono::Duration::days((i / 999) as i64);
    let first17 = format!("140105{}{:03}", birth.format("%Y%m%d"), i % 999 + 1);
    let id = format!("{first17}{}", check_character(first17.as_bytes()) as char);
    (format!("14012{i:07}"), id)
}

/// `seed --count N --out FILE`.
pub async fn run(args: &crate::Args) -> anyhow::Result<()> {
    let count = args.num("count", 2000);
    let out = args.get("out");
    let config = zikao::config::Config::load(None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let data_dir = config.data_dir.clone();
    let clock = Arc::new(SystemClock);
    let app = zikao::startup::build(config, clock.clone()).await?;
    let started = Instant::now();
    let demo = app
        .seed_demo(&data_dir)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| anyhow::anyhow!("the database is not empty"))?;
    let first = &demo.candidates[0];
    let hash = app.passwords.hash(PASSWORD).await?;
    let today = clock.today();
    let now = micros(clock.now());
    let mut seeded = Vec::with_capacity(count);
    for i in 0..count {
        let (ticket, id) = numbers(i);
        let parsed = ResidentId::parse(&id, today).map_err(|e| anyhow::anyhow!("{id}: {e}"))?;
        let name = format!("压测考生{i}");
        let id_enc = app.keys.encrypt("id_number", &id);
        let id_idx = app.keys.blind_index("id_number", &id);
        app.db
            .upsert_exam_candidate(
                &ExamCandidateRow {
                    ticket: ticket.clone(),
                    id_number_enc: id_enc.clone(),
                    id_number_idx: id_idx.clone(),
                    name: name.clone(),
                    gender: zikao::domain::gender_of(&parsed).as_str().into(),
                    specialty_code: Some("120203K".into()),
                    city: "1401".into(),
                    county: "140105".into(),
                    status: "active".into(),
                    transfer_in_date: None,
                },
                now,
            )
            .await?;
        for (c, code) in PASSED.iter().enumerate() {
            app.db
                .upsert_result(&NewResultRow {
                    ticket: ticket.clone(),
                    course_code: (*code).into(),
                    score: (60 + (c * 7 + i) % 35).to_string(),
                    passed_year: 2020 + (c as i64 / 3),
                    passed_month: if c % 2 == 0 { 4 } else { 10 },
                    by_exemption: false,
                })
                .await?;
        }
        app.db
            .insert_candidate(&NewCandidateRow {
                id: new_id(),
                kind: "enrolled".into(),
                id_number_enc: id_enc,
                id_number_idx: id_idx,
                ticket: Some(ticket.clone()),
                name,
                gender: zikao::domain::gender_of(&parsed).as_str().into(),
                birth_date: parsed.birth_date().to_string(),
                phone_enc: Some(
                    app.keys
                        .encrypt("phone", &format!("1390351{:04}", i % 10_000)),
                ),
                email_enc: None,
                ethnicity: Some("汉族".into()),
                household: Some("城镇".into()),
                education: Some("普通高中".into()),
                occupation: Some("专业技术人员".into()),
                politics: Some("群众".into()),
                city: "1401".into(),
                county: "140105".into(),
                password_hash: hash.clone(),
                identity_state: "verified".into(),
                now,
            })
            .await?;
        seeded.push(SeededCandidate {
            ticket,
            id_number: id,
        });
    }
    let file = Seeded {
        password: PASSWORD.into(),
        candidates: seeded,
        demo_login: first
            .ticket
            .clone()
            .unwrap_or_else(|| first.id_number.clone()),
        demo_password: first.password.clone().unwrap_or_default(),
    };
    std::fs::write(&out, serde_json::to_vec_pretty(&file)?)?;
    app.db.close().await;
    println!(
        "seeded the demo data and {count} enrolled, verified candidates with 9 passed courses in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `argon2 [--count N]`: hashes N passwords one after another with the
/// platform's hasher and prints the median time and what it allows per core.
pub async fn argon2(args: &crate::Args) -> anyhow::Result<()> {
    let count = args.num("count", 20);
    let passwords = zikao::service::Passwords::new(1);
    let phc = passwords.hash(PASSWORD).await?;
    let params: String = phc.split('$').take(4).collect::<Vec<_>>().join("$");
    let mut hashes = Vec::with_capacity(count);
    let mut verifies = Vec::with_capacity(count);
    for _ in 0..count {
        let t = Instant::now();
        passwords.hash(PASSWORD).await?;
        hashes.push(t.elapsed());
        let t = Instant::now();
        let ok = passwords.verify(PASSWORD, Some(&phc)).await?;
        verifies.push(t.elapsed());
        anyhow::ensure!(ok, "the hash does not verify");
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let hash = median(&mut hashes);
    let verify = median(&mut verifies);
    let ceiling = |d: Duration| cores as f64 / d.as_secs_f64();
    println!("argon2 parameters: {params}");
    println!(
        "figure: argon2_hash_ms={} argon2_verify_ms={} cores={cores} login_ceiling_per_s={:.1}",
        ms(hash),
        ms(verify),
        ceiling(hash),
    );
    Ok(())
}
