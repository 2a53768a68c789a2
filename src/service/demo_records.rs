//! The exam records of the demo beyond the enrolled candidates' passed courses:
//! a second specialty with its national course codes, credits to graduate,
//! the latest session's scores (failed ones too) and the next session's exam
//! arrangements, so that every query center page has something to show.

use super::{App, ServiceResult};
use crate::storage::import::{Cell, Step, Target, targets};

/// (code, name, level, credits to graduate)
const SPECIALTIES: &[(&str, &str, &str, i64)] = &[
    ("120203K", "会计学", "本科", 61),
    ("050105", "汉语言文学", "本科", 72),
    ("080901", "计算机科学与技术", "本科", 70),
    ("530302", "大数据与会计", "专科", 75),
];

/// The 汉语言文学 plan: (code, name, credits, kind).
const CHINESE_PLAN: &[(&str, &str, i64, &str)] = &[
    ("03708", "中国近现代史纲要", 2, "theory"),
    ("03709", "马克思主义基本原理概论", 4, "theory"),
    ("00015", "英语（二）", 14, "theory"),
    ("00037", "美学", 6, "theory"),
    ("00529", "文学概论（一）", 7, "theory"),
    ("00536", "古代汉语", 6, "theory"),
    ("00538", "中国古代文学史（一）", 6, "theory"),
    ("00539", "中国古代文学史（二）", 6, "theory"),
    ("00540", "外国文学史", 6, "theory"),
    ("00541", "语言学概论", 6, "theory"),
    ("00812", "中国现代文学作品选", 6, "theory"),
    ("00813", "外国文学作品选", 6, "theory"),
    ("06999", "毕业论文", 0, "thesis"),
];

/// The latest session's scores: (准考证号, course, score). None of them is a
/// new pass of a candidate with an account, so their passed courses stay as
/// the demo seeds them.
const LATEST: (i64, i64) = (2026, 10);
const LATEST_SCORES: &[(&str, &str, &str)] = &[
    ("140119100001", "00161", "55"),
    ("140119100001", "00159", "48"),
    ("140219100002", "00159", "41"),
    ("140119100003", "00161", "78"),
];

/// The next session's arrangements: (准考证号, course, date, time, room, seat).
const NEXT: (i64, i64) = (2027, 4);
const ARRANGEMENTS: &[(&str, &str, &str, &str, &str, &str, &str)] = &[
    (
        "140119100001",
        "00161",
        "2027-04-10",
        "09:00-11:30",
        "太原市第五中学（示例考点）",
        "012",
        "18",
    ),
    (
        "140119100001",
        "00159",
        "2027-04-10",
        "14:30-17:00",
        "太原市第五中学（示例考点）",
        "012",
        "18",
    ),
    (
        "140219100002",
        "00159",
        "2027-04-10",
        "14:30-17:00",
        "大同市第一中学（示例考点）",
        "005",
        "07",
    ),
];

fn t(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

impl App {
    /// Writes the demo's specialties, plans, latest scores and arrangements.
    pub(super) async fn seed_demo_records(&self) -> ServiceResult<()> {
        let specialties = SPECIALTIES
            .iter()
            .map(|(code, name, level, credits)| {
                vec![t(code), t(name), t(level), Cell::OptInt(Some(*credits))]
            })
            .collect();
        let courses = CHINESE_PLAN
            .iter()
            .map(|(code, name, credits, kind)| {
                vec![
                    t(code),
                    t(name),
                    Cell::Int(*credits),
                    t(kind),
                    Cell::OptText(None),
                ]
            })
            .collect();
        let plan = CHINESE_PLAN
            .iter()
            .map(|(code, ..)| vec![t("050105"), t(code)])
            .collect();
        let scores = LATEST_SCORES
            .iter()
            .map(|(ticket, course, score)| {
                let passed = score.parse::<i64>().is_ok_and(|n| n >= 60);
                vec![
                    t(ticket),
                    Cell::Int(LATEST.0),
                    Cell::Int(LATEST.1),
                    t(course),
                    t(score),
                    Cell::Int(i64::from(passed)),
                ]
            })
            .collect();
        let passed = LATEST_SCORES
            .iter()
            .filter(|(_, _, score)| score.parse::<i64>().is_ok_and(|n| n >= 60))
            .map(|(ticket, course, score)| {
                vec![
                    t(ticket),
                    t(course),
                    t(score),
                    Cell::Int(LATEST.0),
                    Cell::Int(LATEST.1),
                    Cell::Int(0),
                ]
            })
            .collect();
        let arrangements = ARRANGEMENTS
            .iter()
            .map(|(ticket, course, date, time, venue, room, seat)| {
                vec![
                    t(ticket),
                    Cell::Int(NEXT.0),
                    Cell::Int(NEXT.1),
                    t(course),
                    t(date),
                    t(time),
                    t(venue),
                    t(room),
                    t(seat),
                ]
            })
            .collect();
        let upsert = |target: &'static Target, rows: Vec<Vec<Cell>>| Step::Upsert {
            target,
            rows,
            counted: false,
        };
        let steps = [
            upsert(&targets::SPECIALTIES, specialties),
            upsert(&targets::COURSES, courses),
            upsert(&targets::PLAN_COURSES, plan),
            upsert(&targets::SESSION_SCORES, scores),
            upsert(&targets::RESULTS, passed),
            upsert(&targets::ARRANGEMENTS, arrangements),
        ];
        self.db.run_import(&steps, true).await?;
        Ok(())
    }
}
