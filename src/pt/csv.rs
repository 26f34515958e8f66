//! The PT tables as CSV (columns by name, any order; RFC 4180 quoting): a round's results
//! (`participant,result[,u][,U]`), a partner's submission, and the homogeneity
//! (`item,replicate,result`) and stability (`occasion,result[,item][,replicate]`) data of
//! its items. Every error names its line and column.

use super::stats::{ParticipantResult, Report};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    #[error("line {line}: {message}")]
    Syntax { line: usize, message: String },
    #[error("header: {0}")]
    Header(String),
    #[error(
        "line {line}, column '{column}': '{value}' is not zero nor a finite number within {min:e} to {max:e} either side of it",
        min = crate::pt::stats::MIN_MAGNITUDE,
        max = crate::pt::stats::MAX_MAGNITUDE
    )]
    NotNumeric { line: usize, column: String, value: String },
    #[error("line {line}: participant '{participant}' appears twice (first on line {first})")]
    Duplicate { line: usize, participant: String, first: usize },
    #[error("line {line}: item '{item}' replicate '{replicate}' appears twice (first on line {first})")]
    DuplicateReplicate { line: usize, item: String, replicate: String, first: usize },
}

impl CsvError {
    pub fn code(&self) -> &'static str {
        match self {
            CsvError::Syntax { .. } => "csv.syntax",
            CsvError::Header(_) => "csv.header",
            CsvError::NotNumeric { .. } => "pt.not_numeric",
            CsvError::Duplicate { .. } | CsvError::DuplicateReplicate { .. } => "csv.duplicate",
        }
    }
}

/// Splits CSV text into records of fields, with the line each record starts on.
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, CsvError> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    let mut touched = false;
    // The field's closing quote was read: only a separator or the record's end may follow
    // (RFC 4180; found by attack: `"A"junk` was read as the participant `Ajunk`).
    let mut closed = false;
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', false) if field.is_empty() && !closed => {
                in_quotes = true;
                touched = true;
            }
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', true) => {
                in_quotes = false;
                closed = true;
            }
            (',', false) => {
                fields.push(std::mem::take(&mut field));
                touched = true;
                closed = false;
            }
            ('\r', false) if chars.peek() == Some(&'\n') => {}
            ('\n', false) => {
                if touched || !field.is_empty() {
                    fields.push(std::mem::take(&mut field));
                    out.push((record_line, std::mem::take(&mut fields)));
                }
                touched = false;
                closed = false;
                line += 1;
                record_line = line;
            }
            (_, false) if closed => {
                return Err(CsvError::Syntax { line, message: "text after a quoted field's closing quote".into() });
            }
            ('"', false) => return Err(CsvError::Syntax { line, message: "a quote inside an unquoted field".into() }),
            ('\n', true) => {
                field.push('\n');
                line += 1;
            }
            (c, _) => {
                field.push(c);
                touched = true;
            }
        }
    }
    if in_quotes {
        return Err(CsvError::Syntax { line, message: "a quoted field is not closed".into() });
    }
    if touched || !field.is_empty() {
        fields.push(field);
        out.push((record_line, fields));
    }
    Ok(out)
}

/// A table's header, its names trimmed, each once: every table reads its header here (found
/// by attack: the results and submission tables took the first of two `result` columns and
/// dropped the second's values, where the others refused the header).
fn read_header(fields: &[String]) -> Result<Vec<String>, CsvError> {
    let header: Vec<String> = fields.iter().map(|h| h.trim().to_string()).collect();
    let mut seen = std::collections::HashSet::new();
    if let Some((i, twice)) = header.iter().enumerate().find(|(_, h)| !seen.insert(h.as_str())) {
        return Err(CsvError::Header(format!("column '{twice}' appears twice (again as column {})", i + 1)));
    }
    Ok(header)
}

/// Reads the results table.
pub fn read_results(text: &str) -> Result<Vec<ParticipantResult>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = records(text)?.into_iter();
    let (_, header) = rows.next().ok_or_else(|| CsvError::Header("the file is empty".into()))?;
    let header = read_header(&header)?;
    let col = |name: &str| header.iter().position(|h| h == name);
    let participant = col("participant").ok_or_else(|| CsvError::Header("no 'participant' column".into()))?;
    let result = col("result").ok_or_else(|| CsvError::Header("no 'result' column".into()))?;
    let (u, big_u) = (col("u"), col("U"));
    if let Some(unknown) = header.iter().find(|h| !matches!(h.as_str(), "participant" | "result" | "u" | "U")) {
        return Err(CsvError::Header(format!("unknown column '{unknown}' (expected participant,result[,u][,U])")));
    }
    let mut out: Vec<ParticipantResult> = Vec::new();
    // The line each participant first appears on; a map, since tables can be long.
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (line, fields) in rows {
        if fields.len() != header.len() {
            return Err(CsvError::Syntax {
                line,
                message: format!("{} fields, the header has {}", fields.len(), header.len()),
            });
        }
        let number = |i: usize, column: &str| -> Result<f64, CsvError> {
            let v = field(&fields, i);
            crate::pt::stats::read_number(v).ok_or_else(|| CsvError::NotNumeric {
                line,
                column: column.into(),
                value: v.into(),
            })
        };
        let optional = |i: Option<usize>, column: &str| -> Result<Option<f64>, CsvError> {
            match i {
                Some(i) if !field(&fields, i).is_empty() => number(i, column).map(Some),
                _ => Ok(None),
            }
        };
        let name = field(&fields, participant).to_string();
        if name.is_empty() {
            return Err(CsvError::Syntax { line, message: "empty participant".into() });
        }
        if let Some(first) = seen.get(&name) {
            return Err(CsvError::Duplicate { line, participant: name, first: *first });
        }
        seen.insert(name.clone(), line);
        out.push(ParticipantResult {
            participant: name,
            result: number(result, "result")?,
            u: optional(u, "u")?,
            expanded: optional(big_u, "U")?,
        });
    }
    Ok(out)
}

/// A table's records after its header, and the header.
struct Table {
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// Reads `text` as a table with the columns `required` (there), `optional` (may be)
    /// and nothing else; each record as many fields as the header.
    fn read(text: &str, required: &[&str], optional: &[&str]) -> Result<Self, CsvError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut rows = records(text)?;
        if rows.is_empty() {
            return Err(CsvError::Header("the file is empty".into()));
        }
        let (_, header) = rows.remove(0);
        let header = read_header(&header)?;
        let expected = || {
            let optional: Vec<String> = optional.iter().map(|o| format!("[,{o}]")).collect();
            format!("{}{}", required.join(","), optional.concat())
        };
        if let Some(name) = required.iter().find(|name| !header.iter().any(|h| h == *name)) {
            return Err(CsvError::Header(format!("no '{name}' column (expected {})", expected())));
        }
        if let Some(unknown) =
            header.iter().find(|h| !required.contains(&h.as_str()) && !optional.contains(&h.as_str()))
        {
            return Err(CsvError::Header(format!("unknown column '{unknown}' (expected {})", expected())));
        }
        if let Some((line, fields)) = rows.iter().find(|(_, fields)| fields.len() != header.len()) {
            let message = format!("{} fields, the header has {}", fields.len(), header.len());
            return Err(CsvError::Syntax { line: *line, message });
        }
        Ok(Table { header, rows })
    }

    /// The index of column `name` (one [`Table::read`] required: else past every record's
    /// end, where a field reads as empty).
    fn column(&self, name: &str) -> usize {
        self.header.iter().position(|h| h == name).unwrap_or(usize::MAX)
    }
}

/// A PT number in a table: finite and within range, or the error naming where.
fn number(fields: &[String], i: usize, line: usize, column: &str) -> Result<f64, CsvError> {
    let v = field(fields, i);
    crate::pt::stats::read_number(v).ok_or_else(|| CsvError::NotNumeric {
        line,
        column: column.into(),
        value: v.into(),
    })
}

/// Reads a homogeneity table (`item,replicate,result`: one row per measurement) into each
/// item's results, items in the order they first appear. A replicate measured twice is
/// refused; that every item has as many replicates is the check's to say.
pub fn read_homogeneity(text: &str) -> Result<Vec<Vec<f64>>, CsvError> {
    let table = Table::read(text, &["item", "replicate", "result"], &[])?;
    let (item, replicate, result) = (table.column("item"), table.column("replicate"), table.column("result"));
    // Each item's id, the line it first appears on, and its results; by id, its place.
    let mut items: Vec<(String, usize, Vec<f64>)> = Vec::new();
    let mut places: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut seen: std::collections::HashMap<(String, String), usize> = std::collections::HashMap::new();
    for (line, fields) in table.rows {
        let (id, rep) = (field(&fields, item).to_string(), field(&fields, replicate).to_string());
        if id.is_empty() || rep.is_empty() {
            return Err(CsvError::Syntax { line, message: "empty item or replicate".into() });
        }
        if let Some(first) = seen.get(&(id.clone(), rep.clone())) {
            return Err(CsvError::DuplicateReplicate { line, item: id, replicate: rep, first: *first });
        }
        seen.insert((id.clone(), rep), line);
        let value = number(&fields, result, line, "result")?;
        match places.get(&id) {
            Some(&at) => {
                if let Some((_, _, values)) = items.get_mut(at) {
                    values.push(value);
                }
            }
            None => {
                places.insert(id.clone(), items.len());
                items.push((id, line, vec![value]));
            }
        }
    }
    // Every item measured as often as the first (a balanced design, B.3).
    if let Some((first, _, values)) = items.first()
        && let Some((id, line, other)) = items.iter().find(|(_, _, v)| v.len() != values.len())
    {
        return Err(CsvError::Syntax {
            line: *line,
            message: format!(
                "item '{id}' has {} replicates, item '{first}' {}: every item needs the same number",
                other.len(),
                values.len()
            ),
        });
    }
    Ok(items.into_iter().map(|(_, _, values)| values).collect())
}

/// Reads a stability table (`occasion,result[,item][,replicate]`, occasion `1` or `2`: say
/// the homogeneity study and the stability study) into the results of each occasion.
pub fn read_stability(text: &str) -> Result<(Vec<f64>, Vec<f64>), CsvError> {
    let table = Table::read(text, &["occasion", "result"], &["item", "replicate"])?;
    let (occasion, result) = (table.column("occasion"), table.column("result"));
    let (item, replicate) = (table.column("item"), table.column("replicate"));
    let identified = table.header.iter().any(|h| h == "item") && table.header.iter().any(|h| h == "replicate");
    let mut seen: std::collections::HashMap<(String, String, String), usize> = std::collections::HashMap::new();
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for (line, fields) in table.rows {
        // With items and replicates named, each measurement of an occasion once.
        if identified {
            let key = (
                field(&fields, occasion).to_string(),
                field(&fields, item).to_string(),
                field(&fields, replicate).to_string(),
            );
            if let Some(earlier) = seen.get(&key) {
                let (_, id, rep) = key;
                return Err(CsvError::DuplicateReplicate { line, item: id, replicate: rep, first: *earlier });
            }
            seen.insert(key, line);
        }
        let value = number(&fields, result, line, "result")?;
        match field(&fields, occasion) {
            "1" => first.push(value),
            "2" => second.push(value),
            other => {
                return Err(CsvError::Syntax { line, message: format!("occasion '{other}': it is 1 or 2") });
            }
        }
    }
    Ok((first, second))
}

/// One row of a results-submission table: `participant,measurand,result[,u][,U][,k][,method]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmissionRow {
    pub line: usize,
    pub participant: String,
    pub measurand: String,
    pub result: f64,
    pub u: Option<f64>,
    pub expanded: Option<f64>,
    /// Coverage factor of `expanded`; required with it.
    pub k: Option<f64>,
    pub method: Option<String>,
}

/// Reads the results table a partner submits for a round (several measurands, one row per
/// participant and measurand). Numbers are checked for syntax here; the round checks the rest.
pub fn read_submission(text: &str) -> Result<Vec<SubmissionRow>, CsvError> {
    const COLUMNS: [&str; 7] = ["participant", "measurand", "result", "u", "U", "k", "method"];
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = records(text)?.into_iter();
    let (_, header) = rows.next().ok_or_else(|| CsvError::Header("the file is empty".into()))?;
    let header = read_header(&header)?;
    if let Some(unknown) = header.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(CsvError::Header(format!(
            "unknown column '{unknown}' (expected participant,measurand,result[,u][,U][,k][,method])"
        )));
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let required = |name: &str| col(name).ok_or_else(|| CsvError::Header(format!("no '{name}' column")));
    let (participant, measurand) = (required("participant")?, required("measurand")?);
    required("result")?;
    let mut out: Vec<SubmissionRow> = Vec::new();
    let mut first_line: std::collections::HashMap<(String, String), usize> = std::collections::HashMap::new();
    for (line, fields) in rows {
        if fields.len() != header.len() {
            return Err(CsvError::Syntax {
                line,
                message: format!("{} fields, the header has {}", fields.len(), header.len()),
            });
        }
        let cell = |i: Option<usize>| i.map(|i| field(&fields, i)).filter(|v| !v.is_empty());
        let number = |column: &str| -> Result<Option<f64>, CsvError> {
            cell(col(column))
                .map(|v| {
                    crate::pt::stats::read_number(v).ok_or_else(|| CsvError::NotNumeric {
                        line,
                        column: column.into(),
                        value: v.into(),
                    })
                })
                .transpose()
        };
        let row = SubmissionRow {
            line,
            participant: field(&fields, participant).to_string(),
            measurand: field(&fields, measurand).to_string(),
            result: number("result")?.ok_or_else(|| CsvError::Syntax { line, message: "empty result".into() })?,
            u: number("u")?,
            expanded: number("U")?,
            k: number("k")?,
            method: cell(col("method")).map(str::to_string),
        };
        if row.participant.is_empty() || row.measurand.is_empty() {
            return Err(CsvError::Syntax { line, message: "empty participant or measurand".into() });
        }
        if row.expanded.is_some() != row.k.is_some() {
            return Err(CsvError::Syntax { line, message: "U and its coverage factor k come together".into() });
        }
        if let (Some(big_u), Some(k)) = (row.expanded, row.k)
            && crate::pt::stats::standard_from_expanded(big_u, k).is_none()
        {
            return Err(CsvError::Syntax { line, message: crate::pt::exchange::out_of_range_u(big_u, k) });
        }
        if let Some(first) = first_line.insert((row.participant.clone(), row.measurand.clone()), line) {
            return Err(CsvError::Duplicate {
                line,
                participant: format!("{} ({})", row.participant, row.measurand),
                first,
            });
        }
        out.push(row);
    }
    Ok(out)
}

/// Field `i` of a record, trimmed. Every record has been checked to have as many fields as
/// the header, so a column found in the header is there; were one missing, it reads as an
/// empty cell, which the readers refuse where a value is required.
fn field(fields: &[String], i: usize) -> &str {
    fields.get(i).map_or("", |f| f.trim())
}

/// A text cell as a report's CSV writes it: quoted when it holds a separator, a quote or a
/// line break; and one a spreadsheet would take for a formula (its first character `=`, `+`,
/// `-`, `@`, a tab or a carriage return) written after an apostrophe, which a spreadsheet
/// shows and does not run (found by attack: a round's unit `=HYPERLINK(…)` reached every
/// partner's CSV report). Numbers are not text cells ([`num`]): a negative one stays one.
pub(crate) fn quote(s: &str) -> String {
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let s = if formula { format!("'{s}") } else { s.to_string() };
    if formula || s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

pub(crate) fn num(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_default()
}

/// Writes a report's per-participant table.
pub fn write_report(report: &Report) -> String {
    let mut out = String::from("participant,result,z,z_prime,zeta,en,classification,en_classification\n");
    for r in &report.results {
        let class = |c: Option<super::stats::Classification>| {
            c.map(|c| serde_json::to_value(c).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default())
                .unwrap_or_default()
        };
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            quote(&r.participant),
            r.result,
            num(r.z),
            num(r.z_prime),
            num(r.zeta),
            num(r.en),
            class(r.classification),
            class(r.en_classification)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_and_optional_columns() {
        let rows =
            read_results("participant,result,u\n\"Lab, A\",1.5,0.1\nLab B,2,\n\"Lab \"\"C\"\"\",3,0.2\n").expect("csv");
        assert_eq!(rows[0].participant, "Lab, A");
        assert_eq!(rows[1].u, None);
        assert_eq!(rows[2].participant, "Lab \"C\"");
    }

    #[test]
    fn errors_name_the_line() {
        let err = read_results("participant,result\nA,1\nB,x\n").expect_err("bad");
        assert_eq!(err, CsvError::NotNumeric { line: 3, column: "result".into(), value: "x".into() });
        assert_eq!(read_results("participant,result\nA,1,2\n").expect_err("bad").code(), "csv.syntax");
        assert_eq!(read_results("participant,value\nA,1\n").expect_err("bad").code(), "csv.header");
        assert_eq!(read_results("participant,result\nA,1\nA,2\n").expect_err("bad").code(), "csv.duplicate");
        assert_eq!(read_results("").expect_err("bad").code(), "csv.header");
    }

    #[test]
    fn a_text_cell_a_spreadsheet_would_run_is_written_to_be_shown() {
        assert_eq!(
            quote("=HYPERLINK(\"https://evil.example/\",\"mg\")"),
            "\"'=HYPERLINK(\"\"https://evil.example/\"\",\"\"mg\"\")\""
        );
        for (text, written) in
            [("+1", "\"'+1\""), ("-x", "\"'-x\""), ("@SUM(A1)", "\"'@SUM(A1)\""), ("\tA", "\"'\tA\"")]
        {
            assert_eq!(quote(text), written, "{text:?}");
        }
        // Neighbours that are no formula, and numbers, as they are.
        for text in ["mg/kg", "µg/L", "a=b", "Lab, A"] {
            assert_eq!(quote(text).trim_matches('"').replace("\"\"", "\""), text);
        }
        assert_eq!(num(Some(-1.5)), "-1.5");
    }

    /// A column named twice is refused by every table, before any value is read (found by
    /// attack: the results and submission tables read the first and dropped the second).
    #[test]
    fn a_column_named_twice_is_refused_by_every_table() {
        let twice = |e: CsvError| e.to_string();
        let expected = "column 'result' appears twice (again as column 3)";
        assert!(twice(read_results("participant,result,result\nA,1,100\n").expect_err("twice")).contains(expected));
        assert!(twice(read_results("participant,result, result \nA,1,100\n").expect_err("trimmed")).contains(expected));
        let submission = "participant,measurand,result,result,U,k\nL1,Pb,1,999,0.1,2\n";
        assert!(
            twice(read_submission(submission).expect_err("twice"))
                .contains("column 'result' appears twice (again as column 4)")
        );
        let table = Table::read("item,replicate,item\n1,1,1\n", &["item", "replicate"], &[]).map(|_| ());
        assert!(twice(table.expect_err("twice")).contains("column 'item' appears twice (again as column 3)"));
        // Different names are not one column named twice.
        assert_eq!(read_results("participant,result,u,U\nA,1,0.1,0.2\n").expect("four columns").len(), 1);
    }

    /// After a quoted field's closing quote only a separator or the record's end may stand
    /// (RFC 4180; found by attack: `"A"junk` was read as `Ajunk`).
    #[test]
    fn text_after_a_closing_quote_is_refused() {
        for (table, line) in [
            ("participant,result\n\"A\"junk,1\n", 2),
            ("participant,result\n\"A\" ,1\n", 2),
            ("participant,result\nB,2\n\"A\"\"\"x\"y,1\n", 3),
            ("participant,result\nB,2\nA,\"1\"2\n", 3),
        ] {
            let err = read_results(table).expect_err(table);
            assert_eq!(
                err,
                CsvError::Syntax { line, message: "text after a quoted field's closing quote".into() },
                "{table:?}"
            );
        }
        // The neighbours RFC 4180 allows.
        let rows = records("\"A\",1\r\n\"\",2\n\"B\"\"\",\"3\"\n\"C\"").expect("quoted");
        let fields: Vec<Vec<&str>> = rows.iter().map(|(_, f)| f.iter().map(String::as_str).collect()).collect();
        assert_eq!(fields, [vec!["A", "1"], vec!["", "2"], vec!["B\"", "3"], vec!["C"]]);
    }
}
