//! Statistics of the current 转考申请 window for the back office: application
//! counts by city, by state and by day, within the staff member's scope.

use chrono::NaiveDate;

use super::{App, ServiceError, ServiceResult, StaffSession};
use crate::domain::{Role, TransferState};
use crate::storage::{TransferGroup, from_micros};

/// One bar of a chart: its label, its number, and its length in the chart.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub count: i64,
    /// The bar's length in SVG units (0 to [`BAR_SPAN`]).
    pub length: i64,
    /// The bar's top in SVG units.
    pub y: i64,
}

/// One chart: a title and its bars.
#[derive(Debug, Clone)]
pub struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    pub bars: Vec<Bar>,
    pub total: i64,
    /// The SVG's height.
    pub height: i64,
}

/// The statistics page.
#[derive(Debug, Clone)]
pub struct TransferStats {
    /// The window, as shown; empty when no 转考申请 window was ever set.
    pub window: String,
    pub charts: Vec<Chart>,
}

/// The longest bar, in SVG units.
pub const BAR_SPAN: i64 = 240;
const ROW: i64 = 28;

fn chart(id: &'static str, title: &'static str, items: Vec<(String, i64)>) -> Chart {
    let max = items.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let total = items.iter().map(|(_, n)| n).sum();
    let bars: Vec<Bar> = items
        .into_iter()
        .enumerate()
        .map(|(i, (label, count))| Bar {
            label,
            count,
            length: (count * BAR_SPAN / max).max(i64::from(count > 0)),
            y: i as i64 * ROW,
        })
        .collect();
    Chart {
        id,
        title,
        height: (bars.len() as i64 * ROW).max(ROW),
        bars,
        total,
    }
}

impl App {
    /// Counts of the current (or last) 转考申请 window's applications.
    pub async fn transfer_stats(&self, staff: &StaffSession) -> ServiceResult<TransferStats> {
        if staff.role == Role::RegistrationPoint {
            return Err(ServiceError::forbidden(
                "forbidden",
                "省际转出统计只对地市自考办和省招考中心开放",
            ));
        }
        let window = self
            .db
            .windows()
            .await?
            .into_iter()
            .find(|(k, _, _)| k == "transfer");
        let Some((_, start, end)) = window else {
            return Ok(TransferStats {
                window: String::new(),
                charts: vec![],
            });
        };
        let mut f = self.scoped_filter(staff, None, None);
        f.window_start = Some(start);
        let by_city = self.db.count_transfers(&f, TransferGroup::City).await?;
        let by_state = self.db.count_transfers(&f, TransferGroup::State).await?;
        let by_day = self.db.count_transfers(&f, TransferGroup::Day).await?;
        let cities = self
            .province
            .cities
            .iter()
            .filter(|c| f.city.as_deref().is_none_or(|x| x == c.code))
            .map(|c| {
                let n = by_city
                    .iter()
                    .find(|(k, _)| *k == c.code)
                    .map_or(0, |x| x.1);
                (c.name.clone(), n)
            })
            .collect();
        let states = TransferState::ALL
            .iter()
            .map(|s| {
                let n = by_state
                    .iter()
                    .find(|(k, _)| k == s.as_str())
                    .map_or(0, |x| x.1);
                (s.label().to_owned(), n)
            })
            .collect();
        let days = by_day
            .into_iter()
            .map(|(k, n)| {
                let day = k
                    .parse::<i64>()
                    .ok()
                    .and_then(|d| NaiveDate::from_num_days_from_ce_opt(d as i32 + 719_163));
                let label = day.map_or(k, |d| d.format("%Y-%m-%d").to_string());
                (label, n)
            })
            .collect();
        Ok(TransferStats {
            window: format!(
                "{} 至 {}",
                crate::clock::china_minute(from_micros(start)),
                crate::clock::china_minute(from_micros(end))
            ),
            charts: vec![
                chart("by-city", "按地市", cities),
                chart("by-state", "按状态", states),
                chart("by-day", "按申请日期", days),
            ],
        })
    }
}
