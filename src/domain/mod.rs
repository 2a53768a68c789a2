//! Rules and types of the business: no web framework, no SQL.

mod account;
pub mod eligibility;
mod identity;
mod password;
mod transfer;
mod window;

pub use account::{CandidateKind, Gender, IdentityState, Role, StaffScope};
pub use identity::{
    ATTEMPTS_PER_DAY, CLARITY_MIN, DIFFERENT_PERSON_MIN, PhotoKind, PhotoMeasure, RECOVERY_PHOTOS,
    RejectReason, SAME_PERSON_MAX, Verdict, decide, people_in, photos_for,
};
pub use password::{NewPassword, PasswordError};
pub use transfer::{
    ConfirmationKind, Decision, MAX_IMAGES_PER_KIND, MaterialKind, ReturnTo, TransferState,
    TransitionError,
};
pub use zikao_input::{Email, PersonName, Phone, Ticket, ValueError, mask_email, mask_phone};
pub use zikao_input::{ResidentId, ResidentIdError, check_character, mask};

/// 性别 of the holder of a 身份证号.
pub fn gender_of(id: &ResidentId) -> Gender {
    if id.is_male() {
        Gender::Male
    } else {
        Gender::Female
    }
}
pub use window::{BusinessKind, Window, WindowError, WindowStatus};
