//! 64 candidates each upload a 6 MB material at the same moment: the server's
//! peak memory (VmHWM of its process) and the latencies; then one upload at a
//! time against writing the same bytes to a file on the same disk.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::join_all;
use tokio::sync::Barrier;

use crate::seed::read;
use crate::stats::{median, ms, summary};
use crate::window::{create, login, put_jpeg};

/// A `Vm…` line of /proc/PID/status, in KiB.
fn vm(pid: &str, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> String {
    format!("{:.0}", kib as f64 / 1024.0)
}

/// `uploads --base URL --candidates FILE --from I --n 64 --images DIR --pid PID
/// --scratch DIR`.
pub async fn run(args: &crate::Args) -> anyhow::Result<()> {
    let base = args.get("base");
    let seeded = read(&args.get("candidates"))?;
    let from = args.num("from", 0);
    let n = args.num("n", 64);
    let pid = args.get("pid");
    let scratch = PathBuf::from(args.get("scratch"));
    let photo = crate::images::load(&PathBuf::from(args.get("images")))?
        .pop()
        .expect("the 6 MB photo");
    let who = seeded
        .candidates
        .get(from..from + n)
        .ok_or_else(|| anyhow::anyhow!("seed {} more candidates", from + n))?;
    let client = crate::client(n);
    let err = |e: crate::window::StepError| anyhow::anyhow!("{}: {}", e.step, e.detail);

    // Sign in and open a draft each (not timed).
    let drafts = join_all(who.iter().enumerate().map(|(i, c)| {
        let (client, base, password) = (client.clone(), base.clone(), seeded.password.clone());
        async move {
            let token = login(&client, &base, &c.ticket, &password).await?;
            let id = create(&client, &base, &token, from + i).await?;
            Ok::<_, crate::window::StepError>((token, id))
        }
    }))
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()
    .map_err(err)?;

    let (rss_before, hwm_before) = (vm(&pid, "VmRSS:"), vm(&pid, "VmHWM:"));
    let barrier = Arc::new(Barrier::new(n));
    let started = Instant::now();
    let results = join_all(drafts.iter().map(|(token, id)| {
        let (client, base, photo, barrier) =
            (client.clone(), base.clone(), photo.clone(), barrier.clone());
        async move {
            barrier.wait().await;
            let t = Instant::now();
            let url = format!("{base}/api/v1/transfer-outs/{id}/materials/id_card");
            put_jpeg("upload", &client, url, token, photo)
                .await
                .map(|_| t.elapsed())
        }
    }))
    .await;
    let wall = started.elapsed();
    let (rss_after, hwm_after) = (vm(&pid, "VmRSS:"), vm(&pid, "VmHWM:"));
    let mut times: Vec<Duration> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    let errors = results.iter().filter(|r| r.is_err()).count();
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        println!("first upload error: {}: {}", e.step, e.detail);
    }
    println!(
        "figure: uploads_concurrent n={n} bytes_each={} errors={errors} wall_s={:.2} {}",
        photo.len(),
        wall.as_secs_f64(),
        summary(&mut times)
    );
    println!(
        "figure: uploads_server_memory rss_before_mib={} hwm_before_mib={} rss_after_mib={} hwm_after_mib={}",
        mib(rss_before),
        mib(hwm_before),
        mib(rss_after),
        mib(hwm_after)
    );

    // One at a time: the first candidate's further uploads of another kind
    // (up to 10 per kind), against the same bytes written to disk.
    let rounds = 9;
    let (token, id) = &drafts[0];
    let mut one = Vec::new();
    for i in 0..=rounds {
        let t = Instant::now();
        let url = format!("{base}/api/v1/transfer-outs/{id}/materials/passed_courses");
        put_jpeg("upload", &client, url, token, photo.clone())
            .await
            .map_err(err)?;
        if i > 0 {
            one.push(t.elapsed());
        }
    }
    std::fs::create_dir_all(&scratch)?;
    let mut write = Vec::new();
    let mut write_sync = Vec::new();
    for i in 0..=rounds {
        let path = scratch.join(format!("write-{i}.jpg"));
        let t = Instant::now();
        std::fs::write(&path, &photo)?;
        if i > 0 {
            write.push(t.elapsed());
        }
        let path = scratch.join(format!("write-sync-{i}.jpg"));
        let t = Instant::now();
        let mut f = std::fs::File::create(&path)?;
        f.write_all(&photo)?;
        f.sync_all()?;
        if i > 0 {
            write_sync.push(t.elapsed());
        }
    }
    std::fs::remove_dir_all(&scratch)?;
    let (one, write, write_sync) = (
        median(&mut one),
        median(&mut write),
        median(&mut write_sync),
    );
    println!(
        "figure: upload_one median_ms={} write_file_ms={} write_fsync_ms={} ratio_to_write={:.1} ratio_to_write_fsync={:.1}",
        ms(one),
        ms(write),
        ms(write_sync),
        one.as_secs_f64() / write.as_secs_f64(),
        one.as_secs_f64() / write_sync.as_secs_f64()
    );
    Ok(())
}
