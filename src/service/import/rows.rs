//! The columns of each import kind and the checks of one line, without the
//! database: every line becomes a typed record or a Chinese message.

use chrono::{Datelike, NaiveDate};

use super::ImportKind;
use crate::domain::{PersonName, ResidentId, Ticket, gender_of};
use crate::province::Province;

/// A column: its key and the header names accepted for it (Chinese first).
pub struct Column {
    pub key: &'static str,
    pub names: &'static [&'static str],
    pub required: bool,
}

const fn col(key: &'static str, names: &'static [&'static str], required: bool) -> Column {
    Column {
        key,
        names,
        required,
    }
}

const SPECIALTIES: &[Column] = &[
    col("code", &["专业代码", "code"], true),
    col("name", &["专业名称", "name"], true),
    col("level", &["专业层次", "层次", "level"], true),
    col("credits", &["毕业学分", "graduation_credits"], false),
];

const COURSES: &[Column] = &[
    col("code", &["课程代码", "code"], true),
    col("name", &["课程名称", "name"], true),
    col("credits", &["学分", "credits"], true),
    col("kind", &["课程类型", "类型", "kind"], true),
    col(
        "theory",
        &["所属理论课程代码", "理论课程代码", "theory_course"],
        false,
    ),
];

const PLANS: &[Column] = &[
    col("specialty", &["专业代码", "specialty_code"], true),
    col("course", &["课程代码", "course_code"], true),
];

const CANDIDATES: &[Column] = &[
    col("ticket", &["准考证号", "ticket"], true),
    col("id_number", &["身份证号", "id_number"], true),
    col("name", &["姓名", "name"], true),
    col("gender", &["性别", "gender"], false),
    col("specialty", &["专业代码", "specialty_code"], false),
    col("city", &["地市", "地市代码", "city"], true),
    col("county", &["区县", "区县代码", "county"], true),
    col("status", &["学籍状态", "状态", "status"], false),
    col("transfer_in", &["转入日期", "transfer_in_date"], false),
];

const RESULTS: &[Column] = &[
    col("ticket", &["准考证号", "ticket"], true),
    col("course", &["课程代码", "course_code"], true),
    col("score", &["成绩", "score"], true),
    col("session", &["考试年月", "合格年月", "exam_month"], true),
    col("way", &["合格方式", "way"], false),
];

const ARRANGEMENTS: &[Column] = &[
    col("ticket", &["准考证号", "ticket"], true),
    col("session", &["考次", "考试年月", "exam_month"], true),
    col("course", &["课程代码", "course_code"], true),
    col("date", &["考试日期", "exam_date"], true),
    col("time", &["考试时间", "exam_time"], true),
    col("venue", &["考点", "venue"], true),
    col("room", &["考场", "考场号", "room"], false),
    col("seat", &["座位号", "seat"], true),
];

/// The columns of a kind, in the documented order.
pub fn columns(kind: ImportKind) -> &'static [Column] {
    match kind {
        ImportKind::Specialties => SPECIALTIES,
        ImportKind::Courses => COURSES,
        ImportKind::Plans => PLANS,
        ImportKind::Candidates => CANDIDATES,
        ImportKind::Results => RESULTS,
        ImportKind::Arrangements => ARRANGEMENTS,
    }
}

/// Where each column of `kind` sits in the header; the missing required
/// columns as a message.
pub fn locate(kind: ImportKind, headers: &[String]) -> Result<Vec<Option<usize>>, String> {
    let cols = columns(kind);
    let found: Vec<Option<usize>> = cols
        .iter()
        .map(|c| {
            headers.iter().position(|h| {
                let h = h.trim();
                c.names.iter().any(|n| n.eq_ignore_ascii_case(h))
            })
        })
        .collect();
    let missing: Vec<&str> = cols
        .iter()
        .zip(&found)
        .filter(|(c, f)| c.required && f.is_none())
        .map(|(c, _)| c.names[0])
        .collect();
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(format!(
            "第1行（表头）缺少列：{}。请使用导入说明中的列名",
            missing.join("、")
        ))
    }
}

/// One line of a file with its columns located.
pub struct Line<'a> {
    pub kind: ImportKind,
    pub cells: &'a [String],
    pub at: &'a [Option<usize>],
}

impl Line<'_> {
    /// The trimmed text of a column ("" when absent or empty).
    pub fn get(&self, key: &str) -> &str {
        columns(self.kind)
            .iter()
            .position(|c| c.key == key)
            .and_then(|i| self.at[i])
            .and_then(|i| self.cells.get(i))
            .map_or("", |s| s.trim())
    }

    /// The text of a required column, or a message naming it.
    pub fn required(&self, key: &str) -> Result<&str, String> {
        let v = self.get(key);
        if v.is_empty() {
            let name = columns(self.kind)
                .iter()
                .find(|c| c.key == key)
                .map_or(key, |c| c.names[0]);
            Err(format!("{name}不能为空"))
        } else {
            Ok(v)
        }
    }
}

/// A specialty 专业.
#[derive(Debug, Clone)]
pub struct Specialty {
    pub code: String,
    pub name: String,
    pub level: String,
    pub graduation_credits: Option<i64>,
}

/// A course 课程.
#[derive(Debug, Clone)]
pub struct Course {
    pub code: String,
    pub name: String,
    pub credits: i64,
    pub kind: &'static str,
    pub theory_course: Option<String>,
}

/// An enrolled candidate 在籍考生.
#[derive(Debug, Clone)]
pub struct Enrolled {
    pub ticket: String,
    pub id_number: ResidentId,
    pub name: String,
    pub gender: &'static str,
    pub specialty: Option<String>,
    pub city: String,
    pub county: String,
    pub status: &'static str,
    pub transfer_in_date: Option<String>,
}

/// One score of a course.
#[derive(Debug, Clone)]
pub struct Score {
    pub ticket: String,
    pub course: String,
    pub score: String,
    pub year: i64,
    pub month: i64,
    pub by_exemption: bool,
    pub passed: bool,
}

/// Where and when a candidate sits a course.
#[derive(Debug, Clone)]
pub struct Arrangement {
    pub ticket: String,
    pub year: i64,
    pub month: i64,
    pub course: String,
    pub date: String,
    pub time: String,
    pub venue: String,
    pub room: String,
    pub seat: String,
}

/// A specialty code: national codes are 6 digits, some with a letter (120203K).
pub fn specialty_code(s: &str) -> Result<String, String> {
    let s = s.trim().to_ascii_uppercase();
    if (4..=10).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(s)
    } else {
        Err(format!("专业代码“{s}”格式不正确，应为4至10位数字或字母"))
    }
}

/// A course code: five digits.
pub fn course_code(s: &str) -> Result<String, String> {
    let s = s.trim();
    if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "课程代码“{s}”应为5位数字（Excel中请把该列设为文本，以保留开头的0）"
        ))
    }
}

fn text(s: &str, what: &str, max: usize) -> Result<String, String> {
    let n = s.chars().count();
    if n == 0 || n > max || s.chars().any(char::is_control) {
        Err(format!("{what}应为1至{max}个字符"))
    } else {
        Ok(s.to_owned())
    }
}

fn whole(s: &str, what: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, String> {
    match s.parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(format!(
            "{what}“{s}”应为{}至{}之间的整数",
            range.start(),
            range.end()
        )),
    }
}

/// A 考试年月 such as 2026-10, 2026/10, 202610, 2026年10月 or 2026-10-01.
pub fn year_month(s: &str, what: &str) -> Result<(i64, i64), String> {
    let digits: Vec<&str> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect();
    let pair = match digits.as_slice() {
        [ym] if ym.len() == 6 => ym[..4].parse().ok().zip(ym[4..].parse().ok()),
        [y, m] | [y, m, _] if y.len() == 4 => y.parse().ok().zip(m.parse().ok()),
        _ => None,
    };
    match pair {
        Some((y, m)) if (1981..=2100).contains(&y) && (1..=12).contains(&m) => Ok((y, m)),
        _ => Err(format!("{what}“{s}”格式不正确，应如 2026-10")),
    }
}

fn not_future(ym: (i64, i64), today: NaiveDate, what: &str) -> Result<(i64, i64), String> {
    if ym > (i64::from(today.year()), i64::from(today.month())) {
        Err(format!("{what}不能晚于本月"))
    } else {
        Ok(ym)
    }
}

fn date(s: &str, what: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .map_err(|_| format!("{what}“{s}”格式不正确，应如 2027-04-10"))
}

/// One line of a specialties file.
pub fn specialty(l: &Line) -> Result<Specialty, String> {
    let level = match l.required("level")? {
        "专科" | "associate" => "专科",
        "本科" | "bachelor" => "本科",
        other => return Err(format!("专业层次“{other}”应为“专科”或“本科”")),
    };
    let credits = match l.get("credits") {
        "" => None,
        c => Some(whole(c, "毕业学分", 1..=300)?),
    };
    Ok(Specialty {
        code: specialty_code(l.required("code")?)?,
        name: text(l.required("name")?, "专业名称", 60)?,
        level: level.into(),
        graduation_credits: credits,
    })
}

/// One line of a courses file.
pub fn course(l: &Line) -> Result<Course, String> {
    let kind = match l.required("kind")? {
        "理论" | "理论课" | "理论课程" | "theory" => "theory",
        "实践" | "实践课" | "实践环节" | "实践性环节" | "practical" => "practical",
        "毕业论文" | "论文" | "thesis" => "thesis",
        other => return Err(format!("课程类型“{other}”应为“理论”“实践”或“毕业论文”")),
    };
    let theory_course = match l.get("theory") {
        "" => None,
        t if kind == "practical" => Some(course_code(t)?),
        _ => return Err("只有实践课程可以填写所属理论课程代码".into()),
    };
    Ok(Course {
        code: course_code(l.required("code")?)?,
        name: text(l.required("name")?, "课程名称", 60)?,
        credits: whole(l.required("credits")?, "学分", 0..=30)?,
        kind,
        theory_course,
    })
}

/// One line of a plans file: (specialty, course).
pub fn plan(l: &Line) -> Result<(String, String), String> {
    Ok((
        specialty_code(l.required("specialty")?)?,
        course_code(l.required("course")?)?,
    ))
}

/// One line of an enrolled candidates file.
pub fn enrolled(l: &Line, province: &Province, today: NaiveDate) -> Result<Enrolled, String> {
    let ticket = Ticket::parse(l.required("ticket")?).map_err(|e| e.to_string())?;
    let id_number =
        ResidentId::parse(l.required("id_number")?, today).map_err(|e| e.to_string())?;
    let name = PersonName::parse(l.required("name")?).map_err(|e| e.to_string())?;
    let gender = gender_of(&id_number);
    match l.get("gender") {
        "" => {}
        g if g == gender.label() || g == gender.as_str() => {}
        "男" | "女" | "male" | "female" => return Err("性别与身份证号不一致".into()),
        other => return Err(format!("性别“{other}”应为“男”或“女”")),
    }
    let city_text = l.required("city")?;
    let city = province
        .cities
        .iter()
        .find(|c| c.code == city_text || c.name == city_text)
        .ok_or_else(|| format!("地市“{city_text}”不是{}的地市", province.info.name))?;
    let county_text = l.required("county")?;
    let county = city
        .counties
        .iter()
        .find(|k| k.code == county_text || k.name == county_text)
        .ok_or_else(|| format!("区县“{county_text}”不属于{}", city.name))?;
    let status = match l.get("status") {
        "" | "在籍" | "正常" | "active" => "active",
        "暂停" | "停考" | "suspended" => "suspended",
        other => return Err(format!("学籍状态“{other}”应为“在籍”或“暂停”")),
    };
    let transfer_in_date = match l.get("transfer_in") {
        "" => None,
        d => {
            let d = date(d, "转入日期")?;
            if d > today {
                return Err("转入日期不能晚于今天".into());
            }
            Some(d.to_string())
        }
    };
    let specialty = match l.get("specialty") {
        "" => None,
        s => Some(specialty_code(s)?),
    };
    Ok(Enrolled {
        ticket: ticket.as_str().into(),
        id_number,
        name: name.as_str().into(),
        gender: gender.as_str(),
        specialty,
        city: city.code.clone(),
        county: county.code.clone(),
        status,
        transfer_in_date,
    })
}

/// One line of a results file.
pub fn score(l: &Line, today: NaiveDate) -> Result<Score, String> {
    let ticket = Ticket::parse(l.required("ticket")?).map_err(|e| e.to_string())?;
    let course = course_code(l.required("course")?)?;
    let (year, month) = not_future(
        year_month(l.required("session")?, "考试年月")?,
        today,
        "考试年月",
    )?;
    let by_exemption = match l.get("way") {
        "" | "考试" | "exam" => false,
        "免考" | "exemption" => true,
        other => return Err(format!("合格方式“{other}”应为“考试”或“免考”")),
    };
    let raw = l.required("score")?;
    let (score, passed) = match raw {
        "合格" | "不合格" => (raw.to_owned(), raw == "合格"),
        "免考" => (raw.to_owned(), true),
        n => {
            let n = whole(n, "成绩", 0..=100)?;
            (n.to_string(), n >= 60)
        }
    };
    if (by_exemption || score == "免考") && !passed {
        return Err("免考的课程成绩应为合格".into());
    }
    Ok(Score {
        ticket: ticket.as_str().into(),
        course,
        by_exemption: by_exemption || score == "免考",
        score,
        year,
        month,
        passed,
    })
}

/// One line of an exam arrangements file.
pub fn arrangement(l: &Line) -> Result<Arrangement, String> {
    let ticket = Ticket::parse(l.required("ticket")?).map_err(|e| e.to_string())?;
    let (year, month) = year_month(l.required("session")?, "考次")?;
    let day = date(l.required("date")?, "考试日期")?;
    if (i64::from(day.year()), i64::from(day.month())) != (year, month) {
        return Err("考试日期不在所填考次的月份内".into());
    }
    let time = l.required("time")?.replace(['－', '—', '~', '～'], "-");
    if !is_time_span(&time) {
        return Err(format!("考试时间“{time}”格式不正确，应如 09:00-11:30"));
    }
    Ok(Arrangement {
        ticket: ticket.as_str().into(),
        year,
        month,
        course: course_code(l.required("course")?)?,
        date: day.to_string(),
        time,
        venue: text(l.required("venue")?, "考点", 60)?,
        room: match l.get("room") {
            "" => String::new(),
            r => text(r, "考场", 20)?,
        },
        seat: text(l.required("seat")?, "座位号", 10)?,
    })
}

/// HH:MM-HH:MM with the end after the start.
fn is_time_span(s: &str) -> bool {
    let parse = |t: &str| chrono::NaiveTime::parse_from_str(t.trim(), "%H:%M").ok();
    match s.split_once('-') {
        Some((a, b)) => matches!((parse(a), parse(b)), (Some(a), Some(b)) if a < b),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    #[test]
    fn year_months_in_the_usual_forms() {
        for s in ["2026-10", "2026/10", "202610", "2026年10月", "2026-10-01"] {
            assert_eq!(year_month(s, "考试年月"), Ok((2026, 10)), "{s}");
        }
        assert!(year_month("2026-13", "考试年月").is_err());
        assert!(not_future((2027, 1), today(), "考试年月").is_err());
    }

    #[test]
    fn course_codes_keep_their_zeros() {
        assert_eq!(course_code("00015").unwrap(), "00015");
        assert!(course_code("15").unwrap_err().contains("5位数字"));
    }

    #[test]
    fn time_spans() {
        assert!(is_time_span("09:00-11:30"));
        assert!(!is_time_span("11:30-09:00"));
        assert!(!is_time_span("上午"));
    }
}
