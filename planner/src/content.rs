//! What a notice about a program says to one household: the program in a parent's words, which
//! of their children it concerns, what it gives, by when and how to apply, whom to ask.

use chrono::NaiveDate;
use kosodate_domain::Vocabulary;
use kosodate_households::HouseholdRecord;
use kosodate_matcher::{Held, PreparedHousehold, Reason, Rule};
use kosodate_notifier::{Address, NoticeContent, NoticeDraft, NoticeKind, ProgramNotice, QuietHours};
use kosodate_registry::Program;
use uuid::Uuid;

/// A program as notices need it, with its rule parsed once.
#[derive(Debug)]
pub(crate) struct PlannedProgram {
    pub program: Program,
    pub rule: Option<Rule>,
}

/// The notice's part about one program, for one household on the day its event occurred.
pub(crate) fn program_notice(
    planned: &PlannedProgram,
    record: &HouseholdRecord,
    occurs_on: NaiveDate,
    window: (Option<NaiveDate>, Option<NaiveDate>),
    owner: String,
) -> ProgramNotice {
    let program = &planned.program;
    let content = &program.content;
    let benefit = match (&content.benefit.description, content.benefit.amount_yen) {
        (Some(text), _) => Some(text.clone()),
        (None, Some(yen)) => Some(format!("{}円", group_thousands(yen))),
        (None, None) => None,
    };
    let contact = [
        &content.contact.section,
        &content.contact.phone,
        &content.contact.email,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect::<Vec<_>>();
    ProgramNotice {
        program_id: program.id.to_string(),
        name: content.name.clone(),
        owner,
        summary: content.summary.clone(),
        children: children_concerned(planned.rule.as_ref(), record, occurs_on),
        benefit,
        opens_on: window.0,
        closes_on: window.1,
        how_to_apply: content
            .application_methods
            .iter()
            .map(|method| {
                let label = method.kind.label_ja().to_owned();
                match &method.url {
                    Some(url) => format!("{label}（{url}）"),
                    None => label,
                }
            })
            .collect(),
        url: content
            .source_url
            .as_deref()
            .and_then(|url| url::Url::parse(url).ok()),
        contact: (!contact.is_empty()).then(|| contact.join(" ")),
    }
}

/// 「50,000」: yen as Japanese text writes them; the program page says amounts the same way.
pub fn group_thousands(yen: u64) -> String {
    let digits = yen.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// The children the program's conditions held for, as the parent named them ("第2子" unnamed).
fn children_concerned(rule: Option<&Rule>, record: &HouseholdRecord, on: NaiveDate) -> Vec<String> {
    let Some(rule) = rule else {
        return Vec::new();
    };
    let prepared = PreparedHousehold::new(&record.household);
    let reason = rule.explain(&prepared, on).reason;
    let mut children = Vec::new();
    collect_children(&reason, &mut children);
    children.sort_unstable();
    children.dedup();
    children
        .into_iter()
        .map(|child| child_name(record, usize::from(child).saturating_sub(1)))
        .collect()
}

/// A child as notices name it: the parent's nickname with さん, else 「第2子」 (`position` counts
/// from 0 in birth order).
pub(crate) fn child_name(record: &HouseholdRecord, position: usize) -> String {
    match record.nicknames.get(position).cloned().flatten() {
        Some(name) => format!("{name}さん"),
        None => format!("第{}子", position + 1),
    }
}

fn collect_children(reason: &Reason, children: &mut Vec<u8>) {
    if reason.held != Held::Yes {
        return;
    }
    if let Some(child) = reason.child {
        children.push(child);
    }
    for detail in &reason.details {
        collect_children(detail, children);
    }
}

/// One draft per usable channel of the household.
pub(crate) fn drafts(
    record: &HouseholdRecord,
    channels: &[(Uuid, Address)],
    event_id: Option<Uuid>,
    program_id: Option<&str>,
    content: &NoticeContent,
) -> Vec<NoticeDraft> {
    let preferences = &record.preferences;
    let quiet = QuietHours::parse(&preferences.quiet_from, &preferences.quiet_until);
    channels
        .iter()
        .map(|(channel_id, address)| NoticeDraft {
            household_id: record.id.as_uuid(),
            channel_id: *channel_id,
            event_id,
            program_id: program_id.and_then(|id| Uuid::parse_str(id).ok()),
            address: address.clone(),
            content: content.clone(),
            quiet,
            digest: preferences.daily_digest && content.kind != NoticeKind::ChannelDisabled,
        })
        .collect()
}
