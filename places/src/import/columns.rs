//! The columns of a places or events spreadsheet: each header, the field it fills, and which
//! column a validation problem (a JSON pointer) belongs to.

use std::collections::HashMap;

use kosodate_registry::import::csv_format::column_letter;
use kosodate_registry::import::{ImportError, ImportErrors};
use serde_json::{Map, Value, json};

use super::ImportKind;
use super::cells::{self, Unread};
use super::sheet::{Row, Sheet};

/// A column: its key, its header, and the JSON pointers whose problems are its own.
struct Column {
    key: &'static str,
    header: &'static str,
    pointers: &'static [&'static str],
}

const fn column(key: &'static str, header: &'static str, pointers: &'static [&'static str]) -> Column {
    Column {
        key,
        header,
        pointers,
    }
}

const PLACE_COLUMNS: &[Column] = &[
    column("owner", "団体コード", &["/owner"]),
    column("kind", "種類", &["/kind"]),
    column("name", "名称", &["/name"]),
    column("reading", "よみがな", &["/reading"]),
    column("address", "住所", &["/address"]),
    column("postal_code", "郵便番号", &["/postal_code"]),
    column("latitude", "緯度", &["/latitude"]),
    column("longitude", "経度", &["/longitude"]),
    column("phone", "電話番号", &["/phone"]),
    column("url", "URL", &["/url"]),
    column("hours", "開館時間", &["/opening_hours/days"]),
    column("closed_days", "休館日", &["/opening_hours/closed_days"]),
    column("hours_note", "開館時間の備考", &["/opening_hours/note"]),
    column("age_from", "対象月齢（から）", &["/age_months"]),
    column("age_to", "対象月齢（まで）", &["/age_months/to"]),
    column("facilities", "設備", &["/facilities"]),
    column("description", "説明", &["/description"]),
    column("license", "ライセンス", &["/license"]),
];

const EVENT_COLUMNS: &[Column] = &[
    column("owner", "団体コード", &["/owner"]),
    column("kind", "種類", &["/kind"]),
    column("title", "タイトル", &["/title"]),
    column("reading", "よみがな", &["/reading"]),
    column("description", "説明", &["/description"]),
    column("place", "施設名", &["/place_id"]),
    column("venue", "会場", &["/venue"]),
    column("repeat", "くり返し", &["/schedule/rule"]),
    column("date", "開始日", &["/schedule"]),
    column("until", "終了日", &["/schedule/until"]),
    column("start", "開始時刻", &["/schedule/start"]),
    column("end", "終了時刻", &["/schedule/end"]),
    column("except", "休みの日", &["/schedule/except"]),
    column("pregnancy", "妊娠中", &["/audience/pregnancy"]),
    column("age_from", "対象月齢（から）", &["/audience/age_months"]),
    column("age_to", "対象月齢（まで）", &["/audience/age_months/to"]),
    column("grade_from", "対象学年（から）", &["/audience/grades"]),
    column("grade_to", "対象学年（まで）", &["/audience/grades/to"]),
    column("audience_note", "対象の補足", &["/audience/note"]),
    column("capacity", "定員", &["/capacity"]),
    column("sign_up", "申込方法", &["/sign_up"]),
    column("sign_up_url", "申込URL", &["/sign_up/url"]),
    column("sign_up_phone", "申込電話番号", &["/sign_up/phone"]),
    column("deadline", "申込締切日", &["/sign_up/deadline"]),
    column(
        "deadline_days",
        "申込締切（何日前）",
        &["/sign_up/deadline_days_before"],
    ),
    column("fee", "参加費", &["/fee/yen"]),
    column("fee_note", "参加費の補足", &["/fee/note"]),
    column("contact_section", "問い合わせ先", &["/contact/section"]),
    column("contact_phone", "問い合わせ電話番号", &["/contact/phone"]),
    column("contact_email", "問い合わせメール", &["/contact/email"]),
    column("license", "ライセンス", &["/license"]),
];

fn columns_of(kind: ImportKind) -> &'static [Column] {
    match kind {
        ImportKind::Places => PLACE_COLUMNS,
        ImportKind::Events => EVENT_COLUMNS,
    }
}

/// The headers a sheet of `kind` may have, in the order an exported sheet has them.
pub fn headers(kind: ImportKind) -> Vec<&'static str> {
    columns_of(kind).iter().map(|column| column.header).collect()
}

/// Which column of this sheet holds which field.
pub(crate) struct Layout {
    pub kind: ImportKind,
    known: &'static [Column],
    /// The sheet's column index of each key.
    positions: HashMap<&'static str, usize>,
}

/// One row's cells by key, and the problems of reading them.
struct Cells<'a> {
    layout: &'a Layout,
    row: &'a Row,
    problems: &'a mut Vec<ImportError>,
}

impl Cells<'_> {
    fn text(&self, key: &str) -> Option<String> {
        let index = *self.layout.positions.get(key)?;
        self.row
            .cells
            .get(index)
            .map(|cell| cell.trim().to_owned())
            .filter(|cell| !cell.is_empty())
    }

    /// The cell read by `read`; what cannot be read is a problem of its column and null.
    fn read<T: Into<Value>>(&mut self, key: &'static str, read: impl Fn(&str) -> Result<T, Unread>) -> Value {
        let Some(text) = self.text(key) else {
            return Value::Null;
        };
        match read(&text) {
            Ok(value) => value.into(),
            Err((detail, detail_en)) => {
                let problem = self.layout.problem_in(self.row.line, key, &detail, detail_en);
                self.problems.push(problem);
                Value::Null
            }
        }
    }

    fn plain(&self, key: &str) -> Value {
        self.text(key).map_or(Value::Null, Value::String)
    }

    fn range(&mut self, from: &'static str, to: &'static str) -> Value {
        let (from, to) = (self.read(from, cells::number), self.read(to, cells::number));
        match (from.is_null(), to.is_null()) {
            (true, true) => Value::Null,
            _ => json!({"from": from, "to": to}),
        }
    }
}

impl Layout {
    /// Every header must be known, and the required ones present.
    pub(crate) fn for_sheet(kind: ImportKind, sheet: &Sheet) -> Result<Self, ImportErrors> {
        let known = columns_of(kind);
        let mut positions = HashMap::new();
        let mut problems = Vec::new();
        for (index, header) in sheet
            .headers
            .iter()
            .enumerate()
            .filter(|(_, header)| !header.is_empty())
        {
            match known
                .iter()
                .find(|column| column.header == header || column.key == header)
            {
                Some(column) => {
                    positions.insert(column.key, index);
                }
                None => problems.push(
                    ImportError::new(
                        sheet.header_line,
                        header.clone(),
                        format!(
                            "見出し「{header}」は使えません。使える見出し: {}",
                            known
                                .iter()
                                .map(|column| column.header)
                                .collect::<Vec<_>>()
                                .join("、")
                        ),
                        format!("unknown column {header:?}"),
                    )
                    .at_column(column_letter(index)),
                ),
            }
        }
        match problems.is_empty() {
            true => Ok(Self {
                kind,
                known,
                positions,
            }),
            false => Err(ImportErrors(problems)),
        }
    }

    fn column_of(&self, key: &str) -> Option<&'static Column> {
        self.known.iter().find(|column| column.key == key)
    }

    fn problem_in(&self, line: usize, key: &str, detail: &str, detail_en: String) -> ImportError {
        let header = self.column_of(key).map_or("", |column| column.header);
        let problem = ImportError::new(line, header, detail, detail_en);
        match self.positions.get(key) {
            Some(index) => problem.at_column(column_letter(*index)),
            None => problem,
        }
    }

    /// A validation problem, at the column whose pointer is the longest prefix of `pointer`.
    pub(crate) fn problem(&self, line: usize, pointer: &str, detail: &str, detail_en: String) -> ImportError {
        let owner = self
            .known
            .iter()
            .flat_map(|column| column.pointers.iter().map(move |prefix| (column.key, *prefix)))
            .filter(|(_, prefix)| pointer == *prefix || pointer.starts_with(&format!("{prefix}/")))
            .max_by_key(|(_, prefix)| prefix.len());
        match owner {
            Some((key, _)) => self.problem_in(line, key, detail, detail_en),
            None => ImportError::new(line, pointer, detail, detail_en),
        }
    }

    /// The row as the API's JSON input, and for an event the name of its place.
    pub(crate) fn read(&self, row: &Row, problems: &mut Vec<ImportError>) -> (Value, Option<String>) {
        let mut cells = Cells {
            layout: self,
            row,
            problems,
        };
        match self.kind {
            ImportKind::Places => (place(&mut cells), None),
            ImportKind::Events => (event(&mut cells), cells.text("place")),
        }
    }
}

fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, value)| !value.is_null())
                .map(|(key, value)| (key, without_nulls(value)))
                .collect::<Map<_, _>>(),
        ),
        other => other,
    }
}

fn required(cells: &Cells<'_>, key: &str) -> Value {
    Value::String(cells.text(key).unwrap_or_default())
}

fn place(cells: &mut Cells<'_>) -> Value {
    let facilities: Vec<String> = cells
        .text("facilities")
        .map(|text| cells::split_list(&text).collect())
        .unwrap_or_default();
    without_nulls(json!({
        "owner": required(cells, "owner"),
        "kind": required(cells, "kind"),
        "name": required(cells, "name"),
        "reading": cells.plain("reading"),
        "address": required(cells, "address"),
        "postal_code": cells.plain("postal_code"),
        "latitude": cells.read("latitude", cells::number),
        "longitude": cells.read("longitude", cells::number),
        "phone": cells.plain("phone"),
        "url": cells.plain("url"),
        "opening_hours": {
            "days": cells.read("hours", cells::opening_hours),
            "closed_days": cells.plain("closed_days"),
            "note": cells.plain("hours_note"),
        },
        "age_months": cells.range("age_from", "age_to"),
        "facilities": facilities,
        "description": cells.plain("description"),
        "license": cells.plain("license"),
    }))
}

fn event(cells: &mut Cells<'_>) -> Value {
    let start = cells.read("start", cells::time);
    let end = cells.read("end", cells::time);
    // Several days in the cell (「4/14、6/9、9/8」) and no repetition: an event on those days.
    let listed = cells.text("repeat").is_none()
        && cells
            .text("date")
            .is_some_and(|text| cells::split_list(&text).nth(1).is_some());
    let date = match listed {
        true => cells.read("date", cells::dates),
        false => cells.read("date", cells::date),
    };
    if date.is_null() && cells.text("date").is_none() {
        let problem = cells.layout.problem_in(
            cells.row.line,
            "date",
            "開始日を入力してください",
            "the date is required".into(),
        );
        cells.problems.push(problem);
    }
    if start.is_null() && cells.text("start").is_none() {
        let problem = cells.layout.problem_in(
            cells.row.line,
            "start",
            "開始時刻を入力してください",
            "the start is required".into(),
        );
        cells.problems.push(problem);
    }
    let schedule = match cells.text("repeat") {
        None if listed => json!({"kind": "dates", "dates": date, "start": start, "end": end}),
        None => json!({"kind": "once", "date": date, "start": start, "end": end}),
        Some(_) => {
            json!({"kind": "recurring", "rule": cells.read("repeat", cells::recurrence), "start": start,
            "end": end, "from": date, "until": cells.read("until", cells::date),
            "except": cells.read("except", cells::dates)})
        }
    };
    let grades = match (cells.plain("grade_from"), cells.plain("grade_to")) {
        (Value::Null, Value::Null) => Value::Null,
        (from, to) => json!({"from": from, "to": to}),
    };
    let method = cells.text("sign_up").unwrap_or_else(|| "none".into());
    without_nulls(json!({
        "owner": required(cells, "owner"),
        "kind": required(cells, "kind"),
        "title": required(cells, "title"),
        "reading": cells.plain("reading"),
        "description": cells.plain("description"),
        "venue": cells.plain("venue"),
        "schedule": schedule,
        "audience": {"pregnancy": cells.read("pregnancy", cells::yes), "age_months": cells.range("age_from", "age_to"),
            "grades": grades, "note": cells.plain("audience_note")},
        "capacity": cells.read("capacity", cells::number),
        "sign_up": {"method": method, "url": cells.plain("sign_up_url"), "phone": cells.plain("sign_up_phone"),
            "deadline": cells.read("deadline", cells::date), "deadline_days_before": cells.read("deadline_days", cells::number)},
        "fee": {"yen": cells.read("fee", cells::number), "note": cells.plain("fee_note")},
        "contact": {"section": cells.plain("contact_section"), "phone": cells.plain("contact_phone"),
            "email": cells.plain("contact_email")},
        "license": cells.plain("license"),
    }))
}
