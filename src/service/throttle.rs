//! Login failure counting: after five failures for one login name, a wait that
//! doubles from one minute.

use super::{App, ServiceError, ServiceResult};
use crate::storage::micros;

/// Failures allowed before the first wait.
const FREE_FAILURES: i64 = 5;
/// The longest wait, one day.
const MAX_WAIT_SECS: i64 = 24 * 3600;

/// Seconds to wait after `failures` failures (0 while under the limit).
pub fn wait_secs(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(20) as u32;
    (60i64 << doublings).min(MAX_WAIT_SECS)
}

/// "3分钟" / "45秒" for a wait.
pub fn wait_text(secs: i64) -> String {
    if secs >= 3600 && secs % 3600 == 0 {
        format!("{}小时", secs / 3600)
    } else if secs >= 60 {
        format!("{}分钟", (secs + 59) / 60)
    } else {
        format!("{}秒", secs.max(1))
    }
}

impl App {
    /// Refuses the attempt while the login name is locked.
    pub(crate) async fn check_lock(&self, key: &str) -> ServiceResult<()> {
        let t = self.db.throttle(key).await?;
        let now = micros(self.clock.now());
        if t.locked_until > now {
            let secs = (t.locked_until - now + 999_999) / 1_000_000;
            return Err(ServiceError::TooManyRequests {
                retry_after_secs: secs as u64,
                message: format!("登录失败次数过多，请{}后再试", wait_text(secs)),
            });
        }
        Ok(())
    }

    /// Counts a failure; the message says how long to wait when a lock begins.
    /// `who` names the sign-in in the metrics: `candidate`, `staff` or `recovery`.
    pub(crate) async fn fail_login(
        &self,
        who: &'static str,
        key: &str,
        message: &str,
    ) -> ServiceError {
        self.metrics.login_failure(who);
        let now = micros(self.clock.now());
        let recorded = self
            .db
            .record_failure(key, now, |failures| now + wait_secs(failures) * 1_000_000)
            .await;
        match recorded {
            Ok(t) if t.locked_until > now => {
                let secs = (t.locked_until - now) / 1_000_000;
                ServiceError::TooManyRequests {
                    retry_after_secs: secs as u64,
                    message: format!("{message}；失败次数过多，请{}后再试", wait_text(secs)),
                }
            }
            Ok(t) => ServiceError::Unauthorized {
                code: "login_failed",
                message: if t.failures >= FREE_FAILURES - 2 {
                    format!(
                        "{message}；再失败{}次将暂停登录",
                        FREE_FAILURES - t.failures
                    )
                } else {
                    message.to_owned()
                },
                fields: Default::default(),
            },
            Err(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_one_minute() {
        assert_eq!(wait_secs(4), 0);
        assert_eq!(wait_secs(5), 60);
        assert_eq!(wait_secs(6), 120);
        assert_eq!(wait_secs(7), 240);
        assert_eq!(wait_secs(40), MAX_WAIT_SECS);
        assert_eq!(wait_text(120), "2分钟");
        assert_eq!(wait_text(7200), "2小时");
    }
}
