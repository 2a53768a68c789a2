//! Writing an import file in one transaction: multi-row `INSERT … ON CONFLICT
//! DO UPDATE … WHERE <a value differs>`, so an unchanged row is not touched and
//! the counts tell new rows from changed ones.

use std::collections::HashSet;

use sqlx::{AnyConnection, Row};

use super::{Db, DbResult};

/// One cell bound into an import statement.
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

/// A table written by an import: its columns, the first `key` of which are the
/// conflict key, and the columns whose change counts as an update (the other
/// non-key columns are written along, e.g. ciphertext and timestamps).
pub struct Target {
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub key: usize,
    pub compared: &'static [&'static str],
}

/// What one write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub inserted: u64,
    pub updated: u64,
    pub removed: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Self) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.removed += o.removed;
    }
}

/// One step of an import, run in order inside the file's transaction.
pub enum Step {
    /// Upserts rows; counted unless `counted` is false (derived rows).
    Upsert {
        target: &'static Target,
        rows: Vec<Vec<Cell>>,
        counted: bool,
    },
    /// Removes the plan courses of `specialty` that are not in `keep`.
    TrimPlan {
        specialty: String,
        keep: Vec<String>,
    },
}

/// Rows per statement: well under SQLite's 32766 and PostgreSQL's 65535
/// parameters for the widest table.
const ROWS_PER_STATEMENT: usize = 500;

async fn count(conn: &mut AnyConnection, table: &str) -> DbResult<i64> {
    sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(conn)
        .await?
        .try_get("n")
}

fn upsert_sql(t: &Target, rows: usize) -> String {
    let width = t.columns.len();
    let mut sql = format!("INSERT INTO {} ({}) VALUES ", t.table, t.columns.join(", "));
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", r * width + c + 1));
        }
        sql.push(')');
    }
    let key = t.columns[..t.key].join(", ");
    let rest = &t.columns[t.key..];
    if rest.is_empty() {
        sql.push_str(&format!(" ON CONFLICT ({key}) DO NOTHING"));
        return sql;
    }
    let set: Vec<String> = rest.iter().map(|c| format!("{c} = excluded.{c}")).collect();
    let differs: Vec<String> = t
        .compared
        .iter()
        .map(|c| format!("{}.{c} IS DISTINCT FROM excluded.{c}", t.table))
        .collect();
    sql.push_str(&format!(
        " ON CONFLICT ({key}) DO UPDATE SET {} WHERE {}",
        set.join(", "),
        differs.join(" OR ")
    ));
    sql
}

async fn upsert(conn: &mut AnyConnection, t: &Target, rows: &[Vec<Cell>]) -> DbResult<u64> {
    let mut affected = 0;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = upsert_sql(t, chunk.len());
        let mut q = sqlx::query(&sql);
        for cell in chunk.iter().flatten() {
            q = match cell {
                Cell::Text(s) => q.bind(s.as_str()),
                Cell::OptText(s) => q.bind(s.as_deref()),
                Cell::Int(n) => q.bind(*n),
                Cell::OptInt(n) => q.bind(*n),
            };
        }
        affected += q.execute(&mut *conn).await?.rows_affected();
    }
    Ok(affected)
}

async fn trim_plan(conn: &mut AnyConnection, specialty: &str, keep: &[String]) -> DbResult<u64> {
    let marks: Vec<String> = (0..keep.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "DELETE FROM plan_courses WHERE specialty_code = $1 AND course_code NOT IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(specialty);
    for k in keep {
        q = q.bind(k.as_str());
    }
    Ok(q.execute(conn).await?.rows_affected())
}

impl Db {
    /// Runs the steps of one file in one transaction, committed only when
    /// `commit` (otherwise a dry run: the counts, then a rollback).
    pub async fn run_import(&self, steps: &[Step], commit: bool) -> DbResult<Counts> {
        let mut tx = self.write.begin().await?;
        let mut total = Counts::default();
        for step in steps {
            match step {
                Step::Upsert {
                    target,
                    rows,
                    counted,
                } => {
                    let before = count(&mut tx, target.table).await?;
                    let affected = upsert(&mut tx, target, rows).await?;
                    if *counted {
                        let after = count(&mut tx, target.table).await?;
                        let inserted = u64::try_from(after - before).unwrap_or(0);
                        total += Counts {
                            inserted,
                            updated: affected.saturating_sub(inserted),
                            removed: 0,
                        };
                    }
                }
                Step::TrimPlan { specialty, keep } => {
                    total.removed += trim_plan(&mut tx, specialty, keep).await?;
                }
            }
        }
        if commit {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(total)
    }

    /// Which of `values` are present in `table.column` (looked up in chunks).
    pub async fn existing(
        &self,
        table: &'static str,
        column: &'static str,
        values: &[String],
    ) -> DbResult<HashSet<String>> {
        let mut found = HashSet::new();
        for chunk in values.chunks(ROWS_PER_STATEMENT) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT {column} AS v FROM {table} WHERE {column} IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for v in chunk {
                q = q.bind(v.as_str());
            }
            for row in q.fetch_all(&self.read).await? {
                found.insert(row.try_get("v")?);
            }
        }
        Ok(found)
    }
}

/// The tables an import writes.
pub mod targets {
    use super::Target;

    pub const SPECIALTIES: Target = Target {
        table: "specialties",
        columns: &["code", "name", "level", "graduation_credits"],
        key: 1,
        compared: &["name", "level", "graduation_credits"],
    };
    pub const COURSES: Target = Target {
        table: "courses",
        columns: &["code", "name", "credits", "kind", "theory_course"],
        key: 1,
        compared: &["name", "credits", "kind", "theory_course"],
    };
    pub const PLAN_COURSES: Target = Target {
        table: "plan_courses",
        columns: &["specialty_code", "course_code"],
        key: 2,
        compared: &[],
    };
    pub const EXAM_CANDIDATES: Target = Target {
        table: "exam_candidates",
        columns: &[
            "ticket",
            "id_number_idx",
            "name",
            "gender",
            "specialty_code",
            "city",
            "county",
            "status",
            "transfer_in_date",
            "id_number_enc",
            "updated_at",
        ],
        key: 1,
        compared: &[
            "id_number_idx",
            "name",
            "gender",
            "specialty_code",
            "city",
            "county",
            "status",
            "transfer_in_date",
        ],
    };
    pub const RESULTS: Target = Target {
        table: "results",
        columns: &[
            "ticket",
            "course_code",
            "score",
            "passed_year",
            "passed_month",
            "by_exemption",
        ],
        key: 2,
        compared: &["score", "passed_year", "passed_month", "by_exemption"],
    };
    pub const SESSION_SCORES: Target = Target {
        table: "session_scores",
        columns: &[
            "ticket",
            "exam_year",
            "exam_month",
            "course_code",
            "score",
            "passed",
        ],
        key: 4,
        compared: &["score", "passed"],
    };
    pub const ARRANGEMENTS: Target = Target {
        table: "exam_arrangements",
        columns: &[
            "ticket",
            "exam_year",
            "exam_month",
            "course_code",
            "exam_date",
            "exam_time",
            "venue",
            "room",
            "seat",
        ],
        key: 4,
        compared: &["exam_date", "exam_time", "venue", "room", "seat"],
    };
}
