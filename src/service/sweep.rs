//! The sweep of file objects and rows that nothing uses. Uploads write their
//! objects first, then the file row, then the row that uses it; a process
//! killed between those steps leaves objects without a row, or a row without a
//! user. The sweep removes both once they are older than a grace period, long
//! past any upload still in flight.

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;

use super::{App, ServiceError, ServiceResult};
use crate::storage::micros;

/// Age below which an unused file is left alone: an upload may still be
/// between writing its objects and the rows that use them.
pub const SWEEP_GRACE: Duration = Duration::hours(1);
/// How far back the periodic sweep looks (`zikao sweep` looks at everything).
pub const SWEEP_LOOKBACK: Duration = Duration::days(7);

/// The prefixes of every stored file object.
const PREFIXES: [&str; 2] = ["photos", "thumbs"];

/// What one sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// File rows (with their objects) that no row used.
    pub rows: u64,
    /// Objects that had no file row.
    pub objects: u64,
}

/// The key prefix of ids made at `at` or later: ids are UUID v7 in hex, whose
/// first 12 digits are the milliseconds since the epoch, so keys sort by time.
fn key_offset(prefix: &str, at: DateTime<Utc>) -> String {
    let ms = at.timestamp_millis().max(0);
    format!("{prefix}/{ms:012x}")
}

/// Where checked import files wait for the province admin's confirmation
/// (`imports/{id}`, no extension); one older than the grace period is removed,
/// and applying it then asks for the file again.
const STAGED_IMPORTS: &str = "imports";

/// The time of a staged import's key.
fn staged_import_ms(key: &str) -> Option<i64> {
    let id = key.strip_prefix("imports/")?;
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    i64::from_str_radix(&id[..12], 16).ok()
}

/// The id and the time of an object key made by this platform.
fn key_id(key: &str) -> Option<(&str, i64)> {
    let name = key.rsplit('/').next()?;
    let id = name.strip_suffix(".jpg")?;
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let ms = i64::from_str_radix(&id[..12], 16).ok()?;
    Some((id, ms))
}

impl App {
    /// Removes unused files made in `[from, before)` (from the beginning when
    /// `from` is `None`): rows no other row uses, then objects without a row.
    pub async fn sweep_files(
        &self,
        from: Option<DateTime<Utc>>,
        before: DateTime<Utc>,
    ) -> ServiceResult<SweepReport> {
        let mut report = SweepReport::default();
        let start = from.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        loop {
            let batch = self
                .db
                .unreferenced_files(micros(start), micros(before), 500)
                .await?;
            if batch.is_empty() {
                break;
            }
            for file in &batch {
                self.discard_file(file).await?;
                report.rows += 1;
            }
        }

        let before_ms = before.timestamp_millis();
        for prefix in PREFIXES {
            let mut listing = self.files.list_after(prefix, &key_offset(prefix, start));
            let mut candidates: Vec<(String, String)> = vec![];
            while let Some(meta) = listing.next().await {
                let meta = meta.map_err(|e| ServiceError::Internal(e.into()))?;
                let key = meta.location.to_string();
                // Objects of other shapes are not the platform's; leave them.
                let Some((id, made_ms)) = key_id(&key) else {
                    continue;
                };
                if made_ms >= before_ms || meta.last_modified >= before {
                    continue;
                }
                candidates.push((id.to_owned(), key));
                if candidates.len() == 500 {
                    report.objects += self.remove_rowless(&mut candidates).await?;
                }
            }
            report.objects += self.remove_rowless(&mut candidates).await?;
        }
        let mut stale = vec![];
        let mut listing = self
            .files
            .list_after(STAGED_IMPORTS, &key_offset(STAGED_IMPORTS, start));
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| ServiceError::Internal(e.into()))?;
            let key = meta.location.to_string();
            if staged_import_ms(&key).is_some_and(|ms| ms < before_ms)
                && meta.last_modified < before
            {
                stale.push(key);
            }
        }
        drop(listing);
        for key in stale {
            self.files
                .delete(&key)
                .await
                .map_err(|e| ServiceError::Internal(e.into()))?;
            report.objects += 1;
        }
        if report != SweepReport::default() {
            tracing::info!(
                rows = report.rows,
                objects = report.objects,
                "unused files removed"
            );
        }
        Ok(report)
    }

    /// Removes the objects among `candidates` (id, key) whose id has no row.
    async fn remove_rowless(&self, candidates: &mut Vec<(String, String)>) -> ServiceResult<u64> {
        let ids: Vec<String> = candidates.iter().map(|(id, _)| id.clone()).collect();
        let known = self.db.existing_file_ids(&ids).await?;
        let mut removed = 0;
        for (id, key) in candidates.drain(..) {
            if known.contains(&id) {
                continue;
            }
            self.files
                .delete(&key)
                .await
                .map_err(|e| ServiceError::Internal(e.into()))?;
            removed += 1;
        }
        Ok(removed)
    }

    /// The periodic sweep: the last [`SWEEP_LOOKBACK`] up to [`SWEEP_GRACE`] ago.
    pub async fn sweep_recent_files(&self) -> ServiceResult<SweepReport> {
        let before = self.clock.now() - SWEEP_GRACE;
        self.sweep_files(Some(before - SWEEP_LOOKBACK), before)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_their_time() {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let key = format!("photos/{id}.jpg");
        let (got, ms) = key_id(&key).unwrap();
        assert_eq!(got, id);
        let now = Utc::now().timestamp_millis();
        assert!((now - ms).abs() < 5_000);
        assert!(key.as_str() > key_offset("photos", Utc::now() - Duration::minutes(1)).as_str());
        assert!(key.as_str() < key_offset("photos", Utc::now() + Duration::minutes(1)).as_str());
        assert_eq!(key_id("photos/notes.txt"), None);
        assert_eq!(key_id("photos/../x.jpg"), None);
    }
}
