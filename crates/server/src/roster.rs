//! Candidate rosters: `vigil-server candidates import --session S FILE.csv`.
//!
//! The file is the operator's list, usually exported from a spreadsheet: a
//! header naming its columns — `candidate` first, then optionally `code`
//! and `extra_time`, in that order — then one candidate per line. A code
//! left empty (or a roster without the column) gets a fresh one.
//! `extra_time` is the tiers-temps accommodation: `yes`/`oui`/`1`/`true`
//! grants it, `no`/`non`/`0`/`false` or empty does not. The
//! whole file is checked first and every error names its line; then all the
//! candidates are registered in one transaction, so a bad roster registers
//! nobody and can be fixed and imported again. The file is read by the
//! `csv` crate ([`crate::spreadsheet::read`]): quoted fields, `\r\n` line
//! ends and a byte-order mark are read as spreadsheets write them, and
//! what a field holds is then checked here (ids and codes have their own
//! alphabets, so a quoted comma or quote in one is refused with its line).

use std::collections::HashMap;

use crate::auth::{self, normalize_code, CodeHashing, MAX_CODE_INPUT};
use crate::db::{Db, NewCandidate};
use crate::demo::{CandidateLogin, MAX_CANDIDATES_PER_CALL};
use crate::spreadsheet;

/// Longest candidate id (the login's limit).
pub const MAX_CANDIDATE_ID_LEN: usize = crate::api::MAX_ID_LEN;
/// What a candidate id is made of: ASCII letters and digits, then also
/// `.`, `_` and `-` (an id starts with a letter or a digit). Ids are typed
/// from a printed sheet, written into URLs, pages and CSV exports: nothing
/// in this alphabet can start a spreadsheet formula or need escaping.
pub const CANDIDATE_ID_ALPHABET: &str = "A-Z a-z 0-9, then also . _ -";
/// Fewest letters and digits in an operator-chosen code.
pub const MIN_CODE_CHARS: usize = 8;

/// One roster line: the candidate and the code given, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// 1-based line number in the file.
    pub line: usize,
    pub candidate: String,
    pub code: Option<String>,
    /// The extra-time accommodation (tiers-temps).
    pub extra_time: bool,
}

/// The roster's headers, with and without each optional column.
const HEADERS: &str = "`candidate`, `candidate,code`, `candidate,extra_time` or \
                       `candidate,code,extra_time`";

/// `yes`/`no` as an operator types it in a spreadsheet, in French or
/// English; empty is no.
pub fn parse_yes_no(value: &str) -> Option<bool> {
    match value.trim().to_lowercase().as_str() {
        "yes" | "oui" | "y" | "o" | "1" | "true" | "vrai" => Some(true),
        "no" | "non" | "n" | "0" | "false" | "faux" | "" => Some(false),
        _ => None,
    }
}

/// Parses and checks a roster; the error names the first bad line.
pub fn parse(text: &str) -> anyhow::Result<Vec<RosterRow>> {
    let mut records = spreadsheet::read(text);
    let Some(header) = records.next().transpose()? else {
        anyhow::bail!("empty roster: expected a header {HEADERS}");
    };
    let columns: Vec<String> = header
        .fields
        .iter()
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let (code_at, extra_at) = match columns.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["candidate"] => (None, None),
        ["candidate", "code"] => (Some(1), None),
        ["candidate", "extra_time"] => (None, Some(1)),
        ["candidate", "code", "extra_time"] => (Some(1), Some(2)),
        _ => anyhow::bail!(
            "line {}: header {:?}: expected {HEADERS}",
            header.line,
            header.fields.join(",")
        ),
    };

    let mut rows: Vec<RosterRow> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for record in records {
        let spreadsheet::Record { line, fields } = record?;
        if fields.len() != columns.len() {
            anyhow::bail!(
                "line {line}: {} fields, expected {} ({})",
                fields.len(),
                columns.len(),
                columns.join(",")
            );
        }
        let candidate = fields.first().map_or("", String::as_str);
        check_candidate_id(candidate).map_err(|e| anyhow::anyhow!("line {line}: {e}"))?;
        if let Some(first) = seen.insert(candidate.to_owned(), line) {
            anyhow::bail!("line {line}: candidate {candidate:?} already on line {first}");
        }
        let code = match code_at.and_then(|i| fields.get(i)) {
            Some(c) if !c.is_empty() => {
                check_code(c).map_err(|e| anyhow::anyhow!("line {line}: {e}"))?;
                Some(c.clone())
            }
            _ => None,
        };
        let extra_time = match extra_at.and_then(|i| fields.get(i)) {
            Some(v) => parse_yes_no(v).ok_or_else(|| {
                anyhow::anyhow!(
                    "line {line}: extra_time {v:?}: expected yes or no (oui, non, 1, 0)"
                )
            })?,
            None => false,
        };
        rows.push(RosterRow {
            line,
            candidate: candidate.to_owned(),
            code,
            extra_time,
        });
        if rows.len() > MAX_CANDIDATES_PER_CALL {
            anyhow::bail!("line {line}: more than {MAX_CANDIDATES_PER_CALL} candidates");
        }
    }
    anyhow::ensure!(!rows.is_empty(), "no candidates in the roster");
    Ok(rows)
}

fn check_candidate_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("empty candidate id".into());
    }
    if id.len() > MAX_CANDIDATE_ID_LEN {
        return Err(format!(
            "candidate id longer than {MAX_CANDIDATE_ID_LEN} bytes"
        ));
    }
    let mut chars = id.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !(first_ok && rest_ok) {
        return Err(format!(
            "candidate id {id:?}: use only {CANDIDATE_ID_ALPHABET} (starting with a letter or \
             a digit)"
        ));
    }
    Ok(())
}

fn check_code(code: &str) -> Result<(), String> {
    let normalized = normalize_code(code);
    if code.len() > MAX_CODE_INPUT {
        return Err(format!("code longer than {MAX_CODE_INPUT} bytes"));
    }
    if normalized.len() < MIN_CODE_CHARS || !normalized.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!(
            "code {code:?}: expected at least {MIN_CODE_CHARS} letters or digits (dashes and \
             spaces ignored)"
        ));
    }
    Ok(())
}

/// Registers a roster in a session: all its candidates or none. Returns
/// each candidate's login (the code given, or a fresh one) in file order.
pub async fn import(
    db: &Db,
    hashing: &CodeHashing,
    session_id: &str,
    text: &str,
) -> anyhow::Result<Vec<CandidateLogin>> {
    anyhow::ensure!(
        db.session(session_id).await?.is_some(),
        "no session {session_id:?}"
    );
    let rows = parse(text)?;
    let existing: std::collections::HashSet<String> =
        db.candidate_ids(session_id).await?.into_iter().collect();
    if let Some(row) = rows.iter().find(|r| existing.contains(&r.candidate)) {
        anyhow::bail!(
            "line {}: candidate {:?} is already registered in session {session_id}",
            row.line,
            row.candidate
        );
    }
    let mut logins = Vec::with_capacity(rows.len());
    let mut new = Vec::with_capacity(rows.len());
    for row in rows {
        let code = row.code.unwrap_or_else(auth::new_access_code);
        new.push(NewCandidate {
            id: row.candidate.clone(),
            code_hash: hashing.hash(&code),
            attempt_id: auth::new_id("att"),
            extra_time: row.extra_time,
        });
        logins.push(CandidateLogin {
            id: row.candidate,
            code,
        });
    }
    db.add_candidates(session_id, &new).await?;
    Ok(logins)
}

/// `candidates set`: grants or withdraws one candidate's extra time, before
/// their attempt starts (after, its deadlines are fixed: refused, naming
/// the start).
pub async fn set_extra_time(
    db: &Db,
    session_id: &str,
    candidate_id: &str,
    on: bool,
) -> anyhow::Result<()> {
    let Some(row) = db.candidate(session_id, candidate_id).await? else {
        anyhow::bail!("no candidate {candidate_id:?} in session {session_id:?}");
    };
    let attempt = db
        .attempt(&row.attempt_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("candidate {candidate_id:?} has no attempt"))?;
    if let Some(started) = attempt.started_at {
        anyhow::bail!(
            "candidate {candidate_id:?} started at {}: the attempt's time can no longer change",
            crate::time::rfc3339(started)
        );
    }
    db.set_extra_time(&attempt.id, on).await?;
    Ok(())
}

/// The logins as CSV, `candidate,code`, for printing or `--out`.
pub fn to_csv(logins: &[CandidateLogin]) -> String {
    let header = ["candidate".to_owned(), "code".to_owned()];
    let rows = logins
        .iter()
        .map(|c| [spreadsheet::spreadsheet_safe(&c.id), c.code.clone()]);
    spreadsheet::write(std::iter::once(header).chain(rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_rows_and_codes() {
        let rows = parse("\u{feff}candidate,code\r\nA1, ABCD-EFGH\r\n\r\nA2,\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].code.as_deref(), Some("ABCD-EFGH"));
        assert_eq!((rows[1].line, rows[1].code.as_deref()), (4, None));
        let rows = parse("Candidate\nX\nY\n").unwrap();
        assert_eq!(rows.len(), 2);
        // Quoted fields, as a spreadsheet may write them.
        let rows =
            parse("\"candidate\",\"code\",\"extra_time\"\n\"A1\",\"ABCD-EFGH\",\"oui\"\n").unwrap();
        assert_eq!(
            rows,
            [RosterRow {
                line: 2,
                candidate: "A1".into(),
                code: Some("ABCD-EFGH".into()),
                extra_time: true,
            }]
        );
    }

    #[test]
    fn the_logins_file_reads_back() {
        let logins = [
            CandidateLogin {
                id: "A1".into(),
                code: "ABCD-EFGH".into(),
            },
            CandidateLogin {
                id: "B.2_x-y".into(),
                code: "JKMN-PQRS".into(),
            },
        ];
        let text = to_csv(&logins);
        assert_eq!(text, "candidate,code\nA1,ABCD-EFGH\nB.2_x-y,JKMN-PQRS\n");
        let rows = parse(&text).unwrap();
        assert_eq!(rows[1].candidate, "B.2_x-y");
        assert_eq!(rows[1].code.as_deref(), Some("JKMN-PQRS"));
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("", "empty roster"),
            ("id,code\nA,B\n", "line 1: header"),
            ("candidate\n", "no candidates"),
            (
                "candidate\nA\nB\nA\n",
                "line 4: candidate \"A\" already on line 2",
            ),
            ("candidate,code\nA,short\n", "line 2: code"),
            ("candidate,code\nA\n", "line 2: 1 fields, expected 2"),
            (
                "candidate\n\"A,B\"\n",
                "line 2: candidate id \"A,B\": use only",
            ),
            (
                "candidate,code\nA,\"AB\"\"CDEFGH\"\n",
                "line 2: code \"AB\\\"CDEFGH\"",
            ),
            (
                "candidate,extra_time\nA,no\n\n\nB,maybe\n",
                "line 5: extra_time",
            ),
            (
                "candidate,code\r\nA,ABCDEFGH\r\n\r\nB,short\r\n",
                "line 4: code \"short\"",
            ),
            ("candidate,code\n,ABCDEFGH\n", "line 2: empty candidate id"),
            (
                "candidate\n=HYPERLINK(1)\n",
                "line 2: candidate id \"=HYPERLINK(1)\": use only",
            ),
            ("candidate\n-1\n", "line 2: candidate id \"-1\""),
            ("candidate\n@A\n", "line 2: candidate id"),
            ("candidate\nA B\n", "line 2: candidate id"),
            ("candidate\nJosé\n", "line 2: candidate id"),
        ];
        for (text, want) in cases {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        let long = format!("candidate\n{}\n", "x".repeat(MAX_CANDIDATE_ID_LEN + 1));
        assert!(parse(&long).unwrap_err().to_string().contains("line 2"));
    }
}
