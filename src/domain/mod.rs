//! Rules and types of the business: no web framework, no SQL.

mod account;
pub mod eligibility;
mod identity;
mod password;
mod resident_id;
mod transfer;
mod values;
mod window;

pub use account::{CandidateKind, Gender, IdentityState, Role, StaffScope};
pub use identity::{
    ATTEMPTS_PER_DAY, CLARITY_MIN, DIFFERENT_PERSON_MIN, PhotoKind, PhotoMeasure, RECOVERY_PHOTOS,
    RejectReason, SAME_PERSON_MAX, Verdict, decide, people_in, photos_for,
};
pub use password::{NewPassword, PasswordError};
pub use resident_id::{ResidentId, ResidentIdError, check_character, mask};
pub use transfer::{
    ConfirmationKind, Decision, MAX_IMAGES_PER_KIND, MaterialKind, ReturnTo, TransferState,
    TransitionError,
};
pub use values::{Email, PersonName, Phone, Ticket, ValueError, mask_email, mask_phone};
pub use window::{BusinessKind, Window, WindowError, WindowStatus};
