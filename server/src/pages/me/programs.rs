//! `/me`: the programs, per child. For each child (and the household as a whole): eligible now,
//! deadlines first; one answer away, with the question answered in place; upcoming, with the day
//! it opens. Then what the parent marked applied or not interested, and what ended. Dates that
//! follow from a due date are marked as estimates. Reasons are the matcher's own, condition by
//! condition.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use kosodate_domain::{NoticeKind, ProgramId, Vocabulary, japan};
use kosodate_households::{Dismissal, HouseholdId, HouseholdRecord};
use kosodate_matcher::{Birth, Eligibility, Held, IncomeBand, MissingFact, Reason};
use kosodate_matching::Finding;
use kosodate_registry::Visibility;
use serde::Deserialize;
use strum::VariantArray;

use super::{Tabs, household_or_step, see_other};
use crate::error::ApiError;
use crate::extract::{ApiQuery, RequestContext};
use crate::pages::visitor::{ParentForm, SignedInParent};
use crate::parent;
use crate::path_ids::{self, RecordId};
use crate::state::AppState;
use kosodate_domain::japan::format_date_with_weekday;

#[derive(Template)]
#[template(path = "programs.html")]
struct ProgramsPage {
    tabs: Tabs,
    csrf_token: String,
    saved: bool,
    no_channel: bool,
    today: String,
    sections: Sections,
    ended: Vec<String>,
    /// The next four weeks' events for the children's ages in their municipality and region.
    events: Vec<crate::pages::events::EventDay>,
}

/// The findings as the page shows them: per child, then what the parent set aside.
struct Sections {
    groups: Vec<ChildGroup>,
    applied: Vec<Item>,
    not_interested: Vec<Item>,
}

/// The programs about one child, or about the household as a whole (`child` 0).
struct ChildGroup {
    heading: String,
    unborn: bool,
    eligible: Vec<Item>,
    one_answer_away: Vec<Item>,
    upcoming: Vec<Item>,
}

impl ChildGroup {
    fn is_empty(&self) -> bool {
        self.eligible.is_empty() && self.one_answer_away.is_empty() && self.upcoming.is_empty()
    }
}

#[derive(Clone)]
struct Item {
    program_id: String,
    name: String,
    summary: String,
    /// When, in words: the application period, the deadline, or when it opens.
    when: Vec<String>,
    /// The first deadline, for ordering.
    deadline: Option<NaiveDate>,
    estimated: bool,
    reasons: Vec<ReasonLine>,
    questions: Vec<Question>,
}

#[derive(Clone)]
struct ReasonLine {
    depth: usize,
    mark: &'static str,
    text: String,
}

#[derive(Clone)]
struct Question {
    name: String,
    label: String,
    options: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct ProgramsQuery {
    saved: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    parent: SignedInParent,
    ApiQuery(query): ApiQuery<ProgramsQuery>,
) -> Result<Response, ApiError> {
    let id = match household_or_step(&state, &parent).await? {
        Ok(id) => id,
        Err(step) => return Ok(step),
    };
    let today = japan::date_of(chrono::Utc::now());
    let context = RequestContext { request_id: None };
    let record = parent::read_household(&state, &context, id).await?;
    let Some(findings) = state.matching.findings_for(id, today).await? else {
        // Consent to matching was withdrawn: the parent decides on the consent page.
        return Ok(see_other("/me/consent"));
    };
    let dismissals: HashMap<String, Dismissal> = state.households.dismissals(id).await?.into_iter().collect();
    let channels = state.households.channels(id).await?;
    let page = ProgramsPage {
        tabs: Tabs { current: "/me" },
        csrf_token: parent.csrf_token().to_owned(),
        saved: query.saved.is_some(),
        no_channel: !channels
            .iter()
            .any(|channel| channel.verified && channel.opted_in),
        today: format_date_with_weekday(today),
        ended: ended(&state, id, &findings).await?,
        events: crate::pages::events::for_household(&state, &record.household, today).await?,
        sections: arrange(&record, findings, &dismissals, today),
    };
    Ok(crate::pages::html(StatusCode::OK, &page))
}

/// Sorts the findings into the page's sections.
fn arrange(
    record: &HouseholdRecord,
    findings: Vec<Finding>,
    dismissals: &HashMap<String, Dismissal>,
    today: NaiveDate,
) -> Sections {
    let mut groups = child_groups(record);
    let (mut applied, mut not_interested) = (Vec::new(), Vec::new());
    for finding in findings {
        let children = children_of(&finding.reason, finding.found.eligibility, today);
        let estimated = children
            .iter()
            .any(|child| groups.get(usize::from(*child)).is_some_and(|group| group.unborn));
        let item = item(&finding, estimated);
        match dismissals.get(&item.program_id) {
            Some(Dismissal::Applied) => applied.push(item),
            Some(Dismissal::NotInterested) => not_interested.push(item),
            None => place(&mut groups, &children, &finding, &item),
        }
    }
    for group in &mut groups {
        group
            .eligible
            .sort_by_key(|item| (item.deadline.is_none(), item.deadline));
        group.upcoming.sort_by_key(|item| item.deadline);
    }
    groups.retain(|group| !group.is_empty());
    Sections {
        groups,
        applied,
        not_interested,
    }
}

/// One group for the household as a whole, then one per child in birth order.
fn child_groups(record: &HouseholdRecord) -> Vec<ChildGroup> {
    let household = ChildGroup {
        heading: "世帯全体".to_owned(),
        unborn: false,
        eligible: Vec::new(),
        one_answer_away: Vec::new(),
        upcoming: Vec::new(),
    };
    let children = record
        .household
        .children
        .iter()
        .enumerate()
        .map(|(index, child)| {
            let nickname = record
                .nicknames
                .get(index)
                .cloned()
                .flatten()
                .map(|nickname| format!("（{nickname}）"))
                .unwrap_or_default();
            let (born, unborn) = match child.birth {
                Birth::BirthDate(date) => (format!("{}生まれ", format_date_with_weekday(date)), false),
                Birth::DueDate(date) => (format!("出産予定日 {}", format_date_with_weekday(date)), true),
            };
            ChildGroup {
                heading: format!("{}人目のお子さん{nickname}・{born}", index + 1),
                unborn,
                eligible: Vec::new(),
                one_answer_away: Vec::new(),
                upcoming: Vec::new(),
            }
        });
    std::iter::once(household).chain(children).collect()
}

fn place(groups: &mut [ChildGroup], children: &[u8], finding: &Finding, item: &Item) {
    let targets: Vec<usize> = match children.is_empty() {
        true => vec![0],
        false => children.iter().map(|child| usize::from(*child)).collect(),
    };
    for target in targets {
        let Some(group) = groups.get_mut(target) else {
            continue;
        };
        match finding.found.eligibility {
            Eligibility::Eligible => group.eligible.push(item.clone()),
            Eligibility::Unknown => group.one_answer_away.push(item.clone()),
            Eligibility::NotEligible => group.upcoming.push(item.clone()),
        }
    }
}

/// The children (1-based, birth order) a finding is about: those whose conditions hold or may
/// hold today, or for a program that opens later, those for whom it opens later.
fn children_of(reason: &Reason, eligibility: Eligibility, today: NaiveDate) -> Vec<u8> {
    let mut children = Vec::new();
    let mut pending = vec![reason];
    while let Some(reason) = pending.pop() {
        if let Some(child) = reason.child {
            let relevant = match eligibility {
                Eligibility::NotEligible => reason.from.is_some_and(|from| from > today),
                _ => reason.held != Held::No,
            };
            if relevant && !children.contains(&child) {
                children.push(child);
            }
            continue;
        }
        pending.extend(reason.details.iter());
    }
    children.sort_unstable();
    children
}

fn item(finding: &Finding, estimated: bool) -> Item {
    let found = &finding.found;
    let mut when = Vec::new();
    for period in &found.detail.periods {
        when.push(match period.closes {
            Some(closes) => format!(
                "申請期間：{}〜{}",
                format_date_with_weekday(period.opens),
                format_date_with_weekday(closes)
            ),
            None => format!("申請できる時期：{}から", format_date_with_weekday(period.opens)),
        });
    }
    for window in &found.detail.windows {
        when.push(match window.until {
            Some(until) => format!(
                "対象の期間：{}〜{}",
                format_date_with_weekday(window.from),
                format_date_with_weekday(until)
            ),
            None => format!("対象の期間：{}から", format_date_with_weekday(window.from)),
        });
    }
    let deadline = found
        .detail
        .periods
        .iter()
        .filter_map(|period| period.closes)
        .min();
    Item {
        program_id: finding.program.id.to_string(),
        name: finding.program.content.name.clone(),
        summary: finding.program.content.summary.clone(),
        when,
        deadline: match found.eligibility {
            Eligibility::NotEligible => found.detail.windows.first().map(|window| window.from),
            _ => deadline,
        },
        estimated,
        reasons: reason_lines(&finding.reason),
        questions: found.detail.missing.iter().map(|fact| question(*fact)).collect(),
    }
}

fn reason_lines(reason: &Reason) -> Vec<ReasonLine> {
    let mut lines = Vec::new();
    let mut pending = vec![(0, reason)];
    while let Some((depth, reason)) = pending.pop() {
        let mark = match reason.held {
            Held::Yes => "あてはまる",
            Held::No => "あてはまらない",
            Held::Unknown => "未回答",
        };
        let child = reason
            .child
            .map(|child| format!("{child}人目："))
            .unwrap_or_default();
        lines.push(ReasonLine {
            depth: depth.min(3),
            mark,
            text: format!("{child}{}", reason.condition_ja),
        });
        pending.extend(reason.details.iter().rev().map(|detail| (depth + 1, detail)));
    }
    lines
}

fn question(fact: MissingFact) -> Question {
    let yes_no = vec![
        ("yes".to_owned(), "はい".to_owned()),
        ("no".to_owned(), "いいえ".to_owned()),
    ];
    let (name, options) = match fact {
        MissingFact::SingleParent => ("single_parent".to_owned(), yes_no),
        MissingFact::IncomeBand => (
            "income_band".to_owned(),
            IncomeBand::VARIANTS
                .iter()
                .map(|band| (band.id().to_owned(), band.label_ja().to_owned()))
                .collect(),
        ),
        MissingFact::DisabilityCertificate { child } => (format!("child{}_disability", child - 1), yes_no),
        MissingFact::Childcare { child } => (
            format!("child{}_childcare", child - 1),
            kosodate_matcher::Childcare::VARIANTS
                .iter()
                .map(|care| (care.id().to_owned(), care.label_ja().to_owned()))
                .collect(),
        ),
    };
    Question {
        name,
        label: fact.question_ja(),
        options,
    }
}

/// Programs the household stopped being eligible for, as matching recorded it, latest first.
async fn ended(state: &AppState, id: HouseholdId, findings: &[Finding]) -> Result<Vec<String>, ApiError> {
    let events = state.households.events(id).await?;
    let mut names = Vec::new();
    let mut seen: Vec<ProgramId> = Vec::new();
    for event in events
        .iter()
        .rev()
        .filter(|event| event.kind == NoticeKind::NoLongerEligible)
    {
        let Some(program_id) = event.program_id else {
            continue;
        };
        let current = findings.iter().any(|finding| finding.program.id == program_id);
        if current || seen.contains(&program_id) {
            continue;
        }
        seen.push(program_id);
        if let Ok(program) = state.registry.program(program_id, Visibility::Public).await {
            names.push(format!(
                "{}（{}まで）",
                program.content.name,
                format_date_with_weekday(event.anchor_on)
            ));
        }
    }
    Ok(names)
}

#[derive(Debug, Deserialize)]
pub struct MarkForm {
    mark: String,
}

/// 「申請した」, 「関心なし」 or taking either back. A program marked applied is reminded of no more.
pub async fn mark(
    State(state): State<AppState>,
    context: RequestContext,
    RecordId(program_id): RecordId<path_ids::Program>,
    form: ParentForm<MarkForm>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let id = parent::require_household(&state, parent.account).await?;
    match Dismissal::parse(&fields.mark) {
        Some(dismissal) => {
            state
                .households
                .dismiss_program(id, &program_id.to_string(), dismissal)
                .await?;
        }
        None => {
            state
                .households
                .undo_dismissal(id, &program_id.to_string())
                .await?
        }
    }
    parent::record_access(&state, &context, "program.mark", id).await?;
    Ok(see_other(&format!("/me#program-{program_id}")))
}

/// An answer given in place of a question: the household changes and matching runs again.
pub async fn answer(
    State(state): State<AppState>,
    context: RequestContext,
    form: ParentForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let ParentForm { parent, fields } = form;
    let id = parent::require_household(&state, parent.account).await?;
    let mut input = state.households.record(id).await?.to_input();
    for (name, value) in &fields {
        let yes_no = match value.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        match name.as_str() {
            "single_parent" => input.single_parent = yes_no.or(input.single_parent),
            "income_band" => input.income_band = IncomeBand::parse(value).or(input.income_band),
            other => answer_about_child(&mut input, other, value, yes_no),
        }
    }
    parent::save_household(&state, parent.account, &context, input).await?;
    Ok(see_other("/me?saved=1"))
}

fn answer_about_child(
    input: &mut kosodate_households::HouseholdInput,
    name: &str,
    value: &str,
    yes_no: Option<bool>,
) {
    let Some((index, fact)) = name
        .strip_prefix("child")
        .and_then(|rest| rest.split_once('_'))
        .and_then(|(index, fact)| Some((index.parse::<usize>().ok()?, fact)))
    else {
        return;
    };
    let Some(child) = input.children.get_mut(index) else {
        return;
    };
    match fact {
        "disability" => child.disability_certificate = yes_no.or(child.disability_certificate),
        "childcare" => child.childcare = kosodate_matcher::Childcare::parse(value).or(child.childcare),
        _ => {}
    }
}
