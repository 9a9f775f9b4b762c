//! Charts drawn on the server as SVG, so that a page needs no script and no chart library from
//! elsewhere: a line chart of counts over time (several series) and a horizontal bar chart. Each
//! chart is an image with a `<title>` and a `<desc>` (`role="img"`); the page puts the same numbers
//! in a table beside it, which is the text equivalent. A value the page may not show (a count
//! under 10) is a gap in its line, never a zero. Presentation attributes only (`fill`,
//! `stroke`): the Content-Security-Policy forbids inline styles.

use std::fmt::{self, Write};

/// A rendered chart, escaped as it was built; templates write it with `|safe`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Svg(String);

impl fmt::Display for Svg {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl askama::filters::HtmlSafe for Svg {}

/// Colours with at least 3:1 contrast against white, each line with its own dash pattern too, so
/// that series differ without colour.
const PALETTE: [(&str, &str); 6] = [
    ("#1f5fa8", ""),
    ("#a3161c", "8 4"),
    ("#2e7d32", "2 3"),
    ("#6a3d9a", "10 3 2 3"),
    ("#a35200", "4 4"),
    ("#00695c", "1 3"),
];

/// The most series a line chart draws; the table beside it holds them all.
pub const MAX_SERIES: usize = PALETTE.len();

const TEXT: &str = "#1a1a1a";
const GRID: &str = "#c8c8c8";

/// One line: a value per point of the x axis, `None` where the page may not show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<u64>>,
}

/// A line chart of counts over time.
#[derive(Debug, Clone)]
pub struct LineChart<'a> {
    /// Prefix of the ids of its title and description, unique on the page.
    pub id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub x_title: &'a str,
    pub y_title: &'a str,
    /// What each point of the x axis is called (「12/1」).
    pub x_labels: Vec<String>,
    /// At most [`MAX_SERIES`] are drawn, in the order given.
    pub series: Vec<Series>,
}

const LINE_WIDTH: u32 = 640;
const PLOT_LEFT: u32 = 64;
const PLOT_RIGHT: u32 = 624;
const PLOT_TOP: u32 = 16;
const PLOT_BOTTOM: u32 = 236;
const LEGEND_PITCH: u32 = 20;

impl LineChart<'_> {
    pub fn svg(&self) -> Svg {
        let series: Vec<&Series> = self.series.iter().take(MAX_SERIES).collect();
        let height = PLOT_BOTTOM + 64 + LEGEND_PITCH * count(series.len());
        let most = series
            .iter()
            .flat_map(|line| line.values.iter().flatten())
            .max()
            .copied();
        let (step, top) = y_ticks(most.unwrap_or(0));
        let mut out = open_svg(self.id, self.title, self.description, LINE_WIDTH, height);
        self.axes(&mut out, step, top);
        let points = self.x_labels.len().max(1);
        for (index, line) in series.iter().enumerate() {
            draw_line(&mut out, line, PALETTE[index % PALETTE.len()], points, top);
            legend_entry(&mut out, &line.name, PALETTE[index % PALETTE.len()], index);
        }
        out.push_str("</svg>");
        Svg(out)
    }

    fn axes(&self, out: &mut String, step: u64, top: u64) {
        let mut tick = 0;
        while tick <= top {
            let y = y_of(tick, top);
            let _ = write!(
                out,
                r#"<line x1="{PLOT_LEFT}" y1="{y:.1}" x2="{PLOT_RIGHT}" y2="{y:.1}" stroke="{GRID}" stroke-width="1"/><text x="{}" y="{:.1}" font-size="12" text-anchor="end" fill="{TEXT}">{tick}</text>"#,
                PLOT_LEFT - 6,
                y + 4.0
            );
            tick += step;
        }
        let points = self.x_labels.len().max(1);
        // At most about eight labels fit under 560 units of axis.
        let every = points.div_ceil(8).max(1);
        for (index, label) in self
            .x_labels
            .iter()
            .enumerate()
            .filter(|(index, _)| index % every == 0)
        {
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{}" font-size="12" text-anchor="middle" fill="{TEXT}">{}</text>"#,
                x_of(index, points),
                PLOT_BOTTOM + 18,
                escape(label)
            );
        }
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="{TEXT}">{}</text><text x="4" y="{}" font-size="12" fill="{TEXT}">{}</text>"#,
            (PLOT_LEFT + PLOT_RIGHT) / 2,
            PLOT_BOTTOM + 38,
            escape(self.x_title),
            PLOT_TOP - 4,
            escape(self.y_title)
        );
    }
}

fn count(items: usize) -> u32 {
    u32::try_from(items).unwrap_or(u32::MAX / 64)
}

fn open_svg(id: &str, title: &str, description: &str, width: u32, height: u32) -> String {
    let id = escape(id);
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-labelledby="{id}-title {id}-desc"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(description)
    )
}

/// A round step for about four grid lines, and the top of the axis (a multiple of the step).
fn y_ticks(most: u64) -> (u64, u64) {
    let rough = most.max(4).div_ceil(4);
    let magnitude = 10u64.pow(rough.ilog10());
    let step = [1, 2, 5, 10]
        .into_iter()
        .map(|factor| factor * magnitude)
        .find(|step| *step >= rough)
        .unwrap_or(10 * magnitude);
    (step, most.div_ceil(step).max(1) * step)
}

fn x_of(index: usize, points: usize) -> f64 {
    let span = f64::from(PLOT_RIGHT - PLOT_LEFT);
    match points {
        0 | 1 => f64::from(PLOT_LEFT) + span / 2.0,
        _ => f64::from(PLOT_LEFT) + span * index as f64 / (points - 1) as f64,
    }
}

fn y_of(value: u64, top: u64) -> f64 {
    let height = f64::from(PLOT_BOTTOM - PLOT_TOP);
    f64::from(PLOT_BOTTOM) - height * value as f64 / top.max(1) as f64
}

/// The line with a break at every missing value (a new `M`), and a dot on every value, so that a
/// value between two gaps still shows.
fn draw_line(out: &mut String, line: &Series, (colour, dash): (&str, &str), points: usize, top: u64) {
    let mut path = String::new();
    let mut pen_down = false;
    for (index, value) in line.values.iter().enumerate() {
        let Some(value) = value else {
            pen_down = false;
            continue;
        };
        let command = if pen_down { 'L' } else { 'M' };
        let _ = write!(
            path,
            "{command}{:.1} {:.1} ",
            x_of(index, points),
            y_of(*value, top)
        );
        pen_down = true;
    }
    let dash = match dash {
        "" => String::new(),
        dash => format!(r#" stroke-dasharray="{dash}""#),
    };
    let _ = write!(
        out,
        r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>"#,
        path.trim_end()
    );
    for (index, value) in line.values.iter().enumerate() {
        if let Some(value) = value {
            let _ = write!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"/>"#,
                x_of(index, points),
                y_of(*value, top)
            );
        }
    }
}

fn legend_entry(out: &mut String, name: &str, (colour, dash): (&str, &str), index: usize) {
    let y = PLOT_BOTTOM + 60 + LEGEND_PITCH * count(index);
    let dash = match dash {
        "" => String::new(),
        dash => format!(r#" stroke-dasharray="{dash}""#),
    };
    let _ = write!(
        out,
        r#"<line x1="{PLOT_LEFT}" y1="{y}" x2="{}" y2="{y}" stroke="{colour}" stroke-width="3"{dash}/><text x="{}" y="{}" font-size="13" fill="{TEXT}">{}</text>"#,
        PLOT_LEFT + 32,
        PLOT_LEFT + 40,
        y + 4,
        escape(name)
    );
}

/// A horizontal bar chart: one bar per row, its layers drawn over each other from the axis (the
/// whole, then a part of it in another colour), with a note after the bar.
#[derive(Debug, Clone)]
pub struct BarChart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    /// One colour per layer, the first layer drawn first.
    pub colours: &'a [&'a str],
    /// Room for the row labels, in SVG units.
    pub label_width: u32,
    pub bars: Vec<Bar>,
}

/// One row of a bar chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    /// One value per layer; the chart is scaled to the largest value of any bar.
    pub values: Vec<u64>,
    /// Written after the bar (「12件（期限切れ3件）」, 「10件未満」).
    pub note: String,
}

const BAR_PITCH: u32 = 22;
const BAR_HEIGHT: u32 = 16;
const BAR_AREA: u32 = 420;

impl BarChart<'_> {
    pub fn svg(&self) -> Svg {
        let height = BAR_PITCH * count(self.bars.len()) + 8;
        let width = self.label_width + BAR_AREA + 110;
        let most = self
            .bars
            .iter()
            .flat_map(|bar| bar.values.iter())
            .max()
            .copied()
            .unwrap_or(0)
            .max(1);
        let scale = |value: u64| u32::try_from(value * u64::from(BAR_AREA) / most).unwrap_or(BAR_AREA);
        let mut out = open_svg(self.id, self.title, self.description, width, height);
        for (index, bar) in self.bars.iter().enumerate() {
            let y = BAR_PITCH * count(index) + 4;
            let _ = write!(
                out,
                r#"<g><text x="0" y="{}" font-size="13" fill="{TEXT}">{}</text>"#,
                y + 14,
                escape(&bar.label)
            );
            for (value, colour) in bar.values.iter().zip(self.colours) {
                let _ = write!(
                    out,
                    r#"<rect x="{}" y="{y}" width="{}" height="{BAR_HEIGHT}" fill="{}"></rect>"#,
                    self.label_width,
                    scale(*value),
                    escape(colour)
                );
            }
            let widest = bar.values.iter().copied().max().map_or(0, scale);
            let _ = write!(
                out,
                r#"<text x="{}" y="{}" font-size="12" fill="{TEXT}">{}</text></g>"#,
                self.label_width + widest + 6,
                y + 14,
                escape(&bar.note)
            );
        }
        out.push_str("</svg>");
        Svg(out)
    }
}

/// Text for SVG, escaped as askama escapes HTML (the same five characters have a meaning in XML).
fn escape(text: &str) -> String {
    use askama::filters::Escaper;
    let mut escaped = String::with_capacity(text.len());
    // Writing into a String cannot fail.
    let _ = askama::filters::Html.write_escaped_str(&mut escaped, text);
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(values: Vec<Option<u64>>) -> String {
        LineChart {
            id: "volumes",
            title: "検索の件数",
            description: "週ごとの検索の件数",
            x_title: "週の始まり",
            y_title: "件数",
            x_labels: (1..=values.len()).map(|day| format!("12/{day}")).collect(),
            series: vec![Series {
                name: "合計<全体>".into(),
                values,
            }],
        }
        .svg()
        .to_string()
    }

    #[test]
    fn a_suppressed_value_is_a_gap_in_its_line_never_a_zero() {
        let svg = chart(vec![Some(40), Some(20), None, Some(30), Some(10)]);
        let path = svg
            .split("<path d=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default();
        // Two pieces: the line lifts its pen over the missing week.
        assert_eq!(path.matches('M').count(), 2, "{path}");
        assert_eq!(path.matches('L').count(), 2, "{path}");
        assert_eq!(svg.matches("<circle").count(), 4);
        // No point sits on the zero line (y = PLOT_BOTTOM).
        assert!(!path.contains(&format!(" {PLOT_BOTTOM}.0")), "{path}");
    }

    #[test]
    fn text_is_escaped_and_the_chart_names_itself() {
        let svg = chart(vec![Some(12)]);
        assert!(svg.contains("合計&#60;全体&#62;"));
        assert!(svg.contains(r#"aria-labelledby="volumes-title volumes-desc""#));
        assert!(svg.contains("<title id=\"volumes-title\">検索の件数</title>"));
        assert!(svg.contains("週の始まり") && svg.contains(">件数<"));
    }

    #[test]
    fn the_y_axis_runs_in_round_steps_above_the_largest_value() {
        assert_eq!(y_ticks(0), (1, 1));
        assert_eq!(y_ticks(37), (10, 40));
        assert_eq!(y_ticks(1_234), (500, 1_500));
        assert_eq!(y_ticks(80), (20, 80));
    }

    #[test]
    fn bars_draw_each_layer_from_the_axis() {
        let svg = BarChart {
            id: "terms",
            title: "t",
            description: "d",
            colours: &["#7a9cc6", "#a3161c"],
            label_width: 110,
            bars: vec![
                Bar {
                    label: "弘前市".into(),
                    values: vec![20, 5],
                    note: "20件".into(),
                },
                Bar {
                    label: "黒石市".into(),
                    values: vec![10, 0],
                    note: "10件".into(),
                },
            ],
        }
        .svg()
        .to_string();
        assert_eq!(svg.matches("<rect").count(), 4);
        assert!(svg.contains(r#"<rect x="110" y="4" width="420""#));
        assert!(svg.contains(r#"<rect x="110" y="26" width="210""#));
    }
}
