//! Business windows of the five quick entries.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{App, FieldErrors, ServiceError, ServiceResult, StaffSession};
use crate::clock::{china, china_input, china_minute, parse_china_minute};
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
    /// Start as a form's `datetime-local` value.
    #[serde(skip)]
    pub start_input: String,
    /// End as a form's `datetime-local` value.
    #[serde(skip)]
    pub end_input: String,
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
                    start_input: w.as_ref().map(|w| china_input(w.start)).unwrap_or_default(),
                    end_input: w.as_ref().map(|w| china_input(w.end)).unwrap_or_default(),
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

    /// Sets a window from the province admin's page: start and end as China
    /// Standard Time, the same rules as the command line, audited.
    pub async fn set_window_by_admin(
        &self,
        actor: &StaffSession,
        address: std::net::IpAddr,
        kind: BusinessKind,
        start: &str,
        end: &str,
    ) -> ServiceResult<()> {
        self.require_province_admin(actor)?;
        let mut e = FieldErrors::new();
        let read = |e: &mut FieldErrors, field: &str, text: &str| {
            if text.trim().is_empty() {
                e.add(field, "请填写时间");
                return None;
            }
            let at = parse_china_minute(text);
            if at.is_none() {
                e.add(field, "时间格式应为 2026-03-01 08:00");
            }
            at
        };
        let start = read(&mut e, "start", start);
        let end = read(&mut e, "end", end);
        e.into_result()?;
        let (start, end) = (start.expect("checked"), end.expect("checked"));
        let before = self.window(kind).await?;
        self.set_window(kind, start, end).await?;
        let before = serde_json::json!({ "start": before.start, "end": before.end });
        let rfc = |t: DateTime<Utc>| t.with_timezone(&china()).to_rfc3339();
        let after = serde_json::json!({ "start": rfc(start), "end": rfc(end) });
        self.audit(
            &actor.staff.id,
            Some(address),
            "window.set",
            Some(kind.as_str()),
            Some(&before),
            Some(&after),
        )
        .await
    }
}
