//! Business windows of the five quick entries.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{App, ServiceError, ServiceResult};
use crate::clock::{china, china_minute};
use crate::domain::{BusinessKind, Window, WindowStatus};
use crate::storage::{from_micros, micros};

/// A window as candidates see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WindowView {
    pub kind: BusinessKind,
    /// The quick entry's Chinese name.
    pub name: String,
    /// Start, RFC 3339 in China Standard Time; absent while unset.
    pub start: Option<String>,
    /// End (exclusive), RFC 3339 in China Standard Time.
    pub end: Option<String>,
    pub status: WindowStatus,
    /// 未设置 / 未开始 / 进行中 / 已结束
    pub status_label: String,
    /// Start as `2026-03-01 08:00`, for pages.
    #[serde(skip)]
    pub start_text: String,
    /// End as `2026-03-10 18:00`, for pages.
    #[serde(skip)]
    pub end_text: String,
}

impl App {
    /// Every quick entry's window, in the personal center's order.
    pub async fn windows(&self) -> ServiceResult<Vec<WindowView>> {
        let stored = self.db.windows().await?;
        let now = self.clock.now();
        Ok(BusinessKind::ALL
            .iter()
            .map(|&kind| {
                let w = stored
                    .iter()
                    .find(|(k, _, _)| k == kind.as_str())
                    .and_then(|&(_, s, e)| Window::new(kind, from_micros(s), from_micros(e)).ok());
                let status = w.as_ref().map_or(WindowStatus::Unset, |w| w.status(now));
                let rfc = |t: DateTime<Utc>| t.with_timezone(&china()).to_rfc3339();
                WindowView {
                    kind,
                    name: kind.label().into(),
                    start: w.as_ref().map(|w| rfc(w.start)),
                    end: w.as_ref().map(|w| rfc(w.end)),
                    status,
                    status_label: status.label().into(),
                    start_text: w
                        .as_ref()
                        .map(|w| china_minute(w.start))
                        .unwrap_or_default(),
                    end_text: w.as_ref().map(|w| china_minute(w.end)).unwrap_or_default(),
                }
            })
            .collect())
    }

    /// The window of one quick entry.
    pub async fn window(&self, kind: BusinessKind) -> ServiceResult<WindowView> {
        let all = self.windows().await?;
        all.into_iter()
            .find(|w| w.kind == kind)
            .ok_or(ServiceError::NotFound)
    }

    /// Sets a window (command line and province admin).
    pub async fn set_window(
        &self,
        kind: BusinessKind,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> ServiceResult<()> {
        let w =
            Window::new(kind, start, end).map_err(|e| ServiceError::field("end", e.to_string()))?;
        let now = micros(self.clock.now());
        let previous = self
            .db
            .windows()
            .await?
            .into_iter()
            .find(|(k, _, _)| k == kind.as_str());
        self.db
            .set_window(kind.as_str(), micros(w.start), micros(w.end), now)
            .await?;
        // Changing a window that has not closed yet edits that window: its
        // applications follow the new dates. A window that had closed is
        // replaced by a new one, and its applications stay with the old.
        if let Some((_, old_start, old_end)) = previous
            && kind == BusinessKind::Transfer
            && now < old_end
        {
            self.db
                .retime_transfers(old_start, micros(w.start), micros(w.end))
                .await?;
        }
        Ok(())
    }
}
