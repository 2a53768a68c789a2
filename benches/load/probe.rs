//! Signing in through the login page, and a page at a fixed rate.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::stats::summary;

/// `cookie --base URL --login L --password P`: prints `zk_session=…`.
pub async fn cookie(args: &crate::Args) -> anyhow::Result<()> {
    let base = args.get("base");
    let client = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let home = client.get(format!("{base}/")).send().await?.text().await?;
    let doc = scraper::Html::parse_document(&home);
    let sel = scraper::Selector::parse("input[name=csrf]").expect("selector");
    let csrf = doc
        .select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .ok_or_else(|| anyhow::anyhow!("the home page has no login form"))?
        .to_owned();
    let res = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", args.get("login").as_str()),
            ("password", args.get("password").as_str()),
        ])
        .send()
        .await?;
    anyhow::ensure!(
        res.status().as_u16() == 303,
        "login answered {}",
        res.status()
    );
    let session = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("zk_session="))
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("no zk_session cookie"))?;
    println!("{session}");
    Ok(())
}

/// `probe --url URL [--cookie C] --rate R --secs S [--label L]`: one GET every
/// 1/R seconds whatever the answers take (open loop), then the percentiles.
pub async fn run(args: &crate::Args) -> anyhow::Result<()> {
    let url = args.get("url");
    let cookie = args.opt("cookie");
    let rate = args.num("rate", 50).max(1);
    let secs = args.num("secs", 10);
    let label = args.opt("label").unwrap_or_else(|| "probe".into());
    let client = crate::client(64);
    let samples = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let end = Instant::now() + Duration::from_secs(secs as u64);
    let mut tasks = Vec::new();
    while Instant::now() < end {
        tick.tick().await;
        let (client, url, cookie) = (client.clone(), url.clone(), cookie.clone());
        let (samples, errors) = (samples.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let mut req = client.get(&url);
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            let ok = match req.send().await {
                Ok(res) => res.status().as_u16() == 200 && res.bytes().await.is_ok(),
                Err(_) => false,
            };
            if ok {
                samples.lock().await.push(started.elapsed());
            } else {
                errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let mut samples = samples.lock().await.clone();
    println!(
        "figure: {label} rate_per_s={rate} {} errors={}",
        summary(&mut samples),
        errors.load(std::sync::atomic::Ordering::Relaxed)
    );
    Ok(())
}
