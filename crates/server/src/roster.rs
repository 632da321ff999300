//! Candidate rosters: `vigil-server candidates import --session S FILE.csv`.
//!
//! The file is the operator's list, usually exported from a spreadsheet: a
//! header naming its columns, then one candidate per line. The columns, in
//! any order, each at most once:
//!
//! | column        | required | what                                              |
//! |---------------|----------|---------------------------------------------------|
//! | `candidate`   | yes      | the login id in this session                      |
//! | `code`        | no       | the access code; empty or absent: a fresh one     |
//! | `extra_time`  | no       | tiers-temps: `yes`/`oui`/`1`/`true`, `no`/`non`/`0`/`false` or empty |
//! | `person`      | with the three below | the person's stable registration number (ECRICOME…) |
//! | `family_name`, `given_name`, `email` | with `person` | who the person is, how to write to them |
//!
//! A person is who sits the tests, over sessions and years; a roster line
//! with a person registers that person in the session (a person sits a
//! session once). Their names and email are the latest import's.
//!
//! **All or nothing.** The whole file is checked first and the error names
//! the first bad line and why; then everything is written in one
//! transaction, so a bad roster stores nothing and can be fixed and
//! imported again.
//!
//! **Re-import.** A line whose candidate is already registered in the
//! session updates the person's names and email and changes nothing else:
//! its code, if given, must be the registered one (a re-import never
//! changes a code), its extra time the registered one (`candidates set`
//! changes it, before the start), its person the registered one (or the
//! first, for a candidate registered without one). Attempts are untouched.
//!
//! **Exclusions.** A person excluded from the tests ([`crate::sanctions`])
//! until after the session's start is refused, naming the person and the
//! end date, unless the operator forces it (`--force REASON`): the
//! registration goes through and the override is recorded with its reason.
//!
//! The file is read by the `csv` crate ([`crate::spreadsheet::read`]):
//! quoted fields, `\r\n` line ends and a byte-order mark are read as
//! spreadsheets write them, and what a field holds is then checked here
//! (ids and codes have their own alphabets, so a quoted comma or quote in
//! one is refused with its line).

use std::collections::HashMap;

use crate::auth::{self, normalize_code, CodeHashing, MAX_CODE_INPUT};
use crate::db::{Db, NewCandidate, Override, PersonRow, RosterWrite};
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
/// Longest family or given name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest email address, in bytes (RFC 5321's path limit).
pub const MAX_EMAIL_LEN: usize = 254;

/// One roster line: the candidate and the code given, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    /// 1-based line number in the file.
    pub line: usize,
    pub candidate: String,
    pub code: Option<String>,
    /// The extra-time accommodation (tiers-temps).
    pub extra_time: bool,
    /// The person, if the roster has the person columns.
    pub person: Option<PersonRow>,
}

/// The columns a roster may have.
const COLUMNS: [&str; 7] = [
    "candidate",
    "code",
    "extra_time",
    "person",
    "family_name",
    "given_name",
    "email",
];
/// The columns that come together.
const PERSON_COLUMNS: [&str; 4] = ["person", "family_name", "given_name", "email"];

/// `yes`/`no` as an operator types it in a spreadsheet, in French or
/// English; empty is no.
pub fn parse_yes_no(value: &str) -> Option<bool> {
    match value.trim().to_lowercase().as_str() {
        "yes" | "oui" | "y" | "o" | "1" | "true" | "vrai" => Some(true),
        "no" | "non" | "n" | "0" | "false" | "faux" | "" => Some(false),
        _ => None,
    }
}

/// Where each column is, from the header.
struct Layout {
    at: HashMap<&'static str, usize>,
    width: usize,
}

impl Layout {
    fn read(line: usize, fields: &[String]) -> anyhow::Result<Layout> {
        let mut at = HashMap::new();
        for (i, field) in fields.iter().enumerate() {
            let name = field.trim().to_ascii_lowercase();
            let Some(known) = COLUMNS.iter().find(|c| **c == name) else {
                anyhow::bail!(
                    "line {line}: column {field:?}: expected {}",
                    COLUMNS.join(", ")
                );
            };
            if at.insert(*known, i).is_some() {
                anyhow::bail!("line {line}: column {known:?} twice");
            }
        }
        anyhow::ensure!(
            at.contains_key("candidate"),
            "line {line}: header {:?}: a `candidate` column is required",
            fields.join(",")
        );
        let persons = PERSON_COLUMNS
            .iter()
            .filter(|c| at.contains_key(*c))
            .count();
        if persons != 0 && persons != PERSON_COLUMNS.len() {
            anyhow::bail!(
                "line {line}: the person columns go together: {}",
                PERSON_COLUMNS.join(", ")
            );
        }
        Ok(Layout {
            at,
            width: fields.len(),
        })
    }

    fn get<'f>(&self, fields: &'f [String], column: &str) -> Option<&'f str> {
        self.at
            .get(column)
            .and_then(|&i| fields.get(i))
            .map(String::as_str)
    }
}

/// Parses and checks a roster; the error names the first bad line.
pub fn parse(text: &str) -> anyhow::Result<Vec<RosterRow>> {
    let mut records = spreadsheet::read(text);
    let Some(header) = records.next().transpose()? else {
        anyhow::bail!(
            "empty roster: expected a header naming its columns ({})",
            COLUMNS.join(", ")
        );
    };
    let layout = Layout::read(header.line, &header.fields)?;

    let mut rows: Vec<RosterRow> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut seen_person: HashMap<String, usize> = HashMap::new();
    for record in records {
        let spreadsheet::Record { line, fields } = record?;
        if fields.len() != layout.width {
            anyhow::bail!(
                "line {line}: {} fields, expected {} ({})",
                fields.len(),
                layout.width,
                header.fields.join(",")
            );
        }
        let at_line = |e: String| anyhow::anyhow!("line {line}: {e}");
        let candidate = layout.get(&fields, "candidate").unwrap_or("");
        check_candidate_id(candidate).map_err(at_line)?;
        if let Some(first) = seen.insert(candidate.to_owned(), line) {
            anyhow::bail!("line {line}: candidate {candidate:?} already on line {first}");
        }
        let code = match layout.get(&fields, "code") {
            Some(c) if !c.is_empty() => {
                check_code(c).map_err(at_line)?;
                Some(c.to_owned())
            }
            _ => None,
        };
        let extra_time = match layout.get(&fields, "extra_time") {
            Some(v) => parse_yes_no(v).ok_or_else(|| {
                anyhow::anyhow!(
                    "line {line}: extra_time {v:?}: expected yes or no (oui, non, 1, 0)"
                )
            })?,
            None => false,
        };
        let person = match layout.get(&fields, "person") {
            Some(id) => {
                let person = check_person(
                    id,
                    layout.get(&fields, "family_name").unwrap_or(""),
                    layout.get(&fields, "given_name").unwrap_or(""),
                    layout.get(&fields, "email").unwrap_or(""),
                )
                .map_err(at_line)?;
                if let Some(first) = seen_person.insert(person.id.clone(), line) {
                    anyhow::bail!(
                        "line {line}: person {:?} already on line {first} (a person sits a \
                         session once)",
                        person.id
                    );
                }
                Some(person)
            }
            None => None,
        };
        rows.push(RosterRow {
            line,
            candidate: candidate.to_owned(),
            code,
            extra_time,
            person,
        });
        if rows.len() > MAX_CANDIDATES_PER_CALL {
            anyhow::bail!("line {line}: more than {MAX_CANDIDATES_PER_CALL} candidates");
        }
    }
    anyhow::ensure!(!rows.is_empty(), "no candidates in the roster");
    Ok(rows)
}

fn check_id(what: &str, id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err(format!("empty {what} id"));
    }
    if id.len() > MAX_CANDIDATE_ID_LEN {
        return Err(format!(
            "{what} id longer than {MAX_CANDIDATE_ID_LEN} bytes"
        ));
    }
    let mut chars = id.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !(first_ok && rest_ok) {
        return Err(format!(
            "{what} id {id:?}: use only {CANDIDATE_ID_ALPHABET} (starting with a letter or a \
             digit)"
        ));
    }
    Ok(())
}

fn check_candidate_id(id: &str) -> Result<(), String> {
    check_id("candidate", id)
}

/// A person's line: the registration number in the ids' alphabet, names
/// of 1 to [`MAX_NAME_CHARS`] characters without control characters
/// (surrounding spaces dropped), an email address.
fn check_person(id: &str, family: &str, given: &str, email: &str) -> Result<PersonRow, String> {
    check_id("person", id)?;
    let name = |what: &str, value: &str| -> Result<String, String> {
        let value = value.trim();
        if value.is_empty() {
            return Err(format!("person {id:?}: empty {what}"));
        }
        if value.chars().count() > MAX_NAME_CHARS {
            return Err(format!(
                "person {id:?}: {what} longer than {MAX_NAME_CHARS} characters"
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(format!(
                "person {id:?}: {what} {value:?} has a control character"
            ));
        }
        Ok(value.to_owned())
    };
    let family_name = name("family_name", family)?;
    let given_name = name("given_name", given)?;
    let email = email.trim();
    check_email(email).map_err(|e| format!("person {id:?}: email {email:?}: {e}"))?;
    Ok(PersonRow {
        id: id.to_owned(),
        family_name,
        given_name,
        email: email.to_owned(),
    })
}

/// An address a mail server takes: `local@domain`, one `@`, a domain of
/// dot-separated labels (letters, digits, `-`) with at least one dot, no
/// spaces, quotes, angle brackets, commas or semicolons (which would make
/// it several addresses or a display name), at most [`MAX_EMAIL_LEN`]
/// bytes. Stricter than RFC 5322 on purpose: a roster's address that a
/// spreadsheet mangled is refused here, with its line, rather than bounce.
pub fn check_email(email: &str) -> Result<(), String> {
    if email.len() > MAX_EMAIL_LEN {
        return Err(format!("longer than {MAX_EMAIL_LEN} bytes"));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err("expected name@domain".into());
    };
    if local.is_empty() || local.len() > 64 {
        return Err("the part before @ must have 1 to 64 bytes".into());
    }
    if email
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "\"<>(),;:[]\\".contains(c))
        || domain.contains('@')
    {
        return Err(
            "spaces, quotes, brackets, commas, semicolons and a second @ are not allowed".into(),
        );
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return Err(format!(
            "domain {domain:?} is not a mail domain (like example.fr)"
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

/// How to import: the time written on persons and overrides, and the
/// reason to register excluded persons anyway (`--force REASON`).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub now: i64,
    pub force: Option<String>,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Imported {
    /// The new candidates' logins (the code given, or a fresh one), in
    /// file order.
    pub registered: Vec<CandidateLogin>,
    /// The candidates already registered, whose persons were updated.
    pub updated: Vec<String>,
    /// The excluded persons registered by `--force`: `(person, until)`.
    pub forced: Vec<(String, i64)>,
}

/// Registers a roster in a session: all its lines or none (see the
/// module's docs for re-imports and exclusions).
pub async fn import(
    db: &Db,
    hashing: &CodeHashing,
    session_id: &str,
    text: &str,
    options: &Options,
) -> anyhow::Result<Imported> {
    let Some(session) = db.session(session_id).await? else {
        anyhow::bail!("no session {session_id:?}");
    };
    let force = options
        .force
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    anyhow::ensure!(
        options.force.is_none() || force.is_some(),
        "--force needs a reason"
    );
    let rows = parse(text)?;
    let existing: HashMap<String, crate::db::RegisteredCandidate> = db
        .registered_candidates(session_id)
        .await?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let persons_here: HashMap<String, String> = existing
        .values()
        .filter_map(|c| Some((c.person_id.clone()?, c.id.clone())))
        .collect();
    let mut write = RosterWrite::default();
    let mut done = Imported::default();
    for row in rows {
        let line = row.line;
        if let Some(person) = &row.person {
            if let Some(other) = persons_here
                .get(&person.id)
                .filter(|c| **c != row.candidate)
            {
                anyhow::bail!(
                    "line {line}: person {:?} is already registered in session {session_id} as \
                     candidate {other:?}",
                    person.id
                );
            }
            let excluded = db.exclusions_at(&person.id, session.starts_at).await?;
            if let Some(longest) = excluded.first() {
                let Some(reason) = force else {
                    anyhow::bail!(
                        "line {line}: person {:?} is excluded from the tests until {} (decided \
                         on attempt {} of session {}); `--force REASON` registers them anyway, \
                         and records it",
                        person.id,
                        crate::time::paris_day(longest.until),
                        longest.attempt_id,
                        longest.session_id
                    );
                };
                write.overrides.push(Override {
                    person_id: person.id.clone(),
                    excluded_until: longest.until,
                    reason: reason.to_owned(),
                });
                done.forced.push((person.id.clone(), longest.until));
            }
        }
        match existing.get(&row.candidate) {
            Some(registered) => {
                if let Some(code) = &row.code {
                    anyhow::ensure!(
                        hashing.verify(code, &registered.code_hash),
                        "line {line}: candidate {:?} is already registered with another code (a \
                         re-import never changes a code: leave it empty)",
                        row.candidate
                    );
                }
                anyhow::ensure!(
                    (registered.extra_time != 0) == row.extra_time,
                    "line {line}: candidate {:?}: extra time {} here, {} as registered (change it \
                     with `candidates set`, before the start)",
                    row.candidate,
                    yes_no(row.extra_time),
                    yes_no(registered.extra_time != 0)
                );
                if let Some(person) = row.person {
                    match &registered.person_id {
                        Some(p) if *p != person.id => anyhow::bail!(
                            "line {line}: candidate {:?} is person {p:?}, not {:?}",
                            row.candidate,
                            person.id
                        ),
                        Some(_) => {}
                        None => write.links.push((row.candidate.clone(), person.id.clone())),
                    }
                    write.persons.push(person);
                    done.updated.push(row.candidate);
                }
            }
            None => {
                let code = row.code.unwrap_or_else(auth::new_access_code);
                write.candidates.push(NewCandidate {
                    id: row.candidate.clone(),
                    code_hash: hashing.hash(&code),
                    attempt_id: auth::new_id("att"),
                    extra_time: row.extra_time,
                    person_id: row.person.as_ref().map(|p| p.id.clone()),
                });
                write.persons.extend(row.person);
                done.registered.push(CandidateLogin {
                    id: row.candidate,
                    code,
                });
            }
        }
    }
    db.write_roster(session_id, &write, options.now).await?;
    Ok(done)
}

/// A registration moved: the new login, and what the move relied on.
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    pub person: String,
    pub from_attempt: String,
    pub to_session: String,
    pub login: CandidateLogin,
    /// When the server stored the validated pre-check, `None` if forced.
    pub precheck_at: Option<i64>,
}

/// `candidates move --from FROM --to TO PERSON [--force REASON]`: closes
/// the person's attempt in `from` as a technical failure (its data kept)
/// and registers them in `to` under the same candidate id with a fresh
/// code and the same extra time. Allowed when the person validated the
/// pre-check in `from` ([`crate::precheck`]), or forced with a reason
/// (a started exam that crashed beyond recovery, say); refused for an
/// attempt already submitted or closed, and for a person excluded at
/// `to`'s start unless forced.
pub async fn move_person(
    db: &Db,
    hashing: &CodeHashing,
    from: &str,
    to: &str,
    person: &str,
    force: Option<&str>,
    now: i64,
) -> anyhow::Result<Moved> {
    let force = force.map(str::trim);
    anyhow::ensure!(force != Some(""), "--force needs a reason");
    anyhow::ensure!(from != to, "--from and --to are the same session");
    let (from_session, exam) = crate::results::session_exam(db, from).await?;
    let to_session = db
        .session(to)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no session {to:?}"))?;
    let Some(candidate) = db
        .candidate_persons(from)
        .await?
        .into_iter()
        .find(|c| c.person_id.as_deref() == Some(person))
    else {
        anyhow::bail!("person {person:?} is not registered in session {from}");
    };
    let row = db
        .candidate(from, &candidate.candidate_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("candidate {:?} vanished", candidate.candidate_id))?;
    let attempt = db
        .attempt(&row.attempt_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("candidate {:?} has no attempt", row.candidate_id))?;
    match attempt.state {
        crate::db::AttemptState::TechnicalFailure => {
            anyhow::bail!("person {person:?} was already moved out of session {from}")
        }
        crate::db::AttemptState::Submitted => anyhow::bail!(
            "person {person:?} submitted in session {from}: nothing to move (decide after review)"
        ),
        crate::db::AttemptState::Registered | crate::db::AttemptState::InProgress => {}
    }
    let prechecks =
        crate::precheck::session_prechecks(db, &exam, from, from_session.starts_at).await?;
    let precheck_at = prechecks
        .get(&row.candidate_id)
        .and_then(|p| p.validated_at);
    if precheck_at.is_none() && force.is_none() {
        anyhow::bail!(
            "person {person:?} did not validate the pre-check in session {from}: only a \
             validated pre-check is moved; `--force REASON` moves anyway, and records it"
        );
    }
    if db
        .candidate_persons(to)
        .await?
        .iter()
        .any(|c| c.person_id.as_deref() == Some(person))
    {
        anyhow::bail!("person {person:?} is already registered in session {to}");
    }
    if db.candidate(to, &row.candidate_id).await?.is_some() {
        anyhow::bail!(
            "candidate id {:?} is taken in session {to}",
            row.candidate_id
        );
    }
    if let Some(ex) = db
        .exclusions_at(person, to_session.starts_at)
        .await?
        .first()
    {
        anyhow::ensure!(
            force.is_some(),
            "person {person:?} is excluded from the tests until {}; `--force REASON` moves them \
             anyway, and records it",
            crate::time::paris_day(ex.until)
        );
    }
    let code = auth::new_access_code();
    let new = NewCandidate {
        id: row.candidate_id.clone(),
        code_hash: hashing.hash(&code),
        attempt_id: auth::new_id("att"),
        extra_time: attempt.extra_time,
        person_id: Some(person.to_owned()),
    };
    db.move_candidate(
        &crate::db::Move {
            person_id: person.to_owned(),
            from_session: from.to_owned(),
            from_candidate: row.candidate_id.clone(),
            from_attempt: attempt.id.clone(),
            to_session: to.to_owned(),
            new,
            precheck_at,
            forced_reason: force.map(str::to_owned),
        },
        now,
    )
    .await?;
    Ok(Moved {
        person: person.to_owned(),
        from_attempt: attempt.id,
        to_session: to.to_owned(),
        login: CandidateLogin {
            id: row.candidate_id,
            code,
        },
        precheck_at,
    })
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
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
                person: None,
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
            ("id,code\nA,B\n", "line 1: column \"id\""),
            (
                "code\nABCDEFGH\n",
                "line 1: header \"code\": a `candidate` column",
            ),
            (
                "candidate,code,candidate\nA,,A\n",
                "line 1: column \"candidate\" twice",
            ),
            (
                "candidate,person,email\nA,P,a@b.fr\n",
                "line 1: the person columns go together",
            ),
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
