//! Why a household hears from us: one list for the matcher's change events and the notifier's
//! notices, so that an event's kind is the notice's kind with nothing to map between them.

use serde::Serialize;

/// The ids are stored (`match_events.kind`, `notices.kind`) and are the names in the API.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumMessage,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum NoticeKind {
    /// A household's first results: one event for all its programs, so that a new household
    /// hears once what it can use rather than once per program.
    #[strum(message = "初回の判定結果")]
    FirstMatch,
    #[strum(message = "新たに対象")]
    NewlyEligible,
    /// Newly eligible for a program that was published since the household's last evaluation.
    #[strum(message = "新しい制度の対象")]
    NewProgram,
    /// A program the household stays eligible for changed what it gives, when or how to apply.
    #[strum(message = "制度の内容が変更")]
    ProgramChanged,
    #[strum(message = "申請期間がまもなく開始")]
    WindowOpensSoon,
    #[strum(message = "申請期限が近い")]
    DeadlineNear,
    #[strum(message = "申請期限が明日まで")]
    DeadlineImminent,
    /// Recorded for the parent's page; never pushed.
    #[strum(message = "対象外になった")]
    NoLongerEligible,
    /// The day's notices of a household that prefers one message a day (never a change event).
    #[strum(message = "1日分のまとめ")]
    Digest,
    /// One of the household's channels stopped working and was switched off (never a change
    /// event).
    #[strum(message = "連絡先の停止")]
    ChannelDisabled,
    /// Someone answered the parent's question in the community (never a change event: the
    /// answer's id is the notice's idempotency key).
    #[strum(message = "質問への回答")]
    CommunityAnswer,
    /// The week's events that suit the household's children, for households that asked for them
    /// (never a change event: the household and the week make the notice's idempotency key).
    #[strum(message = "今週のイベント")]
    WeeklyEvents,
    /// Events published after the week's notice was planned, on the week's remaining days, that
    /// suit the household's children: at most one a day, only with events not told before.
    #[strum(message = "今週のイベントの追加")]
    WeeklyEventsAdded,
}

crate::vocabulary_deserialize!(NoticeKind);

impl NoticeKind {
    /// Whether the matcher records it as a change of a household's results.
    pub fn is_change_event(self) -> bool {
        !matches!(
            self,
            Self::Digest
                | Self::ChannelDisabled
                | Self::CommunityAnswer
                | Self::WeeklyEvents
                | Self::WeeklyEventsAdded
        )
    }

    /// Whether a notice is sent for it: losing eligibility is shown on the parent's page only.
    pub fn is_sent(self) -> bool {
        self != Self::NoLongerEligible
    }

    /// Deadlines are worth waking a phone for; the rest can wait for a convenient moment.
    pub fn is_urgent(self) -> bool {
        matches!(self, Self::DeadlineNear | Self::DeadlineImminent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Vocabulary;
    use strum::VariantArray;

    #[test]
    fn serde_names_are_the_ids_and_every_kind_has_a_label() {
        for &kind in NoticeKind::VARIANTS {
            assert_eq!(serde_json::to_value(kind).expect("serializes"), kind.id());
            assert_eq!(NoticeKind::parse(kind.id()), Some(kind));
            assert!(
                strum::EnumMessage::get_message(&kind).is_some(),
                "{kind:?} has a label"
            );
        }
    }
}
