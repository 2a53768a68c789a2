//! 成绩库导入: specialties, courses, plans, enrolled candidates, results and exam
//! arrangements from CSV or XLSX, by the command line and the province admin's
//! page. A file is checked whole first; with any error nothing changes. A
//! correct file is written in one transaction; a dry run writes it and rolls
//! back, so its counts are exactly what applying would do.

mod read;
mod rows;

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use serde::Serialize;

pub use read::{Table, read_table};
pub use rows::{Column, columns};

use super::{App, ServiceError, ServiceResult, StaffSession};
use crate::storage::import::{Cell, Step, targets};
use crate::storage::micros;

/// The kinds of import file (the words of `zikao import KIND FILE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Specialties,
    Courses,
    Plans,
    Candidates,
    Results,
    Arrangements,
}

impl ImportKind {
    /// Every kind, in the order files are best imported.
    pub const ALL: &'static [ImportKind] = &[
        Self::Specialties,
        Self::Courses,
        Self::Plans,
        Self::Candidates,
        Self::Results,
        Self::Arrangements,
    ];

    /// The word of the command line and the forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Specialties => "specialties",
            Self::Courses => "courses",
            Self::Plans => "plans",
            Self::Candidates => "candidates",
            Self::Results => "results",
            Self::Arrangements => "arrangements",
        }
    }

    /// The Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Specialties => "专业",
            Self::Courses => "课程",
            Self::Plans => "专业计划",
            Self::Candidates => "在籍考生",
            Self::Results => "成绩",
            Self::Arrangements => "考试安排",
        }
    }

    /// Reads the word back.
    pub fn from_word(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// The Chinese header names of the columns, required ones first marked *.
    pub fn header_names(self) -> Vec<String> {
        columns(self)
            .iter()
            .map(|c| {
                if c.required {
                    c.names[0].to_owned()
                } else {
                    format!("{}（可选）", c.names[0])
                }
            })
            .collect()
    }
}

/// A problem of one line (or of the whole file when `line` is None).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RowError {
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "第{line}行：{}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

/// Errors shown at most; the rest are counted.
pub const ERRORS_SHOWN: usize = 200;

/// The outcome of checking or applying a file.
#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub kind: ImportKind,
    /// Data lines read (the header not counted).
    pub rows: usize,
    pub inserted: u64,
    pub updated: u64,
    /// Plan courses no longer in a specialty's plan.
    pub removed: u64,
    /// The first [`ERRORS_SHOWN`] errors, by line.
    pub errors: Vec<RowError>,
    /// Errors beyond those shown.
    pub more_errors: usize,
    /// Whether the file was written (false for a dry run or a file with errors).
    pub applied: bool,
}

impl ImportReport {
    fn failed(kind: ImportKind, rows: usize, mut errors: Vec<RowError>) -> Self {
        errors.sort_by_key(|e| e.line);
        let more_errors = errors.len().saturating_sub(ERRORS_SHOWN);
        errors.truncate(ERRORS_SHOWN);
        Self {
            kind,
            rows,
            inserted: 0,
            updated: 0,
            removed: 0,
            errors,
            more_errors,
            applied: false,
        }
    }

    /// Unchanged lines: neither new nor changed.
    pub fn unchanged(&self) -> u64 {
        (self.rows as u64).saturating_sub(self.inserted + self.updated)
    }

    /// Whether the file has errors.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Who applies an import: a province admin on the page, or the command line.
#[derive(Clone, Copy)]
pub enum ImportActor<'a> {
    Staff(&'a StaffSession, Option<IpAddr>),
    CommandLine,
}

/// Lines checked so far: the records and the errors.
struct Checked<T> {
    records: Vec<(usize, T)>,
    errors: Vec<RowError>,
}

impl<T> Checked<T> {
    fn error(&mut self, line: usize, message: impl Into<String>) {
        self.errors.push(RowError {
            line: Some(line),
            message: message.into(),
        });
    }

    /// Marks a second line with the same key as the first.
    fn unique_by(&mut self, key: impl Fn(&T) -> String, what: &str) {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut dups = vec![];
        for (line, r) in &self.records {
            if let Some(first) = seen.insert(key(r), *line) {
                dups.push((*line, first));
                seen.insert(key(r), first);
            }
        }
        for (line, first) in dups {
            self.error(line, format!("与第{first}行{what}重复"));
        }
    }

    /// Marks lines whose reference is not in `known`.
    fn references(
        &mut self,
        known: &HashSet<String>,
        key: impl Fn(&T) -> Option<&str>,
        what: &str,
    ) {
        let mut missing = vec![];
        for (line, r) in &self.records {
            if let Some(k) = key(r)
                && !known.contains(k)
            {
                missing.push((*line, format!("{what}“{k}”不在成绩库中，请先导入")));
            }
        }
        for (line, m) in missing {
            self.error(line, m);
        }
    }

    fn keys(&self, key: impl Fn(&T) -> Option<&str>) -> Vec<String> {
        let set: HashSet<&str> = self.records.iter().filter_map(|(_, r)| key(r)).collect();
        set.into_iter().map(str::to_owned).collect()
    }
}

fn check<T>(
    kind: ImportKind,
    table: &Table,
    at: &[Option<usize>],
    parse: impl Fn(&rows::Line) -> Result<T, String>,
) -> Checked<T> {
    let mut out = Checked {
        records: Vec::with_capacity(table.rows.len()),
        errors: vec![],
    };
    for (line, cells) in &table.rows {
        let l = rows::Line { kind, cells, at };
        match parse(&l) {
            Ok(r) => out.records.push((*line, r)),
            Err(m) => out.error(*line, m),
        }
    }
    out
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

impl App {
    /// Checks a file and, when `apply` and it has no error, writes it in one
    /// transaction; with `apply` false the counts come from a rolled-back write.
    pub async fn import_records(
        &self,
        kind: ImportKind,
        bytes: &[u8],
        apply: bool,
        actor: ImportActor<'_>,
    ) -> ServiceResult<ImportReport> {
        let file_error = |message: String| {
            ImportReport::failed(
                kind,
                0,
                vec![RowError {
                    line: None,
                    message,
                }],
            )
        };
        let table = match read_table(bytes) {
            Ok(t) => t,
            Err(m) => return Ok(file_error(m)),
        };
        if table.headers.is_empty() {
            return Ok(file_error("文件是空的".into()));
        }
        let at = match rows::locate(kind, &table.headers) {
            Ok(at) => at,
            Err(m) => return Ok(file_error(m)),
        };
        if table.rows.is_empty() {
            return Ok(file_error("文件中只有表头，没有数据行".into()));
        }
        let planned = match kind {
            ImportKind::Specialties => self.specialty_steps(&table, &at),
            ImportKind::Courses => self.course_steps(&table, &at).await?,
            ImportKind::Plans => self.plan_steps(&table, &at).await?,
            ImportKind::Candidates => self.candidate_steps(&table, &at).await?,
            ImportKind::Results => self.result_steps(&table, &at).await?,
            ImportKind::Arrangements => self.arrangement_steps(&table, &at).await?,
        };
        let steps = match planned {
            Ok(steps) => steps,
            Err(errors) => return Ok(ImportReport::failed(kind, table.rows.len(), errors)),
        };
        let counts = self.db.run_import(&steps, apply).await?;
        let report = ImportReport {
            kind,
            rows: table.rows.len(),
            inserted: counts.inserted,
            updated: counts.updated,
            removed: counts.removed,
            errors: vec![],
            more_errors: 0,
            applied: apply,
        };
        if apply {
            let (who, address) = match actor {
                ImportActor::Staff(s, ip) => (s.staff.id.as_str(), ip),
                ImportActor::CommandLine => ("command-line", None),
            };
            let after = serde_json::json!({
                "kind": kind.as_str(),
                "rows": report.rows,
                "inserted": report.inserted,
                "updated": report.updated,
                "removed": report.removed,
            });
            self.audit(
                who,
                address,
                "records.import",
                Some(kind.as_str()),
                None,
                Some(&after),
            )
            .await?;
            tracing::info!(
                kind = kind.as_str(),
                rows = report.rows,
                inserted = report.inserted,
                updated = report.updated,
                "exam records imported"
            );
        }
        Ok(report)
    }

    fn specialty_steps(
        &self,
        table: &Table,
        at: &[Option<usize>],
    ) -> Result<Vec<Step>, Vec<RowError>> {
        let mut c = check(ImportKind::Specialties, table, at, rows::specialty);
        c.unique_by(|s| s.code.clone(), "专业代码");
        if !c.errors.is_empty() {
            return Err(c.errors);
        }
        let rows = c
            .records
            .into_iter()
            .map(|(_, s)| {
                vec![
                    Cell::Text(s.code),
                    Cell::Text(s.name),
                    Cell::Text(s.level),
                    Cell::OptInt(s.graduation_credits),
                ]
            })
            .collect();
        Ok(vec![Step::Upsert {
            target: &targets::SPECIALTIES,
            rows,
            counted: true,
        }])
    }

    async fn course_steps(
        &self,
        table: &Table,
        at: &[Option<usize>],
    ) -> ServiceResult<Result<Vec<Step>, Vec<RowError>>> {
        let mut c = check(ImportKind::Courses, table, at, rows::course);
        c.unique_by(|r| r.code.clone(), "课程代码");
        let theory = c.keys(|r| r.theory_course.as_deref());
        let mut known = self.db.existing("courses", "code", &theory).await?;
        known.extend(c.records.iter().map(|(_, r)| r.code.clone()));
        c.references(&known, |r| r.theory_course.as_deref(), "所属理论课程");
        if !c.errors.is_empty() {
            return Ok(Err(c.errors));
        }
        let rows = c
            .records
            .into_iter()
            .map(|(_, r)| {
                vec![
                    Cell::Text(r.code),
                    Cell::Text(r.name),
                    Cell::Int(r.credits),
                    text(r.kind),
                    Cell::OptText(r.theory_course),
                ]
            })
            .collect();
        Ok(Ok(vec![Step::Upsert {
            target: &targets::COURSES,
            rows,
            counted: true,
        }]))
    }

    async fn plan_steps(
        &self,
        table: &Table,
        at: &[Option<usize>],
    ) -> ServiceResult<Result<Vec<Step>, Vec<RowError>>> {
        let mut c = check(ImportKind::Plans, table, at, rows::plan);
        c.unique_by(|(s, k)| format!("{s}/{k}"), "专业代码和课程代码");
        let specialties = c.keys(|(s, _)| Some(s.as_str()));
        let known = self
            .db
            .existing("specialties", "code", &specialties)
            .await?;
        c.references(&known, |(s, _)| Some(s.as_str()), "专业代码");
        let courses = c.keys(|(_, k)| Some(k.as_str()));
        let known = self.db.existing("courses", "code", &courses).await?;
        c.references(&known, |(_, k)| Some(k.as_str()), "课程代码");
        if !c.errors.is_empty() {
            return Ok(Err(c.errors));
        }
        let mut by_specialty: HashMap<String, Vec<String>> = HashMap::new();
        for (_, (s, k)) in &c.records {
            by_specialty.entry(s.clone()).or_default().push(k.clone());
        }
        let rows = c
            .records
            .into_iter()
            .map(|(_, (s, k))| vec![Cell::Text(s), Cell::Text(k)])
            .collect();
        let mut steps = vec![Step::Upsert {
            target: &targets::PLAN_COURSES,
            rows,
            counted: true,
        }];
        let mut specialties: Vec<_> = by_specialty.into_iter().collect();
        specialties.sort();
        steps.extend(
            specialties
                .into_iter()
                .map(|(specialty, keep)| Step::TrimPlan { specialty, keep }),
        );
        Ok(Ok(steps))
    }

    async fn candidate_steps(
        &self,
        table: &Table,
        at: &[Option<usize>],
    ) -> ServiceResult<Result<Vec<Step>, Vec<RowError>>> {
        let today = self.clock.today();
        let mut c = check(ImportKind::Candidates, table, at, |l| {
            rows::enrolled(l, &self.province, today)
        });
        c.unique_by(|r| r.ticket.clone(), "准考证号");
        let specialties = c.keys(|r| r.specialty.as_deref());
        let known = self
            .db
            .existing("specialties", "code", &specialties)
            .await?;
        c.references(&known, |r| r.specialty.as_deref(), "专业代码");
        if !c.errors.is_empty() {
            return Ok(Err(c.errors));
        }
        let now = micros(self.clock.now());
        let rows = c
            .records
            .into_iter()
            .map(|(_, r)| {
                let id = r.id_number.as_str();
                vec![
                    Cell::Text(r.ticket),
                    Cell::Text(self.keys.blind_index("id_number", id)),
                    Cell::Text(r.name),
                    text(r.gender),
                    Cell::OptText(r.specialty),
                    Cell::Text(r.city),
                    Cell::Text(r.county),
                    text(r.status),
                    Cell::OptText(r.transfer_in_date),
                    Cell::Text(self.keys.encrypt("id_number", id)),
                    Cell::Int(now),
                ]
            })
            .collect();
        Ok(Ok(vec![Step::Upsert {
            target: &targets::EXAM_CANDIDATES,
            rows,
            counted: true,
        }]))
    }

    async fn result_steps(
        &self,
        table: &Table,
        at: &[Option<usize>],
    ) -> ServiceResult<Result<Vec<Step>, Vec<RowError>>> {
        let today = self.clock.today();
        let mut c = check(ImportKind::Results, table, at, |l| rows::score(l, today));
        c.unique_by(
            |r| format!("{}/{}/{}-{}", r.ticket, r.course, r.year, r.month),
            "准考证号、课程代码和考试年月",
        );
        // One passed result per candidate and course.
        let mut passed = Checked {
            records: c
                .records
                .iter()
                .filter(|(_, r)| r.passed)
                .map(|(l, r)| (*l, format!("{}/{}", r.ticket, r.course)))
                .collect(),
            errors: vec![],
        };
        passed.unique_by(|k| k.clone(), "同一考生同一课程的合格成绩");
        c.errors.append(&mut passed.errors);
        let tickets = c.keys(|r| Some(r.ticket.as_str()));
        let known = self
            .db
            .existing("exam_candidates", "ticket", &tickets)
            .await?;
        c.references(&known, |r| Some(r.ticket.as_str()), "准考证号");
        let courses = c.keys(|r| Some(r.course.as_str()));
        let known = self.db.existing("courses", "code", &courses).await?;
        c.references(&known, |r| Some(r.course.as_str()), "课程代码");
        if !c.errors.is_empty() {
            return Ok(Err(c.errors));
        }
        let result_row = |r: &rows::Score| {
            vec![
                text(&r.ticket),
                text(&r.course),
                text(&r.score),
                Cell::Int(r.year),
                Cell::Int(r.month),
                Cell::Int(i64::from(r.by_exemption)),
            ]
        };
        let (exempt, sat): (Vec<_>, Vec<_>) = c
            .records
            .into_iter()
            .map(|(_, r)| r)
            .partition(|r| r.by_exemption);
        let scores = sat
            .iter()
            .map(|r| {
                vec![
                    text(&r.ticket),
                    Cell::Int(r.year),
                    Cell::Int(r.month),
                    text(&r.course),
                    text(&r.score),
                    Cell::Int(i64::from(r.passed)),
                ]
            })
            .collect();
        Ok(Ok(vec![
            Step::Upsert {
                target: &targets::RESULTS,
                rows: exempt.iter().map(result_row).collect(),
                counted: true,
            },
            Step::Upsert {
                target: &targets::SESSION_SCORES,
                rows: scores,
                counted: true,
            },
            // A passed exam score is also the course's passed result; it is the
            // same line of the file, so it is not counted twice.
            Step::Upsert {
                target: &targets::RESULTS,
                rows: sat.iter().filter(|r| r.passed).map(result_row).collect(),
                counted: false,
            },
        ]))
    }

    async fn arrangement_steps(
        &self,
        table: &Table,
        at: &[Option<usize>],
    ) -> ServiceResult<Result<Vec<Step>, Vec<RowError>>> {
        let mut c = check(ImportKind::Arrangements, table, at, rows::arrangement);
        c.unique_by(
            |r| format!("{}/{}-{}/{}", r.ticket, r.year, r.month, r.course),
            "准考证号、考次和课程代码",
        );
        c.unique_by(
            |r| format!("{}/{}/{}", r.ticket, r.date, r.time),
            "同一考生同一时间的考试",
        );
        let tickets = c.keys(|r| Some(r.ticket.as_str()));
        let known = self
            .db
            .existing("exam_candidates", "ticket", &tickets)
            .await?;
        c.references(&known, |r| Some(r.ticket.as_str()), "准考证号");
        let courses = c.keys(|r| Some(r.course.as_str()));
        let known = self.db.existing("courses", "code", &courses).await?;
        c.references(&known, |r| Some(r.course.as_str()), "课程代码");
        if !c.errors.is_empty() {
            return Ok(Err(c.errors));
        }
        let rows = c
            .records
            .into_iter()
            .map(|(_, r)| {
                vec![
                    Cell::Text(r.ticket),
                    Cell::Int(r.year),
                    Cell::Int(r.month),
                    Cell::Text(r.course),
                    Cell::Text(r.date),
                    Cell::Text(r.time),
                    Cell::Text(r.venue),
                    Cell::Text(r.room),
                    Cell::Text(r.seat),
                ]
            })
            .collect();
        Ok(Ok(vec![Step::Upsert {
            target: &targets::ARRANGEMENTS,
            rows,
            counted: true,
        }]))
    }
}

/// Where a checked upload waits for the province admin's confirmation.
fn staged_key(id: &str) -> Option<String> {
    (id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| format!("imports/{id}"))
}

impl App {
    /// Checks an uploaded file (a dry run) and keeps it for the confirmation
    /// step: the report and the id of the kept file.
    pub async fn stage_import(
        &self,
        actor: &StaffSession,
        kind: ImportKind,
        bytes: Vec<u8>,
    ) -> ServiceResult<(ImportReport, Option<String>)> {
        self.require_province_admin(actor)?;
        let report = self
            .import_records(kind, &bytes, false, ImportActor::Staff(actor, None))
            .await?;
        if report.has_errors() {
            return Ok((report, None));
        }
        let id = crate::storage::new_id();
        let key = staged_key(&id).ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("id")))?;
        self.files
            .put(&key, bytes)
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?;
        Ok((report, Some(id)))
    }

    /// Applies a file kept by [`App::stage_import`], checking it again, and
    /// removes it once written.
    pub async fn apply_staged_import(
        &self,
        actor: &StaffSession,
        address: Option<IpAddr>,
        kind: ImportKind,
        id: &str,
    ) -> ServiceResult<ImportReport> {
        self.require_province_admin(actor)?;
        let key = staged_key(id).ok_or(ServiceError::NotFound)?;
        let bytes = self.files.get(&key).await.map_err(|_| {
            ServiceError::conflict("import_expired", "导入文件已处理或已失效，请重新上传")
        })?;
        let report = self
            .import_records(kind, &bytes, true, ImportActor::Staff(actor, address))
            .await?;
        if report.applied
            && let Err(e) = self.files.delete(&key).await
        {
            tracing::warn!(error = %e, "a staged import file was not removed");
        }
        Ok(report)
    }
}
