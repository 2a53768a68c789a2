//! The source of "now", passed in so tests can place "today" anywhere in a window.

use std::sync::Mutex;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Timelike, Utc};

/// China Standard Time, in which every date is shown and every window is read.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Where the platform reads the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in China Standard Time.
    fn today(&self) -> NaiveDate {
        self.now().with_timezone(&china()).date_naive()
    }
}

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until it is set or advanced; for tests and demos.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().expect("clock lock") += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().expect("clock lock")
    }
}

/// `今天是：2023年02月07日 星期二`-style date text, in China Standard Time.
pub fn chinese_date_with_weekday(date: NaiveDate) -> String {
    const DAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
    format!(
        "{}年{:02}月{:02}日 星期{}",
        date.year(),
        date.month(),
        date.day(),
        DAYS[date.weekday().num_days_from_monday() as usize]
    )
}

/// An instant as `2026-03-01 08:00` in China Standard Time.
pub fn china_minute(at: DateTime<Utc>) -> String {
    minute_text(at, ' ')
}

/// An instant as a form's `datetime-local` value, `2026-03-01T08:00`, in China
/// Standard Time.
pub fn china_input(at: DateTime<Utc>) -> String {
    minute_text(at, 'T')
}

/// `2026-03-01?08:00` in China Standard Time, written field by field (a
/// strftime pattern is parsed again at every call, and every page shows a
/// dozen of these).
fn minute_text(at: DateTime<Utc>, separator: char) -> String {
    let t = at.with_timezone(&china());
    format!(
        "{:04}-{:02}-{:02}{separator}{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// Reads `2026-03-01T08:00` or `2026-03-01 08:00` as China Standard Time.
pub fn parse_china_minute(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let local = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())?;
    local
        .and_local_timezone(china())
        .single()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn date_text_matches_the_reference_form() {
        let d = NaiveDate::from_ymd_opt(2023, 2, 7).unwrap();
        assert_eq!(chinese_date_with_weekday(d), "2023年02月07日 星期二");
    }

    #[test]
    fn today_is_in_china_time() {
        // 2026-12-03 17:00 UTC is already 12-04 in Beijing.
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 3, 17, 0, 0).unwrap());
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 12, 4).unwrap());
        assert_eq!(china_minute(clock.now()), "2026-12-04 01:00");
    }

    #[test]
    fn form_times_are_read_in_china_time() {
        let at = parse_china_minute("2026-12-04T01:00").unwrap();
        assert_eq!(at, Utc.with_ymd_and_hms(2026, 12, 3, 17, 0, 0).unwrap());
        assert_eq!(china_input(at), "2026-12-04T01:00");
        assert_eq!(parse_china_minute("2026-12-04 01:00"), Some(at));
        assert_eq!(parse_china_minute("2026-13-04T01:00"), None);
    }
}
