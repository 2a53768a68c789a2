//! Which passed courses a transfer-out can move, and whether it may be made at
//! all (DESIGN §7, the national rules).

use chrono::{Months, NaiveDate};

/// One passed course of the exam records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassedCourse {
    pub code: String,
    pub name: String,
    pub credits: i64,
    /// `theory`, `practical` or `thesis`.
    pub kind: String,
    /// For a practical course, the theory course it belongs to.
    pub theory_course: Option<String>,
    pub score: String,
    pub passed_year: i64,
    pub passed_month: i64,
    pub by_exemption: bool,
}

/// What the records say about the candidate, for the rules.
#[derive(Debug, Clone)]
pub struct TransferFacts {
    /// `active` or `suspended`.
    pub status: String,
    pub transfer_in_date: Option<NaiveDate>,
    pub passed: Vec<PassedCourse>,
    /// Course codes of the specialty's plan (empty when no plan is known).
    pub plan: Vec<String>,
}

/// A course that will not move, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmovable {
    pub course: PassedCourse,
    pub reason: &'static str,
}

/// The verdict of the rules.
#[derive(Debug, Clone)]
pub struct Eligibility {
    /// Reasons the application cannot be made; empty when it can.
    pub refusals: Vec<String>,
    pub movable: Vec<PassedCourse>,
    pub unmovable: Vec<Unmovable>,
}

impl Eligibility {
    /// Whether an application may be made.
    pub fn allowed(&self) -> bool {
        self.refusals.is_empty()
    }
}

/// Applies the national rules on `today`.
pub fn assess(facts: &TransferFacts, today: NaiveDate) -> Eligibility {
    let mut refusals = vec![];
    if facts.status == "suspended" {
        refusals.push("您的考籍状态为暂停，暂不能办理转出".to_owned());
    }
    if let Some(date) = facts.transfer_in_date {
        let year_after = date.checked_add_months(Months::new(12)).unwrap_or(date);
        if today < year_after {
            refusals.push(format!(
                "您于{}转入本省，转入未满一年（{}后方可转出）",
                date.format("%Y年%m月%d日"),
                year_after.format("%Y年%m月%d日")
            ));
        }
    }
    let passed_codes: Vec<&str> = facts.passed.iter().map(|c| c.code.as_str()).collect();
    if !facts.plan.is_empty()
        && facts
            .plan
            .iter()
            .all(|c| passed_codes.contains(&c.as_str()))
    {
        refusals.push("您已通过本专业全部课程，请申请毕业，无需转出".to_owned());
    }

    let (mut movable, mut unmovable) = (vec![], vec![]);
    for c in &facts.passed {
        let reason = if c.by_exemption {
            Some("免考取得的课程不能转出")
        } else if c.kind == "thesis" {
            Some("毕业论文不能转出")
        } else if c.kind == "practical"
            && !c
                .theory_course
                .as_deref()
                .is_some_and(|t| passed_codes.contains(&t))
        {
            Some("对应的理论课程未合格，实践课程不能转出")
        } else {
            None
        };
        match reason {
            Some(reason) => unmovable.push(Unmovable {
                course: c.clone(),
                reason,
            }),
            None => movable.push(c.clone()),
        }
    }
    if movable.is_empty() && refusals.is_empty() {
        refusals.push("您没有可以转出的合格课程".to_owned());
    }
    Eligibility {
        refusals,
        movable,
        unmovable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn course(code: &str, kind: &str, theory: Option<&str>, exempt: bool) -> PassedCourse {
        PassedCourse {
            code: code.into(),
            name: format!("课程{code}"),
            credits: 4,
            kind: kind.into(),
            theory_course: theory.map(Into::into),
            score: "70".into(),
            passed_year: 2024,
            passed_month: 4,
            by_exemption: exempt,
        }
    }

    fn facts(passed: Vec<PassedCourse>) -> TransferFacts {
        TransferFacts {
            status: "active".into(),
            transfer_in_date: None,
            passed,
            plan: vec![],
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    #[test]
    fn sorts_courses_by_the_rules() {
        let f = facts(vec![
            course("00015", "theory", None, false),
            course("00155", "theory", None, false),
            course("03708", "theory", None, true),
            course("06999", "thesis", None, false),
            course("10429", "practical", Some("00155"), false),
            course("10430", "practical", Some("00156"), false),
        ]);
        let e = assess(&f, today());
        assert!(e.allowed());
        let moved: Vec<_> = e.movable.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(moved, ["00015", "00155", "10429"]);
        let reasons: Vec<_> = e
            .unmovable
            .iter()
            .map(|u| (u.course.code.as_str(), u.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                ("03708", "免考取得的课程不能转出"),
                ("06999", "毕业论文不能转出"),
                ("10430", "对应的理论课程未合格，实践课程不能转出"),
            ]
        );
    }

    #[test]
    fn refusals() {
        let mut f = facts(vec![course("00015", "theory", None, false)]);
        f.status = "suspended".into();
        assert!(assess(&f, today()).refusals[0].contains("暂停"));

        let mut f = facts(vec![course("00015", "theory", None, false)]);
        f.transfer_in_date = NaiveDate::from_ymd_opt(2025, 12, 4);
        assert!(assess(&f, today()).refusals[0].contains("转入未满一年"));
        f.transfer_in_date = NaiveDate::from_ymd_opt(2025, 12, 3);
        assert!(assess(&f, today()).allowed(), "exactly one year is enough");

        let mut f = facts(vec![course("00015", "theory", None, false)]);
        f.plan = vec!["00015".into()];
        assert!(assess(&f, today()).refusals[0].contains("申请毕业"));

        let f = facts(vec![course("03708", "theory", None, true)]);
        assert_eq!(assess(&f, today()).refusals, ["您没有可以转出的合格课程"]);
    }
}
