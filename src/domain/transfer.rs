//! 省际转出: the states of one transfer-out application and the only ways to
//! move between them (DESIGN §4).

use super::account::word_enum;

word_enum!(
    /// Where an application stands.
    TransferState {
        Draft = "draft" / "填报中",
        AwaitingConfirmation = "awaiting_confirmation" / "待线上确认",
        PendingReview = "pending_review" / "待审核",
        Approved = "approved" / "初审通过",
        ApplicationRejected = "application_rejected" / "申请审核不通过",
        ConfirmationRejected = "confirmation_rejected" / "确认审核不通过",
        Abandoned = "abandoned" / "已放弃（未在规定时间内完成确认）",
    }
);

word_enum!(
    /// The four kinds of 审核材料.
    MaterialKind {
        IdCard = "id_card" / "本人身份证照片",
        PassedCourses = "passed_courses" / "2011年后历次合格课程",
        TargetTicket = "target_ticket" / "转入地准考证照片",
        TargetTranscript = "target_transcript" / "转入地成绩单照片",
    }
);

word_enum!(
    /// The two confirmation photos.
    ConfirmationKind {
        SignedForm = "signed_form" / "已签字登记表照片",
        HoldingForm = "holding_form" / "本人手持登记表照片",
    }
);

word_enum!(
    /// A city office's decision on an application under review.
    Decision {
        Approve = "approve" / "初审通过",
        RejectApplication = "reject_application" / "申请审核不通过",
        RejectConfirmation = "reject_confirmation" / "确认审核不通过",
        ReturnForCorrection = "return_for_correction" / "退回修改",
    }
);

word_enum!(
    /// The step a returned application goes back to.
    ReturnTo {
        Application = "application" / "线上申请（表单或审核材料）",
        Confirmation = "confirmation" / "线上确认（登记表照片）",
    }
);

/// Images of one material kind an application may hold.
pub const MAX_IMAGES_PER_KIND: usize = 10;

/// Why a transition is not possible now; the text is shown to the candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("当前状态下不能提交申请")]
    NotDraft,
    #[error("当前状态下不能修改申请")]
    NotEditable,
    #[error("当前状态下不能进行线上确认")]
    NotAwaitingConfirmation,
    #[error("该申请已被处理，请刷新后查看结果")]
    AlreadyDecided,
    #[error("本次转考的重新申请机会已用完")]
    NoMoreTries,
}

impl TransferState {
    /// Whether the candidate may still change the form and materials.
    pub fn is_editable(self) -> bool {
        self == Self::Draft
    }

    /// Whether the application still counts as the candidate's open one.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Draft
                | Self::AwaitingConfirmation
                | Self::PendingReview
                | Self::ConfirmationRejected
        )
    }

    /// Whether the window's close turns this state into `Abandoned`.
    pub fn abandons_at_close(self) -> bool {
        matches!(self, Self::Draft | Self::AwaitingConfirmation)
    }

    /// 提交申请: Draft → AwaitingConfirmation.
    pub fn submit(self) -> Result<Self, TransitionError> {
        match self {
            Self::Draft => Ok(Self::AwaitingConfirmation),
            _ => Err(TransitionError::NotDraft),
        }
    }

    /// 修改申请: AwaitingConfirmation → Draft.
    pub fn reopen(self) -> Result<Self, TransitionError> {
        match self {
            Self::AwaitingConfirmation => Ok(Self::Draft),
            _ => Err(TransitionError::NotEditable),
        }
    }

    /// 确认并提交: AwaitingConfirmation → PendingReview, or a new confirmation
    /// after a rejected one while the one more try is unused.
    pub fn confirm(self, tries_left: bool) -> Result<Self, TransitionError> {
        match self {
            Self::AwaitingConfirmation => Ok(Self::PendingReview),
            Self::ConfirmationRejected if tries_left => Ok(Self::PendingReview),
            Self::ConfirmationRejected => Err(TransitionError::NoMoreTries),
            _ => Err(TransitionError::NotAwaitingConfirmation),
        }
    }

    /// Whether new confirmation photos may be uploaded.
    pub fn accepts_confirmation_photos(self) -> bool {
        matches!(
            self,
            Self::AwaitingConfirmation | Self::ConfirmationRejected
        )
    }

    /// A reviewer's decision: PendingReview → the decision's state.
    pub fn decide(self, decision: Decision, return_to: ReturnTo) -> Result<Self, TransitionError> {
        if self != Self::PendingReview {
            return Err(TransitionError::AlreadyDecided);
        }
        Ok(match decision {
            Decision::Approve => Self::Approved,
            Decision::RejectApplication => Self::ApplicationRejected,
            Decision::RejectConfirmation => Self::ConfirmationRejected,
            Decision::ReturnForCorrection => match return_to {
                ReturnTo::Application => Self::Draft,
                ReturnTo::Confirmation => Self::AwaitingConfirmation,
            },
        })
    }
}

impl Decision {
    /// Whether this decision is a rejection that uses up a try.
    pub fn is_rejection(self) -> bool {
        matches!(self, Self::RejectApplication | Self::RejectConfirmation)
    }
}

#[cfg(test)]
mod tests {
    use super::TransferState::*;
    use super::*;

    #[test]
    fn the_happy_path() {
        let s = Draft.submit().unwrap();
        assert_eq!(s, AwaitingConfirmation);
        assert_eq!(s.reopen().unwrap(), Draft);
        let s = s.confirm(true).unwrap();
        assert_eq!(s, PendingReview);
        assert_eq!(
            s.decide(Decision::Approve, ReturnTo::Application).unwrap(),
            Approved
        );
    }

    #[test]
    fn transitions_from_the_wrong_state_fail() {
        assert_eq!(
            AwaitingConfirmation.submit(),
            Err(TransitionError::NotDraft)
        );
        assert_eq!(PendingReview.reopen(), Err(TransitionError::NotEditable));
        assert_eq!(
            Draft.confirm(true),
            Err(TransitionError::NotAwaitingConfirmation)
        );
        assert_eq!(
            Approved.decide(Decision::RejectApplication, ReturnTo::Application),
            Err(TransitionError::AlreadyDecided)
        );
    }

    #[test]
    fn rejections_and_returns() {
        let d = |dec, to| PendingReview.decide(dec, to).unwrap();
        assert_eq!(
            d(Decision::RejectApplication, ReturnTo::Application),
            ApplicationRejected
        );
        assert_eq!(
            d(Decision::RejectConfirmation, ReturnTo::Application),
            ConfirmationRejected
        );
        assert_eq!(
            d(Decision::ReturnForCorrection, ReturnTo::Application),
            Draft
        );
        assert_eq!(
            d(Decision::ReturnForCorrection, ReturnTo::Confirmation),
            AwaitingConfirmation
        );
        assert_eq!(ConfirmationRejected.confirm(true), Ok(PendingReview));
        assert_eq!(
            ConfirmationRejected.confirm(false),
            Err(TransitionError::NoMoreTries)
        );
        assert!(Decision::RejectConfirmation.is_rejection());
        assert!(!Decision::ReturnForCorrection.is_rejection());
    }

    #[test]
    fn close_abandons_only_unconfirmed() {
        let abandoned: Vec<_> = TransferState::ALL
            .iter()
            .filter(|s| s.abandons_at_close())
            .copied()
            .collect();
        assert_eq!(abandoned, [Draft, AwaitingConfirmation]);
    }
}
