//! Disclosure control: what a count may say about people. A count under [`MIN_CELL`] is never
//! published, whatever the table; it is suppressed at the one place a count becomes a [`Cell`].
//! Small areas are merged into their group before their cells are judged
//! ([`roll_up_small_areas`]), so that a row's cells and the total of its group never let a
//! suppressed count be worked out by subtraction; free text is published only as terms at least
//! [`MIN_CELL`] distinct people used ([`publishable_terms`]). docs/insights.md says the same for
//! staff.

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

/// The smallest number of people (or events) a published cell may count.
pub const MIN_CELL: u64 = 10;

/// A published count: the number when it is at least [`MIN_CELL`], else only that it is small.
///
/// In JSON a cell is a number, or `null` when suppressed: `null` always means "fewer than 10,
/// possibly none", never "unknown"; a reader must not take it as zero. In CSV it is the number or
/// 「10未満」 ([`Cell::csv_field`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cell {
    Count(u64),
    Suppressed,
}

impl Cell {
    /// The only way a count becomes publishable.
    pub fn of(count: u64) -> Self {
        match count >= MIN_CELL {
            true => Self::Count(count),
            false => Self::Suppressed,
        }
    }

    /// The published number, `None` when suppressed.
    pub fn count(self) -> Option<u64> {
        match self {
            Self::Count(count) => Some(count),
            Self::Suppressed => None,
        }
    }

    /// The cell as a CSV export writes it.
    pub fn csv_field(self) -> String {
        match self {
            Self::Count(count) => count.to_string(),
            Self::Suppressed => "10未満".to_owned(),
        }
    }
}

impl Serialize for Cell {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Count(count) => serializer.serialize_u64(*count),
            Self::Suppressed => serializer.serialize_none(),
        }
    }
}

impl utoipa::PartialSchema for Cell {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
            .minimum(Some(MIN_CELL as f64))
            .description(Some(
                "A count of at least 10, or null when it is under 10 (suppressed; possibly zero)",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Cell {}

/// The counts of one area (a municipality, or a region when regions are the rows), one per
/// column of the table, before disclosure control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaCounts {
    pub key: String,
    pub label: String,
    /// The area it rolls up into (a municipality's region; the prefecture for a region).
    pub group: String,
    pub counts: Vec<u64>,
}

/// One published row of a table: a category, an area, or the areas rolled up together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct VolumeRow {
    pub key: String,
    pub label: String,
    /// The areas a rolled-up row adds together, by name; empty for any other row.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// One cell per column (period).
    pub cells: Vec<Cell>,
}

impl VolumeRow {
    /// A row whose counts need no roll-up (a category, an age band, the total).
    pub fn of_counts(key: String, label: String, counts: &[u64]) -> Self {
        let cells = counts.iter().map(|count| Cell::of(*count)).collect();
        Self {
            key,
            label,
            members: Vec::new(),
            cells,
        }
    }
}

/// Publishes areas so that no count under [`MIN_CELL`] can be read or worked out.
///
/// An area any of whose cells would be suppressed is merged into one row per group, labelled by
/// `rolled_label(group)` (「中南地域（小規模町村の合計）」). The group's total is published beside
/// its areas elsewhere (the region table beside the municipality table), so subtracting the
/// published areas from it gives the rolled-up row: that row must therefore be publishable in
/// every cell, or be the whole group. We chose "all or none": while the rolled-up row has a cell
/// under [`MIN_CELL`] (zero included) it takes in the group's smallest published area (one is
/// always enough, since that area's cells are all at least [`MIN_CELL`]); a group with no
/// published area left is one row, the group itself, whose small cells are small in the group
/// table too. Every area lands in exactly one row.
pub fn roll_up_small_areas(areas: Vec<AreaCounts>, rolled_label: impl Fn(&str) -> String) -> Vec<VolumeRow> {
    let width = areas.iter().map(|area| area.counts.len()).max().unwrap_or(0);
    let mut groups: Vec<(String, Vec<AreaCounts>)> = Vec::new();
    for mut area in areas {
        area.counts.resize(width, 0);
        match groups.iter_mut().find(|(group, _)| *group == area.group) {
            Some((_, members)) => members.push(area),
            None => groups.push((area.group.clone(), vec![area])),
        }
    }
    groups
        .into_iter()
        .flat_map(|(group, members)| {
            let label = rolled_label(&group);
            roll_up_group(&group, label, members, width)
        })
        .collect()
}

fn roll_up_group(
    group: &str,
    rolled_label: String,
    members: Vec<AreaCounts>,
    width: usize,
) -> Vec<VolumeRow> {
    let is_large = |area: &AreaCounts| area.counts.iter().all(|count| *count >= MIN_CELL);
    let (mut large, mut small): (Vec<_>, Vec<_>) = members.into_iter().partition(is_large);
    if small.is_empty() {
        return large.into_iter().map(published_area).collect();
    }
    let sums = |areas: &[AreaCounts]| -> Vec<u64> {
        (0..width)
            .map(|column| areas.iter().map(|area| area.counts[column]).sum())
            .collect()
    };
    if sums(&small).iter().any(|count| *count < MIN_CELL) {
        // The smallest published area costs the least detail to merge.
        let smallest = large
            .iter()
            .enumerate()
            .min_by_key(|(_, area)| (area.counts.iter().sum::<u64>(), area.key.clone()))
            .map(|(index, _)| index);
        if let Some(index) = smallest {
            small.push(large.remove(index));
        }
    }
    let rolled = VolumeRow {
        key: format!("rolled:{group}"),
        label: rolled_label,
        members: small.iter().map(|area| area.label.clone()).collect(),
        cells: sums(&small).into_iter().map(Cell::of).collect(),
    };
    large.into_iter().map(published_area).chain([rolled]).collect()
}

fn published_area(area: AreaCounts) -> VolumeRow {
    VolumeRow::of_counts(area.key, area.label, &area.counts)
}

/// The label of a region's row of small municipalities.
pub fn small_municipalities_label(region: &str) -> String {
    format!("{region}地域（小規模町村の合計）")
}

/// How often a term was used in a period, and by how many distinct people (households or
/// sessions, as the roll-up counts them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermUse {
    pub term: String,
    pub uses: u64,
    pub people: u64,
}

/// A term as staff may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TermRow {
    pub term: String,
    pub uses: Cell,
    pub people: Cell,
}

/// Free text is published only as terms at least [`MIN_CELL`] distinct people used: a word one
/// family typed (a child's name, a rare illness in a small town) never reaches a page. `people`
/// must be distinct over the whole period: people counted per day and added would count one
/// family several times. The same term given twice is one row, its uses added and its people the
/// larger of the two (a lower bound of the distinct people of both). The most used come first.
pub fn publishable_terms(terms: impl IntoIterator<Item = TermUse>) -> Vec<TermRow> {
    let mut merged: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for term in terms {
        let entry = merged.entry(term.term).or_default();
        entry.0 += term.uses;
        entry.1 = entry.1.max(term.people);
    }
    let mut published: Vec<(String, u64, u64)> = merged
        .into_iter()
        .filter(|(_, (_, people))| *people >= MIN_CELL)
        .map(|(term, (uses, people))| (term, uses.max(people), people))
        .collect();
    published.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    published
        .into_iter()
        .map(|(term, uses, people)| TermRow {
            term,
            uses: Cell::of(uses),
            people: Cell::of(people),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn counts_under_ten_are_suppressed() {
        assert_eq!(Cell::of(0), Cell::Suppressed);
        assert_eq!(Cell::of(9), Cell::Suppressed);
        assert_eq!(Cell::of(10), Cell::Count(10));
    }

    #[test]
    fn a_cell_is_a_number_or_null_in_json_and_10未満_in_csv() {
        let cells = [Cell::of(12), Cell::of(3)];
        assert_eq!(serde_json::to_string(&cells).ok().as_deref(), Some("[12,null]"));
        assert_eq!(cells.map(Cell::csv_field), ["12".to_owned(), "10未満".to_owned()]);
    }

    fn area(key: &str, group: &str, counts: &[u64]) -> AreaCounts {
        AreaCounts {
            key: key.to_owned(),
            label: key.to_owned(),
            group: group.to_owned(),
            counts: counts.to_vec(),
        }
    }

    #[test]
    fn small_municipalities_are_rolled_up_into_their_region() {
        let rows = roll_up_small_areas(
            vec![
                area("弘前市", "中南", &[40, 50]),
                area("平川市", "中南", &[30, 20]),
                area("西目屋村", "中南", &[6, 2]),
                area("大鰐町", "中南", &[5, 9]),
                area("青森市", "東青", &[80, 90]),
            ],
            small_municipalities_label,
        );
        let shown: Vec<(&str, Vec<Cell>)> = rows
            .iter()
            .map(|row| (row.label.as_str(), row.cells.clone()))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("弘前市", vec![Cell::Count(40), Cell::Count(50)]),
                ("平川市", vec![Cell::Count(30), Cell::Count(20)]),
                (
                    "中南地域（小規模町村の合計）",
                    vec![Cell::Count(11), Cell::Count(11)]
                ),
                ("青森市", vec![Cell::Count(80), Cell::Count(90)]),
            ]
        );
        assert_eq!(rows[2].members, vec!["西目屋村".to_owned(), "大鰐町".to_owned()]);
    }

    #[test]
    fn a_small_roll_up_takes_in_the_smallest_published_municipality() {
        let rows = roll_up_small_areas(
            vec![
                area("弘前市", "中南", &[40, 50]),
                area("平川市", "中南", &[30, 20]),
                area("西目屋村", "中南", &[3, 2]),
            ],
            small_municipalities_label,
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].label, "弘前市");
        assert_eq!(rows[1].members, vec!["西目屋村".to_owned(), "平川市".to_owned()]);
        assert_eq!(rows[1].cells, vec![Cell::Count(33), Cell::Count(22)]);
    }

    #[test]
    fn a_region_of_small_municipalities_is_one_row() {
        let rows = roll_up_small_areas(
            vec![
                area("風間浦村", "下北", &[3, 12]),
                area("佐井村", "下北", &[2, 0]),
            ],
            small_municipalities_label,
        );
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].cells, vec![Cell::Suppressed, Cell::Count(12)]);
    }

    #[test]
    fn terms_fewer_than_ten_people_used_are_not_published() {
        let terms = publishable_terms([
            TermUse {
                term: "保育園".into(),
                uses: 40,
                people: 12,
            },
            TermUse {
                term: "病名".into(),
                uses: 30,
                people: 2,
            },
            TermUse {
                term: "児童手当".into(),
                uses: 30,
                people: 11,
            },
            TermUse {
                term: "児童手当".into(),
                uses: 25,
                people: 5,
            },
            TermUse {
                term: "里帰り".into(),
                uses: 30,
                people: 6,
            },
            TermUse {
                term: "里帰り".into(),
                uses: 25,
                people: 5,
            },
        ]);
        let published: Vec<&str> = terms.iter().map(|row| row.term.as_str()).collect();
        assert_eq!(published, vec!["児童手当", "保育園"]);
        assert_eq!(terms[0].uses, Cell::Count(55));
        assert_eq!(terms[0].people, Cell::Count(11));
    }

    fn areas_strategy() -> impl Strategy<Value = Vec<AreaCounts>> {
        let groups = ["東青", "中南", "三八"];
        proptest::collection::vec((0..3usize, proptest::collection::vec(0u64..40, 4)), 0..12).prop_map(
            move |areas| {
                areas
                    .into_iter()
                    .enumerate()
                    .map(|(index, (group, counts))| area(&format!("m{index}"), groups[group], &counts))
                    .collect()
            },
        )
    }

    proptest! {
        #[test]
        fn no_published_cell_is_under_ten(areas in areas_strategy()) {
            for row in roll_up_small_areas(areas, small_municipalities_label) {
                for cell in row.cells {
                    prop_assert!(cell.count().is_none_or(|count| count >= MIN_CELL));
                }
            }
        }

        #[test]
        fn every_area_is_in_exactly_one_row_with_its_counts(areas in areas_strategy()) {
            let rows = roll_up_small_areas(areas.clone(), small_municipalities_label);
            let mut seen: Vec<String> = Vec::new();
            for row in &rows {
                let members = match row.members.is_empty() {
                    true => vec![row.label.clone()],
                    false => row.members.clone(),
                };
                for (column, cell) in row.cells.iter().enumerate() {
                    let raw: u64 = areas
                        .iter()
                        .filter(|area| members.contains(&area.label))
                        .map(|area| area.counts[column])
                        .sum();
                    prop_assert_eq!(*cell, Cell::of(raw));
                }
                seen.extend(members);
            }
            let mut expected: Vec<String> = areas.iter().map(|area| area.label.clone()).collect();
            seen.sort();
            expected.sort();
            prop_assert_eq!(seen, expected);
        }

        /// Subtracting a group's published rows from its total (published in the group's own
        /// table, under the same rule) never gives a suppressed count: within a group, a
        /// column holds a suppressed cell only when the group is one row.
        #[test]
        fn group_totals_never_reveal_a_suppressed_cell(areas in areas_strategy()) {
            let rows = roll_up_small_areas(areas.clone(), small_municipalities_label);
            for group in ["東青", "中南", "三八"] {
                let in_group: Vec<&VolumeRow> = rows
                    .iter()
                    .filter(|row| {
                        let first = row.members.first().unwrap_or(&row.label);
                        areas.iter().any(|area| &area.label == first && area.group == group)
                    })
                    .collect();
                let any_suppressed = in_group
                    .iter()
                    .any(|row| row.cells.contains(&Cell::Suppressed));
                prop_assert!(!any_suppressed || in_group.len() == 1);
            }
        }

        #[test]
        fn published_terms_were_used_by_ten_people(
            uses in proptest::collection::vec((0..6usize, 0u64..30, 0u64..12), 0..20),
        ) {
            let terms = uses.iter().map(|(term, uses, people)| TermUse {
                term: format!("t{term}"),
                uses: *uses,
                people: *people,
            });
            for row in publishable_terms(terms) {
                let people = uses
                    .iter()
                    .filter(|(term, _, _)| format!("t{term}") == row.term)
                    .map(|(_, _, people)| *people)
                    .max()
                    .unwrap_or(0);
                prop_assert!(people >= MIN_CELL);
                prop_assert_eq!(row.people, Cell::Count(people));
            }
        }
    }
}
