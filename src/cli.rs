//! The command line: `serve`, `staff add`, `window set`, `import`, `sweep`,
//! `audit verify`, `backup`, `restore`.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};

use crate::clock::SystemClock;
use crate::config::Config;
use crate::domain::BusinessKind;
use crate::service::NewStaff;

/// 自考信息服务平台.
#[derive(Debug, Parser)]
#[command(
    name = "zikao",
    version,
    about = "自考信息服务平台 (Self-study Examination service platform)"
)]
pub struct Cli {
    /// A TOML settings file (also `ZIKAO_CONFIG`).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the platform.
    Serve {
        /// Fill an empty database with demo data and write demo-accounts.json.
        #[arg(long)]
        demo: bool,
    },
    /// Staff accounts.
    Staff {
        #[command(subcommand)]
        action: StaffCommand,
    },
    /// Business windows.
    Window {
        #[command(subcommand)]
        action: WindowCommand,
    },
    /// Remove stored files that nothing uses (older than one hour); nodes also
    /// do this hourly for the last seven days.
    Sweep,
    /// Import exam records from a CSV (UTF-8) or XLSX file.
    Import {
        /// specialties, courses, plans, candidates, results or arrangements
        kind: String,
        /// The CSV or XLSX file.
        file: PathBuf,
        /// Check the file and print what it would change, without writing.
        #[arg(long)]
        dry_run: bool,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Write one archive of the embedded default (an online SQLite snapshot,
    /// the stored files and the key file) while the server keeps running.
    Backup {
        /// The archive to write (a zip file).
        file: PathBuf,
    },
    /// Restore an archive made by `backup` into the data directory (with the
    /// server stopped).
    Restore {
        /// The archive to read.
        file: PathBuf,
        /// Replace a database that is already there.
        #[arg(long)]
        force: bool,
    },
}

/// Audit trail commands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every entry of the hash chain; exits non-zero when it is broken.
    Verify,
}

/// Staff account commands.
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a staff account; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        /// province_admin, city_office or registration_point
        #[arg(long)]
        role: String,
        /// City code (city_office), e.g. 1401.
        #[arg(long)]
        city: Option<String>,
        /// Registration point id (registration_point).
        #[arg(long)]
        point: Option<String>,
        /// Name shown in the back office.
        #[arg(long)]
        display_name: Option<String>,
    },
}

/// Business window commands.
#[derive(Debug, Subcommand)]
pub enum WindowCommand {
    /// Set a window: theory, transfer, exemption, practical or graduation.
    Set {
        kind: String,
        /// Start, RFC 3339 (e.g. 2027-03-01T08:00:00+08:00).
        #[arg(long)]
        start: String,
        /// End, RFC 3339.
        #[arg(long)]
        end: String,
    },
}

fn rfc3339(s: &str) -> anyhow::Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(s)
        .with_context(|| format!("{s} is not an RFC 3339 time, e.g. 2027-03-01T08:00:00+08:00"))?
        .with_timezone(&Utc))
}

/// Runs the command line.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref()).context("invalid settings")?;
    crate::telemetry::init(config.log_format);
    // Backup and restore work on the files themselves, without a running node.
    match &cli.command {
        Command::Backup { file } => {
            let m = crate::backup::backup(&config, file).await?;
            println!(
                "backup written to {}: database snapshot at {}, {} files ({} bytes){}",
                file.display(),
                m.taken_at,
                m.files,
                m.file_bytes,
                if m.missing_objects > 0 {
                    format!(
                        "; {} objects were removed while copying (their rows were deleted)",
                        m.missing_objects
                    )
                } else {
                    String::new()
                }
            );
            return Ok(());
        }
        Command::Restore { file, force } => {
            let m = crate::backup::restore(&config, file, *force).await?;
            println!(
                "restored {} into {}: database snapshot of {}, {} files",
                file.display(),
                config.data_dir.display(),
                m.taken_at,
                m.files
            );
            return Ok(());
        }
        _ => {}
    }
    let data_dir = config.data_dir.clone();
    let listen = config.listen.clone();
    let app = crate::startup::build(config, Arc::new(SystemClock)).await?;
    match cli.command {
        Command::Serve { demo } => {
            if demo {
                match app
                    .seed_demo(&data_dir)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                {
                    Some(accounts) => print_demo(&accounts, &data_dir),
                    None => println!(
                        "数据库已有数据，未写入演示数据（demo data skipped: database not empty)"
                    ),
                }
            }
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            tracing::info!(address = %listener.local_addr()?, "listening");
            crate::startup::serve(app, listener, crate::startup::shutdown_signal()).await
        }
        Command::Staff {
            action:
                StaffCommand::Add {
                    username,
                    role,
                    city,
                    point,
                    display_name,
                },
        } => {
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let input = NewStaff {
                username,
                display_name: display_name.unwrap_or_default(),
                password: password.trim_end_matches(['\r', '\n']).to_owned(),
                role,
                city,
                point,
            };
            match app.create_staff(&input, None).await {
                Ok(id) => {
                    println!("staff account created: {id}");
                    Ok(())
                }
                Err(crate::service::ServiceError::Invalid(fields)) => {
                    for (field, message) in fields.iter() {
                        eprintln!("{field}: {message}");
                    }
                    bail!("the staff account was not created")
                }
                Err(e) => Err(anyhow::anyhow!("{e}")),
            }
        }
        Command::Window {
            action: WindowCommand::Set { kind, start, end },
        } => {
            let Some(kind) = BusinessKind::from_word(&kind) else {
                bail!("KIND must be theory, transfer, exemption, practical or graduation");
            };
            app.set_window(kind, rfc3339(&start)?, rfc3339(&end)?)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("window {} set", kind.as_str());
            Ok(())
        }
        Command::Sweep => {
            let before = chrono::Utc::now() - crate::service::SWEEP_GRACE;
            let report = app
                .sweep_files(None, before)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "unused files removed: {} rows, {} objects without a row",
                report.rows, report.objects
            );
            Ok(())
        }
        Command::Import {
            kind,
            file,
            dry_run,
        } => import(&app, &kind, &file, dry_run).await,
        Command::Audit {
            action: AuditCommand::Verify,
        } => verify_audit(&app).await,
        Command::Backup { .. } | Command::Restore { .. } => unreachable!("handled above"),
    }
}

async fn verify_audit(app: &crate::service::App) -> anyhow::Result<()> {
    let check = app
        .verify_audit()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    match check.broken {
        None => {
            println!(
                "audit chain OK: {} entries checked; head {} {}",
                check.checked, check.head_seq, check.head_hash
            );
            Ok(())
        }
        Some((seq, why)) => {
            println!(
                "audit chain BROKEN at seq {seq}: {} ({}); {} entries before it are sound",
                why.as_str(),
                why.label(),
                check.checked
            );
            bail!("the audit chain is broken")
        }
    }
}

async fn import(
    app: &crate::service::App,
    kind: &str,
    file: &std::path::Path,
    dry_run: bool,
) -> anyhow::Result<()> {
    use crate::service::{ImportActor, ImportKind};
    let Some(kind) = ImportKind::from_word(kind) else {
        bail!("KIND must be specialties, courses, plans, candidates, results or arrangements");
    };
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let report = app
        .import_records(kind, &bytes, !dry_run, ImportActor::CommandLine)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if report.has_errors() {
        for e in &report.errors {
            eprintln!("{e}");
        }
        if report.more_errors > 0 {
            eprintln!("另有 {} 处错误未列出", report.more_errors);
        }
        bail!("文件有误，未导入任何数据 (the file has errors; nothing was imported)");
    }
    println!(
        "{}{}：共 {} 行，新增 {} 条，更新 {} 条，未变 {} 条，移出计划 {} 条 (rows {}, inserted {}, updated {}, removed {})",
        if dry_run {
            "检查通过，未写入。"
        } else {
            ""
        },
        kind.label(),
        report.rows,
        report.inserted,
        report.updated,
        report.unchanged(),
        report.removed,
        report.rows,
        report.inserted,
        report.updated,
        report.removed,
    );
    Ok(())
}

fn print_demo(accounts: &crate::service::demo::DemoAccounts, data_dir: &std::path::Path) {
    println!(
        "演示数据已写入。登录信息 (demo logins), also in {}:",
        data_dir.join("demo-accounts.json").display()
    );
    for c in &accounts.candidates {
        println!(
            "  考生 {} 身份证号 {} 准考证号 {} 密码 {} ({})",
            c.name,
            c.id_number,
            c.ticket.as_deref().unwrap_or("-"),
            c.password.as_deref().unwrap_or("-"),
            c.identity_state.map(|s| s.label()).unwrap_or("-")
        );
    }
    for c in &accounts.enrolled_without_account {
        println!(
            "  在籍考生（未注册）{} 身份证号 {} 准考证号 {}",
            c.name,
            c.id_number,
            c.ticket.as_deref().unwrap_or("-")
        );
    }
    for s in &accounts.staff {
        println!(
            "  工作人员 {} 密码 {} 角色 {}{}",
            s.username,
            s.password,
            s.role,
            s.totp_secret
                .as_deref()
                .map(|t| format!(" 动态验证码密钥 {t}"))
                .unwrap_or_default()
        );
    }
}
