//! The load tools of `scripts/bench`, one binary with a command per job:
//!
//! - `seed --count N --out FILE`: the demo data and N more enrolled, verified
//!   candidates with passed courses (eligible for 省际转出), written through the
//!   library into the database named by the `ZIKAO_*` settings, before the
//!   server starts; their logins go to FILE;
//! - `images --dir DIR`: the photos uploaded by the other commands, noisy JPEGs
//!   of 1–6 MB made once with the `image` crate;
//! - `cookie --base URL --login L --password P`: signs in through the login
//!   page and prints the `zk_session` cookie;
//! - `argon2 [--count N]`: the time of one password hash with the platform's
//!   own hasher (its Argon2id parameters);
//! - `probe --url URL --cookie C --rate R --secs S`: GETs a page at a fixed
//!   rate (open loop) and prints the latency percentiles;
//! - `uploads ...`: 64 concurrent 6 MB uploads, the server's peak memory, and
//!   one upload against writing the same bytes to disk;
//! - `window ...`: N virtual candidates through the whole transfer-out flow
//!   of the JSON API, then a check of the database;
//! - `scale-seed --candidates N --applications M --out FILE`: the demo data
//!   and a province's worth of candidates and applications written in bulk;
//! - `scale-probe --base URL --logins FILE --label L`: login and the review
//!   queue at fixed rates against it.
//!
//! Run by `cargo bench` without a command it only says so and exits, so that
//! `cargo bench` runs the other benchmarks.

mod images;
mod probe;
mod scale;
mod seed;
mod stats;
mod uploads;
mod window;

use std::collections::HashMap;

/// `--key value` pairs after the command.
pub struct Args(HashMap<String, String>);

impl Args {
    fn parse(rest: &[String]) -> Self {
        let mut map = HashMap::new();
        let mut it = rest.iter();
        while let Some(k) = it.next() {
            if let Some(key) = k.strip_prefix("--") {
                if key == "bench" {
                    continue;
                }
                let v = it.next().cloned().unwrap_or_default();
                map.insert(key.to_owned(), v);
            }
        }
        Self(map)
    }

    /// A required value.
    pub fn get(&self, key: &str) -> String {
        self.0
            .get(key)
            .cloned()
            .unwrap_or_else(|| panic!("--{key} is required"))
    }

    /// A number, or `default`.
    pub fn num(&self, key: &str, default: usize) -> usize {
        self.0
            .get(key)
            .map(|v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("--{key}: not a number"))
            })
            .unwrap_or(default)
    }

    /// An optional value.
    pub fn opt(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
}

/// A plain HTTP client for loopback: no proxy, no redirects, long timeouts.
pub fn client(pool: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(pool)
        .timeout(std::time::Duration::from_secs(600))
        .build()
        .expect("client")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.iter().find(|a| !a.starts_with("--")).cloned() else {
        eprintln!("load: the tools of scripts/bench; run scripts/bench");
        return;
    };
    let pos = args.iter().position(|a| *a == command).unwrap_or(0);
    let rest = Args::parse(&args[pos + 1..]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let result = rt.block_on(async {
        match command.as_str() {
            "seed" => seed::run(&rest).await,
            "images" => images::run(&rest),
            "cookie" => probe::cookie(&rest).await,
            "argon2" => seed::argon2(&rest).await,
            "probe" => probe::run(&rest).await,
            "uploads" => uploads::run(&rest).await,
            "window" => window::run(&rest).await,
            "scale-seed" => scale::seed(&rest).await,
            "scale-probe" => scale::probe(&rest).await,
            other => Err(anyhow::anyhow!("unknown command {other}")),
        }
    });
    if let Err(e) = result {
        eprintln!("load {command}: {e:#}");
        std::process::exit(1);
    }
}
