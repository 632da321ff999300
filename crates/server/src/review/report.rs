//! The printable incident report ("procès-verbal d'incident"), in French:
//! the document a session's organiser files, so it stands alone (its own
//! print stylesheet, every fact with its time, signature lines).

use axum::extract::{Path, State};
use axum::response::Html;
use maud::{html, DOCTYPE};

use super::auth::{reviewed, Proctor, Reviewed};
use super::media::media_url;
use super::{PageError, REPORT_STYLESHEET_URL};
use crate::dossier::{self, AwayKind};
use crate::AppState;

/// `GET /review/attempts/{id}/report`: the printable incident report
/// ("procès-verbal d'incident"), in French: who, what exam, the facts with
/// their times and stills, the checks, the chain, the decisions, and
/// signature lines.
pub(super) async fn report_page(
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
    let session = state.db.session(&attempt.session_id).await?;
    let exam_title = match &session {
        Some(s) => state
            .db
            .exam_json(&s.exam_id)
            .await?
            .and_then(|j| serde_json::from_str::<vigil_exam::Exam>(&j).ok())
            .map(|e| e.title)
            .unwrap_or_else(|| s.exam_id.clone()),
        None => String::new(),
    };
    let end = d.end();
    let media = |sha: &str| media_url(&attempt.id, sha);
    let when = |ms: i64| zone.show(ms);
    let hours = if zone.name() == crate::time::PARIS {
        "Heures de Paris (UTC+1 en hiver, UTC+2 en été)".to_owned()
    } else {
        format!(
            "Heures locales de la session ({}, {})",
            zone.label(),
            zone.name()
        )
    };
    let body = html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                title { "Procès-verbal d'incident — " (attempt.candidate_id) }
                link rel="stylesheet" href=(REPORT_STYLESHEET_URL);
            }
            body {
                header {
                    h1 { "Procès-verbal d'incident" }
                    p.sub { "Épreuve surveillée à distance — Vigil" }
                }
                table.facts {
                    tr { th { "Épreuve" } td { (exam_title) } }
                    tr { th { "Session" } td { (attempt.session_id) } }
                    tr { th { "Candidat" } td { (attempt.candidate_id) } }
                    tr { th { "Tentative" } td { (attempt.id) } }
                    tr { th { "Tiers-temps" } td { (if attempt.extra_time { "oui" } else { "non" }) } }
                    tr { th { "Début" } td data-testid="report-start" { (times.start_fr(d.started_at, when)) } }
                    tr { th { "Questions ouvertes" } td data-testid="report-opening" { (times.opening_fr(d.questions_opened, when)) } }
                    tr { th { "Fin" } td { @match d.submitted {
                        Some((t, vigil_exam::Reason::Manual)) => { (when(t)) " (remise par le candidat)" }
                        Some((t, vigil_exam::Reason::Timeout)) => { (when(t)) " (temps écoulé, remise automatique)" }
                        None => "non remise",
                    } } }
                    tr { th { "Journal" } td { @match &chain {
                        Ok(()) => { (events.len()) " événements, chaîne d'empreintes vérifiée et intacte" }
                        Err(e) => { "chaîne d'empreintes ROMPUE : " (e) }
                    } } }
                }
                p.note { (hours) ", mesurées par l'horloge de confiance de l'application \
                          (recalée sur le serveur)." }
                h2 { "Identité" }
                div.pair {
                    figure { @if let Some(s) = &d.id_photo { img src=(media(s)) alt="Pièce d'identité"; }
                        figcaption { "Pièce d'identité présentée à la caméra" } }
                    figure { @if let Some(s) = &d.face_photo { img src=(media(s)) alt="Visage"; }
                        figcaption { "Photo du visage" } }
                }
                p data-testid="face-match" { (dossier::face_match_text_fr(d.face_match.as_ref())) }
                h2 { "Faits constatés" }
                @if !d.has_findings() && flags.is_empty() {
                    p { "Aucun incident, aucune sortie de l'épreuve, aucune action bloquée." }
                }
                @if !d.incidents.is_empty() {
                    h3 { "Incidents de surveillance" }
                    table {
                        tr { th { "Nature" } th { "Gravité" } th { "Début" } th { "Fin" } th { "Durée" } th { "Image" } }
                        @for i in &d.incidents {
                            tr {
                                td { (dossier::incident_label_fr(i.kind)) }
                                td { (dossier::severity_fr(i.severity)) }
                                td { (when(i.opened_at)) }
                                td { (i.closed_at.map(when).unwrap_or_else(|| "non close".into())) }
                                td { (dossier::duration_fr(i.closed_at.unwrap_or(end).saturating_sub(i.opened_at))) }
                                td { @if let Some(s) = &i.evidence { img.still src=(media(s)) alt="Image au moment de l'incident"; }
                                    @if i.kind == vigil_exam::IncidentKind::IdentityChanged {
                                        @if let Some(f) = &d.face_photo { img.still src=(media(f)) alt="Photo du visage à l'identification"; }
                                        @if let Some(f) = &d.id_photo { img.still src=(media(f)) alt="Pièce d'identité"; }
                                    } }
                            }
                        }
                    }
                }
                @if !d.away.is_empty() {
                    h3 { "Sorties de l'épreuve" }
                    table {
                        tr { th { "Nature" } th { "Début" } th { "Fin" } th { "Durée" } }
                        @for a in &d.away {
                            tr { td { (a.what.label_fr()) } td { (when(a.from)) }
                                 td { (a.until.map(when).unwrap_or_else(|| "jusqu'à la fin".into())) }
                                 td { (dossier::duration_fr(a.duration_ms(end))) } }
                        }
                    }
                    p { "Total hors de la fenêtre : " (dossier::duration_fr(d.away_total_ms(AwayKind::Window)))
                        " ; hors du plein écran : " (dossier::duration_fr(d.away_total_ms(AwayKind::Fullscreen))) "." }
                }
                @if !d.blocked.is_empty() {
                    h3 { "Actions interdites bloquées (" (d.blocked.len()) ")" }
                    ul { @for (at, action) in &d.blocked { li { (when(*at)) " — " code { (action) } } } }
                }
                @if let Some(k) = &d.kiosk {
                    h3 { "Vérification de la machine (lanceur " (k.launcher) ")" }
                    ul { @for r in &k.results { li { (r.item) " : " (format!("{:?}", r.status).to_lowercase()) " — " (r.detail) } } }
                }
                @if !flags.is_empty() {
                    h3 { "Signalements du serveur" }
                    ul { @for f in &flags { li { (when(f.at)) " — " (f.kind) " : " (f.detail) } } }
                }
                h2 { "Décision" }
                @if decisions.is_empty() { p { "Aucune décision enregistrée." } }
                @for dec in &decisions {
                    p.decision data-decision=(dec.decision) { (when(dec.at)) " — " (dec.proctor) " : "
                        strong { (dec.kind().map_or_else(|| dec.decision.clone(), |d| d.french().to_owned())) }
                        @if let Some(until) = dec.excluded_until {
                            " jusqu'au " (crate::time::paris_day(until)) " (exclu)"
                        }
                        @if !dec.comment.is_empty() { br; "Motif : « " (dec.comment) " »" } }
                }
                @if let Some(last) = decisions.last() {
                    @if last.kind().is_some_and(|d| d.referred()) {
                        p.referral { "Le dossier est transmis au service des examens du ministère." }
                    }
                }
                div.sign {
                    p { "Fait le ____________________ à ____________________" }
                    p { "Nom et signature du surveillant :" }
                    p { "Nom et signature du responsable de la session :" }
                }
            }
        }
    };
    Ok(Html(body.into_string()))
}
