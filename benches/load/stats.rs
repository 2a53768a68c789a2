//! Percentiles of latencies.

use std::time::Duration;

/// The value at percentile `p` (0–100) of sorted samples, nearest rank.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// `n= p50= p95= p99= max=` of a set of samples (sorted here).
pub fn summary(samples: &mut [Duration]) -> String {
    samples.sort();
    format!(
        "n={} p50_ms={} p95_ms={} p99_ms={} max_ms={}",
        samples.len(),
        ms(percentile(samples, 50.0)),
        ms(percentile(samples, 95.0)),
        ms(percentile(samples, 99.0)),
        ms(samples.last().copied().unwrap_or_default()),
    )
}

/// The median of samples (sorted here).
pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    percentile(samples, 50.0)
}
