//! The public page of one program, `/programs/{id}`: everything a parent needs from the registry
//! (what it gives, who it is for, when and how to apply, documents, contact, source), shareable
//! with OpenGraph tags, and "is my child eligible?" answered from a birth or due date alone. That
//! answer is the matcher's, for a household of that one child in the program's area on today's
//! date in Japan; the date is read from the query, never stored and never logged (request logs
//! name the route only).

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Days, NaiveDate, Utc};
use kosodate_domain::{
    CalendarDate, CalendarDateError, MunicipalityCode, PREFECTURE_CODE, ProgramId, Vocabulary, japan,
};
use kosodate_households::{ChildInput, HouseholdInput};
use kosodate_matcher::{
    Application, ApplicationPeriod, Birth, Child, Eligibility, Household, PlainCondition, PreparedHousehold,
    Window,
};
use kosodate_matching::CatalogueEntry;
use kosodate_registry::{
    ApplicationWindow, Municipality, Program, ProgramOwner, ProgramStatus, RegistryError, ValidationErrors,
    Visibility,
};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{ApiQuery, Body};
use crate::path_ids::{self, RecordId};
use crate::state::AppState;

/// How far ahead the answer looks: past the end of every program for a child (22 years), so that
/// a window shows its last day instead of "until further notice".
const HORIZON_DAYS: u32 = 23 * 366;

/// The inline check's fields, as typed; both absent means no check was asked for.
#[derive(Debug, Default, Deserialize)]
pub struct CheckQuery {
    birth_date: Option<String>,
    due_date: Option<String>,
    /// Asked only where the rule depends on the municipality (see [`municipality_choices`]).
    municipality: Option<String>,
    /// Which result of which search led here (`/search` links say), for click-through.
    from: Option<String>,
}

#[derive(Template)]
#[template(path = "program.html")]
struct ProgramPage {
    program: Program,
    canonical_url: String,
    owner_name: String,
    /// Where the inline check places the child's household, in words.
    area_name: String,
    categories: Vec<&'static str>,
    eligibility: Option<(String, Vec<RuleLine>)>,
    benefit_amount: Option<String>,
    application_period: String,
    methods: Vec<(&'static str, Option<String>, Option<String>)>,
    last_reviewed: Option<String>,
    /// The municipalities to choose from; empty when where one lives makes no difference.
    choices: Vec<Municipality>,
    form: CheckForm,
    answer: Option<Answer>,
}

/// The generated eligibility text as a flat sequence that the template turns into nested lists.
enum RuleLine {
    Open,
    Item(String),
    EndItem,
    Close,
}

/// What the parent typed, and what is wrong with it, by field.
#[derive(Debug, Default)]
struct CheckForm {
    birth_date: String,
    due_date: String,
    municipality: String,
    birth_date_error: Option<String>,
    due_date_error: Option<String>,
    municipality_error: Option<String>,
}

impl CheckForm {
    fn has_errors(&self) -> bool {
        self.birth_date_error.is_some() || self.due_date_error.is_some() || self.municipality_error.is_some()
    }
}

/// The answer to "is my child eligible?".
struct Answer {
    /// `yes`, `no`, `later` (eligible from a later date), `after_birth` (an expected child, once
    /// born) or `depends` (on facts not asked here): the CSS class and what the tests read.
    verdict: &'static str,
    headline: String,
    /// The facts the answer depends on, as questions.
    missing: Vec<String>,
    windows: Vec<String>,
    periods: Vec<String>,
    note: Option<String>,
}

/// `GET /programs/{id}`; `?birth_date=` or `?due_date=` answer the inline check too, for a link
/// that carries them.
pub async fn show(
    State(state): State<AppState>,
    RecordId(id): RecordId<path_ids::Program>,
    ApiQuery(query): ApiQuery<CheckQuery>,
) -> Result<Response, ApiError> {
    if let Some(from) = &query.from {
        crate::insights::record_result_click(&state, id, from).await;
    }
    render(&state, id, &query).await
}

/// `POST /programs/{id}`: the inline check's form. Posting keeps the child's date out of the
/// address, and so out of the browser's history; nothing is stored, so no session or CSRF token
/// is involved.
pub async fn check(
    State(state): State<AppState>,
    RecordId(id): RecordId<path_ids::Program>,
    Body(bytes): Body,
) -> Result<Response, ApiError> {
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&bytes));
    let query: CheckQuery = serde_path_to_error::deserialize(deserializer).map_err(|error| {
        ApiError::invalid_query(
            &error.path().to_string(),
            "入力内容を読み取れませんでした。前の画面に戻って、もう一度入力してください",
            format!("the check's form could not be read: {}", error.inner()),
        )
    })?;
    render(&state, id, &query).await
}

async fn render(state: &AppState, id: ProgramId, query: &CheckQuery) -> Result<Response, ApiError> {
    let program = published_program(state, id).await?;
    let today = japan::date_of(Utc::now());
    let owner_name = match program.content.owner {
        ProgramOwner::National => "国".to_owned(),
        ProgramOwner::Local(code) => state.registry.municipality(code).await?.name,
    };
    let choices = municipality_choices(state, &program).await?;
    let chosen = choices
        .iter()
        .find(|choice| query.municipality.as_deref() == Some(choice.code.as_str()));
    let (area, area_name) = match (chosen, program.content.owner) {
        (Some(choice), _) => (choice.code, choice.name.clone()),
        (None, ProgramOwner::Local(code)) if !code.is_prefecture() => (code, owner_name.clone()),
        (None, _) => (PREFECTURE_CODE, "青森県内".to_owned()),
    };
    let (mut form, mut household) = read_check(query, area, today);
    if !choices.is_empty() && chosen.is_none() && household.is_some() {
        form.municipality_error = Some("お住まいの市町村を選んでください".to_owned());
        household = None;
    }
    let answer = household.and_then(|household| answer_for(&program, &household, today));
    let status = match form.has_errors() {
        true => StatusCode::UNPROCESSABLE_ENTITY,
        false => StatusCode::OK,
    };
    let canonical_url = state
        .public_url
        .join(&format!("programs/{}", program.id))
        .map_err(|error| ApiError::failure("the program page's address", &error))?;
    let eligibility = eligibility_lines(state, &program).await?;
    let names = (owner_name, area_name);
    let page = ProgramPage::new(
        program,
        canonical_url.to_string(),
        names,
        eligibility,
        (choices, form),
        answer,
    );
    Ok(super::html(status, &page))
}

/// Who the program is for in words, from its rule, with the municipalities it names by name;
/// `None` when eligibility is described in words only.
async fn eligibility_lines(
    state: &AppState,
    program: &Program,
) -> Result<Option<(String, Vec<RuleLine>)>, ApiError> {
    let Some(entry) = kosodate_matching::entry(program) else {
        return Ok(None);
    };
    let mut names = HashMap::new();
    for code in entry.rule.rule.municipalities_named() {
        match state.registry.municipality(code).await {
            Ok(municipality) => names.insert(code, municipality.name),
            Err(RegistryError::MunicipalityNotFound(_)) => continue,
            Err(error) => return Err(error.into()),
        };
    }
    let plain = entry
        .rule
        .rule
        .plain_japanese_naming(&|code| names.get(&code).cloned());
    let mut lines = Vec::new();
    push_lines(&plain.parts, &mut lines);
    Ok(Some((plain.sentence, lines)))
}

/// The program if the public may see it; a draft is not found, an archived one has ended.
async fn published_program(state: &AppState, id: ProgramId) -> Result<Program, ApiError> {
    let not_found = || {
        ApiError::not_found(
            "この制度は見つかりません。公開前か、アドレスが正しくない可能性があります",
            format!("no published program {id}"),
        )
    };
    let program = match state.registry.program(id, Visibility::Staff).await {
        Ok(program) => program,
        Err(RegistryError::ProgramNotFound(_)) => return Err(not_found()),
        Err(error) => return Err(error.into()),
    };
    match program.status {
        ProgramStatus::Published => Ok(program),
        ProgramStatus::Draft => Err(not_found()),
        ProgramStatus::Archived => {
            let ended = program
                .archived_at
                .map(|at| format!("（{}）", japan::format_date(japan::date_of(at))))
                .unwrap_or_default();
            Err(ApiError::not_found(
                format!(
                    "「{}」は終了しました{ended}。いまの制度は「制度をさがす」からご覧ください",
                    program.content.name
                ),
                format!("program {id} has ended"),
            ))
        }
    }
}

/// Where the one-child household of the check lives is the municipality running the program, or
/// for the nation's and the prefecture's programs the prefecture; but where such a program's rule
/// names municipalities, the parent says which one they live in, from this list.
async fn municipality_choices(state: &AppState, program: &Program) -> Result<Vec<Municipality>, ApiError> {
    let municipal = matches!(program.content.owner, ProgramOwner::Local(code) if !code.is_prefecture());
    let names_municipalities = kosodate_matching::entry(program)
        .is_some_and(|entry| !entry.rule.rule.municipalities_named().is_empty());
    if municipal || !names_municipalities {
        return Ok(Vec::new());
    }
    let all = state.registry.all_municipalities().await?;
    Ok(all
        .iter()
        .filter(|municipality| !municipality.code.is_prefecture())
        .cloned()
        .collect())
}

/// The form as typed and, when it holds one valid date, the household of that child.
fn read_check(
    query: &CheckQuery,
    area: MunicipalityCode,
    today: NaiveDate,
) -> (CheckForm, Option<Household>) {
    let mut form = CheckForm {
        birth_date: query.birth_date.clone().unwrap_or_default(),
        due_date: query.due_date.clone().unwrap_or_default(),
        municipality: query.municipality.clone().unwrap_or_default(),
        ..CheckForm::default()
    };
    if query.birth_date.is_none() && query.due_date.is_none() {
        return (form, None);
    }
    let birth_date = read_date(&form.birth_date).map_err(|error| error.message_ja().to_owned());
    let due_date = read_date(&form.due_date).map_err(|error| error.message_ja().to_owned());
    let (Ok(birth_date), Ok(due_date)) = (birth_date.clone(), due_date.clone()) else {
        form.birth_date_error = birth_date.err();
        form.due_date_error = due_date.err();
        return (form, None);
    };
    // The same checks as a household registered by a parent: a birth date not in the future, a
    // due date near enough, one of the two.
    let input = HouseholdInput {
        municipality_code: area.to_string(),
        children: vec![ChildInput {
            nickname: None,
            birth_date,
            due_date,
            disability_certificate: None,
            childcare: None,
        }],
        single_parent: None,
        income_band: None,
        preferences: None,
    };
    match input.validate(today) {
        Ok(valid) => (form, Some(valid.household)),
        Err(ValidationErrors(errors)) => {
            for error in errors {
                let slot = match error.pointer.ends_with("due_date") {
                    true => &mut form.due_date_error,
                    false => &mut form.birth_date_error,
                };
                slot.get_or_insert(error.detail);
            }
            (form, None)
        }
    }
}

/// A date as people type it: 2025-04-01, 2025/4/1, 20250401, in full-width digits too.
fn read_date(text: &str) -> Result<Option<CalendarDate>, CalendarDateError> {
    let normalised: String =
        text.trim()
            .chars()
            .map(|character| match character {
                '０'..='９' => char::from_u32(u32::from(character) - u32::from('０') + u32::from('0'))
                    .unwrap_or(character),
                '/' | '／' | '.' | '－' => '-',
                other => other,
            })
            .collect();
    if normalised.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = match normalised.len() == 8 && normalised.bytes().all(|byte| byte.is_ascii_digit())
    {
        true => vec![&normalised[0..4], &normalised[4..6], &normalised[6..8]],
        false => normalised.split('-').collect(),
    };
    let [year, month, day] = parts.as_slice() else {
        return Err(CalendarDateError::Malformed);
    };
    if year.len() != 4 || !(1..=2).contains(&month.len()) || !(1..=2).contains(&day.len()) {
        return Err(CalendarDateError::Malformed);
    }
    CalendarDate::parse(&format!("{year}-{month:0>2}-{day:0>2}")).map(Some)
}

/// The matcher's answer for the one-child household.
/// `None` for a program whose eligibility is in words only: there is nothing to check against.
fn answer_for(program: &Program, household: &Household, today: NaiveDate) -> Option<Answer> {
    let entry = kosodate_matching::entry(program)?;
    let prepared = PreparedHousehold::new(household);
    let assessment = entry.rule.assess(&prepared, today, HORIZON_DAYS);
    let (verdict, headline) = verdict(assessment.eligibility, assessment.windows.first().copied());
    if verdict == "no"
        && let Some(answer) = after_birth(&entry, household, today)
    {
        return Some(answer);
    }
    Some(Answer {
        verdict,
        headline,
        missing: missing_facts(&entry, &prepared, &assessment.windows, today),
        windows: assessment.windows.iter().map(window_text).collect(),
        periods: periods(&entry, &assessment.application_periods),
        note: deadline_note(&entry, household, today),
    })
}

/// For an expected child whom the program does not cover before the birth: what follows once
/// the child is born on the due date (for 児童手当, eligibility and the 15 days to apply).
fn after_birth(entry: &CatalogueEntry, household: &Household, today: NaiveDate) -> Option<Answer> {
    let due = due_date(household)?;
    let born = Household {
        children: vec![Child::born(due)],
        ..household.clone()
    };
    let prepared = PreparedHousehold::new(&born);
    let assessment = entry.rule.assess(&prepared, today, HORIZON_DAYS);
    let first = assessment.windows.first().copied()?;
    let condition = match first.eligibility {
        Eligibility::Eligible => "",
        _ => "、ほかの条件によっては",
    };
    Some(Answer {
        verdict: "after_birth",
        headline: format!(
            "生まれた後に対象になります。出産予定日に生まれた場合は{}から{condition}対象です。",
            japan::format_date(first.from)
        ),
        missing: missing_facts(entry, &prepared, &assessment.windows, today),
        windows: assessment.windows.iter().map(window_text).collect(),
        periods: periods(entry, &assessment.application_periods),
        note: deadline_note(entry, household, today),
    })
}

fn due_date(household: &Household) -> Option<NaiveDate> {
    household.children.iter().find_map(|child| match child.birth {
        Birth::DueDate(due) => Some(due),
        Birth::BirthDate(_) => None,
    })
}

/// The facts that decide the first window, also when it opens later, as questions.
fn missing_facts(
    entry: &CatalogueEntry,
    prepared: &PreparedHousehold<'_>,
    windows: &[Window],
    today: NaiveDate,
) -> Vec<String> {
    let on = windows.first().map_or(today, |window| window.from);
    let explanation = entry.rule.rule.explain(prepared, on);
    explanation
        .missing
        .into_iter()
        .map(|fact| fact.question_ja())
        .collect()
}

/// Application periods, when they say more than the windows do (a program open at any time
/// has the windows' own dates).
fn periods(entry: &CatalogueEntry, periods: &[ApplicationPeriod]) -> Vec<String> {
    match entry.rule.application {
        Application::Always | Application::AfterOtherEvent { .. } => Vec::new(),
        _ => periods.iter().map(period_text).collect(),
    }
}

pub(crate) fn verdict(today: Eligibility, first_window: Option<Window>) -> (&'static str, String) {
    match (today, first_window) {
        (Eligibility::Eligible, _) => ("yes", "はい、対象です。".into()),
        (Eligibility::Unknown, _) => ("depends", "ほかの条件によっては対象です。".into()),
        (Eligibility::NotEligible, Some(window)) => (
            "later",
            format!(
                "今はまだ対象ではありません。{}から{}。",
                japan::format_date(window.from),
                match window.eligibility {
                    Eligibility::Eligible => "対象になります",
                    _ => "ほかの条件によっては対象になります",
                }
            ),
        ),
        (Eligibility::NotEligible, None) => ("no", "いいえ、対象ではありません。".into()),
    }
}

pub(crate) fn window_text(window: &Window) -> String {
    let until = window.until.map_or_else(
        || "（終わりの日は決まっていません）".to_owned(),
        |until| format!("{}まで", japan::format_date(until)),
    );
    let condition = match window.eligibility {
        Eligibility::Eligible => "",
        _ => "（ほかの条件によります）",
    };
    format!("{}から{until}{condition}", japan::format_date(window.from))
}

fn period_text(period: &ApplicationPeriod) -> String {
    let closes = period.closes.map_or_else(
        || "（締め切りの定めはありません）".to_owned(),
        |closes| format!("{}まで", japan::format_date(closes)),
    );
    format!("{}から{closes}", japan::format_date(period.opens))
}

/// The deadline of a program to apply for within days of the birth: counted from the due date
/// before the birth (the matcher counts from the birth itself), and said plainly once passed.
fn deadline_note(entry: &CatalogueEntry, household: &Household, today: NaiveDate) -> Option<String> {
    let Application::AfterBirth { within_days } = entry.rule.application else {
        return None;
    };
    let child = household.children.first()?;
    let deadline = child
        .birth
        .date()
        .checked_add_days(Days::new(u64::from(within_days)))?;
    let deadline_text = japan::format_date(deadline);
    Some(match child.birth {
        Birth::DueDate(_) => format!(
            "申請は生まれた日の翌日から{within_days}日以内です。出産予定日に生まれた場合は{deadline_text}までです。"
        ),
        Birth::BirthDate(_) if deadline >= today => {
            format!("申請の期限は{deadline_text}です（生まれた日の翌日から{within_days}日以内）。")
        }
        Birth::BirthDate(_) => format!(
            "生まれた日の翌日から{within_days}日以内の申請期限（{deadline_text}）は過ぎています。申請できるかどうか、問い合わせ先にご相談ください。"
        ),
    })
}

impl ProgramPage {
    fn new(
        program: Program,
        canonical_url: String,
        (owner_name, area_name): (String, String),
        eligibility: Option<(String, Vec<RuleLine>)>,
        (choices, form): (Vec<Municipality>, CheckForm),
        answer: Option<Answer>,
    ) -> Self {
        let content = &program.content;
        Self {
            canonical_url,
            owner_name,
            area_name,
            categories: content
                .categories
                .iter()
                .map(|category| category.label_ja())
                .collect(),
            eligibility,
            benefit_amount: content
                .benefit
                .amount_yen
                .map(|yen| format!("{}円", kosodate_planner::group_thousands(yen))),
            application_period: application_period(&content.application_window),
            methods: content
                .application_methods
                .iter()
                .map(|method| (method.kind.label_ja(), method.note.clone(), method.url.clone()))
                .collect(),
            last_reviewed: content
                .last_reviewed_on
                .map(|date| japan::format_date(date.date())),
            choices,
            form,
            answer,
            program,
        }
    }
}

fn push_lines(parts: &[PlainCondition], lines: &mut Vec<RuleLine>) {
    if parts.is_empty() {
        return;
    }
    lines.push(RuleLine::Open);
    for part in parts {
        lines.push(RuleLine::Item(part.sentence.clone()));
        push_lines(&part.parts, lines);
        lines.push(RuleLine::EndItem);
    }
    lines.push(RuleLine::Close);
}

/// When one may apply, in words, from the program's application window.
fn application_period(window: &ApplicationWindow) -> String {
    let date = |date: &CalendarDate| japan::format_date(date.date());
    match window {
        ApplicationWindow::Always | ApplicationWindow::Fixed { from: None, to: None } => {
            "随時（対象となる間はいつでも申請できます）".into()
        }
        ApplicationWindow::Fixed {
            from: Some(from),
            to: Some(to),
        } => format!("{}から{}まで", date(from), date(to)),
        ApplicationWindow::Fixed {
            from: Some(from),
            to: None,
        } => format!("{}から", date(from)),
        ApplicationWindow::Fixed {
            from: None,
            to: Some(to),
        } => format!("{}まで", date(to)),
        ApplicationWindow::Relative { event, within_days } => {
            format!("{}日の翌日から{within_days}日以内", event.label_ja())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_as_people_type_them() {
        for typed in [
            "2025-04-01",
            "2025/4/1",
            "20250401",
            "２０２５／０４／０１",
            " 2025-4-01 ",
        ] {
            assert_eq!(
                read_date(typed).map(|date| date.map(|date| date.to_string())),
                Ok(Some("2025-04-01".to_owned())),
                "{typed}"
            );
        }
        assert_eq!(read_date(""), Ok(None));
        for typed in ["2025-02-30", "25-4-1", "2025-04", "きのう", "2025-004-01"] {
            assert!(read_date(typed).is_err(), "{typed}");
        }
    }
}
