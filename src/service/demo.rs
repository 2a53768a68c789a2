//! Demo data for `serve --demo`: exam records, candidates in each identity state,
//! one staff member of each role, and windows around today. Every login goes to
//! `demo-accounts.json` in the data directory.

use std::path::Path;

use chrono::Duration;
use rand::Rng;
use rand::distributions::Alphanumeric;
use serde::Serialize;

use super::{App, NewStaff, ServiceResult};
use crate::domain::{
    BusinessKind, CandidateKind, IdentityState, ResidentId, check_character, gender_of,
};
use crate::storage::{ExamCandidateRow, NewCandidateRow, NewResultRow, micros, new_id};

/// The file's shape: a contract for load tests and scripts.
#[derive(Debug, Serialize)]
pub struct DemoAccounts {
    pub candidates: Vec<DemoCandidate>,
    /// Enrolled candidates who have no password yet (for the 在籍考生 path).
    pub enrolled_without_account: Vec<DemoCandidate>,
    pub staff: Vec<DemoStaff>,
}

/// One demo candidate.
#[derive(Debug, Serialize)]
pub struct DemoCandidate {
    pub name: String,
    pub id_number: String,
    pub ticket: Option<String>,
    pub password: Option<String>,
    pub kind: CandidateKind,
    pub identity_state: Option<IdentityState>,
    pub city: String,
    pub county: String,
}

/// One demo staff account.
#[derive(Debug, Serialize)]
pub struct DemoStaff {
    pub username: String,
    pub password: String,
    pub role: String,
    pub city: Option<String>,
    pub point: Option<String>,
    /// Base32 TOTP secret of a province admin, for any authenticator app.
    pub totp_secret: Option<String>,
}

const SPECIALTIES: &[(&str, &str, &str)] = &[
    ("120203K", "会计学", "本科"),
    ("080901", "计算机科学与技术", "本科"),
    ("530302", "大数据与会计", "专科"),
];

/// (code, name, credits, kind, theory course)
const COURSES: &[(&str, &str, i64, &str, Option<&str>)] = &[
    ("03708", "中国近现代史纲要", 2, "theory", None),
    ("03709", "马克思主义基本原理概论", 4, "theory", None),
    ("00015", "英语（二）", 14, "theory", None),
    ("04184", "线性代数（经管类）", 4, "theory", None),
    ("04183", "概率论与数理统计（经管类）", 5, "theory", None),
    ("00067", "财务管理学", 6, "theory", None),
    ("00155", "中级财务会计", 5, "theory", None),
    ("00156", "成本会计", 4, "theory", None),
    ("00160", "审计学", 4, "theory", None),
    ("00161", "财务报表分析（一）", 5, "theory", None),
    ("00159", "高级财务会计", 6, "theory", None),
    (
        "10429",
        "中级财务会计（实践）",
        2,
        "practical",
        Some("00155"),
    ),
    ("06999", "毕业论文", 0, "thesis", None),
];

/// Demo contacts of a few registration points: (id, address, phone); sample
/// values, marked as such, never real numbers.
const POINT_CONTACTS: &[(&str, &str, &str)] = &[
    ("140105", "（示例）太原市小店区招生考试中心", "0351-0000001"),
    ("140106", "（示例）太原市迎泽区教育局", "0351-0000002"),
    ("140107", "（示例）太原市杏花岭区招生办", "0351-0000003"),
    ("140213", "（示例）大同市平城区招生考试中心", "0352-0000001"),
    ("140702", "（示例）晋中市榆次区招生办", "0354-0000001"),
];

/// (name, county, birth date, sequence, 准考证号, state; no state = enrolled without account)
type DemoPerson = (
    &'static str,
    &'static str,
    &'static str,
    u32,
    Option<&'static str>,
    Option<IdentityState>,
);
/// (username, display name, role, city, registration point)
type DemoStaffSeed = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

/// Telephone area codes of the Shanxi cities, for the sample contacts.
const DEMO_AREA_CODES: &[(&str, &str)] = &[
    ("1401", "0351"),
    ("1402", "0352"),
    ("1403", "0353"),
    ("1404", "0355"),
    ("1405", "0356"),
    ("1406", "0349"),
    ("1407", "0354"),
    ("1408", "0359"),
    ("1409", "0350"),
    ("1410", "0357"),
    ("1411", "0358"),
];

fn password() -> String {
    let tail: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(6)
        .map(char::from)
        .collect();
    format!("Zk{tail}#{}", rand::thread_rng().gen_range(10..99))
}

/// A valid 身份证号 for a county, birth date and sequence.
fn id_number(county: &str, birth: &str, seq: u32) -> String {
    let first17 = format!("{county}{birth}{seq:03}");
    format!("{first17}{}", check_character(first17.as_bytes()) as char)
}

impl App {
    /// Fills an empty database with demo data and writes `demo-accounts.json`;
    /// does nothing when candidates or staff already exist.
    pub async fn seed_demo(&self, data_dir: &Path) -> ServiceResult<Option<DemoAccounts>> {
        if self.db.count_candidates().await? > 0 || self.db.count_staff().await? > 0 {
            return Ok(None);
        }
        let now = self.clock.now();
        let us = micros(now);
        for (code, name, level) in SPECIALTIES {
            self.db.upsert_specialty(code, name, level).await?;
        }
        for (code, name, credits, kind, theory) in COURSES {
            self.db
                .upsert_course(code, name, *credits, kind, *theory)
                .await?;
            self.db.add_plan_course(SPECIALTIES[0].0, code).await?;
        }

        let people: &[DemoPerson] = &[
            (
                "王晓明",
                "140105",
                "19980312",
                231,
                Some("140119100001"),
                Some(IdentityState::Verified),
            ),
            (
                "陈静",
                "140213",
                "19990807",
                342,
                Some("140219100002"),
                Some(IdentityState::Verified),
            ),
            (
                "李华",
                "140105",
                "20000115",
                455,
                Some("140119100003"),
                None,
            ),
            (
                "赵丽",
                "140106",
                "20010520",
                562,
                None,
                Some(IdentityState::AwaitingIdentity),
            ),
        ];
        let mut out = DemoAccounts {
            candidates: vec![],
            enrolled_without_account: vec![],
            staff: vec![],
        };
        for &(name, county, birth, seq, ticket, state) in people {
            let id = id_number(county, birth, seq);
            let parsed = ResidentId::parse(&id, self.clock.today()).expect("demo id is valid");
            let (city, _) = self.province.county(county).expect("demo county exists");
            let id_enc = self.keys.encrypt("id_number", &id);
            let id_idx = self.keys.blind_index("id_number", &id);
            if let Some(ticket) = ticket {
                self.db
                    .upsert_exam_candidate(
                        &ExamCandidateRow {
                            ticket: ticket.into(),
                            id_number_enc: id_enc.clone(),
                            id_number_idx: id_idx.clone(),
                            name: name.into(),
                            gender: gender_of(&parsed).as_str().into(),
                            specialty_code: Some(SPECIALTIES[0].0.into()),
                            city: city.code.clone(),
                            county: county.into(),
                            status: "active".into(),
                            transfer_in_date: None,
                        },
                        us,
                    )
                    .await?;
                for (i, (code, _, _, kind, _)) in COURSES.iter().enumerate().take(9) {
                    let by_exemption = *kind == "theory" && i == 2 && seq == 342;
                    self.db
                        .upsert_result(&NewResultRow {
                            ticket: ticket.into(),
                            course_code: (*code).into(),
                            score: if by_exemption {
                                "免考".into()
                            } else {
                                (60 + (i as i64 * 7 + seq as i64) % 35).to_string()
                            },
                            passed_year: 2020 + (i as i64 / 3),
                            passed_month: if i % 2 == 0 { 4 } else { 10 },
                            by_exemption,
                        })
                        .await?;
                }
            }
            let kind = if ticket.is_some() {
                CandidateKind::Enrolled
            } else {
                CandidateKind::New
            };
            let mut entry = DemoCandidate {
                name: name.into(),
                id_number: id.clone(),
                ticket: ticket.map(Into::into),
                password: None,
                kind,
                identity_state: state,
                city: city.code.clone(),
                county: county.into(),
            };
            let Some(state) = state else {
                out.enrolled_without_account.push(entry);
                continue;
            };
            let pw = password();
            let new = kind == CandidateKind::New;
            self.db
                .insert_candidate(&NewCandidateRow {
                    id: new_id(),
                    kind: kind.as_str().into(),
                    id_number_enc: id_enc,
                    id_number_idx: id_idx,
                    ticket: ticket.map(Into::into),
                    name: name.into(),
                    gender: gender_of(&parsed).as_str().into(),
                    birth_date: parsed.birth_date().to_string(),
                    phone_enc: Some(self.keys.encrypt("phone", &format!("1380351{:04}", seq))),
                    email_enc: new.then(|| self.keys.encrypt("email", "demo@example.cn")),
                    ethnicity: Some("汉族".into()),
                    household: Some("城镇".into()),
                    education: Some("普通高中".into()),
                    occupation: Some("专业技术人员".into()),
                    politics: Some("共青团员".into()),
                    city: city.code.clone(),
                    county: county.into(),
                    password_hash: self
                        .passwords
                        .hash(&pw)
                        .await
                        .map_err(super::ServiceError::Internal)?,
                    identity_state: state.as_str().into(),
                    now: us,
                })
                .await?;
            entry.password = Some(pw);
            out.candidates.push(entry);
        }

        self.seed_demo_records().await?;

        let staff: &[DemoStaffSeed] = &[
            ("admin", "省招考中心管理员", "province_admin", None, None),
            ("taiyuan", "太原市自考办", "city_office", Some("1401"), None),
            ("datong", "大同市自考办", "city_office", Some("1402"), None),
            (
                "xiaodian",
                "小店区报名点",
                "registration_point",
                None,
                Some("140105"),
            ),
        ];
        for &(username, display_name, role, city, point) in staff {
            let pw = password();
            let id = self
                .create_staff(
                    &NewStaff {
                        username: username.into(),
                        display_name: display_name.into(),
                        password: pw.clone(),
                        role: role.into(),
                        city: city.map(Into::into),
                        point: point.map(Into::into),
                    },
                    None,
                )
                .await?;
            let totp_secret = if role == "province_admin" {
                let secret = totp_rs::Secret::generate_secret().to_encoded().to_string();
                self.bind_totp_secret(&id, &secret).await?;
                Some(secret)
            } else {
                None
            };
            out.staff.push(DemoStaff {
                username: username.into(),
                password: pw,
                role: role.into(),
                city: city.map(Into::into),
                point: point.map(Into::into),
                totp_secret,
            });
        }

        for (point, address, phone) in POINT_CONTACTS {
            self.db.set_point_contact(point, address, phone).await?;
        }

        let day = Duration::days(1);
        let windows = [
            (BusinessKind::Theory, now - day * 3, now + day * 14),
            (BusinessKind::Transfer, now - day, now + day * 30),
            (BusinessKind::Exemption, now + day * 10, now + day * 20),
            (BusinessKind::Practical, now - day * 30, now - day * 10),
            (BusinessKind::Graduation, now + day * 40, now + day * 50),
        ];
        for (kind, start, end) in windows {
            self.set_window(kind, start, end).await?;
        }
        self.seed_demo_contacts().await?;

        let json = serde_json::to_string_pretty(&out)
            .map_err(|e| super::ServiceError::Internal(e.into()))?;
        std::fs::write(data_dir.join("demo-accounts.json"), json)
            .map_err(|e| super::ServiceError::Internal(e.into()))?;
        Ok(Some(out))
    }

    /// Sample 联系方式 of the city offices: real area codes, placeholder numbers
    /// and addresses, to be replaced by the province admin.
    async fn seed_demo_contacts(&self) -> ServiceResult<()> {
        for city in &self.province.cities {
            let area = DEMO_AREA_CODES
                .iter()
                .find(|(code, _)| *code == city.code)
                .map_or("0351", |(_, area)| *area);
            self.db
                .set_city_contact(&crate::storage::ContactRow {
                    city: city.code.clone(),
                    office: format!("{}招生考试中心自考办（示例）", city.name),
                    address: format!("{}示例路1号（示例地址）", city.name),
                    phone: format!("{area}-0000000"),
                })
                .await?;
        }
        Ok(())
    }

    /// Makes sure every county has a registration point to scope staff to; the
    /// province admin fills in addresses and phones.
    pub async fn seed_registration_points(&self) -> ServiceResult<()> {
        for city in &self.province.cities {
            for county in &city.counties {
                self.db
                    .insert_point_if_absent(&crate::storage::PointRow {
                        id: county.code.clone(),
                        city: city.code.clone(),
                        county: county.code.clone(),
                        name: format!("{}{}自学考试报名点", city.name, county.name),
                        address: String::new(),
                        phone: String::new(),
                    })
                    .await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_numbers_are_valid() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let id = id_number("140105", "19980312", 231);
        assert!(ResidentId::parse(&id, today).is_ok());
        let pw = password();
        assert!(
            crate::domain::NewPassword::parse(&pw, None, None).is_ok(),
            "{pw}"
        );
    }
}
