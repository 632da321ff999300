//! The review pages: a proctor's sessions, a session's attempts (state,
//! progress, flags, score) and its results CSV, an attempt's dossier with
//! the form of the reviewer's decision.
//!
//! Every handler first establishes the proctor's right to what it shows
//! (`auth.rs`), then reads and renders; the facts come from
//! [`crate::dossier`] and [`crate::results`], shared with the report and
//! the exports.

use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::auth::{genuine_post, reviewable, reviewed, Proctor, Reviewed};
use super::media::media_url;
use super::{page, PageError};
use crate::dossier;
use crate::results;
use crate::sanctions::{self, Decision, MAX_EXCLUSION_YEARS};
use crate::time::paris_day;
use crate::AppState;

pub(super) async fn index(
    State(state): State<AppState>,
    proctor: Proctor,
) -> Result<Html<String>, PageError> {
    let sessions = state.db.proctor_sessions(&proctor.0).await?;
    Ok(page(
        "Vigil — your sessions",
        html! {
            form method="post" action="/review/logout" {
                "Logged in as " (proctor.0) " " (proctor.1.field())
                button type="submit" data-testid="logout" { "Log out" }
            }
            ul { @for s in &sessions { li { a href={ "/review/sessions/" (s) } { (s) } } } }
        },
    ))
}

pub(super) async fn session_page(
    State(state): State<AppState>,
    proctor: Proctor,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    proctor.check(&state.db, &id).await?;
    let r = results::session_results(&state.db, &id, state.clock.now_ms()).await?;
    let starts_at = r.starts_at;
    let prechecks = crate::precheck::session_prechecks(&state.db, &r.exam, &id, starts_at).await?;
    let due = crate::precheck::deadline(&r.exam, starts_at);
    let local = |ms: i64| r.zone.show(ms);
    Ok(page(
        &format!("Session {id}"),
        html! {
            p { "Exam: " (r.exam.title) " — starts " (local(starts_at)) " — "
                a href={ "/review/sessions/" (id) "/results.csv" } { "results (CSV)" } }
            p { "Hardware pre-check due by " (local(due)) " (" (r.exam.timing.precheck_deadline_h)
                " h before the start), as stored by the server." }
            table {
                tr { th { "Candidate" } th { "Person" } th { "Pre-check" } th { "State" } th { "Started" } th { "Submitted" }
                     th { "Incidents" } th { "Flags" } th { "Points" } th { "Decision" } }
                @for row in &r.rows {
                    tr data-candidate=(row.candidate) {
                        td { a href={ "/review/attempts/" (row.attempt) } { (row.candidate) } }
                        td { @if let Some(p) = &row.person { (p.family_name) " " (p.given_name) " (" (p.id) ")" } }
                        @match prechecks.get(&row.candidate) {
                            Some(pc) => td data-precheck=(pc.word()) {
                                @match pc.validated_at {
                                    Some(at) => { "validated " (local(at))
                                        @if !pc.in_time { " — late" } }
                                    None => { "failed " (local(pc.latest_at)) }
                                }
                            },
                            None => td data-precheck="none" { "not run" },
                        }
                        td data-progress=(row.progress.as_str()) { (row.progress.as_str()) }
                        td { (row.started_at.map(local).unwrap_or_default()) }
                        td { (row.submitted_at.map(local).unwrap_or_default()) }
                        td { (row.incidents) }
                        td.flag { (row.flags.join(" ")) }
                        td { @if let Some(s) = &row.score {
                            (s.total.points) " / " (s.total.max_points) } }
                        td data-decision=(row.decision.as_ref().map_or("", |d| d.decision.as_str())) {
                            @if let Some(d) = &row.decision {
                                (d.kind().map_or_else(|| d.decision.clone(), |k| k.english().to_owned())) } }
                    }
                }
            }
        },
    ))
}

pub(super) async fn results_csv(
    State(state): State<AppState>,
    proctor: Proctor,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    proctor.check(&state.db, &id).await?;
    let csv = results::session_results(&state.db, &id, state.clock.now_ms())
        .await?
        .to_csv();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"results-{id}.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}

/// Longest reviewer comment, in bytes.
pub const MAX_COMMENT: usize = crate::sanctions::MAX_REASON_BYTES;

pub(super) async fn attempt_page(
    State(state): State<AppState>,
    proctor: Proctor,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let Reviewed {
        attempt,
        events,
        chain,
        dossier: d,
        flags,
        decisions,
        zone,
        times,
    } = reviewed(&state, &proctor, &id).await?;
    let local = |ms: i64| zone.show(ms);
    let history = state.db.sync_history(&attempt.id).await?;
    let end = d.end();
    let progress =
        results::attempt_progress(&state.db, &attempt, &events, state.clock.now_ms()).await?;
    let media = |sha: &str| media_url(&attempt.id, sha);
    Ok(page(
        &format!("Attempt of {}", attempt.candidate_id),
        html! {
            p { "Session " a href={ "/review/sessions/" (attempt.session_id) }
                { (attempt.session_id) } " — " strong data-progress=(progress.as_str()) { (progress.as_str()) }
                " — " a href={ "/review/attempts/" (attempt.id) "/report" }
                { "printable incident report (procès-verbal)" } }
            p data-testid="extra-time" data-extra-time=(attempt.extra_time) {
                "Extra time (tiers-temps): " (if attempt.extra_time { "yes" } else { "no" }) }
            @match &chain {
                Ok(()) => p.ok.chain { "Hash chain verified: " (events.len()) " events, intact." },
                Err(e) => p.error.chain { "Hash chain broken: " (e) },
            }
            h2 { "Identity" }
            div.pair {
                figure { @match &d.id_photo {
                    Some(s) => img src=(media(s)) alt="ID document held to the camera";,
                    None => p { "No ID photo." },
                } figcaption { "ID document" } }
                figure { @match &d.face_photo {
                    Some(s) => img src=(media(s)) alt="Face photo";,
                    None => p { "No face photo." },
                } figcaption { "Face" } }
            }
            p data-testid="face-match" { (dossier::face_match_text(d.face_match.as_ref()))
                " A match score is a reviewer's aid, never a verdict." }
            h3 { "Head turn (both ears shown)" }
            @if d.ears.is_empty() { p { "No head turn recorded." } }
            div.pair {
                @for (side, s, yaw) in &d.ears {
                    figure { img src=(media(s)) alt={ "Head turned " (side_en(*side)) };
                        figcaption { "Turned " (side_en(*side)) ", yaw " (yaw) "°" } }
                }
            }
            p data-testid="started" { (times.start_en(d.started_at, local)) }
            p data-testid="questions-opened" { (times.opening_en(d.questions_opened, local)) }
            h2 { "Room scan" }
            @match &d.room_scan {
                Some((s, ms)) => {
                    video controls preload="metadata" src=(media(s)) {}
                    p { (dossier::duration_fr(*ms as i64)) " recorded." }
                }
                None => p { "No room scan." },
            }
            h2 { "Incidents" }
            @if d.incidents.is_empty() { p { "None." } }
            @else {
                table {
                    tr { th { "Incident" } th { "Severity" } th { "From" } th { "Until" } th { "Evidence" } }
                    @for i in &d.incidents {
                        tr {
                            td { (dossier::incident_label_fr(i.kind)) }
                            td { (dossier::severity_fr(i.severity)) }
                            td { (local(i.opened_at)) }
                            td { (i.closed_at.map(local).unwrap_or_else(|| "not closed".into())) }
                            td { @if let Some(s) = &i.evidence {
                                img.still src=(media(s)) alt="Evidence still"; }
                                // Another face than the identification's: the
                                // live still beside the face photo and the ID.
                                @if i.kind == vigil_exam::IncidentKind::IdentityChanged {
                                    span data-testid="identity-compare" {
                                        @if let Some(f) = &d.face_photo {
                                            img.still src=(media(f)) alt="Face photo at identification"; }
                                        @if let Some(f) = &d.id_photo {
                                            img.still src=(media(f)) alt="ID document"; }
                                    }
                                } }
                        }
                    }
                }
            }
            h2 { "Attention (window, fullscreen, screens)" }
            @if d.away.is_empty() { p { "Never left the exam." } }
            @else {
                table {
                    tr { th { "What" } th { "From" } th { "Until" } th { "Duration" } }
                    @for a in &d.away {
                        tr { td { (a.what.label_fr()) } td { (local(a.from)) }
                             td { (a.until.map(local).unwrap_or_else(|| "end of the log".into())) }
                             td { (dossier::duration_fr(a.duration_ms(end))) } }
                    }
                }
            }
            h2 { "Blocked actions" }
            @if d.blocked.is_empty() { p { "None." } }
            ul { @for (at, action) in &d.blocked { li { (local(*at)) " " code { (action) } } } }
            h2 { "System check and kiosk" }
            table {
                tr { th { "Check" } th { "Status" } th { "Detail" } }
                @for c in &d.checks { tr { td { (c.item) } td { (format!("{:?}", c.status).to_lowercase()) } td { (c.detail) } } }
                @if let Some(k) = &d.kiosk {
                    @for c in &k.results { tr { td { "kiosk: " (c.item) } td { (format!("{:?}", c.status).to_lowercase()) } td { (c.detail) } } }
                }
            }
            h2 { "Flags" }
            @if flags.is_empty() { p { "None." } }
            ul { @for f in &flags { li.flag { (local(f.at)) " " (f.kind) ": " (f.detail) } } }
            h2 { "Sync history" }
            table {
                tr { th { "Received" } th { "Events" } }
                @for b in &history {
                    tr { td { (local(b.stored_at)) } td { (b.first_seq) "–" (b.last_seq) " (" (b.events) ")" } }
                }
            }
            h2 { "Decision" }
            @for dec in &decisions {
                p.decision data-decision=(dec.decision) {
                    (local(dec.at)) " " strong { (dec.kind().map_or_else(|| dec.decision.clone(), |d| d.english().to_owned())) }
                    @if let Some(until) = dec.excluded_until { " until " (paris_day(until)) " (excluded)" }
                    " by " (dec.proctor)
                    @if !dec.comment.is_empty() { ": " (dec.comment) } }
            }
            form method="post" action={ "/review/attempts/" (attempt.id) "/decision" } {
                (proctor.1.field())
                fieldset {
                    legend { "Decision" }
                    @for (i, d) in Decision::ALL.iter().enumerate() {
                        label { input type="radio" name="decision" value=(d.as_str()) required[i == 0]; " " (d.english()) } br;
                    }
                }
                p { label { "End of the exclusion (" (MAX_EXCLUSION_YEARS) " years at most), for an exclusion only "
                    input type="date" name="until"; } }
                p { label { "Reason (required) " br; textarea name="comment" rows="3" cols="60" required maxlength=(MAX_COMMENT) {} } }
                p { button type="submit" { "Record the decision" } }
            }
            h2 { "Timeline" }
            table {
                tr { th { "Seq" } th { "Time (trusted)" } th { "Event" } }
                @for e in &events {
                    tr { td { (e.seq) } td { (local(e.at)) } td { (e.kind.name()) } }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    comment: String,
    /// For `excluded`: the end date, `YYYY-MM-DD`.
    #[serde(default)]
    until: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /review/attempts/{id}/decision`: records the decision (with its
/// reason and, for an exclusion, its end), back to the page.
pub(super) async fn decide(
    State(state): State<AppState>,
    proctor: Proctor,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    genuine_post(&proctor, &headers, &form.csrf)?;
    let attempt = reviewable(&state, &proctor, &id).await?;
    let now = state.clock.now_ms();
    let bad = |e: String| PageError::new(StatusCode::BAD_REQUEST, e);
    let checked =
        sanctions::check(&form.decision, &form.comment, Some(&form.until), now).map_err(bad)?;
    let person = state.db.person_of_attempt(&attempt.id).await?;
    if checked.decision == Decision::Excluded && person.is_none() {
        return Err(bad(format!(
            "candidate {} has no person (registration number) in the roster: an exclusion could              not be enforced in another session. Re-import the roster with the person columns, or              decide `reported`",
            attempt.candidate_id
        )));
    }
    state
        .db
        .insert_decision(
            &attempt.id,
            &attempt.session_id,
            &proctor.0,
            &checked,
            person.as_deref(),
            now,
        )
        .await?;
    Ok(Redirect::to(&format!("/review/attempts/{}", attempt.id)).into_response())
}

/// A side of the head, in English.
fn side_en(side: vigil_exam::Side) -> &'static str {
    match side {
        vigil_exam::Side::Left => "left",
        vigil_exam::Side::Right => "right",
    }
}
