//! Application services: the one place where pages and the JSON API meet the
//! rules and the storage. Handlers parse, call one service function, and render.

mod accounts;
mod announcements;
mod audit;
mod contacts;
mod corrections;
mod data_export;
pub mod demo;
mod demo_records;
mod error;
mod exports;
mod form_pdf;
mod handoff;
mod identity;
mod identity_review;
pub mod import;
mod lists;
mod passwords;
mod photos;
mod points;
mod records;
mod recovery;
mod sessions;
mod staff;
mod staff_admin;
mod stats;
mod sweep;
mod throttle;
mod transfer;
mod windows;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::ops::Deref;
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::Keys;
use crate::media::FaceEngine;
use crate::province::Province;
use crate::storage::{Db, FileStore};

pub use accounts::{
    EnrolledRegistration, NewRegistration, Profile, RegistrationOutcome, SelectLists,
};
pub use announcements::{AnnouncementInput, AnnouncementKind, AnnouncementView, sanitised_html};
pub use audit::{
    AUDIT_PAGE_SIZE, Actor, AuditEvent, AuditLine, AuditPage, ChainBreak, ChainCheck, GENESIS,
    canonical,
};
pub use contacts::CityContact;
pub use corrections::{RecordCorrection, RecordView};
pub use error::{FieldErrors, ServiceError, ServiceResult, chain_is_outage, is_outage};
pub use exports::{ExportFilter, ExportKind, ExportRows};
pub use form_pdf::{FormVerification, form_hash};
pub use handoff::{HandoffLink, PhoneSession};
pub use identity::{IdentityStatus, LastOutcome, PhotoSlot, UploadedPhoto, VerificationResult};
pub use identity_review::{
    CaseView, InPersonCandidate, PhotoSharpness, ReviewDecision, ReviewItem,
};
pub use import::{ImportActor, ImportKind, ImportReport, RowError};
pub use lists::{CityEntry, ListEdit, ListEntry, ListKind, Lists, TargetProvince};
pub use passwords::Passwords;
pub use photos::StoredPhoto;
pub use points::{CityPoints, PointInput, PointView};
pub use records::{
    AdmissionTicket, ExamLine, LatestResults, PassedLine, PassedResults, PlanLine, PlanProgress,
    ScoreLine,
};
pub use recovery::RecoveryStart;
pub use sessions::{CandidateSession, Issued, RecoverySession, StaffSession, Subject};
pub use staff::{NewStaff, StaffLogin, StaffLoginOutcome, StaffView, TotpEnrolment};
pub use staff_admin::ScopeChange;
pub use stats::{Bar, Chart, TransferStats};
pub use sweep::{SWEEP_GRACE, SweepReport};
pub use transfer::{
    CourseLine, DecisionInput, EligibilityView, ImageView, MAX_QUEUE_PAGE, QUEUE_PAGE,
    RegistrationForm, ReviewView, TargetSpecialty, TransferForm, TransferView,
};
pub use windows::WindowView;

/// Upload requests read at once per node (each body at most 6 MB), so upload
/// bodies never take more than about 100 MB; further uploads wait their turn.
pub const UPLOADS_AT_ONCE: usize = 16;

/// The optional heavy parts of a node, loaded at start: each may be missing on
/// a machine without its files, and the platform says so and carries on.
#[derive(Default)]
pub struct Engines {
    /// The 登记表 renderer (needs a CJK font).
    pub pdf: Option<Arc<crate::pdf::FormRenderer>>,
    /// Face detection and matching (needs the face models).
    pub faces: Option<FaceEngine>,
}

/// Everything a request may need, shared by every handler of a node.
#[derive(Clone)]
pub struct App(Arc<Inner>);

/// The parts of [`App`].
pub struct Inner {
    pub db: Db,
    pub keys: Keys,
    pub province: Province,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
    pub passwords: Passwords,
    pub files: FileStore,
    /// The 登记表 renderer; absent when no CJK font was found at start.
    pub pdf: Option<Arc<crate::pdf::FormRenderer>>,
    /// The face models; without them every identity case goes to a person.
    pub faces: Option<FaceEngine>,
    /// Threads for work a person waits for (password hashes, PDFs), a little
    /// below the request handlers' priority.
    pub interactive: crate::cpu::Lane,
    /// Threads for photo and face checks, below the interactive ones.
    pub bulk: crate::cpu::Lane,
    /// Bounds photo decoding to the cores, so uploads never starve page loads.
    image_permits: tokio::sync::Semaphore,
    /// Bounds the upload requests being read at once, so photo bodies held in
    /// memory stay bounded however many candidates upload together.
    pub upload_permits: tokio::sync::Semaphore,
    address_limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// The province lists in effect, rebuilt when another edit is seen.
    lists_cache: lists::ListsCache,
    /// One copy of a candidate's own data a minute (per node).
    data_export_limiter: DefaultKeyedRateLimiter<String>,
    /// This node's figures for `/metrics`.
    pub metrics: crate::metrics::Metrics,
}

impl Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    /// Assembles the services of a node.
    pub fn new(
        db: Db,
        files: FileStore,
        engines: Engines,
        keys: Keys,
        province: Province,
        clock: Arc<dyn Clock>,
        config: Config,
    ) -> Self {
        let Engines { pdf, faces } = engines;
        let per_minute = NonZeroU32::new(config.login_attempts_per_address_per_minute)
            .unwrap_or(NonZeroU32::MIN);
        let cores = std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(2);
        let interactive = crate::cpu::Lane::new("interactive", cores, config.nice_interactive);
        let bulk = crate::cpu::Lane::new("bulk", cores, config.nice_bulk);
        Self(Arc::new(Inner {
            db,
            keys,
            province,
            clock,
            config,
            passwords: Passwords::on_lane(interactive.clone(), cores),
            interactive,
            bulk,
            files,
            pdf,
            faces,
            image_permits: tokio::sync::Semaphore::new(cores),
            upload_permits: tokio::sync::Semaphore::new(UPLOADS_AT_ONCE),
            address_limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            lists_cache: lists::ListsCache::default(),
            data_export_limiter: RateLimiter::keyed(Quota::per_minute(NonZeroU32::MIN)),
            metrics: crate::metrics::Metrics::new(),
        }))
    }

    /// Refuses a login attempt from an address that has made too many.
    fn check_address(&self, address: IpAddr) -> ServiceResult<()> {
        match self.address_limiter.check_key(&address) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(governor::clock::Clock::now(
                    &governor::clock::DefaultClock::default(),
                ));
                Err(ServiceError::TooManyRequests {
                    retry_after_secs: wait.as_secs().max(1),
                    message: "当前网络登录请求过多，请稍后再试".into(),
                })
            }
        }
    }
}
