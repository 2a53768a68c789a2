//! Business windows: the periods in which each quick entry accepts applications.

use chrono::{DateTime, Utc};

use super::account::word_enum;

word_enum!(
    /// The five quick entries of the personal center, each with its own window.
    BusinessKind {
        Theory = "theory" / "理论课报名",
        Transfer = "transfer" / "转考申请",
        Exemption = "exemption" / "免考申请",
        Practical = "practical" / "实践性环节报名",
        Graduation = "graduation" / "毕业申请",
    }
);

word_enum!(
    /// Where "now" falls relative to a window.
    WindowStatus {
        Unset = "unset" / "未设置",
        NotStarted = "not_started" / "未开始",
        Open = "open" / "进行中",
        Closed = "closed" / "已结束",
    }
);

/// One business window, start inclusive and end exclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub kind: BusinessKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Why a window was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("结束时间必须晚于开始时间")]
    EndBeforeStart,
}

impl Window {
    /// A window whose end is after its start.
    pub fn new(
        kind: BusinessKind,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Self, WindowError> {
        if end <= start {
            return Err(WindowError::EndBeforeStart);
        }
        Ok(Self { kind, start, end })
    }

    /// The state of the window at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> WindowStatus {
        if now < self.start {
            WindowStatus::NotStarted
        } else if now < self.end {
            WindowStatus::Open
        } else {
            WindowStatus::Closed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn status_follows_the_clock() {
        let start = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let end = Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap();
        let w = Window::new(BusinessKind::Transfer, start, end).unwrap();
        assert_eq!(
            w.status(start - chrono::Duration::seconds(1)),
            WindowStatus::NotStarted
        );
        assert_eq!(w.status(start), WindowStatus::Open);
        assert_eq!(
            w.status(end - chrono::Duration::seconds(1)),
            WindowStatus::Open
        );
        assert_eq!(w.status(end), WindowStatus::Closed);
        assert_eq!(
            Window::new(BusinessKind::Theory, end, start),
            Err(WindowError::EndBeforeStart)
        );
    }
}
